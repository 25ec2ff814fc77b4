package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// encoder writes one entry in a single pass: fields are HMAC'd as they are
// written, straight into the output, so no hashed copy of the data and no
// Entry tree is built and nothing goes through reflection but values of
// types the hasher does not know. The bytes are the same as RequestEntry
// or ResponseEntry encoded with encoding/json (the golden tests hold the
// two to that).
type encoder struct {
	f   *Formatter
	b   []byte
	mac hash.Hash // taken from the formatter's pool for one entry
	// scratch holds the bytes being hashed.
	scratch []byte
	// memo remembers the last few token HMACs: the same token and accessor
	// appear up to three times in one entry.
	memo [4]struct {
		in  string
		hex [2 * sha256.Size]byte
	}
	n int
}

// AppendRequest appends the request entry of in to dst, as one whole line
// (prefix, entry, newline), and returns the extended buffer.
func (f *Formatter) AppendRequest(dst []byte, in *LogInput) ([]byte, error) {
	if in == nil || in.Request == nil {
		return dst, fmt.Errorf("audit: request entry without a request")
	}
	return f.appendEntry(dst, in, false)
}

// AppendResponse appends the response entry of in to dst, as one whole
// line.
func (f *Formatter) AppendResponse(dst []byte, in *LogInput) ([]byte, error) {
	if in == nil || in.Request == nil {
		return dst, fmt.Errorf("audit: response entry without a request")
	}
	return f.appendEntry(dst, in, true)
}

func (f *Formatter) appendEntry(dst []byte, in *LogInput, response bool) ([]byte, error) {
	e := encoder{f: f}
	if f.opts.Format == FormatJSONX {
		// JSONx is rendered from the JSON form of the entry.
		raw, err := e.entry(nil, in, response)
		if err != nil {
			return dst, err
		}
		buf := bytes.NewBuffer(dst)
		buf.WriteString(f.opts.Prefix)
		if err := writeJSONX(buf, raw); err != nil {
			return dst, fmt.Errorf("audit: encode entry as jsonx: %w", err)
		}
		buf.WriteByte('\n')
		return buf.Bytes(), nil
	}
	start := len(dst)
	dst = append(dst, f.opts.Prefix...)
	out, err := e.entry(dst, in, response)
	if err != nil {
		return dst[:start], err
	}
	return append(out, '\n'), nil
}

// entry appends the JSON object of an entry to dst.
func (e *encoder) entry(dst []byte, in *LogInput, response bool) ([]byte, error) {
	defer e.release()
	e.b = dst
	e.b = append(e.b, `{"time":`...)
	e.b = appendString(e.b, e.f.timeOf(in))
	if response {
		e.b = append(e.b, `,"type":"response","auth":`...)
	} else {
		e.b = append(e.b, `,"type":"request","auth":`...)
	}
	e.callerAuth(in)
	e.b = append(e.b, `,"request":`...)
	if err := e.request(in); err != nil {
		return e.b, err
	}
	if response {
		e.b = append(e.b, `,"response":`...)
		if err := e.response(in); err != nil {
			return e.b, err
		}
	}
	if in.OuterErr != nil {
		if msg := in.OuterErr.Error(); msg != "" {
			e.b = append(e.b, `,"error":`...)
			e.b = appendString(e.b, msg)
		}
	}
	e.b = append(e.b, '}')
	return e.b, nil
}

func (e *encoder) release() {
	if e.mac != nil {
		e.f.mac.pool.Put(e.mac)
		e.mac = nil
	}
}

// sumHex writes the hex HMAC of s into out.
func (e *encoder) sumHex(s string, out *[2 * sha256.Size]byte) {
	if e.mac == nil {
		e.mac = e.f.mac.pool.Get().(hash.Hash)
	}
	e.mac.Reset()
	e.scratch = append(e.scratch[:0], s...)
	_, _ = e.mac.Write(e.scratch) // a hash never fails to write
	// The input is in the hash now: its buffer takes the sum (an array
	// on the stack would escape through the interface call).
	e.scratch = e.mac.Sum(e.scratch[:0])
	hex.Encode(out[:], e.scratch)
}

// hashed appends the JSON string "hmac-sha256:<hex>" of s.
func (e *encoder) hashed(s string) {
	var h [2 * sha256.Size]byte
	e.sumHex(s, &h)
	e.b = append(e.b, '"')
	e.b = append(e.b, HMACPrefix...)
	e.b = append(e.b, h[:]...)
	e.b = append(e.b, '"')
}

