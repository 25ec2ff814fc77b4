package kubernetes

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/vaultd/vaultd/logical"
)

// apiStub is a stand-in API server for what a real one cannot be made to
// do on demand (answer 500, return a mismatched identity) and for counting
// that a login made no call at all. The real API server's checks are
// tested in kube_test.go.
type apiStub struct {
	srv       *httptest.Server
	calls     atomic.Int64
	status    int
	review    func(token string) map[string]any
	audiences atomic.Value // []string of the last review asked for
}

func newAPIStub(t *testing.T) *apiStub {
	s := &apiStub{status: http.StatusCreated}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		// client-go sends protobuf (or JSON); the scheme reads both.
		raw, _ := io.ReadAll(r.Body)
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(raw, nil, nil)
		body, ok := obj.(*authenticationv1.TokenReview)
		if err != nil || !ok {
			http.Error(w, fmt.Sprintf("not a TokenReview: %v", err), http.StatusBadRequest)
			return
		}
		s.audiences.Store(body.Spec.Audiences)
		w.Header().Set("Content-Type", "application/json")
		if s.status >= 300 {
			w.WriteHeader(s.status)
			_ = json.NewEncoder(w).Encode(map[string]any{
				"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": s.status, "message": "stub says no",
			})
			return
		}
		w.WriteHeader(s.status)
		out := map[string]any{"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1"}
		if s.review != nil {
			out["status"] = s.review(body.Spec.Token)
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *apiStub) caPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw}))
}

func (e *testEnv) configure(t *testing.T, host, ca string, extra map[string]any) {
	t.Helper()
	data := map[string]any{"kubernetes_host": host, "kubernetes_ca_cert": ca, "disable_local_ca_jwt": true}
	for k, v := range extra {
		data[k] = v
	}
	e.mustDo(t, logical.UpdateOperation, "config", data)
}

func TestLoginBadInput(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.mustDo(t, logical.CreateOperation, "role/my-api-role", walkthroughRole)
	tests := []struct {
		name    string
		data    map[string]any
		wantMsg string
	}{
		{"no role", map[string]any{"jwt": "x.y.z"}, "missing role"},
		{"no jwt", map[string]any{"role": "my-api-role"}, "missing jwt"},
		{"empty jwt", map[string]any{"role": "my-api-role", "jwt": "  "}, "missing jwt"},
		{"unknown role", map[string]any{"role": "nope", "jwt": "x.y.z"}, `invalid role name "nope"`},
		{"role not a string", map[string]any{"role": []any{1}, "jwt": "x.y.z"}, "role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.storage.Len()
			_, err := e.do(logical.UpdateOperation, "login", tt.data)
			wantStatus(t, err, http.StatusBadRequest)
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %q does not mention %q", err, tt.wantMsg)
			}
			if e.storage.Len() != before {
				t.Fatal("a refused login wrote to storage")
			}
		})
	}
	// A role but no config: the operator's fault, a 500 that says so.
	s := newRSASigner(t, "RS256")
	_, err := e.do(logical.UpdateOperation, "login", map[string]any{
		"role": "my-api-role", "jwt": s.sign(t, podClaims(time.Now(), "default", "default", "u")),
	})
	if err == nil || logical.StatusOf(err) != http.StatusInternalServerError || !strings.Contains(err.Error(), "configuration") {
		t.Fatalf("login without config = %v", err)
	}
}

