package config

import (
	"reflect"
	"testing"
	"time"
)

// loopbackTmpl renders to 127.0.0.1 on any Linux host: the IPv4 address of
// the loopback interface.
const loopbackTmpl = `{{ GetAllInterfaces | include \"flags\" \"loopback\" | include \"type\" \"IPv4\" | attr \"address\" }}`

// bare drops the positions so that two configs compare by content.
func bare(c *Config) *Config {
	if c == nil {
		return nil
	}
	out := *c
	out.set = nil
	if c.Storage != nil {
		s := *c.Storage
		s.at = position{}
		out.Storage = &s
	}
	out.Listeners = nil
	for _, l := range c.Listeners {
		cp := *l
		cp.at = position{}
		out.Listeners = append(out.Listeners, &cp)
	}
	out.Audit = nil
	for _, a := range c.Audit {
		cp := *a
		cp.at = position{}
		out.Audit = append(out.Audit, &cp)
	}
	return &out
}

func plainListener(addr string) *Listener {
	return &Listener{Type: "tcp", Address: addr, TLSDisable: true, TLSMinVersion: "tls12", MaxRequestSize: DefaultMaxRequestSize}
}

func TestParseGood(t *testing.T) {
	tests := []struct {
		name string
		file string
		src  string
		want *Config
	}{
		{
			name: "every key, HCL",
			file: "full.hcl",
			src: `
# A production-style config.
storage "bbolt" {
  path = "/vault/data"
}

listener "tcp" {
  address          = "0.0.0.0:8200"
  tls_cert_file    = "/vault/tls/tls.crt"
  tls_key_file     = "/vault/tls/tls.key"
  tls_min_version  = "tls13"
  max_request_size = 1048576
}

listener "tcp" {
  address     = "127.0.0.1:8210"
  tls_disable = "true" // strings are read as Vault reads them
}

audit "file" "file" {
  description = "main audit log"
  local       = true
  options = {
    file_path = "/vault/audit/audit.log"
    mode      = 0600
    log_raw   = false
    format    = "json"
  }
}

api_addr          = "https://vault.example.com:8200"
cluster_name      = "prod"
log_level         = "WARNING"
log_format        = "json"
default_lease_ttl = "1h"
max_lease_ttl     = "7d"
disable_mlock     = true
ui                = true
`,
			want: &Config{
				Storage: &Storage{Type: StorageBbolt, DeclaredType: "bbolt", Path: "/vault/data"},
				Listeners: []*Listener{
					{Type: "tcp", Address: "0.0.0.0:8200", TLSCertFile: "/vault/tls/tls.crt", TLSKeyFile: "/vault/tls/tls.key", TLSMinVersion: "tls13", MaxRequestSize: 1 << 20},
					plainListener("127.0.0.1:8210"),
				},
				Audit: []*AuditDevice{{
					Type: "file", Path: "file/", Description: "main audit log", Local: true,
					Options: map[string]string{"file_path": "/vault/audit/audit.log", "mode": "0600", "log_raw": "false", "format": "json"},
				}},
				APIAddr: "https://vault.example.com:8200", ClusterName: "prod",
				LogLevel: "warn", LogFormat: "json",
				DefaultLeaseTTL: time.Hour, MaxLeaseTTL: 7 * 24 * time.Hour,
				DisableMlock: true, UI: true,
			},
		},
		{
			name: "file is an alias of bbolt; defaults fill the rest",
			file: "alias.hcl",
			src:  "storage \"file\" {\n  path = \"/var/lib/vaultd\"\n}\nlistener \"tcp\" {\n  tls_disable = 1\n}\n",
			want: &Config{
				Storage:   &Storage{Type: StorageBbolt, DeclaredType: "file", Path: "/var/lib/vaultd"},
				Listeners: []*Listener{plainListener(DefaultListenAddress)},
				LogLevel:  "info", LogFormat: "standard",
			},
		},
		{
			name: "inmem storage, request size 0 means the default and negative means no limit",
			file: "inmem.hcl",
			src: `storage "inmem" {}
listener "tcp" {
  address = "127.0.0.1:0"
  tls_disable = true
  max_request_size = 0
}
listener "tcp" {
  address = "127.0.0.1:1"
  tls_disable = true
  max_request_size = "-1"
}`,
			want: &Config{
				Storage: &Storage{Type: StorageInmem, DeclaredType: "inmem"},
				Listeners: []*Listener{
					plainListener("127.0.0.1:0"),
					{Type: "tcp", Address: "127.0.0.1:1", TLSDisable: true, TLSMinVersion: "tls12", MaxRequestSize: -1},
				},
				LogLevel: "info", LogFormat: "standard",
			},
		},
		{
			name: "go-sockaddr templates in addresses",
			file: "tmpl.hcl",
			src: `listener "tcp" {
  address     = "` + loopbackTmpl + `:8200"
  tls_disable = true
}
api_addr = "http://` + loopbackTmpl + `:8200"
`,
			want: &Config{
				Listeners: []*Listener{plainListener("127.0.0.1:8200")},
				APIAddr:   "http://127.0.0.1:8200",
				LogLevel:  "info", LogFormat: "standard",
			},
		},
		{
			name: "JSON with nested blocks, arrays of listeners and durations in seconds",
			file: "conf.json",
			src: `{
  "storage": {"bbolt": {"path": "/data"}},
  "listener": [
    {"tcp": {"address": "127.0.0.1:8200", "tls_disable": true}},
    {"tcp": {"address": "127.0.0.1:8201", "tls_cert_file": "c.pem", "tls_key_file": "k.pem"}}
  ],
  "audit": {"file": {"to-stdout": {"options": {"file_path": "stdout", "log_raw": true}}}},
  "default_lease_ttl": 3600,
  "max_lease_ttl": "86400",
  "ui": true
}`,
			want: &Config{
				Storage: &Storage{Type: StorageBbolt, DeclaredType: "bbolt", Path: "/data"},
				Listeners: []*Listener{
					plainListener("127.0.0.1:8200"),
					{Type: "tcp", Address: "127.0.0.1:8201", TLSCertFile: "c.pem", TLSKeyFile: "k.pem", TLSMinVersion: "tls12", MaxRequestSize: DefaultMaxRequestSize},
				},
				Audit:           []*AuditDevice{{Type: "file", Path: "to-stdout/", Options: map[string]string{"file_path": "stdout", "log_raw": "true"}}},
				DefaultLeaseTTL: time.Hour, MaxLeaseTTL: 24 * time.Hour,
				UI: true, LogLevel: "info", LogFormat: "standard",
			},
		},
		{
			name: "JSON with the label holding an array of bodies",
			file: "other.txt", // detected as JSON by its first character
			src:  `{"listener": {"tcp": [{"address": "127.0.0.1:1", "tls_disable": "1"}, {"address": "127.0.0.1:2", "tls_disable": true}]}}`,
			want: &Config{
				Listeners: []*Listener{plainListener("127.0.0.1:1"), plainListener("127.0.0.1:2")},
				LogLevel:  "info", LogFormat: "standard",
			},
		},
		{
			name: "an empty file sets nothing",
			file: "empty.hcl",
			src:  "# nothing here\n",
			want: &Config{LogLevel: "info", LogFormat: "standard"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.file, []byte(tc.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if g := bare(got); !reflect.DeepEqual(g, tc.want) {
				t.Errorf("got  %s\nwant %s", dump(g), dump(tc.want))
			}
		})
	}
}

func TestParseRecordsWhereKeysWereSet(t *testing.T) {
	cfg, err := Parse("where.hcl", []byte("ui = true\n\nstorage \"inmem\" {}\n\nlistener \"tcp\" {\n  tls_disable = true\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.set["ui"]; got != (position{file: "where.hcl", line: 1}) {
		t.Errorf("ui set at %v", got)
	}
	if _, ok := cfg.set["log_level"]; ok {
		t.Error("log_level was never written but is recorded as set")
	}
	if got := cfg.Storage.at.line; got != 3 {
		t.Errorf("storage at line %d, want 3", got)
	}
	if got := cfg.Listeners[0].at.line; got != 5 {
		t.Errorf("listener at line %d, want 5", got)
	}
}

func TestDev(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "127.0.0.1:8200"},
		{"0.0.0.0:8300", "0.0.0.0:8300"},
	} {
		cfg := Dev(tc.in)
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Dev(%q).Validate: %v", tc.in, err)
		}
		if cfg.Storage.Type != StorageInmem || !cfg.DisableMlock || len(cfg.Listeners) != 1 {
			t.Errorf("Dev(%q) = %s", tc.in, dump(cfg))
		}
		l := cfg.Listeners[0]
		if l.Address != tc.want || !l.TLSDisable || l.MaxRequestSize != DefaultMaxRequestSize {
			t.Errorf("Dev(%q) listener = %+v", tc.in, *l)
		}
	}
}

func TestParseLogLevel(t *testing.T) {
	for in, want := range map[string]string{
		"trace": "trace", "DEBUG": "debug", "info": "info", "": "info",
		"warn": "warn", "Warning": "warn", "err": "error", "error": "error",
	} {
		got, err := canonicalLogLevel(in)
		if err != nil || got != want {
			t.Errorf("canonicalLogLevel(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if lvl, _ := ParseLogLevel("trace"); lvl != LevelTrace {
		t.Errorf("trace = %v", lvl)
	}
	if _, err := ParseLogLevel("verbose"); err == nil {
		t.Error("ParseLogLevel(verbose) gave no error")
	}
}

func TestListenerTLSVersion(t *testing.T) {
	for in, want := range map[string]uint16{"tls12": 0x0303, "tls13": 0x0304} {
		l := &Listener{TLSMinVersion: in}
		if got, err := l.TLSVersion(); err != nil || got != want {
			t.Errorf("%s: got %#x, %v", in, got, err)
		}
	}
	if _, err := (&Listener{TLSMinVersion: "tls10"}).TLSVersion(); err == nil {
		t.Error("tls10 accepted")
	}
}
