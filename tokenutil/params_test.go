package tokenutil

import (
	"slices"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

func parse(t *testing.T, p *Params, raw map[string]any) ([]string, error) {
	t.Helper()
	fd := &logical.FieldData{Raw: raw, Schema: AddFieldSchema(map[string]*logical.FieldSchema{})}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	return p.Parse(fd, 24*time.Hour)
}

// TestParamsLegacyUpgrade: a legacy field alone sets its successor too and
// is reported back; the successor given later clears it.
func TestParamsLegacyUpgrade(t *testing.T) {
	var p Params
	if _, err := parse(t, &p, map[string]any{"policies": "B,a", "ttl": "1h", "bound_cidrs": "10.0.0.1", "num_uses": 3}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.TokenPolicies, []string{"a", "b"}) || p.TokenTTL != time.Hour || !slices.Equal(p.TokenBoundCIDRs, []string{"10.0.0.1"}) || p.TokenNumUses != 3 {
		t.Fatalf("upgrade: %+v", p)
	}
	d := map[string]any{}
	p.AddData(d)
	if d["ttl"] != int64(3600) || d["num_uses"] != int64(3) || !slices.Equal(d["policies"].([]string), []string{"a", "b"}) {
		t.Fatalf("data: %v", d)
	}
	if _, err := parse(t, &p, map[string]any{"token_policies": "c", "token_ttl": "2h"}); err != nil {
		t.Fatal(err)
	}
	d = map[string]any{}
	p.AddData(d)
	if _, ok := d["policies"]; ok || p.TTL != 0 || p.TokenTTL != 2*time.Hour {
		t.Fatalf("legacy not cleared: %v %+v", d, p)
	}
	if !p.AllowsAddr("10.0.0.1:5555") || p.AllowsAddr("10.0.0.2") {
		t.Fatal("AllowsAddr")
	}
	a := &logical.Auth{}
	p.Populate(a)
	if !slices.Equal(a.Policies, []string{"c"}) || a.TTL != 2*time.Hour || !a.Renewable || a.TokenType != logical.TokenTypeService {
		t.Fatalf("populate: %+v", a)
	}
}

func TestParamsRefused(t *testing.T) {
	for name, raw := range map[string]map[string]any{
		"negative uses":      {"token_num_uses": -1},
		"batch periodic":     {"token_type": "batch", "token_period": "1h"},
		"period over max":    {"token_period": "25h"},
		"ttl over max ttl":   {"token_ttl": "2h", "token_max_ttl": "1h"},
		"bad cidr":           {"bound_cidrs": "nope"},
		"unknown token type": {"token_type": "x"},
	} {
		var p Params
		if _, err := parse(t, &p, raw); logical.StatusOf(err) != 400 {
			t.Errorf("%s: %v", name, err)
		}
	}
	var p Params
	w, err := parse(t, &p, map[string]any{"token_max_ttl": "48h"})
	if err != nil || len(w) != 1 {
		t.Fatalf("max ttl over the mount's: %v %v", w, err)
	}
}
