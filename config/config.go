package config

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
)

// Defaults applied when a file leaves a setting out.
const (
	// DefaultListenAddress is a tcp listener's address when none is given.
	DefaultListenAddress = "127.0.0.1:8200"
	// DefaultMaxRequestSize caps a request body when max_request_size is
	// unset or 0 (32 MiB, as Vault).
	DefaultMaxRequestSize int64 = 32 << 20
	// DefaultLogLevel is used when log_level is unset.
	DefaultLogLevel = "info"
	// DefaultLogFormat is used when log_format is unset.
	DefaultLogFormat = "standard"
	// DefaultTLSMinVersion is a listener's minimum TLS version when
	// tls_min_version is unset.
	DefaultTLSMinVersion = "tls12"
	// SystemMaxLeaseTTL is the server-wide lease ceiling when max_lease_ttl
	// is unset (768h, as Vault). DefaultLeaseTTL may not exceed it.
	SystemMaxLeaseTTL = 768 * time.Hour
)

// Storage types, after aliases are resolved.
const (
	// StorageBbolt is the on-disk store; "file" in a config means this.
	StorageBbolt = "bbolt"
	// StorageInmem keeps everything in memory and loses it on exit.
	StorageInmem = "inmem"
)

// LevelTrace is the slog level that log_level = "trace" maps to.
const LevelTrace = slog.LevelDebug - 4

// Config is a whole server configuration, read from one or more files.
//
// The zero value of DefaultLeaseTTL and MaxLeaseTTL means "the server's
// default" (SystemMaxLeaseTTL for both).
type Config struct {
	// Storage is the physical store; nil when no file declares one.
	Storage *Storage
	// Listeners are the HTTP listeners, in the order declared.
	Listeners []*Listener
	// Audit are the audit devices declared in the config (issue 6); the
	// core enables them at every unseal and refuses to disable them.
	Audit []*AuditDevice
	// Telemetry is the telemetry stanza; nil when no file has one.
	Telemetry *Telemetry

	// APIAddr is the address clients are told to use (api_addr), a URL.
	APIAddr string
	// ClusterAddr is the URL other members reach this node's cluster port
	// on (cluster_addr); required with storage "raft".
	ClusterAddr string
	// ClusterName names the cluster in seal-status and health.
	ClusterName string
	// LogLevel is one of trace, debug, info, warn, error.
	LogLevel string
	// LogFormat is "standard" (text) or "json".
	LogFormat string
	// DefaultLeaseTTL and MaxLeaseTTL are the server-wide lease defaults.
	DefaultLeaseTTL time.Duration
	MaxLeaseTTL     time.Duration
	// DisableMlock skips locking process memory (disable_mlock).
	DisableMlock bool
	// UI is the ui setting. vaultd serves no web UI; the key is accepted
	// so that Vault configs load.
	UI bool
	// AllowAuditLogPrefixing lets audit devices take the prefix option
	// (allow_audit_log_prefixing); off by default, as in Vault since
	// CVE-2025-6000.
	AllowAuditLogPrefixing bool
	// PprofAddr is where net/http/pprof's handlers are served on a listener
	// of their own (pprof_addr, vaultd's own key); empty means not at all.
	// Always a loopback address.
	PprofAddr string

	// set records, for each top-level scalar key a file set, where it was
	// set: Merge lets only set keys override, and Validate names the line.
	set map[string]position
}

// Storage is the storage block: storage "bbolt" { path = "…" }.
type Storage struct {
	// Type is StorageBbolt or StorageInmem.
	Type string
	// DeclaredType is the label as written ("bbolt", "file" or "inmem").
	DeclaredType string
	// Path is where the bbolt store (or the raft data directory) lives, as
	// written in the file.
	Path string
	// Raft is the raft block's own settings; nil for other types.
	Raft *Raft

	at position
}

// Listener is one listener "tcp" { … } block.
type Listener struct {
	// Type is "tcp", the only listener type.
	Type string
	// Address is host:port, with any go-sockaddr template already rendered.
	Address string
	// TLSDisable serves plain HTTP.
	TLSDisable bool
	// TLSCertFile and TLSKeyFile are PEM files; both are required unless
	// TLSDisable is set.
	TLSCertFile string
	TLSKeyFile  string
	// TLSMinVersion is "tls12" or "tls13".
	TLSMinVersion string
	// MaxRequestSize caps request bodies, in bytes. A negative value turns
	// the limit off, as in Vault.
	MaxRequestSize int64
	// ListenerLimits are the HTTP timeouts, JSON body limits and metrics
	// access of the listener.
	ListenerLimits

	at position
}

