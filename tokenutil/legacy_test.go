package tokenutil

import (
	"slices"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// roleFields are what a method with legacy names stores.
type roleFields struct {
	TokenParams
	LegacyParams
}

func (r *roleFields) write(t *testing.T, raw map[string]any) error {
	t.Helper()
	fd := &logical.FieldData{Raw: raw, Schema: AddLegacyFields(AddTokenFields(map[string]*logical.FieldSchema{}))}
	if err := fd.Validate(); err != nil {
		return err
	}
	if err := r.ParseTokenFields(fd); err != nil {
		return err
	}
	if err := r.Upgrade(fd, &r.TokenParams, "ttl should not be greater than max ttl"); err != nil {
		return err
	}
	_, err := r.CheckTokenFields(24 * time.Hour)
	return err
}

func (r *roleFields) read() map[string]any {
	d := map[string]any{}
	r.PopulateTokenData(d)
	r.PopulateLegacyData(d, &r.TokenParams)
	return d
}

// TestLegacyUpgrade: a legacy field alone sets its successor too and is
// read back; the successor given later clears it.
func TestLegacyUpgrade(t *testing.T) {
	var r roleFields
	if err := r.write(t, map[string]any{"policies": "B,a", "ttl": "1h", "bound_cidrs": "10.0.0.1", "num_uses": 3}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.TokenPolicies, []string{"a", "b"}) || r.TokenTTL != time.Hour ||
		!slices.Equal(r.TokenBoundCIDRs, []string{"10.0.0.1"}) || r.TokenNumUses != 3 {
		t.Fatalf("upgrade: %+v", r)
	}
	d := r.read()
	if d["ttl"] != int64(3600) || d["num_uses"] != int64(3) || !slices.Equal(d["bound_cidrs"].([]string), []string{"10.0.0.1"}) {
		t.Fatalf("read: %v", d)
	}
	if err := r.write(t, map[string]any{"token_ttl": "2h", "token_bound_cidrs": "", "token_num_uses": 0}); err != nil {
		t.Fatal(err)
	}
	d = r.read()
	for _, k := range []string{"ttl", "bound_cidrs", "num_uses"} {
		if _, ok := d[k]; ok {
			t.Fatalf("legacy %s not cleared: %v", k, d)
		}
	}
	if r.TokenTTL != 2*time.Hour {
		t.Fatalf("token_ttl %v", r.TokenTTL)
	}
}

func TestLegacyRefused(t *testing.T) {
	for name, raw := range map[string]map[string]any{
		"negative uses":       {"num_uses": -1},
		"bad cidr":            {"bound_cidrs": "nope"},
		"legacy ttl over max": {"ttl": "2h", "max_ttl": "1h"},
		"period over mount":   {"period": "25h"},
	} {
		var r roleFields
		if err := r.write(t, raw); logical.StatusOf(err) != 400 {
			t.Errorf("%s: %v", name, err)
		}
	}
}