// token appends a token HMAC'd (unless raw), remembering recent ones.
func (e *encoder) token(s string) {
	if e.f.opts.Raw {
		e.b = appendString(e.b, s)
		return
	}
	for i := range min(e.n, len(e.memo)) {
		if e.memo[i].in == s {
			e.b = append(e.b, '"')
			e.b = append(e.b, HMACPrefix...)
			e.b = append(e.b, e.memo[i].hex[:]...)
			e.b = append(e.b, '"')
			return
		}
	}
	m := &e.memo[e.n%len(e.memo)]
	m.in = s
	e.sumHex(s, &m.hex)
	e.n++
	e.b = append(e.b, '"')
	e.b = append(e.b, HMACPrefix...)
	e.b = append(e.b, m.hex[:]...)
	e.b = append(e.b, '"')
}

// accessor appends an accessor, HMAC'd unless raw or hmac_accessor=false.
func (e *encoder) accessor(s string) {
	if !e.f.opts.HMACAccessor {
		e.b = appendString(e.b, s)
		return
	}
	e.token(s)
}

// field starts a member of an object whose first member may not have
// been written yet: first tracks that.
func (e *encoder) field(first *bool, name string) {
	if !*first {
		e.b = append(e.b, ',')
	}
	*first = false
	e.b = append(e.b, '"')
	e.b = append(e.b, name...)
	e.b = append(e.b, '"', ':')
}

// callerAuth appends the top-level auth object.
func (e *encoder) callerAuth(in *LogInput) {
	e.auth(in.Auth, in.PolicyResults)
}

// auth appends an EntryAuth object for a (nil a gives Vault's
// {"token_type":"default"}), with policy results when pr is set.
func (e *encoder) auth(a *logical.Auth, pr *PolicyResults) {
	first := true
	e.b = append(e.b, '{')
	tokenType := "default"
	if a != nil {
		if a.ClientToken != "" {
			e.field(&first, "client_token")
			e.token(a.ClientToken)
		}
		if a.Accessor != "" {
			e.field(&first, "accessor")
			e.accessor(a.Accessor)
		}
		if a.DisplayName != "" {
			e.field(&first, "display_name")
			e.b = appendString(e.b, a.DisplayName)
		}
		if len(a.Policies) > 0 {
			e.field(&first, "policies")
			e.b = appendStrings(e.b, a.Policies)
		}
		if len(a.TokenPolicies) > 0 {
			e.field(&first, "token_policies")
			e.b = appendStrings(e.b, a.TokenPolicies)
		}
		if a.TokenType != "" {
			tokenType = string(a.TokenType)
		}
	}
	if pr != nil {
		e.field(&first, "policy_results")
		e.b = append(e.b, `{"allowed":`...)
		e.b = strconv.AppendBool(e.b, pr.Allowed)
		if len(pr.GrantingPolicies) > 0 {
			e.b = append(e.b, `,"granting_policies":[`...)
			for i, p := range pr.GrantingPolicies {
				if i > 0 {
					e.b = append(e.b, ',')
				}
				e.b = append(e.b, '{')
				if p.Name != "" {
					e.b = append(e.b, `"name":`...)
					e.b = appendString(e.b, p.Name)
					e.b = append(e.b, ',')
				}
				e.b = append(e.b, `"namespace_id":"root","type":`...)
				e.b = appendString(e.b, p.Type)
				e.b = append(e.b, '}')
			}
			e.b = append(e.b, ']')
		}
		e.b = append(e.b, '}')
	}
	if a != nil {
		if len(a.Metadata) > 0 {
			e.field(&first, "metadata")
			e.b = appendStringMap(e.b, a.Metadata)
		}
		if a.EntityID != "" {
			e.field(&first, "entity_id")
			e.b = appendString(e.b, a.EntityID)
		}
		if a.NoDefaultPolicy {
			e.field(&first, "no_default_policy")
			e.b = append(e.b, "true"...)
		}
		if a.NumUses != 0 {
			e.field(&first, "num_uses")
			e.b = strconv.AppendInt(e.b, int64(a.NumUses), 10)
		}
	}
	e.field(&first, "token_type")
	e.b = appendString(e.b, tokenType)
	if a != nil {
		if ttl := int64(a.TTL / time.Second); ttl != 0 {
			e.field(&first, "token_ttl")
			e.b = strconv.AppendInt(e.b, ttl, 10)
		}
		if !a.IssueTime.IsZero() {
			e.field(&first, "token_issue_time")
			e.b = appendString(e.b, a.IssueTime.UTC().Format(time.RFC3339))
		}
	}
	e.b = append(e.b, '}')
}

// str appends a string field (always written, even empty).
func (e *encoder) str(first *bool, name, v string) {
	if v == "" {
		return
	}
	e.field(first, name)
	e.b = appendString(e.b, v)
}

