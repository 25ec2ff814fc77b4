package core

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/auth/token"
	"github.com/vaultd/vaultd/logical"
)

// Response wrapping. A request with a wrap TTL has its answer stored in the
// cubbyhole of a new single-use wrapping token; the client receives only
// the token's wrap_info. sys/wrapping/unwrap spends the token and answers
// what was stored.

// errInvalidWrappingToken is Vault's answer for a token that is not a live
// wrapping token (an ordinary token, an unwrapped one, an expired one).
var errInvalidWrappingToken = logical.InvalidRequest("wrapping token is not valid or does not exist")

// Cubbyhole keys of a wrapping token.
const (
	wrapResponseKey = "response"
	wrapInfoKey     = "wrapinfo"
)

// wrappingOps are the sys/ paths that take a wrapping token, in the body
// ("token") or as the client token.
var wrappingOps = map[string]bool{"wrapping/unwrap": true, "wrapping/lookup": true, "wrapping/rewrap": true}

// storedResponse is a wrapped answer as kept in the cubbyhole.
type storedResponse struct {
	Data     map[string]any    `json:"data,omitempty"`
	Auth     *logical.Auth     `json:"auth,omitempty"`
	Secret   *logical.Secret   `json:"secret,omitempty"`
	Warnings []string          `json:"warnings,omitempty"`
	Status   int               `json:"status,omitempty"`
	Raw      bool              `json:"raw,omitempty"`
	WrapInfo *logical.WrapInfo `json:"-"`
}

// checkWrappingToken runs before authentication for the sys/wrapping paths
// that take a wrapping token. A token that is not a live wrapping token is
// refused with a 400 before anything else happens. When the client token
// is the wrapping token itself, it needs no ACL (and its one use is spent
// by the handler); sys/wrapping/lookup with the token in the body needs no
// client token at all, as in Vault.
func (st *unsealed) checkWrappingToken(ctx context.Context, cl *call) error {
	if cl.rt.entry.Type != typeSystem || !wrappingOps[cl.engReq.Path] {
		return nil
	}
	tok, third, err := wrappingTokenOf(cl.req)
	if err != nil {
		return err
	}
	if tok == "" {
		return logical.InvalidRequest("missing \"token\" value in input")
	}
	te, err := st.tokens.Lookup(ctx, tok)
	if err != nil {
		return err
	}
	if te == nil || !te.IsWrapping() {
		return errInvalidWrappingToken
	}
	switch {
	case !third:
		cl.wrapFirstParty = true
	case cl.engReq.Path == "wrapping/lookup":
		cl.unauth = true
	}
	return nil
}

// wrappingTokenOf returns the wrapping token a request names: the "token"
// field, else the client token; third is true for the former.
func wrappingTokenOf(req *logical.Request) (tok string, third bool, err error) {
	if raw, ok := req.Data["token"]; ok && raw != nil {
		s, ok := raw.(string)
		if !ok {
			return "", false, logical.InvalidRequest("could not decode token in request body")
		}
		if s == "" {
			return "", false, logical.InvalidRequest("empty token in request body")
		}
		return s, true, nil
	}
	return req.ClientToken, false, nil
}

