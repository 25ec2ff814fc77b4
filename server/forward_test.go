package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestForwardedClientAddr: a forwarded request is served with the client's
// address the standby recorded (a malformed one is ignored), and the header
// never reaches the routes.
func TestForwardedClientAddr(t *testing.T) {
	var seen string
	var leaked bool
	s := &Server{handler: http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		seen, leaked = r.RemoteAddr, r.Header.Get(headerClientAddr) != ""
	})}
	for _, tc := range []struct{ header, want string }{
		{"203.0.113.7:51234", "203.0.113.7:51234"},
		{"not an address", "192.0.2.1:1234"},
		{"", "192.0.2.1:1234"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/v1/secret/data/x", nil)
		r.RemoteAddr = "192.0.2.1:1234"
		if tc.header != "" {
			r.Header.Set(headerClientAddr, tc.header)
		}
		s.ForwardedHandler().ServeHTTP(httptest.NewRecorder(), r)
		if seen != tc.want || leaked {
			t.Errorf("header %q: remote %q (leaked %v), want %q", tc.header, seen, leaked, tc.want)
		}
	}
}