func (e *encoder) request(in *LogInput) error {
	r := in.Request
	first := true
	e.b = append(e.b, '{')
	e.str(&first, "id", r.ID)
	e.str(&first, "operation", string(r.Operation))
	e.str(&first, "mount_point", r.MountPoint)
	e.str(&first, "mount_type", r.MountType)
	e.str(&first, "mount_accessor", r.MountAccessor)
	if r.ClientToken != "" {
		e.field(&first, "client_token")
		e.token(r.ClientToken)
	}
	if r.ClientTokenAccessor != "" {
		e.field(&first, "client_token_accessor")
		e.accessor(r.ClientTokenAccessor)
	}
	e.field(&first, "namespace")
	e.b = append(e.b, `{"id":"root"}`...)
	e.str(&first, "path", r.Path)
	if len(r.Data) > 0 {
		e.field(&first, "data")
		var err error
		if e.f.opts.Raw {
			e.b, err = appendValue(e.b, r.Data)
		} else {
			err = e.hashedMap(r.Data, in.NonHMACReqDataKeys)
		}
		if err != nil {
			return fmt.Errorf("audit: hash request data: %w", err)
		}
	}
	if r.RemoteAddr != "" {
		e.field(&first, "remote_address")
		e.b = appendString(e.b, r.RemoteAddr)
	}
	if r.RemotePort != 0 {
		e.field(&first, "remote_port")
		e.b = strconv.AppendInt(e.b, int64(r.RemotePort), 10)
	}
	if ttl := int(r.WrapTTL / time.Second); ttl != 0 {
		e.field(&first, "wrap_ttl")
		e.b = strconv.AppendInt(e.b, int64(ttl), 10)
	}
	if len(in.AuditedHeaders) > 0 && len(r.Headers) > 0 {
		e.headers(&first, in)
	}
	e.b = append(e.b, '}')
	return nil
}

// headers appends the audited request headers, keyed by lower-case name.
func (e *encoder) headers(first *bool, in *LogInput) {
	var out map[string][]string
	for name, values := range in.Request.Headers {
		key := strings.ToLower(name)
		if _, ok := in.AuditedHeaders[key]; !ok {
			continue
		}
		if out == nil {
			out = make(map[string][]string)
		}
		out[key] = append(out[key], values...)
	}
	if len(out) == 0 {
		return
	}
	e.field(first, "headers")
	e.b = append(e.b, '{')
	for i, k := range sortedKeys(out) {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(appendString(e.b, k), ':', '[')
		hmacIt := in.AuditedHeaders[k] && !e.f.opts.Raw
		for j, v := range out[k] {
			if j > 0 {
				e.b = append(e.b, ',')
			}
			if hmacIt {
				e.hashed(v)
			} else {
				e.b = appendString(e.b, v)
			}
		}
		e.b = append(e.b, ']')
	}
	e.b = append(e.b, '}')
}

func (e *encoder) response(in *LogInput) error {
	r := in.Request
	first := true
	e.b = append(e.b, '{')
	e.str(&first, "mount_point", r.MountPoint)
	e.str(&first, "mount_type", r.MountType)
	e.str(&first, "mount_accessor", r.MountAccessor)
	if resp := in.Response; resp != nil {
		if resp.Auth != nil {
			e.field(&first, "auth")
			e.auth(resp.Auth, nil)
		}
		if resp.Secret != nil {
			e.field(&first, "secret")
			e.b = append(e.b, '{')
			if resp.Secret.LeaseID != "" {
				e.b = append(e.b, `"lease_id":`...)
				e.b = appendString(e.b, resp.Secret.LeaseID)
			}
			e.b = append(e.b, '}')
		}
		if len(resp.Data) > 0 {
			if err := e.responseData(&first, in); err != nil {
				return err
			}
		}
		if len(resp.Warnings) > 0 {
			e.field(&first, "warnings")
			e.b = appendStrings(e.b, resp.Warnings)
		}
		e.str(&first, "redirect", resp.Redirect)
	}
	if w := in.WrapInfo; w != nil {
		e.field(&first, "wrap_info")
		e.wrapInfo(w)
	}
	e.b = append(e.b, '}')
	return nil
}

func (e *encoder) responseData(first *bool, in *LogInput) error {
	data := in.Response.Data
	if e.f.opts.ElideListResponses && in.Request.Operation == logical.ListOperation {
		// Rare: hash into a copy, elide, then write the copy as it is.
		if !e.f.opts.Raw {
			hashed, err := e.f.hasher(in.NonHMACRespDataKeys).copyMap(data)
			if err != nil {
				return fmt.Errorf("audit: hash response data: %w", err)
			}
			data = hashed
		}
		data = elideList(data)
		if len(data) == 0 {
			return nil
		}
		e.field(first, "data")
		var err error
		if e.b, err = appendValue(e.b, data); err != nil {
			return fmt.Errorf("audit: encode entry: %w", err)
		}
		return nil
	}
	e.field(first, "data")
	if e.f.opts.Raw {
		var err error
		if e.b, err = appendValue(e.b, data); err != nil {
			return fmt.Errorf("audit: encode entry: %w", err)
		}
		return nil
	}
	if err := e.hashedMap(data, in.NonHMACRespDataKeys); err != nil {
		return fmt.Errorf("audit: hash response data: %w", err)
	}
	return nil
}

