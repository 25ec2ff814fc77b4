package config

import (
	"fmt"
	"net"
	"strconv"
)

// checkPprofAddr requires pprof_addr to be host:port on a loopback
// interface: an IP literal in 127.0.0.0/8, ::1, or the name localhost.
// Profiles show the server's internals and the profile endpoints let a
// caller make it spend CPU, so they are never offered beyond the host.
func checkPprofAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("pprof_addr: want host:port, as in \"127.0.0.1:6060\", got %q", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("pprof_addr: bad port %q in %q", port, addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("pprof_addr: %q is not a loopback address: want 127.0.0.1, ::1 or localhost (the profiles are never served beyond this host)", addr)
}

// validatePprof checks pprof_addr as a whole: a loopback address (again,
// for a Config built in code) that no listener also binds.
func (c *Config) validatePprof() []error {
	if c.PprofAddr == "" {
		return nil
	}
	at := c.set["pprof_addr"]
	if err := checkPprofAddr(c.PprofAddr); err != nil {
		return []error{at.wrap(err)}
	}
	var errs []error
	for _, l := range c.Listeners {
		if sharesPort(c.PprofAddr, l.Address) {
			errs = append(errs, at.errorf("pprof_addr: %s would share its port with the listener at %s (%s); give the profiles a port of their own", c.PprofAddr, l.at, l.Address))
		}
	}
	return errs
}

// sharesPort reports whether the loopback address pprof and a listener's
// address could be the same socket: the same port (not 0, which the
// kernel picks) on the same host, on every interface, or where either is
// the name localhost.
func sharesPort(pprof, listener string) bool {
	ph, pp, err1 := net.SplitHostPort(pprof)
	lh, lp, err2 := net.SplitHostPort(listener)
	if err1 != nil || err2 != nil || pp != lp || pp == "0" {
		return false
	}
	if lh == "" || ph == "localhost" || lh == "localhost" {
		return true
	}
	pip, lip := net.ParseIP(ph), net.ParseIP(lh)
	if lip == nil {
		return ph == lh
	}
	return lip.IsUnspecified() || lip.Equal(pip)
}
