package server

import (
	"crypto/tls"
	"fmt"
	"sync/atomic"
)

// certReloader serves a listener's certificate and replaces it from the
// same files on demand (SIGHUP), so a rotated certificate takes effect
// without a restart and the unseal ceremony it would need.
type certReloader struct {
	certFile, keyFile string
	cert              atomic.Pointer[tls.Certificate]
}

// reload loads the key pair again. When the files cannot be loaded (a
// half-copied certificate, a key that does not match), the certificate in
// use is kept and the error says why.
func (c *certReloader) reload() error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("server: loading TLS certificate %q and key %q: %w", c.certFile, c.keyFile, err)
	}
	c.cert.Store(&cert)
	return nil
}

// get is tls.Config.GetCertificate: every handshake takes the current one.
func (c *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cert.Load(), nil
}

// ReloadTLS reloads the listener's certificate and key from their files.
// On failure the old certificate stays in use and the error is returned.
// A listener without TLS has nothing to reload.
func (s *Server) ReloadTLS() error {
	if s.certs == nil {
		return nil
	}
	return s.certs.reload()
}