// wrap stores resp in a new wrapping token's cubbyhole when the request
// asked for a wrap TTL (or the engine asked, as rewrap does) and returns
// what the client receives instead. in gets the wrap info for the audit
// entry of the response.
func (st *unsealed) wrap(ctx context.Context, cl *call, resp *logical.Response, in *audit.LogInput) (*logical.Response, error) {
	if resp == nil {
		return nil, nil
	}
	ttl, path := cl.req.WrapTTL, cl.req.Path
	var payload []byte
	if w := resp.WrapInfo; w != nil && w.Token == "" {
		// sys/wrapping/rewrap: the stored answer moves to a new token.
		ttl, path = w.TTL, w.CreationPath
		s, _ := resp.Data[wrapResponseKey].(string)
		payload = []byte(s)
	} else if ttl <= 0 {
		return resp, nil
	} else {
		var err error
		if payload, err = encodeWrapped(resp); err != nil {
			return nil, err
		}
	}
	te, err := st.tokens.CreateWrapping(ctx, path, ttl)
	if err != nil {
		st.c.logger.Error("failed to create wrapping token", "request_id", cl.req.ID, "error", err)
		return nil, errInternal
	}
	info := &logical.WrapInfo{
		Token: te.ID, Accessor: te.Accessor, TTL: ttl,
		CreationTime: te.CreationTime, CreationPath: path,
	}
	if resp.Auth != nil {
		info.WrappedAccessor = resp.Auth.Accessor
	} else if acc, ok := resp.Data["secret_id_accessor"].(string); ok && cl.rt.entry.Type == "approle" {
		info.WrappedAccessor = acc
	}
	if err := st.storeWrapped(ctx, te, payload, info); err != nil {
		st.c.logger.Error("failed to store wrapped response", "request_id", cl.req.ID, "error", err)
		if rerr := st.tokens.RevokeTree(ctx, te); rerr != nil {
			st.c.logger.Error("failed to revoke unused wrapping token", "error", rerr)
		}
		return nil, errInternal
	}
	in.WrapInfo = &audit.WrapInfo{
		Token: info.Token, Accessor: info.Accessor, TTL: info.TTL,
		CreationTime: info.CreationTime, CreationPath: info.CreationPath, WrappedAccessor: info.WrappedAccessor,
	}
	return &logical.Response{WrapInfo: info, Warnings: resp.Warnings}, nil
}

func encodeWrapped(resp *logical.Response) ([]byte, error) {
	sr := storedResponse{Data: resp.Data, Warnings: resp.Warnings, Status: resp.StatusCode, Raw: resp.Raw}
	if resp.Auth != nil {
		a := *resp.Auth
		a.InternalData, a.Alias = nil, nil
		sr.Auth = &a
	}
	if resp.Secret != nil {
		s := *resp.Secret
		s.InternalData = nil
		sr.Secret = &s
	}
	b, err := json.Marshal(sr)
	if err != nil {
		return nil, fmt.Errorf("encode wrapped response: %w", err)
	}
	return b, nil
}

func decodeWrapped(payload string) (*logical.Response, error) {
	var sr storedResponse
	dec := json.NewDecoder(bytes.NewReader([]byte(payload)))
	dec.UseNumber()
	if err := dec.Decode(&sr); err != nil {
		return nil, fmt.Errorf("decode wrapped response: %w", err)
	}
	if sr.Data == nil && sr.Auth == nil && sr.Secret == nil && len(sr.Warnings) == 0 {
		return nil, nil
	}
	return &logical.Response{Data: sr.Data, Auth: sr.Auth, Secret: sr.Secret, Warnings: sr.Warnings, StatusCode: sr.Status, Raw: sr.Raw}, nil
}

// cubbyholeCall runs one request on the cubbyhole of token te.
func (st *unsealed) cubbyholeCall(ctx context.Context, te *token.Entry, op logical.Operation, key string, data map[string]any) (*logical.Response, error) {
	rt, _ := st.router.match("cubbyhole/" + key)
	if rt == nil || rt.entry.Type != typeCubbyhole {
		return nil, fmt.Errorf("no cubbyhole mount")
	}
	return rt.backend.HandleRequest(ctx, &logical.Request{
		ID: newUUID(), Operation: op, Path: key, Data: data, Storage: rt.view,
		ClientToken: te.ID, ClientTokenAccessor: te.Accessor,
		MountPoint: rt.entry.routePath(), MountType: rt.entry.Type, MountAccessor: rt.entry.Accessor,
	})
}

func (st *unsealed) storeWrapped(ctx context.Context, te *token.Entry, payload []byte, info *logical.WrapInfo) error {
	if _, err := st.cubbyholeCall(ctx, te, logical.CreateOperation, wrapResponseKey, map[string]any{wrapResponseKey: string(payload)}); err != nil {
		return err
	}
	_, err := st.cubbyholeCall(ctx, te, logical.CreateOperation, wrapInfoKey, map[string]any{
		"creation_ttl":  int64(info.TTL / time.Second),
		"creation_time": info.CreationTime.UTC().Format(time.RFC3339Nano),
		"creation_path": info.CreationPath,
	})
	return err
}

