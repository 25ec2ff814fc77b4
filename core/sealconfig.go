package core

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"

	"github.com/vaultd/vaultd/seal"
	"github.com/vaultd/vaultd/storage"
)

// sealConfigKey is the one core entry kept outside the barrier: it must be
// readable while sealed to know how many shares to ask for.
const sealConfigKey = "core/seal-config"

// sealRecord is what sealConfigKey holds: the share configuration and the
// cluster's identity, none of it secret.
type sealRecord struct {
	seal.Config
	ClusterName string `json:"cluster_name"`
	ClusterID   string `json:"cluster_id"`
}

func (c *Core) sealConfig(ctx context.Context) (*sealRecord, error) {
	entry, err := c.physical.Get(ctx, sealConfigKey)
	if err != nil {
		return nil, fmt.Errorf("read seal configuration: %w", err)
	}
	if entry == nil {
		// A node waiting to join reports the cluster's configuration.
		return c.offeredSealRecord(), nil
	}
	var rec sealRecord
	if err := json.Unmarshal(entry.Value, &rec); err != nil {
		return nil, fmt.Errorf("decode seal configuration: %w", err)
	}
	return &rec, nil
}

func (c *Core) putSealConfig(ctx context.Context, sc *seal.Config) error {
	rec := sealRecord{Config: *sc, ClusterName: c.conf.ClusterName, ClusterID: newUUID()}
	if rec.ClusterName == "" {
		rec.ClusterName = "vault-cluster-" + rec.ClusterID[:8]
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode seal configuration: %w", err)
	}
	if err := c.physical.Put(ctx, &storage.Entry{Key: sealConfigKey, Value: raw}); err != nil {
		return fmt.Errorf("write seal configuration: %w", err)
	}
	return nil
}

// newUUID returns a random RFC 4122 version 4 UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
