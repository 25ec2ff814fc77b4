package config

import (
	"reflect"
	"testing"
)

// TestParseRaft reads the example: a raft storage block with
// several retry_join blocks and go-sockaddr templates in both addresses,
// in HCL and in JSON.
func TestParseRaft(t *testing.T) {
	want := &Raft{
		NodeID:                "vaultd-0",
		PerformanceMultiplier: 1,
		RetryJoin: []*RetryJoin{
			{LeaderAPIAddr: "https://vaultd-0.vaultd-internal:8200", LeaderCACertFile: "/vault/tls/ca.pem", LeaderTLSServerName: "vaultd"},
			{LeaderAPIAddr: "https://vaultd-1.vaultd-internal:8200"},
		},
	}
	tests := []struct{ name, file, src string }{
		{"hcl", "raft.hcl", `
storage "raft" {
  path    = "/vault/data"
  node_id = "vaultd-0"
  performance_multiplier = 1
  retry_join {
    leader_api_addr       = "https://vaultd-0.vaultd-internal:8200"
    leader_ca_cert_file   = "/vault/tls/ca.pem"
    leader_tls_servername = "vaultd"
  }
  retry_join { leader_api_addr = "https://vaultd-1.vaultd-internal:8200" }
}
listener "tcp" { tls_disable = true }
api_addr     = "http://` + loopbackTmpl + `:8200"
cluster_addr = "https://` + loopbackTmpl + `:8201"
`},
		{"json", "raft.json", `{
  "storage": {"raft": {"path": "/vault/data", "node_id": "vaultd-0", "performance_multiplier": 1,
    "retry_join": [
      {"leader_api_addr": "https://vaultd-0.vaultd-internal:8200", "leader_ca_cert_file": "/vault/tls/ca.pem", "leader_tls_servername": "vaultd"},
      {"leader_api_addr": "https://vaultd-1.vaultd-internal:8200"}]}},
  "listener": {"tcp": {"tls_disable": true}},
  "api_addr": "http://127.0.0.1:8200",
  "cluster_addr": "https://127.0.0.1:8201"
}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse(tc.file, []byte(tc.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if cfg.Storage.Type != StorageRaft || cfg.Storage.Path != "/vault/data" {
				t.Fatalf("storage = %+v", cfg.Storage)
			}
			if !reflect.DeepEqual(cfg.Storage.Raft, want) {
				t.Errorf("raft = %+v, want %+v", cfg.Storage.Raft, want)
			}
			if cfg.ClusterAddr != "https://127.0.0.1:8201" || cfg.ClusterHostPort() != "127.0.0.1:8201" {
				t.Errorf("cluster_addr = %q (%q)", cfg.ClusterAddr, cfg.ClusterHostPort())
			}
		})
	}
}

func TestBracketIPv6(t *testing.T) {
	for in, want := range map[string]string{
		"https://fd00::2:8201":     "https://[fd00::2]:8201",
		"http://[fd00::2]:8200":    "http://[fd00::2]:8200",
		"http://10.0.0.5:8200":     "http://10.0.0.5:8200",
		"http://vaultd-0.x:8200/a": "http://vaultd-0.x:8200/a",
	} {
		if got := bracketIPv6(in); got != want {
			t.Errorf("bracketIPv6(%q) = %q, want %q", in, got, want)
		}
	}
}
