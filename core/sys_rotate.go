package core

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage"
)

// Automatic barrier-key rotation (sys/rotate/config), with Vault's bounds.
const (
	rotateConfigKey = "core/rotate-config"
	// minRotateInterval is the shortest interval allowed; 0 turns the
	// time-based rotation off.
	minRotateInterval = 24 * time.Hour
	// minRotateOps and maxRotateOps bound max_operations; maxRotateOps is
	// also the default (2^32 × 0.9, below AES-GCM's random-nonce limit).
	minRotateOps int64 = 1_000_000
	maxRotateOps int64 = 3_865_470_566
	// rotateCheckEvery is how often the rotation conditions are checked.
	rotateCheckEvery = time.Minute
)

// rotateConfig is stored inside the barrier at rotateConfigKey.
type rotateConfig struct {
	MaxOperations int64         `json:"max_operations"`
	Interval      time.Duration `json:"interval"`
	Disabled      bool          `json:"disabled"`
}

func defaultRotateConfig() rotateConfig { return rotateConfig{MaxOperations: maxRotateOps} }

// rotator checks the rotation conditions in the background while the
// core is unsealed. Its zero value is not used; see startRotator.
type rotator struct {
	st *unsealed
	mu sync.Mutex // serialises checks and rotations
}

func (b *sysBackend) rotateRoutes() []sysRoute {
	return []sysRoute{
		sysPath(`rotate/(?:keyring/)?config`, map[logical.Operation]sysHandler{
			logical.ReadOperation:   b.rotateConfigRead,
			logical.UpdateOperation: b.rotateConfigUpdate,
		}),
	}
}

func (st *unsealed) loadRotateConfig(ctx context.Context) (rotateConfig, error) {
	conf := defaultRotateConfig()
	e, err := st.c.barrier.Get(ctx, rotateConfigKey)
	if err != nil {
		return conf, fmt.Errorf("read rotation config: %w", err)
	}
	if e == nil {
		return conf, nil
	}
	if err := json.Unmarshal(e.Value, &conf); err != nil {
		return conf, fmt.Errorf("decode rotation config: %w", err)
	}
	return conf, nil
}

func (b *sysBackend) rotateConfigRead(ctx context.Context, _ *logical.Request, _ []string) (*logical.Response, error) {
	conf, err := b.st.loadRotateConfig(ctx)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"max_operations": conf.MaxOperations, "enabled": !conf.Disabled, "interval": 0}
	if conf.Interval > 0 {
		data["interval"] = conf.Interval.String()
	}
	return &logical.Response{Data: data}, nil
}

var rotateConfigSchema = map[string]*logical.FieldSchema{
	"max_operations": {Type: logical.TypeInt},
	"interval":       {Type: logical.TypeDuration},
	"enabled":        {Type: logical.TypeBool},
}

func (b *sysBackend) rotateConfigUpdate(ctx context.Context, req *logical.Request, _ []string) (*logical.Response, error) {
	fd, err := fields(req, rotateConfigSchema)
	if err != nil {
		return nil, err
	}
	conf, err := b.st.loadRotateConfig(ctx)
	if err != nil {
		return nil, err
	}
	if v, ok, _ := fd.GetOk("max_operations"); ok {
		conf.MaxOperations = v.(int64)
	}
	if v, ok, _ := fd.GetOk("interval"); ok {
		conf.Interval = v.(time.Duration)
	}
	if v, ok, _ := fd.GetOk("enabled"); ok {
		conf.Disabled = !v.(bool)
	}
	if conf.Interval != 0 && conf.Interval < minRotateInterval {
		return nil, logical.InvalidRequest("interval must be greater or equal to %s", minRotateInterval)
	}
	if conf.MaxOperations < minRotateOps || conf.MaxOperations > maxRotateOps {
		return nil, logical.InvalidRequest("max_operations must be in the range [%d,%d]", minRotateOps, maxRotateOps)
	}
	raw, err := json.Marshal(conf)
	if err != nil {
		return nil, err
	}
	return nil, b.st.c.barrier.Put(ctx, &storage.Entry{Key: rotateConfigKey, Value: raw})
}

// startRotator checks the rotation conditions every rotateCheckEvery until
// the unsealed state's context ends (at seal).
func (st *unsealed) startRotator() *rotator {
	r := &rotator{st: st}
	go func() {
		t := time.NewTicker(rotateCheckEvery)
		defer t.Stop()
		for {
			select {
			case <-st.ctx.Done():
				return
			case <-t.C:
				if _, err := r.rotateIfDue(st.ctx); err != nil && st.ctx.Err() == nil {
					st.c.logger.Error("automatic key rotation failed", "error", err)
				}
			}
		}
	}()
	return r
}

// rotateIfDue rotates the barrier key when rotation is enabled and the
// active term has sealed max_operations writes or is older than interval.
func (r *rotator) rotateIfDue(ctx context.Context) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	conf, err := st.loadRotateConfig(ctx)
	if err != nil || conf.Disabled {
		return false, err
	}
	_, installed, err := st.c.barrier.KeyStatus(ctx)
	if err != nil {
		return false, err
	}
	due := st.c.barrier.Encryptions() >= uint64(conf.MaxOperations)
	if conf.Interval > 0 && st.c.now().Sub(installed) >= conf.Interval {
		due = true
	}
	if !due {
		return false, nil
	}
	term, err := st.c.barrier.Rotate(ctx)
	if err != nil {
		return false, err
	}
	st.c.logger.Info("barrier key rotated automatically", "term", term)
	return true, nil
}
