package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	hraft "github.com/hashicorp/raft"
)

// ALPN names of the two kinds of cluster traffic.
const (
	protoRaft    = "vaultd-raft-v1"
	protoForward = "vaultd-forward-v1"
)

// ErrNoTLS is returned by dials before the node has the cluster key pair.
var ErrNoTLS = errors.New("cluster: no cluster credentials yet (the node is sealed or has not joined)")

const handshakeTimeout = 10 * time.Second

// Layer is the cluster port. Build it with Listen; hand Raft() to the Raft
// transport and Forward() to the HTTP server that answers forwarded requests.
type Layer struct {
	ln        net.Listener
	advertise net.Addr
	logger    *slog.Logger

	server atomic.Pointer[tls.Config]
	client atomic.Pointer[tls.Config]

	raft    *chanListener
	forward *chanListener

	closeOnce sync.Once
	done      chan struct{}
}

// Listen binds bind (host:port) and advertises advertise (host:port, the
// host and port of cluster_addr) to peers.
func Listen(bind, advertise string, logger *slog.Logger) (*Layer, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if _, _, err := net.SplitHostPort(advertise); err != nil {
		return nil, fmt.Errorf("cluster: cluster_addr %q: %w", advertise, err)
	}
	adv := addr(advertise)
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, fmt.Errorf("cluster: listen on %s: %w", bind, err)
	}
	l := &Layer{ln: ln, advertise: adv, logger: logger, done: make(chan struct{})}
	l.raft = newChanListener(l, adv)
	l.forward = newChanListener(l, ln.Addr())
	go l.acceptLoop()
	return l, nil
}

// SetTLS installs the cluster key pair: from now on the node accepts and
// dials cluster connections.
func (l *Layer) SetTLS(t *TLS) error {
	srv, cli, err := t.configs()
	if err != nil {
		return err
	}
	l.server.Store(srv)
	l.client.Store(cli)
	return nil
}

// ClearTLS forgets the key pair (at seal): handshakes fail again.
func (l *Layer) ClearTLS() {
	l.server.Store(nil)
	l.client.Store(nil)
}

// HasTLS reports whether the key pair is installed.
func (l *Layer) HasTLS() bool { return l.client.Load() != nil }

// Addr is the bound address.
func (l *Layer) Addr() net.Addr { return l.ln.Addr() }

// Close stops the listener; the Raft and forwarding listeners end too.
func (l *Layer) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.done)
		err = l.ln.Close()
	})
	return err
}

func (l *Layer) acceptLoop() {
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			l.logger.Warn("cluster listener stopped", "error", err)
			return
		}
		go l.handshake(conn)
	}
}

func (l *Layer) handshake(raw net.Conn) {
	conf := l.server.Load()
	if conf == nil {
		_ = raw.Close()
		return
	}
	conn := tls.Server(raw, conf)
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	defer cancel()
	if err := conn.HandshakeContext(ctx); err != nil {
		l.logger.Debug("cluster handshake refused", "remote", raw.RemoteAddr().String(), "error", err)
		_ = raw.Close()
		return
	}
	var target *chanListener
	var conn2 net.Conn = conn
	switch conn.ConnectionState().NegotiatedProtocol {
	case protoRaft:
		target = l.raft
	case protoForward:
		// Hidden behind a plain net.Conn: net/http would otherwise look
		// for an HTTP/2-style handler of the ALPN name and close the
		// connection; forwarded requests are HTTP/1.1 inside this TLS.
		target, conn2 = l.forward, plainConn{conn}
	default:
		_ = conn.Close()
		return
	}
	select {
	case target.conns <- conn2:
	case <-l.done:
		_ = conn.Close()
	}
}

// dial opens a mutual-TLS connection to a peer for one protocol.
func (l *Layer) dial(ctx context.Context, addr, proto string) (net.Conn, error) {
	base := l.client.Load()
	if base == nil {
		return nil, ErrNoTLS
	}
	conf := base.Clone()
	conf.NextProtos = []string{proto}
	d := &tls.Dialer{NetDialer: &net.Dialer{}, Config: conf}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cluster: dial %s: %w", addr, err)
	}
	if got := conn.(*tls.Conn).ConnectionState().NegotiatedProtocol; got != proto {
		_ = conn.Close()
		return nil, fmt.Errorf("cluster: %s does not speak %s", addr, proto)
	}
	return conn, nil
}

// DialForward opens a connection for forwarded requests to the member at
// addr (its cluster host:port).
func (l *Layer) DialForward(ctx context.Context, addr string) (net.Conn, error) {
	return l.dial(ctx, addr, protoForward)
}

// Forward is the listener of forwarded-request connections.
func (l *Layer) Forward() net.Listener { return l.forward }

// Raft is the stream layer for hashicorp/raft's network transport.
func (l *Layer) Raft() hraft.StreamLayer { return raftStream{l} }

type raftStream struct{ l *Layer }

func (r raftStream) Accept() (net.Conn, error) { return r.l.raft.Accept() }
func (r raftStream) Close() error              { return r.l.Close() }
func (r raftStream) Addr() net.Addr            { return r.l.advertise }
func (r raftStream) Dial(addr hraft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return r.l.dial(ctx, string(addr), protoRaft)
}

// chanListener is a net.Listener fed by the layer's accept loop.
type chanListener struct {
	l     *Layer
	addr  net.Addr
	conns chan net.Conn
}

func newChanListener(l *Layer, addr net.Addr) *chanListener {
	return &chanListener{l: l, addr: addr, conns: make(chan net.Conn)}
}

func (c *chanListener) Accept() (net.Conn, error) {
	select {
	case conn := <-c.conns:
		return conn, nil
	case <-c.l.done:
		return nil, net.ErrClosed
	}
}

func (c *chanListener) Close() error   { return c.l.Close() }
func (c *chanListener) Addr() net.Addr { return c.addr }

// plainConn hides a *tls.Conn's type from net/http.
type plainConn struct{ net.Conn }

// addr is the advertised address as written: a name is resolved by the
// peers that dial it, not here, so a pod whose DNS name is not published
// yet still starts.
type addr string

func (a addr) Network() string { return "tcp" }
func (a addr) String() string  { return string(a) }