func (e *encoder) wrapInfo(w *WrapInfo) {
	first := true
	e.b = append(e.b, '{')
	if w.Accessor != "" {
		e.field(&first, "accessor")
		e.accessor(w.Accessor)
	}
	e.str(&first, "creation_path", w.CreationPath)
	if !w.CreationTime.IsZero() {
		e.str(&first, "creation_time", w.CreationTime.UTC().Format(time.RFC3339Nano))
	}
	if w.Token != "" {
		e.field(&first, "token")
		e.token(w.Token)
	}
	if ttl := int(w.TTL / time.Second); ttl != 0 {
		e.field(&first, "ttl")
		e.b = strconv.AppendInt(e.b, int64(ttl), 10)
	}
	if w.WrappedAccessor != "" {
		e.field(&first, "wrapped_accessor")
		e.accessor(w.WrappedAccessor)
	}
	e.b = append(e.b, '}')
}

// hashedMap appends the hashed form of a data map (see hasher): every
// scalar HMAC'd unless its nearest key is exempt. nil is null.
func (e *encoder) hashedMap(m map[string]any, exempt []string) error {
	if m == nil {
		e.b = append(e.b, "null"...)
		return nil
	}
	e.b = append(e.b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = append(appendString(e.b, k), ':')
		if err := e.hashedValue(k, m[k], exempt); err != nil {
			return fmt.Errorf("field %q: %w", k, err)
		}
	}
	e.b = append(e.b, '}')
	return nil
}

// hashedStr appends s, HMAC'd unless key is exempt.
func (e *encoder) hashedStr(key, s string, exempt []string) {
	if slices.Contains(exempt, key) {
		e.b = appendString(e.b, s)
		return
	}
	e.hashed(s)
}

// hashedValue appends the hashed form of v found under key, exactly as
// hasher.value rewrites it and encoding/json then writes the rewrite.
func (e *encoder) hashedValue(key string, v any, exempt []string) error {
	var err error
	switch t := v.(type) {
	case nil:
		e.b = append(e.b, "null"...)
	case bool:
		if slices.Contains(exempt, key) {
			e.b = strconv.AppendBool(e.b, t)
		} else {
			e.hashed(strconv.FormatBool(t))
		}
	case json.Number:
		if slices.Contains(exempt, key) {
			e.b, err = appendNumber(e.b, t)
		} else {
			e.hashed(t.String())
		}
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		if slices.Contains(exempt, key) {
			e.b, _, err = appendScalarNumber(e.b, v)
			return err
		}
		var text []byte
		if text, _, err = appendScalarNumber(e.scratch[:0], v); err != nil {
			return fmt.Errorf("encode number for hashing: %w", err)
		}
		e.hashed(string(text))
	case string:
		e.hashedStr(key, t, exempt)
	case time.Time:
		e.b = appendString(e.b, t.Format(time.RFC3339Nano))
	case []byte:
		e.hashedStr(key, base64.StdEncoding.EncodeToString(t), exempt)
	case map[string]any:
		return e.hashedMap(t, exempt)
	case map[string]string:
		e.b = append(e.b, '{')
		for i, k := range sortedKeys(t) {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(appendString(e.b, k), ':')
			e.hashedStr(k, t[k], exempt)
		}
		e.b = append(e.b, '}')
	case []any:
		e.b = append(e.b, '[')
		for i, x := range t {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			if err := e.hashedValue(key, x, exempt); err != nil {
				return err
			}
		}
		e.b = append(e.b, ']')
	case []string:
		// A LIST answer's keys: room for every HMAC (and the rest of the
		// entry) at once, rather than growing a long line a quarter at a
		// time.
		if need := len(e.b) + len(t)*(len(HMACPrefix)+2*sha256.Size+3) + 2; need > cap(e.b) {
			b := make([]byte, len(e.b), need+4<<10)
			copy(b, e.b)
			e.b = b
		}
		e.b = append(e.b, '[')
		for i, s := range t {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.hashedStr(key, s, exempt)
		}
		e.b = append(e.b, ']')
	case []map[string]any:
		e.b = append(e.b, '[')
		for i, m := range t {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			if err := e.hashedMap(m, exempt); err != nil {
				return err
			}
		}
		e.b = append(e.b, ']')
	default:
		// Other types go through their JSON form, as in hasher.value.
		generic, err := toGeneric(v)
		if err != nil {
			return err
		}
		return e.hashedValue(key, generic, exempt)
	}
	return err
}