// AuditDevice is one audit "<type>" "<path>" { … } block.
type AuditDevice struct {
	// Type is the device type; "file" is the only one.
	Type string
	// Path is where the device is mounted under sys/audit, ending in "/".
	Path string
	// Description is free text shown by GET sys/audit.
	Description string
	// Local marks the device as local to this node.
	Local bool
	// Options are the device options (file_path, log_raw, mode, …), every
	// value as a string, as the sys/audit API takes them.
	Options map[string]string

	at position
}

// Dev is the configuration of `vaultd server -dev`: in-memory storage, one
// plain-HTTP listener on listenAddr (DefaultListenAddress when empty), no
// mlock.
func Dev(listenAddr string) *Config {
	if listenAddr == "" {
		listenAddr = DefaultListenAddress
	}
	return &Config{
		Storage: &Storage{Type: StorageInmem, DeclaredType: StorageInmem},
		Listeners: []*Listener{{
			Type:           "tcp",
			Address:        listenAddr,
			TLSDisable:     true,
			TLSMinVersion:  DefaultTLSMinVersion,
			MaxRequestSize: DefaultMaxRequestSize,
		}},
		LogLevel:     DefaultLogLevel,
		LogFormat:    DefaultLogFormat,
		DisableMlock: true,
		UI:           true,
		set:          map[string]position{},
	}
}

// Merge returns c overlaid with o, the way Vault merges config files: the
// scalar keys o's file set replace c's, o's storage block (if any) replaces
// c's, and o's listeners and audit devices are appended to c's. Neither c
// nor o is modified.
func (c *Config) Merge(o *Config) *Config {
	r := *c
	r.set = maps.Clone(c.set)
	if r.set == nil {
		r.set = map[string]position{}
	}
	r.Listeners = append(slices.Clone(c.Listeners), o.Listeners...)
	r.Audit = append(slices.Clone(c.Audit), o.Audit...)
	if o.Storage != nil {
		r.Storage = o.Storage
	}
	if o.Telemetry != nil {
		r.Telemetry = o.Telemetry
	}
	for key, at := range o.set {
		copyScalar(&r, o, key)
		r.set[key] = at
	}
	return &r
}

// copyScalar copies the top-level setting named key from src to dst.
func copyScalar(dst, src *Config, key string) {
	switch key {
	case "api_addr":
		dst.APIAddr = src.APIAddr
	case "cluster_addr":
		dst.ClusterAddr = src.ClusterAddr
	case "cluster_name":
		dst.ClusterName = src.ClusterName
	case "log_level":
		dst.LogLevel = src.LogLevel
	case "log_format":
		dst.LogFormat = src.LogFormat
	case "default_lease_ttl":
		dst.DefaultLeaseTTL = src.DefaultLeaseTTL
	case "max_lease_ttl":
		dst.MaxLeaseTTL = src.MaxLeaseTTL
	case "disable_mlock":
		dst.DisableMlock = src.DisableMlock
	case "ui":
		dst.UI = src.UI
	case "allow_audit_log_prefixing":
		dst.AllowAuditLogPrefixing = src.AllowAuditLogPrefixing
	case "pprof_addr":
		dst.PprofAddr = src.PprofAddr
	}
}

// Validate checks the configuration as a whole: a storage block and at
// least one listener, TLS material unless tls_disable, no two listeners on
// one address, no two audit devices on one path, a default lease TTL
// within the maximum, and pprof_addr (if set) on loopback and on a port of
// its own. It also re-checks every enumerated value, so that a
// Config built in code is held to the same rules as a parsed one. All the
// problems found are returned, joined.
func (c *Config) Validate() error {
	var errs []error
	if c.Storage == nil {
		errs = append(errs, &Error{Err: errors.New(`no storage block: add one such as storage "bbolt" { path = "/vault/data" }`)})
	} else {
		errs = append(errs, c.Storage.validate())
	}
	if len(c.Listeners) == 0 {
		errs = append(errs, &Error{Err: errors.New(`no listener block: add one such as listener "tcp" { address = "127.0.0.1:8200" }`)})
	}
	addrs := map[string]*Listener{}
	for _, l := range c.Listeners {
		errs = append(errs, l.validate())
		if prev, dup := addrs[l.Address]; dup {
			errs = append(errs, l.at.errorf("listener %q: address %s is already used by the listener at %s", l.Type, l.Address, prev.at))
		}
		addrs[l.Address] = l
	}
	paths := map[string]*AuditDevice{}
	files := map[string]*AuditDevice{}
	for _, a := range c.Audit {
		errs = append(errs, a.validate())
		if prev, dup := paths[a.Path]; dup {
			errs = append(errs, a.at.errorf("audit %q %q: path is already used by the device at %s", a.Type, a.Path, prev.at))
		}
		paths[a.Path] = a
		if _, ok := a.Options["prefix"]; ok && !c.AllowAuditLogPrefixing {
			errs = append(errs, a.at.errorf("audit %q %q: options: prefix: audit log prefixing is not allowed (set allow_audit_log_prefixing = true)", a.Type, a.Path))
		}
		if f, ok := auditFile(a.Options); ok {
			if prev, dup := files[f]; dup {
				errs = append(errs, a.at.errorf("audit %q %q: file_path %q is already used by the device at %s", a.Type, a.Path, f, prev.at))
			}
			files[f] = a
		}
	}
	errs = append(errs, c.validateScalars()...)
	errs = append(errs, c.validateHA()...)
	errs = append(errs, c.validatePprof()...)
	return errors.Join(errs...)
}

