package config

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func dump(c *Config) string {
	b, _ := json.Marshal(c)
	return string(b)
}

// okTail makes a file valid as a whole, so each case below fails for its
// own reason only.
const okTail = "\nstorage \"inmem\" {}\nlistener \"tcp\" {\n  tls_disable = true\n}\n"

// TestParseBad: every bad file fails with a message naming the file and
// line of the problem.
func TestParseBad(t *testing.T) {
	tests := []struct {
		name string
		file string
		src  string
		want string
	}{
		{"unknown top-level key", "a.hcl", "ui = true\nplugin_directory = \"/p\"\n", `a.hcl:2: unknown key "plugin_directory"`},
		{"unknown listener key", "a.hcl", "listener \"tcp\" {\n  tls_disable = true\n  tls_client_ca_file = \"ca.pem\"\n}\n", `a.hcl:3: listener "tcp": unknown key "tls_client_ca_file"`},
		{"unknown storage key", "a.hcl", "storage \"bbolt\" {\n  path = \"/d\"\n  node_id = \"n1\"\n}\n", `a.hcl:3: storage "bbolt": unknown key "node_id"`},
		{"inmem takes no keys", "a.hcl", "storage \"inmem\" {\n  path = \"/d\"\n}\n", `a.hcl:2: storage "inmem": unknown key "path"`},
		{"unsupported storage", "a.hcl", "\nstorage \"consul\" {\n  path = \"/d\"\n}\n", `a.hcl:2: storage "consul": unsupported storage type (want bbolt, file, inmem or raft)`},
		{"raft without cluster_addr", "a.hcl", "api_addr = \"http://127.0.0.1:8200\"\nlistener \"tcp\" {\n  tls_disable = true\n}\nstorage \"raft\" {\n  path = \"/d\"\n}\n", `a.hcl:5: storage "raft": cluster_addr is required, as in cluster_addr = "https://{{ GetPrivateIP }}:8201"`},
		{"raft bad multiplier", "a.hcl", "storage \"raft\" {\n  path = \"/d\"\n  performance_multiplier = 11\n}\n", `a.hcl:3: storage "raft": performance_multiplier: want 0 (the default) to 10, got 11`},
		{"retry_join without a URL", "a.hcl", "storage \"raft\" {\n  path = \"/d\"\n  retry_join {\n    leader_api_addr = \"vaultd-0:8200\"\n  }\n}\n", `a.hcl:3: storage "raft": retry_join: leader_api_addr: want a URL such as https://vaultd-0.vaultd-internal:8200, got "vaultd-0:8200"`},
		{"cluster_addr without a port", "a.hcl", "cluster_addr = \"https://10.0.0.5\"\n", `a.hcl:1: cluster_addr: want a port, as in https://10.0.0.5:8201, got "https://10.0.0.5"`},
		{"bbolt without a path", "a.hcl", "storage \"bbolt\" {}\n", `a.hcl:1: storage "bbolt": path is required`},
		{"storage path not a string", "a.hcl", "storage \"bbolt\" {\n  path = 3\n}\n", `a.hcl:2: storage "bbolt": path: want a string, got 3`},
		{"two storage blocks", "a.hcl", "storage \"inmem\" {}\nstorage \"bbolt\" {\n  path = \"/d\"\n}\n", `a.hcl:2: storage is declared more than once (first on line 1)`},
		{"storage as a value", "a.hcl", "storage = \"bbolt\"\n", `a.hcl:1: storage: want a block with a type label`},
		{"listener without a label", "a.hcl", "listener {\n  address = \"127.0.0.1:8200\"\n}\n", `a.hcl:1: listener: want a block with a type label`},
		{"listener with two labels", "a.hcl", "listener \"tcp\" \"extra\" {}\n", `a.hcl:1: listener "tcp": too many labels ("extra")`},
		{"unix listener", "a.hcl", "listener \"unix\" {\n  address = \"/run/v.sock\"\n}\n", `a.hcl:1: listener "unix": unsupported listener type (want tcp)`},
		{"tls11", "a.hcl", "listener \"tcp\" {\n  tls_disable = true\n  tls_min_version = \"tls11\"\n}\n", `a.hcl:3: listener "tcp": tls_min_version: tls11 is not allowed, the minimum is tls12`},
		{"unknown tls version", "a.hcl", "listener \"tcp\" {\n  tls_disable = true\n  tls_min_version = \"ssl3\"\n}\n", `a.hcl:3: listener "tcp": tls_min_version: unknown version "ssl3" (want tls12 or tls13)`},
		{"tls_disable not a bool", "a.hcl", "listener \"tcp\" {\n  tls_disable = \"maybe\"\n}\n", `a.hcl:2: listener "tcp": tls_disable: want true or false, got "maybe"`},
		{"TLS without cert and key", "a.hcl", "listener \"tcp\" {\n  address = \"127.0.0.1:8200\"\n  tls_cert_file = \"c.pem\"\n}\n", `a.hcl:1: listener "tcp": tls_cert_file and tls_key_file are required unless tls_disable = true`},
		{"address without a port", "a.hcl", "listener \"tcp\" {\n  address = \"localhost\"\n  tls_disable = true\n}\n", `a.hcl:2: listener "tcp": address: want host:port, got "localhost"`},
		{"port out of range", "a.hcl", "listener \"tcp\" {\n  address = \"127.0.0.1:99999\"\n  tls_disable = true\n}\n", `a.hcl:2: listener "tcp": address: bad port "99999"`},
		{"template that renders no host", "a.hcl", "listener \"tcp\" {\n  tls_disable = true\n  address = \"{{ GetAllInterfaces | include \\\"name\\\" \\\"^no-such-interface$\\\" | attr \\\"address\\\" }}:8200\"\n}\n", `a.hcl:3: listener "tcp": address: template "{{ GetAllInterfaces | include \"name\" \"^no-such-interface$\" | attr \"address\" }}:8200" gave no address`},
		{"template that renders two addresses", "a.hcl", "listener \"tcp\" {\n  tls_disable = true\n  address = \"{{ \\\"10.0.0.1 10.0.0.2\\\" }}:8200\"\n}\n", `a.hcl:3: listener "tcp": address: template "{{ \"10.0.0.1 10.0.0.2\" }}:8200" gave more than one address`},
		{"broken template", "a.hcl", "listener \"tcp\" {\n  tls_disable = true\n  address = \"{{ GetPrivateIP :8200\"\n}\n", `a.hcl:3: listener "tcp": address: template "{{ GetPrivateIP :8200"`},
		{"max_request_size not a number", "a.hcl", "listener \"tcp\" {\n  tls_disable = true\n  max_request_size = \"32MB\"\n}\n", `a.hcl:3: listener "tcp": max_request_size: want a whole number, got "32MB"`},
		{"max_request_size fractional", "a.hcl", "listener \"tcp\" {\n  tls_disable = true\n  max_request_size = 1.5\n}\n", `a.hcl:3: listener "tcp": max_request_size: want a whole number, got 1.5`},
		{"listener key twice", "a.hcl", "listener \"tcp\" {\n  tls_disable = true\n  tls_disable = false\n}\n", `a.hcl:3: listener "tcp": tls_disable is set more than once (first on line 2)`},
		{"bad duration", "a.hcl", "default_lease_ttl = \"1x\"\n", `a.hcl:1: default_lease_ttl: want a duration such as "768h", got "1x"`},
		{"negative duration", "a.hcl", "\nmax_lease_ttl = \"-1h\"\n", `a.hcl:2: max_lease_ttl: may not be negative, got "-1h"`},
		{"duration as a bool", "a.hcl", "max_lease_ttl = true\n", `a.hcl:1: max_lease_ttl: want a duration such as "768h", got true`},
		{"number too large", "a.hcl", "max_lease_ttl = 99999999999999999999\n", `a.hcl:1: max_lease_ttl: unreadable value 99999999999999999999`},
		{"unknown log level", "a.hcl", "log_level = \"loud\"\n", `a.hcl:1: log_level: unknown level "loud" (want trace, debug, info, warn or error)`},
		{"unknown log format", "a.hcl", "\n\nlog_format = \"xml\"\n", `a.hcl:3: log_format: unknown format "xml" (want standard or json)`},
		{"ui not a bool", "a.hcl", "ui = \"yes\"\n", `a.hcl:1: ui: want true or false, got "yes"`},
		{"disable_mlock as a list", "a.hcl", "disable_mlock = [true]\n", `a.hcl:1: disable_mlock: want a single value, got a list`},
		{"api_addr without a scheme", "a.hcl", "api_addr = \"vault:8200\"\n", `a.hcl:1: api_addr: want a URL such as https://vault.example.com:8200, got "vault:8200"`},
		{"setting written as a block", "a.hcl", "ui \"x\" {}\n", `a.hcl:1: ui is a setting (ui = …), not a block`},
		{"setting twice", "a.hcl", "ui = true\ncluster_name = \"c\"\nui = false\n", `a.hcl:3: ui is set more than once (first on line 1)`},
		{"pprof_addr on every interface", "a.hcl", "pprof_addr = \"0.0.0.0:6060\"\n", `a.hcl:1: pprof_addr: "0.0.0.0:6060" is not a loopback address`},
		{"pprof_addr on every IPv6 interface", "a.hcl", "\npprof_addr = \"[::]:6060\"\n", `a.hcl:2: pprof_addr: "[::]:6060" is not a loopback address`},
		{"pprof_addr with an empty host", "a.hcl", "pprof_addr = \":6060\"\n", `a.hcl:1: pprof_addr: ":6060" is not a loopback address`},
		{"pprof_addr on a public IP", "a.hcl", "pprof_addr = \"192.0.2.10:6060\"\n", `a.hcl:1: pprof_addr: "192.0.2.10:6060" is not a loopback address`},
		{"pprof_addr on a private IP", "a.hcl", "pprof_addr = \"10.0.0.5:6060\"\n", `a.hcl:1: pprof_addr: "10.0.0.5:6060" is not a loopback address`},
		{"pprof_addr on a name other than localhost", "a.hcl", "pprof_addr = \"vaultd.example.com:6060\"\n", `a.hcl:1: pprof_addr: "vaultd.example.com:6060" is not a loopback address`},
		{"pprof_addr as a template", "a.hcl", "pprof_addr = \"{{ GetPrivateIP }}:6060\"\n", `a.hcl:1: pprof_addr: "{{ GetPrivateIP }}:6060" is not a loopback address`},
		{"pprof_addr without a port", "a.hcl", "pprof_addr = \"127.0.0.1\"\n", `a.hcl:1: pprof_addr: want host:port, as in "127.0.0.1:6060", got "127.0.0.1"`},
		{"pprof_addr bad port", "a.hcl", "pprof_addr = \"127.0.0.1:http\"\n", `a.hcl:1: pprof_addr: bad port "http"`},
		{"pprof_addr not a string", "a.hcl", "pprof_addr = 6060\n", `a.hcl:1: pprof_addr: want a string, got 6060`},
		{"pprof_addr on the API listener's address", "a.hcl", "pprof_addr = \"127.0.0.1:8200\"\n", `a.hcl:1: pprof_addr: 127.0.0.1:8200 would share its port with the listener at a.hcl:4 (127.0.0.1:8200)`},
		{"pprof_addr on localhost with the API listener's port", "a.hcl", "pprof_addr = \"localhost:8200\"\n", `a.hcl:1: pprof_addr: localhost:8200 would share its port with the listener at a.hcl:4`},
		{"pprof_addr under an API listener on every interface", "a.hcl", "pprof_addr = \"127.0.0.1:8200\"\nstorage \"inmem\" {}\nlistener \"tcp\" {\n  address = \"0.0.0.0:8200\"\n  tls_disable = true\n}\n", `a.hcl:1: pprof_addr: 127.0.0.1:8200 would share its port with the listener at a.hcl:3 (0.0.0.0:8200)`},
		{"JSON pprof_addr public", "a.json", "{\n  \"storage\": {\"inmem\": {}},\n  \"pprof_addr\": \"0.0.0.0:6060\"\n}\n", `a.json:3: pprof_addr: "0.0.0.0:6060" is not a loopback address`},
		{"audit device type", "a.hcl", "audit \"syslog\" \"s\" {\n  options = { tag = \"vault\" }\n}\n", `a.hcl:1: audit "syslog" "s": unsupported audit device type (want file)`},
		{"audit with one label", "a.hcl", "audit \"file\" {\n  options = { file_path = \"/a\" }\n}\n", `a.hcl:1: audit: want a block with a type and a path label`},
		{"audit without options", "a.hcl", "audit \"file\" \"f\" {\n  description = \"d\"\n}\n", `a.hcl:1: audit "file" "f": options = { file_path = "…" } is required`},
		{"audit without file_path", "a.hcl", "audit \"file\" \"f\" {\n  options = { log_raw = true }\n}\n", `a.hcl:1: audit "file" "f": options: file_path is required`},
		{"audit mode executable", "a.hcl", "audit \"file\" \"f\" {\n  options = {\n    file_path = \"/a\"\n    mode = \"0755\"\n  }\n}\n", `a.hcl:4: audit "file" "f": options: mode: file mode may not be executable, got "0755"`},
		{"audit mode not octal", "a.hcl", "audit \"file\" \"f\" {\n  options = {\n    file_path = \"/a\"\n    mode = \"0999\"\n  }\n}\n", `a.hcl:4: audit "file" "f": options: mode: want an octal file mode such as "0600", got "0999"`},
		{"audit format", "a.hcl", "audit \"file\" \"f\" {\n  options = {\n    file_path = \"/a\"\n    format = \"xml\"\n  }\n}\n", `a.hcl:4: audit "file" "f": options: format: want json or jsonx, got "xml"`},
		{"audit unknown option", "a.hcl", "audit \"file\" \"f\" {\n  options = {\n    file_path = \"/a\"\n    fallback = true\n  }\n}\n", `a.hcl:4: audit "file" "f": options: unknown option "fallback"`},
		{"audit bool option", "a.hcl", "audit \"file\" \"f\" {\n  options = {\n    file_path = \"/a\"\n    hmac_accessor = \"sometimes\"\n  }\n}\n", `a.hcl:4: audit "file" "f": options: hmac_accessor: want true or false, got "sometimes"`},
		{"audit options nested", "a.hcl", "audit \"file\" \"f\" {\n  options = {\n    file_path = { x = 1 }\n  }\n}\n", `a.hcl:3: audit "file" "f": options: file_path: want a single value, got a block`},
		{"audit empty path", "a.hcl", "audit \"file\" \"/\" {\n  options = { file_path = \"/a\" }\n}\n", `a.hcl:1: audit "file" "/": the device path may not be empty`},
		{"audit unknown key", "a.hcl", "audit \"file\" \"f\" {\n  options = { file_path = \"/a\" }\n  filter = \"x\"\n}\n", `a.hcl:3: audit "file" "f": unknown key "filter"`},
		{"HCL syntax error", "a.hcl", "listener \"tcp\" {\n  address = \n}\n", `a.hcl:3: syntax error`},
		{"JSON syntax error", "a.json", "{\n  \"ui\": true,\n  \"log_level\": \"info\",,\n}\n", `a.json:3: syntax error: invalid character ','`},
		{"JSON unknown key", "a.json", "{\n  \"ui\": true,\n  \"seal\": {\"transit\": {}}\n}\n", `a.json:3: unknown key "seal"`},
		{"JSON bad value", "a.json", "{\n  \"storage\": {\n    \"bbolt\": {\n      \"path\": 5\n    }\n  }\n}\n", `a.json:4: storage "bbolt": path: want a string, got 5`},
		{"JSON top level not an object", "a.json", "[1, 2]\n", `a.json:1: syntax error: the file must hold one JSON object`},
		{"JSON trailing data", "a.json", "{\"ui\": true}\n{\"ui\": false}\n", `a.json:2: syntax error: unexpected data after the top-level object`},
		{"JSON duplicate key", "a.json", "{\n  \"ui\": true,\n  \"ui\": false\n}\n", `a.json:3: ui is set more than once (first on line 2)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src
			if !strings.HasSuffix(tc.file, ".json") && !strings.Contains(src, "storage") {
				src += okTail
			}
			cfg, err := Parse(tc.file, []byte(src))
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil {
				t.Fatalf("no error; parsed %s", dump(cfg))
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n  %v\nwant it to contain:\n  %s", err, tc.want)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.File != tc.file || ce.Line == 0 {
				t.Errorf("error %v is not a *config.Error naming %s and a line", err, tc.file)
			}
		})
	}
}

// TestValidateBad: problems of the configuration as a whole.
func TestValidateBad(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"no storage", "listener \"tcp\" {\n  tls_disable = true\n}\n", `no storage block`},
		{"no listener", "storage \"inmem\" {}\n", `no listener block`},
		{"two listeners on one address", "storage \"inmem\" {}\nlistener \"tcp\" {\n  tls_disable = true\n}\nlistener \"tcp\" {\n  address = \"127.0.0.1:8200\"\n  tls_disable = true\n}\n",
			`v.hcl:5: listener "tcp": address 127.0.0.1:8200 is already used by the listener at v.hcl:2`},
		{"two audit devices on one path", okTail + "audit \"file\" \"a\" {\n  options = { file_path = \"/a\" }\n}\naudit \"file\" \"/a/\" {\n  options = { file_path = \"/b\" }\n}\n",
			`v.hcl:9: audit "file" "a/": path is already used by the device at v.hcl:6`},
		{"default lease over max", okTail + "default_lease_ttl = \"48h\"\nmax_lease_ttl = \"24h\"\n",
			`v.hcl:6: default_lease_ttl (48h0m0s) is longer than max_lease_ttl (24h0m0s)`},
		{"default lease over the system max", okTail + "default_lease_ttl = \"800h\"\n",
			`v.hcl:6: default_lease_ttl (800h0m0s) is longer than max_lease_ttl (768h0m0s)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("v.hcl", []byte(tc.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestValidateBuiltInCode: a Config assembled in code meets the same rules.
func TestValidateBuiltInCode(t *testing.T) {
	cfg := Dev("")
	cfg.LogLevel = "chatty"
	cfg.LogFormat = "xml"
	cfg.Listeners[0].TLSMinVersion = "tls10"
	cfg.Listeners[0].Address = "nowhere"
	cfg.Storage = &Storage{Type: StorageBbolt, DeclaredType: "bbolt"}
	cfg.Audit = []*AuditDevice{{Type: "file", Path: "f/", Options: map[string]string{"mode": "rw"}}}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`log_level: unknown level "chatty"`,
		`log_format: unknown format "xml"`,
		`tls_min_version: tls10 is not allowed`,
		`address: want host:port, got "nowhere"`,
		`storage "bbolt": path is required`,
		`options: file_path is required`,
		`options: mode: want an octal file mode`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