// TestLoginRefusedWithoutNetwork: a token that cannot match the role is
// refused from its claims alone; the API server is never asked.
func TestLoginRefusedWithoutNetwork(t *testing.T) {
	stub := newAPIStub(t)
	e := newTestEnv(t, Options{})
	s := newRSASigner(t, "RS256")
	other := newRSASigner(t, "RS256")
	e.configure(t, stub.srv.URL, stub.caPEM(), map[string]any{"pem_keys": s.publicPEM(t)})
	e.mustDo(t, logical.CreateOperation, "role/my-api-role", walkthroughRole)
	e.mustDo(t, logical.CreateOperation, "role/aud", map[string]any{
		"bound_service_account_names": "default", "bound_service_account_namespaces": "default", "audience": "vault",
	})
	e.mustDo(t, logical.CreateOperation, "role/cidr", map[string]any{
		"bound_service_account_names": "default", "bound_service_account_namespaces": "default", "token_bound_cidrs": "10.0.0.0/8",
	})
	now := e.clock.Now()
	expired := podClaims(now, "default", "default", "u")
	expired["exp"] = now.Add(-time.Hour).Unix()
	tests := []struct {
		name, role, jwt, wantMsg string
	}{
		{"other service account", "my-api-role", s.sign(t, podClaims(now, "default", "web", "u")), "service account name not authorized"},
		{"other namespace", "my-api-role", s.sign(t, podClaims(now, "kube-system", "default", "u")), "namespace not authorized"},
		{"expired", "my-api-role", s.sign(t, expired), "expired"},
		{"other audience", "aud", s.sign(t, podClaims(now, "default", "default", "u", "not-vault")), "audience"},
		{"garbage", "my-api-role", "garbage", "malformed JWT"},
		{"signed by another key", "my-api-role", other.sign(t, podClaims(now, "default", "default", "u")), "permission denied"},
		{"outside bound CIDRs", "cidr", s.sign(t, podClaims(now, "default", "default", "u")), "permission denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.do(logical.UpdateOperation, "login", map[string]any{"role": tt.role, "jwt": tt.jwt})
			wantStatus(t, err, http.StatusForbidden)
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("error %q does not mention %q", err, tt.wantMsg)
			}
		})
	}
	if n := stub.calls.Load(); n != 0 {
		t.Fatalf("%d calls to the API server for tokens that could not match", n)
	}
}

// TestLoginReviewAnswers covers what the API server's answer decides.
func TestLoginReviewAnswers(t *testing.T) {
	s := newRSASigner(t, "RS256")
	authenticated := func(user, uid string) func(string) map[string]any {
		aud := []string{"https://kubernetes.default.svc.cluster.local"}
		return func(string) map[string]any {
			return map[string]any{"authenticated": true, "audiences": aud, "user": map[string]any{"username": user, "uid": uid}}
		}
	}
	tests := []struct {
		name       string
		status     int
		review     func(string) map[string]any
		wantStatus int
	}{
		{"authenticated", http.StatusCreated, authenticated("system:serviceaccount:default:default", "uid-1"), 0},
		{"not authenticated", http.StatusCreated, func(string) map[string]any {
			return map[string]any{"authenticated": false, "error": "token has been invalidated"}
		}, http.StatusForbidden},
		{"other uid", http.StatusCreated, authenticated("system:serviceaccount:default:default", "uid-2"), http.StatusForbidden},
		{"other name", http.StatusCreated, authenticated("system:serviceaccount:default:web", "uid-1"), http.StatusForbidden},
		{"not a service account", http.StatusCreated, authenticated("alice", "uid-1"), http.StatusForbidden},
		{"valid for other audiences only", http.StatusCreated, func(string) map[string]any {
			return map[string]any{"authenticated": true, "audiences": []string{"other"},
				"user": map[string]any{"username": "system:serviceaccount:default:default", "uid": "uid-1"}}
		}, http.StatusForbidden},
		{"reviewer unauthorized", http.StatusUnauthorized, nil, http.StatusForbidden},
		{"reviewer forbidden", http.StatusForbidden, nil, http.StatusForbidden},
		{"API server error", http.StatusInternalServerError, nil, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub := newAPIStub(t)
			stub.status, stub.review = tt.status, tt.review
			e := newTestEnv(t, Options{})
			e.configure(t, stub.srv.URL, stub.caPEM(), nil)
			e.mustDo(t, logical.CreateOperation, "role/my-api-role", walkthroughRole)
			resp, err := e.do(logical.UpdateOperation, "login", map[string]any{
				"role": "my-api-role", "jwt": s.sign(t, podClaims(e.clock.Now(), "default", "default", "uid-1")),
			})
			if tt.wantStatus == 0 {
				if err != nil || resp == nil || resp.Auth == nil {
					t.Fatalf("login = %+v, %v", resp, err)
				}
				return
			}
			if got := logical.StatusOf(err); got != tt.wantStatus {
				t.Fatalf("status %d (%v), want %d", got, err, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusForbidden && err.Error() != "permission denied" {
				t.Fatalf("403 says %q, want Vault's plain %q", err, "permission denied")
			}
		})
	}
}

// TestLoginDeadAPIServer: a server that refuses connections, or accepts
// and never answers, gives a prompt 500 naming the problem.
func TestLoginDeadAPIServer(t *testing.T) {
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedAddr := refused.Addr().String()
	refused.Close()

	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()

	s := newRSASigner(t, "RS256")
	for _, tc := range []struct{ name, host string }{
		{"connection refused", "https://" + refusedAddr},
		{"never answers", "https://" + silent.Addr().String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, Options{RequestTimeout: 700 * time.Millisecond})
			e.configure(t, tc.host, testCAPEM(t), nil)
			e.mustDo(t, logical.CreateOperation, "role/my-api-role", walkthroughRole)
			start := time.Now()
			_, err := e.do(logical.UpdateOperation, "login", map[string]any{
				"role": "my-api-role", "jwt": s.sign(t, podClaims(e.clock.Now(), "default", "default", "u")),
			})
			took := time.Since(start)
			if logical.StatusOf(err) != http.StatusInternalServerError || !strings.Contains(err.Error(), "unavailable") {
				t.Fatalf("login = %v, want a 500 saying the API server is unavailable", err)
			}
			if took > 5*time.Second {
				t.Fatalf("took %v; the timeout is 700ms", took)
			}
		})
	}
}