// openWrapping looks up the wrapping token a sys/wrapping request names and
// reads one of its cubbyhole entries.
func (st *unsealed) openWrapping(ctx context.Context, req *logical.Request, key string) (*token.Entry, map[string]any, error) {
	tok, _, err := wrappingTokenOf(req)
	if err != nil {
		return nil, nil, err
	}
	te, err := st.tokens.Lookup(ctx, tok)
	if err != nil {
		return nil, nil, err
	}
	if te == nil || !te.IsWrapping() {
		return nil, nil, errInvalidWrappingToken
	}
	resp, err := st.cubbyholeCall(ctx, te, logical.ReadOperation, key, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("read wrapped response: %w", err)
	}
	if resp == nil || resp.Data == nil {
		return nil, nil, errInvalidWrappingToken
	}
	return te, resp.Data, nil
}

// spend uses the wrapping token's one use. Of concurrent unwraps of the
// same token only one gets it; the others are refused. The last use
// revokes the token, and with it its cubbyhole.
func (st *unsealed) spend(ctx context.Context, te *token.Entry) error {
	used, err := st.tokens.UseToken(ctx, te)
	if err != nil {
		return err
	}
	if used == nil {
		return errInvalidWrappingToken
	}
	return nil
}

func (b *sysBackend) wrappingRoutes() []sysRoute {
	return []sysRoute{
		sysPath(`wrapping/wrap`, map[logical.Operation]sysHandler{logical.UpdateOperation: b.wrappingWrap}),
		sysPath(`wrapping/unwrap`, map[logical.Operation]sysHandler{logical.UpdateOperation: b.wrappingUnwrap}),
		sysPath(`wrapping/lookup`, map[logical.Operation]sysHandler{logical.UpdateOperation: b.wrappingLookup, logical.ReadOperation: b.wrappingLookup}),
		sysPath(`wrapping/rewrap`, map[logical.Operation]sysHandler{logical.UpdateOperation: b.wrappingRewrap}),
	}
}

func (b *sysBackend) wrappingWrap(_ context.Context, req *logical.Request, _ []string) (*logical.Response, error) {
	if req.WrapTTL <= 0 {
		return nil, logical.InvalidRequest("endpoint requires response wrapping to be used")
	}
	if len(req.Data) == 0 {
		return nil, logical.InvalidRequest("empty request body")
	}
	return &logical.Response{Data: req.Data}, nil
}

func (b *sysBackend) wrappingUnwrap(ctx context.Context, req *logical.Request, _ []string) (*logical.Response, error) {
	te, data, err := b.st.openWrapping(ctx, req, wrapResponseKey)
	if err != nil {
		return nil, err
	}
	if err := b.st.spend(ctx, te); err != nil {
		return nil, err
	}
	payload, _ := data[wrapResponseKey].(string)
	return decodeWrapped(payload)
}

func (b *sysBackend) wrappingLookup(ctx context.Context, req *logical.Request, _ []string) (*logical.Response, error) {
	_, data, err := b.st.openWrapping(ctx, req, wrapInfoKey)
	if err != nil {
		return nil, err
	}
	return &logical.Response{Data: map[string]any{
		"creation_ttl":  data["creation_ttl"],
		"creation_time": data["creation_time"],
		"creation_path": data["creation_path"],
	}}, nil
}

func (b *sysBackend) wrappingRewrap(ctx context.Context, req *logical.Request, _ []string) (*logical.Response, error) {
	te, info, err := b.st.openWrapping(ctx, req, wrapInfoKey)
	if err != nil {
		return nil, err
	}
	stored, err := b.st.cubbyholeCall(ctx, te, logical.ReadOperation, wrapResponseKey, nil)
	if err != nil || stored == nil {
		return nil, errInvalidWrappingToken
	}
	ttl, err := logical.ParseDuration(info["creation_ttl"])
	if err != nil {
		return nil, fmt.Errorf("stored wrapping TTL: %w", err)
	}
	path, _ := info["creation_path"].(string)
	if err := b.st.spend(ctx, te); err != nil {
		return nil, err
	}
	return &logical.Response{
		Data:     map[string]any{wrapResponseKey: stored.Data[wrapResponseKey]},
		WrapInfo: &logical.WrapInfo{TTL: ttl, CreationPath: path},
	}, nil
}