func (c *Config) validateScalars() []error {
	var errs []error
	if _, err := ParseLogLevel(c.LogLevel); err != nil {
		errs = append(errs, c.set["log_level"].wrap(err))
	}
	if err := checkLogFormat(c.LogFormat); err != nil {
		errs = append(errs, c.set["log_format"].wrap(err))
	}
	if c.DefaultLeaseTTL < 0 || c.MaxLeaseTTL < 0 {
		errs = append(errs, &Error{Err: errors.New("lease TTLs may not be negative")})
	}
	maxTTL := c.MaxLeaseTTL
	if maxTTL == 0 {
		maxTTL = SystemMaxLeaseTTL
	}
	if c.DefaultLeaseTTL > maxTTL {
		errs = append(errs, c.set["default_lease_ttl"].errorf("default_lease_ttl (%s) is longer than max_lease_ttl (%s)", c.DefaultLeaseTTL, maxTTL))
	}
	if c.APIAddr != "" {
		if err := checkAPIAddr(c.APIAddr); err != nil {
			errs = append(errs, c.set["api_addr"].wrap(err))
		}
	}
	return errs
}

func (s *Storage) validate() error {
	switch s.Type {
	case StorageBbolt:
		if strings.TrimSpace(s.Path) == "" {
			return s.at.errorf("storage %q: path is required", s.DeclaredType)
		}
	case StorageInmem:
	case StorageRaft:
		return s.validateRaft()
	default:
		return s.at.errorf("storage %q: %v", s.DeclaredType, errStorageType)
	}
	return nil
}

func (l *Listener) validate() error {
	if l.Type != "tcp" {
		return l.at.errorf("listener %q: unsupported listener type (want tcp)", l.Type)
	}
	var errs []error
	if err := checkListenAddress(l.Address); err != nil {
		errs = append(errs, l.at.errorf("listener %q: address: %w", l.Type, err))
	}
	if _, err := tlsVersion(l.TLSMinVersion); err != nil {
		errs = append(errs, l.at.errorf("listener %q: %w", l.Type, err))
	}
	if !l.TLSDisable && (l.TLSCertFile == "" || l.TLSKeyFile == "") {
		errs = append(errs, l.at.errorf("listener %q: tls_cert_file and tls_key_file are required unless tls_disable = true", l.Type))
	}
	return errors.Join(errs...)
}

// TLSVersion returns the crypto/tls constant for TLSMinVersion.
func (l *Listener) TLSVersion() (uint16, error) { return tlsVersion(l.TLSMinVersion) }

func (a *AuditDevice) validate() error {
	if a.Type != "file" {
		return a.at.errorf("audit %q %q: unsupported audit device type (want file)", a.Type, a.Path)
	}
	if a.Path == "" || a.Path == "/" {
		return a.at.errorf("audit %q: the device path may not be empty", a.Type)
	}
	if err := checkFileAuditOptions(a.Options); err != nil {
		return a.at.errorf("audit %q %q: %w", a.Type, a.Path, err)
	}
	return nil
}

// ParseLogLevel reads a log level as Vault spells them (trace, debug, info,
// warn or warning, error or err; any case) into an slog level.
func ParseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "trace":
		return LevelTrace, nil
	case "debug":
		return slog.LevelDebug, nil
	case "info", "":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error", "err":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log_level: unknown level %q (want trace, debug, info, warn or error)", s)
}

// canonicalLogLevel maps an accepted spelling to its canonical name.
func canonicalLogLevel(s string) (string, error) {
	lvl, err := ParseLogLevel(s)
	if err != nil {
		return "", err
	}
	switch lvl {
	case LevelTrace:
		return "trace", nil
	case slog.LevelDebug:
		return "debug", nil
	case slog.LevelWarn:
		return "warn", nil
	case slog.LevelError:
		return "error", nil
	}
	return "info", nil
}

func checkLogFormat(s string) error {
	if s != "standard" && s != "json" {
		return fmt.Errorf("log_format: unknown format %q (want standard or json)", s)
	}
	return nil
}
