package config

import (
	"strings"
	"testing"
)

// TestPprofAddrGood: the loopback forms parse and validate, an empty value
// means off, and a later file's pprof_addr replaces an earlier one's.
func TestPprofAddrGood(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:6060", "127.0.0.2:6060", "127.255.255.254:0", "[::1]:6060", "localhost:6060", "127.0.0.1:8201", ""} {
		t.Run(addr, func(t *testing.T) {
			src := "pprof_addr = \"" + addr + "\"" + okTail
			cfg, err := Parse("p.hcl", []byte(src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if cfg.PprofAddr != addr {
				t.Fatalf("PprofAddr = %q, want %q", cfg.PprofAddr, addr)
			}
		})
	}
	none, err := Parse("n.hcl", []byte(okTail))
	if err != nil || none.PprofAddr != "" {
		t.Fatalf("no key: PprofAddr %q, err %v", none.PprofAddr, err)
	}
	on, err := Parse("on.hcl", []byte(`pprof_addr = "127.0.0.1:6060"`))
	if err != nil {
		t.Fatal(err)
	}
	if got := none.Merge(on).PprofAddr; got != "127.0.0.1:6060" {
		t.Errorf("merge onto a file without it: %q", got)
	}
	if got := on.Merge(none).PprofAddr; got != "127.0.0.1:6060" {
		t.Errorf("a later file without the key cleared it: %q", got)
	}
	// Dev mode takes it from a -config file, as cmd/vaultd merges them.
	dev := Dev("").Merge(on)
	if err := dev.Validate(); err != nil || dev.PprofAddr != "127.0.0.1:6060" {
		t.Errorf("dev with pprof_addr: %q, %v", dev.PprofAddr, err)
	}
}

// TestPprofAddrBuiltInCode: a Config assembled in code is held to the
// loopback rule and may not put the profiles on a listener's address.
func TestPprofAddrBuiltInCode(t *testing.T) {
	for addr, want := range map[string]string{
		"0.0.0.0:6060":   `pprof_addr: "0.0.0.0:6060" is not a loopback address`,
		"127.0.0.1:8200": `pprof_addr: 127.0.0.1:8200 would share its port with the listener`,
	} {
		cfg := Dev("")
		cfg.PprofAddr = addr
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Validate() = %v, want %q", addr, err, want)
		}
	}
}

func TestSharesPort(t *testing.T) {
	tests := []struct {
		pprof, listener string
		want            bool
	}{
		{"127.0.0.1:8200", "127.0.0.1:8200", true},
		{"127.0.0.1:8200", "0.0.0.0:8200", true},
		{"[::1]:8200", "[::]:8200", true},
		{"127.0.0.1:8200", ":8200", true},
		{"localhost:8200", "[::1]:8200", true},
		{"127.0.0.1:8200", "localhost:8200", true},
		{"127.0.0.1:6060", "127.0.0.1:8200", false},
		{"127.0.0.1:8200", "10.0.0.5:8200", false},
		{"127.0.0.2:8200", "127.0.0.1:8200", false},
		{"127.0.0.1:0", "127.0.0.1:0", false},
		{"127.0.0.1:8200", "vaultd.internal:8200", false},
	}
	for _, tc := range tests {
		if got := sharesPort(tc.pprof, tc.listener); got != tc.want {
			t.Errorf("sharesPort(%q, %q) = %v, want %v", tc.pprof, tc.listener, got, tc.want)
		}
	}
}
