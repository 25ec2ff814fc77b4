package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// build assembles one entry. It remembers the last few HMACs it computed:
// the same token and accessor appear up to three times in one entry.
type build struct {
	*Formatter
	memo [4]struct{ in, out string }
	n    int
}

// token HMACs a token unless the formatter is raw.
func (b *build) token(s string) string {
	if s == "" || b.opts.Raw {
		return s
	}
	for i := range min(b.n, len(b.memo)) {
		if b.memo[i].in == s {
			return b.memo[i].out
		}
	}
	out := b.mac.sum(s)
	b.memo[b.n%len(b.memo)] = struct{ in, out string }{s, out}
	b.n++
	return out
}

// accessor HMACs an accessor unless raw or hmac_accessor=false.
func (b *build) accessor(s string) string {
	if !b.opts.HMACAccessor {
		return s
	}
	return b.token(s)
}

// callerAuth is the top-level auth block: the caller's token, or Vault's
// {"token_type":"default"} when there is none.
func (b *build) callerAuth(in *LogInput) *EntryAuth {
	a := b.auth(in.Auth)
	if a == nil {
		a = &EntryAuth{TokenType: "default"}
	}
	if pr := in.PolicyResults; pr != nil {
		r := &EntryPolicyResult{Allowed: pr.Allowed}
		for _, p := range pr.GrantingPolicies {
			r.GrantingPolicies = append(r.GrantingPolicies, EntryPolicyInfo{Name: p.Name, NamespaceID: "root", Type: p.Type})
		}
		a.PolicyResults = r
	}
	return a
}

// auth converts a logical.Auth; only the token and accessor are HMAC'd,
// as in Vault. Slices and maps are copied.
func (b *build) auth(a *logical.Auth) *EntryAuth {
	if a == nil {
		return nil
	}
	out := &EntryAuth{
		ClientToken:     b.token(a.ClientToken),
		Accessor:        b.accessor(a.Accessor),
		DisplayName:     a.DisplayName,
		Policies:        cloneStrings(a.Policies),
		TokenPolicies:   cloneStrings(a.TokenPolicies),
		EntityID:        a.EntityID,
		NoDefaultPolicy: a.NoDefaultPolicy,
		NumUses:         a.NumUses,
		TokenType:       string(a.TokenType),
		TokenTTL:        int64(a.TTL / time.Second),
	}
	if out.TokenType == "" {
		out.TokenType = "default"
	}
	if len(a.Metadata) > 0 {
		out.Metadata = make(map[string]string, len(a.Metadata))
		for k, v := range a.Metadata {
			out.Metadata[k] = v
		}
	}
	if !a.IssueTime.IsZero() {
		out.TokenIssueTime = a.IssueTime.UTC().Format(time.RFC3339)
	}
	return out
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

func (b *build) request(in *LogInput) (*EntryRequest, error) {
	r := in.Request
	out := &EntryRequest{
		ID:                  r.ID,
		Operation:           string(r.Operation),
		MountPoint:          r.MountPoint,
		MountType:           r.MountType,
		MountAccessor:       r.MountAccessor,
		ClientToken:         b.token(r.ClientToken),
		ClientTokenAccessor: b.accessor(r.ClientTokenAccessor),
		Namespace:           &EntryNamespace{ID: "root"},
		Path:                r.Path,
		RemoteAddr:          r.RemoteAddr,
		RemotePort:          r.RemotePort,
		WrapTTL:             int(r.WrapTTL / time.Second),
		Headers:             b.headers(in),
		Data:                r.Data,
	}
	if !b.opts.Raw {
		data, err := b.hasher(in.NonHMACReqDataKeys).copyMap(r.Data)
		if err != nil {
			return nil, fmt.Errorf("audit: hash request data: %w", err)
		}
		out.Data = data
	}
	return out, nil
}

// headers returns the audited request headers, keyed by lower-case name.
func (b *build) headers(in *LogInput) map[string][]string {
	if len(in.AuditedHeaders) == 0 || len(in.Request.Headers) == 0 {
		return nil
	}
	var out map[string][]string
	for name, values := range in.Request.Headers {
		key := strings.ToLower(name)
		hmacIt, ok := in.AuditedHeaders[key]
		if !ok {
			continue
		}
		vals := make([]string, len(values))
		for i, v := range values {
			vals[i] = v
			if hmacIt && !b.opts.Raw {
				vals[i] = b.mac.sum(v)
			}
		}
		if out == nil {
			out = make(map[string][]string)
		}
		out[key] = append(out[key], vals...)
	}
	return out
}

func (b *build) response(in *LogInput) (*EntryResponse, error) {
	r := in.Request
	out := &EntryResponse{
		MountPoint:    r.MountPoint,
		MountType:     r.MountType,
		MountAccessor: r.MountAccessor,
		WrapInfo:      b.wrapInfo(in.WrapInfo),
	}
	resp := in.Response
	if resp == nil {
		return out, nil
	}
	out.Auth = b.auth(resp.Auth)
	if resp.Secret != nil {
		out.Secret = &EntrySecret{LeaseID: resp.Secret.LeaseID}
	}
	out.Warnings = cloneStrings(resp.Warnings)
	out.Redirect = resp.Redirect

	// Hash first, then elide, as Vault does: the counts that replace keys
	// and key_info are not secret data and stay plain numbers.
	data := resp.Data
	if !b.opts.Raw {
		hashed, err := b.hasher(in.NonHMACRespDataKeys).copyMap(data)
		if err != nil {
			return nil, fmt.Errorf("audit: hash response data: %w", err)
		}
		data = hashed
	}
	if b.opts.ElideListResponses && r.Operation == logical.ListOperation {
		data = elideList(data)
	}
	out.Data = data
	return out, nil
}

func (b *build) wrapInfo(w *WrapInfo) *EntryWrapInfo {
	if w == nil {
		return nil
	}
	out := &EntryWrapInfo{
		Token:           b.token(w.Token),
		Accessor:        b.accessor(w.Accessor),
		TTL:             int(w.TTL / time.Second),
		CreationPath:    w.CreationPath,
		WrappedAccessor: b.accessor(w.WrappedAccessor),
	}
	if !w.CreationTime.IsZero() {
		out.CreationTime = w.CreationTime.UTC().Format(time.RFC3339Nano)
	}
	return out
}
