package e2e

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/vaultd/vaultd/vaulttest"
)

func TestToolsRandom(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{NoKV: true})
	c := s.Client
	// `vault write -f sys/tools/random`: 32 bytes in base64.
	sec, err := c.Logical().Write("sys/tools/random", nil)
	must(t, err, "random")
	b, err := base64.StdEncoding.DecodeString(sec.Data["random_bytes"].(string))
	if err != nil || len(b) != 32 {
		t.Fatalf("default random: %v %d", err, len(b))
	}
	for path, data := range map[string]map[string]any{
		"sys/tools/random/16":          {"format": "hex"},
		"sys/tools/random":             {"bytes": "16", "format": "hex"},
		"sys/tools/random/platform/16": {"format": "hex"},
	} {
		sec, err := c.Logical().Write(path, data)
		must(t, err, path)
		if b, err := hex.DecodeString(sec.Data["random_bytes"].(string)); err != nil || len(b) != 16 {
			t.Fatalf("%s: %v %d", path, err, len(b))
		}
	}
	for name, data := range map[string]map[string]any{
		"zero":       {"bytes": 0},
		"too many":   {"bytes": 128*1024 + 1},
		"bad format": {"format": "base32"},
		"not a num":  {"bytes": "many"},
		"bad source": {"source": "dice"},
	} {
		_, err := c.Logical().Write("sys/tools/random", data)
		wantStatus(t, err, http.StatusBadRequest, name)
	}
}

func TestToolsHash(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{NoKV: true})
	c := s.Client
	in := []byte("hello vaultd")
	input := base64.StdEncoding.EncodeToString(in)
	s256 := sha256.Sum256(in)
	s512 := sha512.Sum512(in)
	cases := []struct {
		path string
		data map[string]any
		want string
	}{
		{"sys/tools/hash", map[string]any{"input": input}, hex.EncodeToString(s256[:])},
		{"sys/tools/hash/sha2-512", map[string]any{"input": input, "format": "base64"}, base64.StdEncoding.EncodeToString(s512[:])},
		{"sys/tools/hash", map[string]any{"input": input, "algorithm": "sha2-512"}, hex.EncodeToString(s512[:])},
	}
	for _, tc := range cases {
		sec, err := c.Logical().Write(tc.path, tc.data)
		must(t, err, tc.path)
		if sec.Data["sum"] != tc.want {
			t.Fatalf("%s %v: sum %v, want %s", tc.path, tc.data, sec.Data["sum"], tc.want)
		}
	}
	for name, data := range map[string]map[string]any{
		"not base64":    {"input": "%%%"},
		"bad algorithm": {"input": input, "algorithm": "md5"},
		"bad format":    {"input": input, "format": "octal"},
	} {
		_, err := c.Logical().Write("sys/tools/hash", data)
		wantStatus(t, err, http.StatusBadRequest, name)
	}
}

func TestHostInfo(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{NoKV: true})
	sec, err := s.Client.Logical().Read("sys/host-info")
	must(t, err, "host-info")
	host, _ := sec.Data["host"].(map[string]any)
	if host["os"] == nil || host["hostname"] == nil || sec.Data["timestamp"] == nil || sec.Data["cpu"] == nil {
		t.Fatalf("host-info: %v", sec.Data)
	}
	if mem, ok := sec.Data["memory"].(map[string]any); ok {
		if total, _ := mem["total"].(json.Number).Int64(); total <= 0 {
			t.Fatalf("memory: %v", mem)
		}
	}
	// It needs a token that may read it.
	_, err = s.NewClient("").Logical().Read("sys/host-info")
	wantStatus(t, err, http.StatusForbidden, "host-info without a token")
}

func TestLeaseEndpointsOverHTTP(t *testing.T) {
	s := vaulttest.Start(t, vaulttest.Options{NoKV: true})
	c := s.Client
	sec, err := c.Logical().Read("sys/leases/count")
	must(t, err, "count")
	if n, _ := sec.Data["lease_count"].(json.Number).Int64(); n != 0 {
		t.Fatalf("count on a new server: %v", sec.Data)
	}
	status, body := raw(t, c, http.MethodPost, "sys/leases/tidy", nil)
	if status != http.StatusAccepted || len(anyStrings(body["warnings"])) != 1 {
		t.Fatalf("tidy: %d %v", status, body)
	}
	// `vault list sys/leases/lookup/`: no leases is "nothing here", not an error.
	list, err := c.Logical().List("sys/leases/lookup/")
	must(t, err, "list leases")
	if list != nil {
		t.Fatalf("list on a new server: %v", list.Data)
	}
	_, err = s.NewClient("").Logical().Read("sys/leases/count")
	wantStatus(t, err, http.StatusForbidden, "count without a token")
}
