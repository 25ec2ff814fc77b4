package cluster

import (
	"context"
	"io"
	"testing"
	"time"
)

func listen(t *testing.T) *Layer {
	t.Helper()
	l, err := Listen("127.0.0.1:0", "127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

func pair(t *testing.T) *TLS {
	t.Helper()
	p, err := GenerateTLS(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMutualTLS shows the cluster port's gate on real sockets: no traffic
// before the key pair is installed, none with another cluster's key pair,
// and a working forward connection with the same one.
func TestMutualTLS(t *testing.T) {
	ours, theirs := pair(t), pair(t)
	srv, cli, stranger := listen(t), listen(t), listen(t)
	addr := srv.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if _, err := cli.DialForward(ctx, addr); err == nil {
		t.Fatal("dial without credentials succeeded")
	}
	if err := cli.SetTLS(ours); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.DialForward(ctx, addr); err == nil {
		t.Fatal("dial to a sealed node (no credentials) succeeded")
	}
	if err := srv.SetTLS(ours); err != nil {
		t.Fatal(err)
	}
	if err := stranger.SetTLS(theirs); err != nil {
		t.Fatal(err)
	}
	if _, err := stranger.DialForward(ctx, addr); err == nil {
		t.Fatal("a node with another cluster's key pair got in")
	}

	go func() {
		c, err := srv.Forward().Accept()
		if err != nil {
			return
		}
		_, _ = c.Write([]byte("hello"))
		_ = c.Close()
	}()
	conn, err := cli.DialForward(ctx, addr)
	if err != nil {
		t.Fatalf("dial with the cluster key pair: %v", err)
	}
	got, _ := io.ReadAll(conn)
	if string(got) != "hello" {
		t.Fatalf("read %q", got)
	}
}

func TestTLSRoundTrip(t *testing.T) {
	p := pair(t)
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	q, err := UnmarshalTLS(b)
	if err != nil || string(q.CertPEM) != string(p.CertPEM) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := UnmarshalTLS([]byte(`{}`)); err == nil {
		t.Fatal("empty key pair accepted")
	}
}
