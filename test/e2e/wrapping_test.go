package e2e

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// wrapped returns a copy of c that asks for every answer wrapped for ttl.
func wrapped(t *testing.T, c *api.Client, ttl string) *api.Client {
	t.Helper()
	w, err := c.Clone()
	must(t, err, "clone client")
	w.SetToken(c.Token())
	w.SetWrappingLookupFunc(func(string, string) string { return ttl })
	return w
}

// TestWrapKVReadUnwrapOnce: a wrapped KV read answers only wrap_info; the
// token looks up, rewraps (the old one dies), unwraps once and never again;
// the audit log records the wrapping and the unwrap.
func TestWrapKVReadUnwrapOnce(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	logPath := filepath.Join(t.TempDir(), "audit.log")
	enableFileAudit(t, c, "file", logPath, nil)
	_, err := c.KVv2("secret").Put(t.Context(), "x", map[string]any{"password": "hunter2", "n": 7})
	must(t, err, "put")

	sec, err := wrapped(t, c, "60s").Logical().Read("secret/data/x")
	must(t, err, "wrapped read")
	wi := sec.WrapInfo
	if wi == nil || wi.Token == "" || wi.Accessor == "" || wi.TTL != 60 || wi.CreationPath != "secret/data/x" || wi.CreationTime.IsZero() {
		t.Fatalf("wrap_info: %+v", wi)
	}
	if sec.Data != nil {
		t.Fatalf("a wrapped answer carries the data: %v", sec.Data)
	}
	if time.Since(wi.CreationTime) > time.Hour || time.Since(wi.CreationTime) < -time.Hour {
		t.Fatalf("creation_time %v", wi.CreationTime)
	}

	anon := s.NewClient("")
	look, err := anon.Logical().Write("sys/wrapping/lookup", map[string]any{"token": wi.Token})
	must(t, err, "lookup without a client token")
	if look.Data["creation_path"] != "secret/data/x" || look.Data["creation_ttl"].(interface{ String() string }).String() != "60" {
		t.Fatalf("lookup: %v", look.Data)
	}

	re, err := c.Logical().Write("sys/wrapping/rewrap", map[string]any{"token": wi.Token})
	must(t, err, "rewrap")
	if re.WrapInfo == nil || re.WrapInfo.Token == wi.Token || re.WrapInfo.TTL != 60 || re.WrapInfo.CreationPath != "secret/data/x" {
		t.Fatalf("rewrap wrap_info: %+v", re.WrapInfo)
	}
	_, err = c.Logical().Unwrap(wi.Token)
	wantStatus(t, err, http.StatusBadRequest, "unwrap of the token rewrap replaced")

	// First party: the wrapping token itself is the client token.
	got, err := s.NewClient("").Logical().Unwrap(re.WrapInfo.Token)
	must(t, err, "unwrap")
	data, _ := got.Data["data"].(map[string]any)
	if data["password"] != "hunter2" || data["n"].(interface{ String() string }).String() != "7" {
		t.Fatalf("unwrapped: %v", got.Data)
	}
	_, err = s.NewClient("").Logical().Unwrap(re.WrapInfo.Token)
	wantStatus(t, err, http.StatusBadRequest, "second unwrap")
	_, err = c.Logical().Unwrap(re.WrapInfo.Token)
	wantStatus(t, err, http.StatusBadRequest, "second unwrap, third party")

	lines := readAuditLog(t, logPath)
	read := onePair(t, lines, "secret/data/x", "read")
	if read.req.entry.Request.WrapTTL != 60 {
		t.Errorf("request entry wrap_ttl %d", read.req.entry.Request.WrapTTL)
	}
	rwi := read.resp.entry.Response.WrapInfo
	if rwi == nil || rwi.Accessor != auditHash(t, c, "file", wi.Accessor) || rwi.Token == wi.Token || rwi.CreationPath != "secret/data/x" {
		t.Fatalf("response entry wrap_info: %+v", rwi)
	}
	unwraps := pairsFor(t, lines, "sys/wrapping/unwrap", "update")
	if len(unwraps) != 4 {
		t.Fatalf("want 4 unwrap attempts in the audit log, found %d", len(unwraps))
	}
}

// TestWrappingTTLPolicy: max_wrapping_ttl refuses a longer wrap (and an
// unwrapped request), min_wrapping_ttl a shorter one.
func TestWrappingTTLPolicy(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	_, err := c.KVv2("secret").Put(t.Context(), "x", map[string]any{"k": "v"})
	must(t, err, "put")
	must(t, c.Sys().PutPolicy("wrapped-reader", `
path "secret/data/*" {
  capabilities = ["read"]
  min_wrapping_ttl = "10s"
  max_wrapping_ttl = "1m"
}`), "policy")
	tok, err := c.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"wrapped-reader"}})
	must(t, err, "token")
	user := s.NewClient(tok.Auth.ClientToken)
	for _, tc := range []struct {
		ttl    string
		status int
	}{{"2m", http.StatusForbidden}, {"5s", http.StatusForbidden}, {"", http.StatusForbidden}, {"30s", 0}} {
		cl := user
		if tc.ttl != "" {
			cl = wrapped(t, user, tc.ttl)
		}
		sec, err := cl.Logical().Read("secret/data/x")
		if tc.status != 0 {
			wantStatus(t, err, tc.status, "wrap ttl "+tc.ttl)
			continue
		}
		must(t, err, "wrap ttl "+tc.ttl)
		if sec.WrapInfo == nil || sec.WrapInfo.TTL != 30 {
			t.Fatalf("wrap 30s: %+v", sec.WrapInfo)
		}
	}
}