func TestClientReuse(t *testing.T) {
	stub := newAPIStub(t)
	stub.review = func(string) map[string]any {
		return map[string]any{"authenticated": true, "audiences": []string{"https://kubernetes.default.svc.cluster.local"},
			"user": map[string]any{"username": "system:serviceaccount:default:default", "uid": "u"}}
	}
	var conns atomic.Int64
	stub.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	e := newTestEnv(t, Options{})
	e.configure(t, stub.srv.URL, stub.caPEM(), nil)
	e.mustDo(t, logical.CreateOperation, "role/my-api-role", walkthroughRole)
	s := newRSASigner(t, "RS256")
	jwt := s.sign(t, podClaims(e.clock.Now(), "default", "default", "u"))
	for range 20 {
		if _, err := e.do(logical.UpdateOperation, "login", map[string]any{"role": "my-api-role", "jwt": jwt}); err != nil {
			t.Fatal(err)
		}
	}
	if stub.calls.Load() != 20 {
		t.Fatalf("%d reviews, want 20", stub.calls.Load())
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 20 logins, want 1 reused", n)
	}
}

// TestLoginReviewAudience: the TokenReview asks for the role's audience, or
// else for the audiences the token claims, as Vault does.
func TestLoginReviewAudience(t *testing.T) {
	stub := newAPIStub(t)
	stub.review = func(string) map[string]any {
		aud, _ := stub.audiences.Load().([]string)
		return map[string]any{"authenticated": true, "audiences": aud,
			"user": map[string]any{"username": "system:serviceaccount:default:default", "uid": "u"}}
	}
	e := newTestEnv(t, Options{})
	e.configure(t, stub.srv.URL, stub.caPEM(), nil)
	e.mustDo(t, logical.CreateOperation, "role/plain", walkthroughRole)
	e.mustDo(t, logical.CreateOperation, "role/aud", map[string]any{
		"bound_service_account_names": "default", "bound_service_account_namespaces": "default", "audience": "vault",
	})
	s := newRSASigner(t, "RS256")
	for _, tc := range []struct {
		role  string
		claim []string
		want  []string
	}{
		{"plain", []string{"api", "other"}, []string{"api", "other"}},
		{"aud", []string{"api", "vault"}, []string{"vault"}},
	} {
		jwt := s.sign(t, podClaims(e.clock.Now(), "default", "default", "u", tc.claim...))
		if _, err := e.do(logical.UpdateOperation, "login", map[string]any{"role": tc.role, "jwt": jwt}); err != nil {
			t.Fatalf("%s: %v", tc.role, err)
		}
		if got, _ := stub.audiences.Load().([]string); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Fatalf("%s: review asked for audiences %v, want %v", tc.role, got, tc.want)
		}
	}
}
