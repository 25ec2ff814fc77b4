package seal

import (
	"bytes"
	"errors"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name    string
		cfg     Config
		wantErr string // "" for valid
	}{
		{"5 of 3", Config{Type: "shamir", SecretShares: 5, SecretThreshold: 3}, ""},
		{"1 of 1", Config{Type: "shamir", SecretShares: 1, SecretThreshold: 1}, ""},
		{"type defaults", Config{SecretShares: 2, SecretThreshold: 2}, ""},
		{"255 of 255", Config{SecretShares: 255, SecretThreshold: 255}, ""},
		{"zero shares", Config{SecretShares: 0, SecretThreshold: 0}, "invalid seal configuration: shares must be at least one"},
		{"zero threshold", Config{SecretShares: 3, SecretThreshold: 0}, "invalid seal configuration: threshold must be at least one"},
		{"negative threshold", Config{SecretShares: 3, SecretThreshold: -2}, "invalid seal configuration: threshold must be at least one"},
		{"threshold one of several", Config{SecretShares: 3, SecretThreshold: 1}, "invalid seal configuration: threshold must be greater than one for multiple shares"},
		{"too many shares", Config{SecretShares: 256, SecretThreshold: 3}, "invalid seal configuration: shares must be less than 256"},
		{"threshold above shares", Config{SecretShares: 3, SecretThreshold: 4}, "invalid seal configuration: threshold cannot be larger than shares"},
		{"threshold too big", Config{SecretShares: 255, SecretThreshold: 300}, "invalid seal configuration: threshold must be less than 256"},
		{"unknown type", Config{Type: "awskms", SecretShares: 1, SecretThreshold: 1}, `invalid seal configuration: unsupported seal type "awskms"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate = %v, want %q", err, tc.wantErr)
			}
			if _, err := tc.cfg.Marshal(); err == nil {
				t.Fatal("Marshal of an invalid config succeeded")
			}
		})
	}
}

func TestConfigJSONRoundTrip(t *testing.T) {
	data, err := Config{SecretShares: 5, SecretThreshold: 3}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"shamir","secret_shares":5,"secret_threshold":3}`
	if string(data) != want {
		t.Fatalf("Marshal = %s, want %s", data, want)
	}
	c, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if *c != (Config{Type: "shamir", SecretShares: 5, SecretThreshold: 3}) {
		t.Fatalf("ParseConfig = %+v", c)
	}
}

func TestParseConfigInvalid(t *testing.T) {
	cases := map[string]string{
		"not json":       `shares=5`,
		"unknown field":  `{"type":"shamir","secret_shares":5,"secret_threshold":3,"stored_shares":1}`,
		"invalid values": `{"type":"shamir","secret_shares":2,"secret_threshold":5}`,
		"wrong types":    `{"type":"shamir","secret_shares":"5","secret_threshold":3}`,
		"trailing data":  `{"secret_shares":5,"secret_threshold":3} {}`,
		"empty":          ``,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := ParseConfig([]byte(in))
			if !errors.Is(err, ErrInvalidConfig) || c != nil {
				t.Fatalf("ParseConfig(%s) = %+v, %v", in, c, err)
			}
		})
	}
	// A missing type is read as shamir.
	c, err := ParseConfig([]byte(`{"secret_shares":1,"secret_threshold":1}`))
	if err != nil || c.Type != TypeShamir {
		t.Fatalf("ParseConfig without type = %+v, %v", c, err)
	}
}

func TestSplitCombineKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	cases := []Config{
		{SecretShares: 1, SecretThreshold: 1},
		{SecretShares: 5, SecretThreshold: 3},
		{SecretShares: 2, SecretThreshold: 2},
	}
	for _, cfg := range cases {
		shares, err := cfg.SplitKey(key)
		if err != nil {
			t.Fatalf("%+v: SplitKey: %v", cfg, err)
		}
		if len(shares) != cfg.SecretShares {
			t.Fatalf("%+v: %d shares", cfg, len(shares))
		}
		got, err := cfg.CombineKey(shares[len(shares)-cfg.SecretThreshold:])
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("%+v: CombineKey = %x, %v", cfg, got, err)
		}
		if cfg.SecretThreshold > 1 {
			if _, err := cfg.CombineKey(shares[:cfg.SecretThreshold-1]); err == nil {
				t.Fatalf("%+v: CombineKey with too few shares succeeded", cfg)
			}
		}
	}
	if _, err := (Config{SecretShares: 3, SecretThreshold: 1}).SplitKey(key); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("SplitKey with an invalid config: %v", err)
	}
}
