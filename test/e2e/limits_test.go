package e2e

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/config"
	"github.com/vaultd/vaultd/node"
	"github.com/vaultd/vaultd/vaulttest"
)

// Oversized JSON bodies, each past one default listener limit.
func deepBody(depth int) string {
	return `{"data":` + strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth) + "}"
}

func longStringBody(n int) string {
	return `{"data":{"s":"` + strings.Repeat("x", n) + `"}}`
}

func manyKeysBody(n int) string {
	var sb strings.Builder
	sb.WriteString(`{"data":{`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`"k` + strconv.Itoa(i) + `":1`)
	}
	sb.WriteString("}}")
	return sb.String()
}

func longArrayBody(n int) string {
	return `{"data":{"a":[` + strings.TrimSuffix(strings.Repeat("1,", n), ",") + `]}}`
}

var oversized = []struct {
	name, limit string
	body        func() string
}{
	{"3000 deep", "max_json_depth", func() string { return deepBody(3000) }},
	{"10 MiB string", "max_json_string_value_length", func() string { return longStringBody(10 << 20) }},
	{"100k keys", "max_json_object_entry_count", func() string { return manyKeysBody(100_000) }},
	{"100k elements", "max_json_array_element_count", func() string { return longArrayBody(100_000) }},
}

func TestJSONLimitsRefuseOversizedBodies(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{})
	for _, tc := range oversized {
		t.Run(tc.name, func(t *testing.T) {
			status, body := raw400(t, s.Client, "secret/data/big", tc.body())
			if status != http.StatusBadRequest {
				t.Fatalf("status %d: %v", status, body)
			}
			if len(body) != 1 || !strings.Contains(body[0], tc.limit) {
				t.Fatalf("errors %v do not name %s", body, tc.limit)
			}
			// Nothing was written, and the server still answers.
			sec, err := s.Client.Logical().Read("secret/data/big")
			must(t, err, "read after refusal")
			if sec != nil {
				t.Fatalf("the refused body was stored: %v", sec.Data)
			}
		})
	}
	// Bodies within the limits pass, escapes and all.
	for _, ok := range []string{deepBody(290), longStringBody(1000), manyKeysBody(9000), `{"data":{"q":"a \"quoted\" {[ string","n":[[],{},[1,{"x":[]}]]}}`} {
		status, errs := raw400(t, s.Client, "secret/data/fine", ok)
		if status != http.StatusOK {
			t.Fatalf("a body within the limits was refused: %d %v", status, errs)
		}
	}
	// The listener's limits can be tightened.
	n := startNode(t, func(l *config.Listener) { l.MaxJSONDepth = 3 })
	status, errs := raw400(t, n, "sys/mounts/x", `{"config":{"a":{"b":{"c":1}}}}`)
	if status != http.StatusBadRequest || !strings.Contains(errs[0], "max_json_depth of 3") {
		t.Fatalf("tightened depth: %d %v", status, errs)
	}
}

// raw400 posts body and returns the status and error strings.
func raw400(t *testing.T, c *api.Client, path, body string) (int, []string) {
	t.Helper()
	status, data := kvSend(t, c, http.MethodPut, path, "", body)
	return status, anyStrings(kvDecode(t, data)["errors"])
}

// startNode runs a dev node whose listener is adjusted by tune, and returns
// a root client.
func startNode(t *testing.T, tune func(*config.Listener)) *api.Client {
	t.Helper()
	conf := config.Dev("127.0.0.1:0")
	tune(conf.Listeners[0])
	n, err := node.New(context.Background(), conf, node.Options{})
	must(t, err, "node")
	n.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = n.Shutdown(ctx)
	})
	res, err := n.DevInit(context.Background(), "")
	must(t, err, "dev init")
	return vaulttest.NewClient(t, n.Addr(), res.RootToken)
}

// TestSlowHeadersCutOff: a client that sends its request headers one byte
// a second, over a raw TCP connection to a real listener, is cut off once
// the header timeout passes, long before it has sent them all.
func TestSlowHeadersCutOff(t *testing.T) {
	const timeout = 2 * time.Second
	c := startNode(t, func(l *config.Listener) { l.HTTPReadHeaderTimeout = timeout })
	addr := strings.TrimPrefix(c.Address(), "http://")
	conn, err := net.Dial("tcp", addr)
	must(t, err, "dial")
	defer conn.Close()

	request := "GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("y", 30) + "\r\n\r\n"
	start := time.Now()
	sent := 0
	var writeErr error
	for sent < len(request) {
		if _, writeErr = conn.Write([]byte{request[sent]}); writeErr != nil {
			break
		}
		sent++
		// Has the server hung up (or answered 408)?
		_ = conn.SetReadDeadline(time.Now().Add(time.Second))
		buf := make([]byte, 512)
		n, rerr := conn.Read(buf)
		if n > 0 || (rerr != nil && !isTimeout(rerr)) {
			if n > 0 && !strings.Contains(string(buf[:n]), "408") && !strings.Contains(string(buf[:n]), "400") {
				t.Fatalf("the server answered a half-sent request: %q", buf[:n])
			}
			break
		}
	}
	elapsed := time.Since(start)
	if sent == len(request) {
		t.Fatalf("the server waited for all %d header bytes (%s)", sent, elapsed)
	}
	t.Logf("cut off after %d of %d bytes, %s (timeout %s, write error %v)", sent, len(request), elapsed.Round(time.Second), timeout, writeErr)
	// A well-behaved client is still served.
	_, err = c.Sys().Health()
	must(t, err, "health after the slow client")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// BenchmarkOversizedBodies measures how fast the server refuses each kind
// of oversized body and that it keeps serving: one refusal and one normal
// read per iteration.
func BenchmarkOversizedBodies(b *testing.B) {
	s := vaulttest.Start(b, vaulttest.Options{})
	for _, tc := range oversized {
		body := tc.body()
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			hc := s.Client.CloneConfig().HttpClient
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPut, s.Addr+"/v1/secret/data/big", strings.NewReader(body))
				req.Header.Set("X-Vault-Token", s.RootToken)
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, bufio.NewReader(resp.Body))
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest {
					b.Fatalf("status %d", resp.StatusCode)
				}
				if _, err := s.Client.Sys().Health(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