// TestWrapEndpointAndBadInput: sys/wrapping/wrap wraps arbitrary data; bad
// wrapping input is a 400 and creates no token.
func TestWrapEndpointAndBadInput(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	c := s.Client
	sec, err := wrapped(t, c, "5m").Logical().Write("sys/wrapping/wrap", map[string]any{"a": "b"})
	must(t, err, "wrap")
	got, err := c.Logical().Unwrap(sec.WrapInfo.Token)
	must(t, err, "unwrap")
	if got.Data["a"] != "b" {
		t.Fatalf("unwrapped %v", got.Data)
	}

	accessors := func() int {
		l, err := c.Logical().List("auth/token/accessors")
		must(t, err, "list accessors")
		return len(l.Data["keys"].([]any))
	}
	before := accessors()
	// vault/api always wraps sys/wrapping/wrap, so this goes around it.
	if status, body := raw(t, c, http.MethodPost, "sys/wrapping/wrap", map[string]any{"a": "b"}); status != http.StatusBadRequest {
		t.Fatalf("wrap without a wrap TTL: %d %v", status, body)
	}
	_, err = wrapped(t, c, "banana").Logical().Read("secret/config")
	wantStatus(t, err, http.StatusBadRequest, "wrap_ttl banana")
	_, err = wrapped(t, c, "banana").Logical().Write("sys/wrapping/wrap", map[string]any{"a": "b"})
	wantStatus(t, err, http.StatusBadRequest, "wrap_ttl banana on wrap")
	ordinary, err := c.Auth().Token().Create(&api.TokenCreateRequest{Policies: []string{"default"}})
	must(t, err, "ordinary token")
	before++
	_, err = c.Logical().Unwrap(ordinary.Auth.ClientToken)
	if re, ok := err.(*api.ResponseError); !ok || re.StatusCode != http.StatusBadRequest || re.Errors[0] != "wrapping token is not valid or does not exist" {
		t.Fatalf("unwrap of an ordinary token: %v", err)
	}
	_, err = s.NewClient(ordinary.Auth.ClientToken).Logical().Unwrap("")
	wantStatus(t, err, http.StatusBadRequest, "unwrap as an ordinary token")
	_, err = c.Logical().Write("sys/wrapping/lookup", map[string]any{"token": "hvs.nonsense"})
	wantStatus(t, err, http.StatusBadRequest, "lookup of a made-up token")
	if after := accessors(); after != before {
		t.Fatalf("bad wrapping input created tokens: %d before, %d after", before, after)
	}
	if _, err := s.NewClient(ordinary.Auth.ClientToken).Auth().Token().LookupSelf(); err != nil {
		t.Fatalf("a failed unwrap spent the ordinary token: %v", err)
	}
}

// TestUnwrapRaceOnce: of many concurrent unwraps of one wrapping token,
// exactly one gets the answer.
func TestUnwrapRaceOnce(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	sec, err := wrapped(t, s.Client, "60s").Logical().Write("sys/wrapping/wrap", map[string]any{"k": "v"})
	must(t, err, "wrap")
	const n = 8
	results := make(chan error, n)
	for range n {
		go func() {
			_, err := s.Client.Logical().Unwrap(sec.WrapInfo.Token)
			results <- err
		}()
	}
	wins := 0
	for range n {
		if err := <-results; err == nil {
			wins++
		} else if re, ok := err.(*api.ResponseError); !ok || re.StatusCode != http.StatusBadRequest {
			t.Errorf("a losing unwrap: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d unwraps got the answer, want exactly 1", wins)
	}
}

// TestWrappedLogin: a wrapped userpass login hands out only the wrapping
// token; wrapped_accessor names the token inside, which works once
// unwrapped.
func TestWrappedLogin(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	must(t, s.Client.Sys().EnableAuthWithOptions("userpass", &api.EnableAuthOptions{Type: "userpass"}), "enable userpass")
	userpassUser(t, s, "dave", "pw", "default")
	sec, err := wrapped(t, s.NewClient(""), "2m").Logical().Write("auth/userpass/login/dave", map[string]any{"password": "pw"})
	must(t, err, "wrapped login")
	if sec.Auth != nil || sec.WrapInfo == nil || sec.WrapInfo.WrappedAccessor == "" {
		t.Fatalf("wrapped login answered %+v / %+v", sec.Auth, sec.WrapInfo)
	}
	un, err := s.NewClient("").Logical().Unwrap(sec.WrapInfo.Token)
	must(t, err, "unwrap")
	if un.Auth == nil || un.Auth.Accessor != sec.WrapInfo.WrappedAccessor {
		t.Fatalf("unwrapped auth %+v", un.Auth)
	}
	if _, err := s.NewClient(un.Auth.ClientToken).Auth().Token().LookupSelf(); err != nil {
		t.Fatalf("the unwrapped token does not work: %v", err)
	}
}
