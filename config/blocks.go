package config

import (
	"strings"

	"github.com/hashicorp/hcl/hcl/ast"
)

// storageBlock reads storage "bbolt" { path = "…" }.
func (p *fileParser) storageBlock(cfg *Config, b block) {
	if p.storage != nil {
		p.fail(b.at.errorf("storage is declared more than once (first on line %d)", p.storage.line))
		return
	}
	p.storage = &b.at
	s := &Storage{DeclaredType: b.labels[0], at: b.at}
	switch s.DeclaredType {
	case "bbolt", "file":
		s.Type = StorageBbolt
	case "inmem":
		s.Type = StorageInmem
	case StorageRaft:
		s.Type = StorageRaft
		before := len(p.errs)
		p.raftBody(s, b)
		if len(p.errs) > before {
			return
		}
		if err := s.validate(); err != nil {
			p.fail(err)
			return
		}
		cfg.Storage = s
		return
	default:
		p.fail(b.at.errorf("%s: %w", b.title(), errStorageType))
		return
	}
	allowed := []string{"path"}
	if s.Type == StorageInmem {
		allowed = nil
	}
	before := len(p.errs)
	for _, f := range p.fields(b, allowed...) {
		var err error
		if s.Path, err = f.str(); err != nil {
			p.fail(f.at.errorf("%s: %w", b.title(), err))
		}
	}
	if len(p.errs) > before {
		return
	}
	if err := s.validate(); err != nil {
		p.fail(err)
		return
	}
	cfg.Storage = s
}

// listenerBlock reads listener "tcp" { … }.
func (p *fileParser) listenerBlock(b block) *Listener {
	l := &Listener{
		Type:           b.labels[0],
		Address:        DefaultListenAddress,
		TLSMinVersion:  DefaultTLSMinVersion,
		MaxRequestSize: DefaultMaxRequestSize,
		at:             b.at,
	}
	if l.Type != "tcp" {
		p.fail(b.at.errorf("%s: unsupported listener type (want tcp)", b.title()))
		return nil
	}
	before := len(p.errs)
	keys := append([]string{"address", "tls_disable", "tls_cert_file", "tls_key_file", "tls_min_version", "max_request_size"}, listenerLimitKeys...)
	for _, f := range p.fields(b, keys...) {
		p.fail(p.listenerField(l, b, f))
	}
	if len(p.errs) > before {
		return nil
	}
	if err := l.validate(); err != nil {
		p.fail(err)
		return nil
	}
	return l
}

func (p *fileParser) listenerField(l *Listener, b block, f field) error {
	var err error
	switch f.key {
	case "address":
		var s string
		if s, err = f.str(); err == nil {
			if s, err = renderListenAddress(s); err == nil {
				err = checkListenAddress(s)
			}
			if err != nil {
				return f.at.errorf("%s: address: %w", b.title(), err)
			}
			l.Address = s
		}
	case "tls_disable":
		l.TLSDisable, err = f.boolean()
	case "tls_cert_file":
		l.TLSCertFile, err = f.str()
	case "tls_key_file":
		l.TLSKeyFile, err = f.str()
	case "tls_min_version":
		var s string
		if s, err = f.str(); err == nil {
			if _, err = tlsVersion(s); err != nil {
				return f.at.errorf("%s: %w", b.title(), err)
			}
			l.TLSMinVersion = s
		}
	case "max_request_size":
		var n int64
		if n, err = f.integer(); err == nil {
			switch {
			case n == 0:
				n = DefaultMaxRequestSize
			case n < 0:
				n = -1
			}
			l.MaxRequestSize = n
		}
	default:
		err = p.listenerLimitField(&l.ListenerLimits, b, f)
	}
	if err != nil {
		return f.at.errorf("%s: %w", b.title(), err)
	}
	return nil
}

// auditBlock reads audit "file" "<path>" { description, local, options }.
func (p *fileParser) auditBlock(b block) *AuditDevice {
	a := &AuditDevice{Type: b.labels[0], Path: normalizeAuditPath(b.labels[1]), Options: map[string]string{}, at: b.at}
	if a.Type != "file" {
		p.fail(b.at.errorf("%s: unsupported audit device type (want file)", b.title()))
		return nil
	}
	if a.Path == "" {
		p.fail(b.at.errorf("%s: the device path may not be empty", b.title()))
		return nil
	}
	before := len(p.errs)
	sawOptions := false
	for _, f := range p.fields(b, "description", "local", "options") {
		var err error
		switch f.key {
		case "description":
			a.Description, err = f.str()
		case "local":
			a.Local, err = f.boolean()
		case "options":
			sawOptions = true
			p.auditOptions(a, b, f)
		}
		if err != nil {
			p.fail(f.at.errorf("%s: %w", b.title(), err))
		}
	}
	if len(p.errs) > before {
		return nil
	}
	if _, ok := a.Options["file_path"]; !ok {
		at := b.at
		if !sawOptions {
			p.fail(at.errorf(`%s: options = { file_path = "…" } is required`, b.title()))
		} else {
			p.fail(at.errorf(`%s: options: file_path is required (a file, "stdout" or "discard")`, b.title()))
		}
		return nil
	}
	return a
}

// auditOptions reads options = { key = value, … } as strings.
func (p *fileParser) auditOptions(a *AuditDevice, b block, f field) {
	ot, ok := f.val.(*ast.ObjectType)
	if !ok {
		p.fail(f.at.errorf("%s: options: want a block of key = value settings, got %s", b.title(), describe(f.val)))
		return
	}
	for _, item := range ot.List.Items {
		if len(item.Keys) == 0 {
			continue
		}
		key := keyName(item.Keys[0])
		opt := field{key: "options: " + key, val: item.Val, at: p.pos(item.Keys[0])}
		if len(item.Keys) > 1 {
			p.fail(opt.at.errorf("%s: %s: want a single value, got a block", b.title(), opt.key))
			continue
		}
		if _, dup := a.Options[key]; dup {
			p.fail(opt.at.errorf("%s: %s is set more than once", b.title(), opt.key))
			continue
		}
		tok, err := opt.literal()
		if err != nil {
			p.fail(opt.at.errorf("%s: %w", b.title(), err))
			continue
		}
		v, err := opt.value()
		if err != nil {
			p.fail(opt.at.errorf("%s: %w", b.title(), err))
			continue
		}
		text := optionText(tok, v)
		if err := checkAuditOption(key, text); err != nil {
			p.fail(opt.at.errorf("%s: %w", b.title(), err))
			continue
		}
		a.Options[key] = text
	}
}

// normalizeAuditPath gives the device path as sys/audit keeps it: no
// leading slash, one trailing slash.
func normalizeAuditPath(s string) string {
	s = strings.Trim(strings.TrimSpace(s), "/")
	if s == "" {
		return ""
	}
	return s + "/"
}
