package seal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vaultd/vaultd/seal/shamir"
)

// TypeShamir is the only seal type: the unseal key is split with Shamir's
// scheme and given back share by share.
const TypeShamir = "shamir"

// MaxShares is the largest number of shares (and so of threshold).
const MaxShares = shamir.MaxShares

// ErrInvalidConfig prefixes every Validate error, as Vault's "invalid seal
// configuration: …" messages do.
var ErrInvalidConfig = errors.New("invalid seal configuration")

// Config is the seal configuration, stored in plaintext at core/seal-config.
// It holds no secret.
type Config struct {
	// Type is the seal type; only "shamir" (or empty, meaning it) is valid.
	Type string `json:"type"`
	// SecretShares is how many shares the unseal key is split into (N).
	SecretShares int `json:"secret_shares"`
	// SecretThreshold is how many shares unseal (T).
	SecretThreshold int `json:"secret_threshold"`
}

// Validate checks the configuration. Errors wrap ErrInvalidConfig and read
// like Vault's, for example "invalid seal configuration: threshold cannot be
// larger than shares".
func (c Config) Validate() error {
	invalid := func(msg string) error { return fmt.Errorf("%w: %s", ErrInvalidConfig, msg) }
	switch {
	case c.Type != "" && c.Type != TypeShamir:
		return invalid(fmt.Sprintf("unsupported seal type %q", c.Type))
	case c.SecretShares < 1:
		return invalid("shares must be at least one")
	case c.SecretThreshold < 1:
		return invalid("threshold must be at least one")
	case c.SecretShares > 1 && c.SecretThreshold == 1:
		return invalid("threshold must be greater than one for multiple shares")
	case c.SecretShares > MaxShares:
		return invalid("shares must be less than 256")
	case c.SecretThreshold > MaxShares:
		return invalid("threshold must be less than 256")
	case c.SecretThreshold > c.SecretShares:
		return invalid("threshold cannot be larger than shares")
	}
	return nil
}

// Marshal validates c and encodes it as JSON, filling in the type.
func (c Config) Marshal() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Type == "" {
		c.Type = TypeShamir
	}
	return json.Marshal(c)
}

// ParseConfig decodes and validates a stored configuration. Unknown fields
// and trailing data are refused: a seal configuration this build does not
// fully understand must not be acted on.
func ParseConfig(data []byte) (*Config, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: decode: %w", ErrInvalidConfig, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrInvalidConfig)
	}
	if c.Type == "" {
		c.Type = TypeShamir
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// SplitKey splits the unseal key into c.SecretShares shares, any
// c.SecretThreshold of which recover it. With one share, the share is the
// key itself (as Vault does).
func (c Config) SplitKey(key []byte) ([][]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	shares, err := shamir.Split(key, c.SecretShares, c.SecretThreshold)
	if err != nil {
		return nil, fmt.Errorf("seal: split unseal key: %w", err)
	}
	return shares, nil
}

// CombineKey recovers the unseal key from shares gathered by a Progress.
// With a threshold of one the single share is the key. A wrong set of
// shares yields a wrong key, not an error: the barrier is what tells.
func (c Config) CombineKey(shares [][]byte) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if len(shares) < c.SecretThreshold {
		return nil, fmt.Errorf("seal: %d shares given, %d needed", len(shares), c.SecretThreshold)
	}
	if c.SecretThreshold == 1 {
		return append([]byte(nil), shares[0]...), nil
	}
	key, err := shamir.Combine(shares)
	if err != nil {
		return nil, fmt.Errorf("seal: combine shares: %w", err)
	}
	return key, nil
}
