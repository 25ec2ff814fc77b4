package approle

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/tokenutil"
)

// secretID is one stored secret ID, found by the HMAC of its value.
type secretID struct {
	SecretIDAccessor string            `json:"secret_id_accessor"`
	SecretIDNumUses  int64             `json:"secret_id_num_uses"`
	SecretIDTTL      time.Duration     `json:"secret_id_ttl"`
	CreationTime     time.Time         `json:"creation_time"`
	ExpirationTime   time.Time         `json:"expiration_time"`
	LastUpdatedTime  time.Time         `json:"last_updated_time"`
	Metadata         map[string]string `json:"metadata"`
	CIDRList         []string          `json:"cidr_list"`
	TokenBoundCIDRs  []string          `json:"token_bound_cidrs"`

	hmac string
}

// accessorEntry leads from an accessor to its secret ID.
type accessorEntry struct {
	Role string `json:"role"`
	HMAC string `json:"hmac"`
}

func (e *secretID) expired(now time.Time) bool {
	return !e.ExpirationTime.IsZero() && !now.Before(e.ExpirationTime)
}

func (e *secretID) data() map[string]any {
	format := func(t time.Time) string {
		if t.IsZero() {
			return "0001-01-01T00:00:00Z"
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	meta := e.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	return map[string]any{
		"secret_id_accessor": e.SecretIDAccessor,
		"secret_id_num_uses": e.SecretIDNumUses,
		"secret_id_ttl":      int64(e.SecretIDTTL / time.Second),
		"creation_time":      format(e.CreationTime),
		"expiration_time":    format(e.ExpirationTime),
		"last_updated_time":  format(e.LastUpdatedTime),
		"metadata":           meta,
		"cidr_list":          nonNil(e.CIDRList),
		"token_bound_cidrs":  nonNil(e.TokenBoundCIDRs),
	}
}

func secretIDKey(roleName, hmac string) string { return secretIDPrefix + roleName + "/" + hmac }

func loadSecretID(ctx context.Context, s logical.Storage, roleName, hmac string) (*secretID, error) {
	entry, err := s.Get(ctx, secretIDKey(roleName, hmac))
	if err != nil {
		return nil, fmt.Errorf("approle: read secret ID: %w", err)
	}
	if entry == nil {
		return nil, nil
	}
	var e secretID
	if err := json.Unmarshal(entry.Value, &e); err != nil {
		return nil, fmt.Errorf("approle: decode secret ID: %w", err)
	}
	e.hmac = hmac
	return &e, nil
}

// secretIDsOf loads every secret ID of a role.
func (b *Backend) secretIDsOf(ctx context.Context, s logical.Storage, roleName string) ([]*secretID, error) {
	keys, err := s.List(ctx, secretIDPrefix+roleName+"/")
	if err != nil {
		return nil, fmt.Errorf("approle: list secret IDs: %w", err)
	}
	out := make([]*secretID, 0, len(keys))
	for _, k := range keys {
		e, err := loadSecretID(ctx, s, roleName, k)
		if err != nil {
			return nil, err
		}
		if e != nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// deleteSecretID removes a secret ID and its accessor. The caller holds b.mu.
func (b *Backend) deleteSecretID(ctx context.Context, s logical.Storage, roleName, hmac, accessor string) error {
	if err := s.Delete(ctx, accessorPrefix+accessor); err != nil {
		return fmt.Errorf("approle: delete secret ID accessor: %w", err)
	}
	if err := s.Delete(ctx, secretIDKey(roleName, hmac)); err != nil {
		return fmt.Errorf("approle: delete secret ID: %w", err)
	}
	return nil
}

// parseMetadata reads metadata given as a JSON object or as the JSON text
// of one (what `vault write ... metadata='{"k":"v"}'` sends); values must
// be strings.
func parseMetadata(raw any) (map[string]string, error) {
	switch v := raw.(type) {
	case nil:
		return map[string]string{}, nil
	case string:
		if strings.TrimSpace(v) == "" {
			return map[string]string{}, nil
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return nil, logical.InvalidRequest("failed to parse metadata: %v", err)
		}
		return m, nil
	case map[string]any:
		m := make(map[string]string, len(v))
		for k, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, logical.InvalidRequest("failed to parse metadata: value of %q is not a string", k)
			}
			m[k] = s
		}
		return m, nil
	}
	return nil, logical.InvalidRequest("failed to parse metadata: want a JSON object")
}

// cidrsWithin checks that every block of sub lies inside one of outer
// (every block does when outer is empty).
func cidrsWithin(sub, outer []string) error {
	if len(outer) == 0 {
		return nil
	}
	for _, s := range sub {
		sp, err := tokenutil.ParseCIDR(s)
		if err != nil {
			return err
		}
		inside := false
		for _, o := range outer {
			op, err := tokenutil.ParseCIDR(o)
			if err == nil && op.Bits() <= sp.Bits() && op.Contains(sp.Addr()) {
				inside = true
				break
			}
		}
		if !inside {
			return fmt.Errorf("CIDR block %q is not a subset of the role's secret_id_bound_cidrs", s)
		}
	}
	return nil
}
