package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vaultd/vaultd/barrier"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/seal"
	"github.com/vaultd/vaultd/storage"
)

// Vault's defaults for lease TTLs: 32 days.
const defaultLeaseTTL = 768 * time.Hour

// Core is the server's heart: the seal state machine, the mount tables and
// router, the request pipeline, the sys/ backend and the lease manager.
//
// Every request holds stateLock for reading while it runs; sealing and
// unsealing take it for writing, so a seal waits for in-flight requests and
// no request sees a half-built state.
type Core struct {
	conf     Config
	logger   *slog.Logger
	now      func() time.Time
	physical storage.Backend
	barrier  *barrier.Barrier

	stateLock sync.RWMutex
	// state is the unsealed state; nil while sealed.
	state *unsealed

	// progress collects unseal shares; it has its own lock.
	progress *seal.Progress
	// ops holds the root-generation and rekey ceremonies under way.
	ops ceremonies

	// ha is set on Raft storage: active/standby (core/ha.go).
	ha *ha
}

// New builds a sealed Core over conf.Physical.
func New(ctx context.Context, conf Config) (*Core, error) {
	if conf.Physical == nil {
		return nil, errors.New("core: no physical storage")
	}
	if conf.Logger == nil {
		conf.Logger = slog.New(slog.DiscardHandler)
	}
	if conf.Clock == nil {
		conf.Clock = time.Now
	}
	if conf.MaxLeaseTTL <= 0 {
		conf.MaxLeaseTTL = defaultLeaseTTL
	}
	if conf.DefaultLeaseTTL <= 0 {
		// Unset: Vault's 768h, or the max when that is lower.
		conf.DefaultLeaseTTL = min(defaultLeaseTTL, conf.MaxLeaseTTL)
	}
	if conf.DefaultLeaseTTL > conf.MaxLeaseTTL {
		return nil, fmt.Errorf("core: default lease TTL %s exceeds max lease TTL %s", conf.DefaultLeaseTTL, conf.MaxLeaseTTL)
	}
	c := &Core{
		conf:     conf,
		logger:   conf.Logger,
		now:      conf.Clock,
		physical: conf.Physical,
		barrier:  barrier.New(conf.Physical, barrier.WithObserver(barrierObserver(conf.Metrics))),
		progress: seal.NewProgress(),
		ha:       newHA(conf),
	}
	return c, nil
}

// Sealed reports whether the core is sealed.
func (c *Core) Sealed() bool {
	c.stateLock.RLock()
	defer c.stateLock.RUnlock()
	if c.ha != nil {
		return !c.ha.open
	}
	return c.state == nil
}

// Initialized reports whether sys/init has run.
func (c *Core) Initialized(ctx context.Context) (bool, error) {
	conf, err := c.sealConfig(ctx)
	if err != nil {
		return false, err
	}
	return conf != nil, nil
}

// Initialize runs the init ceremony: generates the unseal key, initialises
// the barrier with it, splits it into shares and creates the root token.
// The core is left sealed.
func (c *Core) Initialize(ctx context.Context, p InitParams) (*InitResult, error) {
	sc := seal.Config{Type: seal.TypeShamir, SecretShares: p.SecretShares, SecretThreshold: p.SecretThreshold}
	if err := sc.Validate(); err != nil {
		return nil, logical.InvalidRequest("%v", err)
	}
	if c.ha != nil {
		if c.JoinPending() {
			return nil, ErrAlreadyInitialized
		}
		if err := c.haBootstrap(ctx); err != nil {
			return nil, err
		}
	}

	c.stateLock.Lock()
	defer c.stateLock.Unlock()
	if existing, err := c.sealConfig(ctx); err != nil {
		return nil, err
	} else if existing != nil {
		return nil, ErrAlreadyInitialized
	}

	unsealKey, err := barrier.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate unseal key: %w", err)
	}
	defer zero(unsealKey)
	shares, err := sc.SplitKey(unsealKey)
	if err != nil {
		return nil, fmt.Errorf("split unseal key: %w", err)
	}
	if err := c.barrier.Initialize(ctx, unsealKey); err != nil {
		return nil, fmt.Errorf("initialize barrier: %w", err)
	}
	if err := c.barrier.Unseal(ctx, unsealKey); err != nil {
		return nil, fmt.Errorf("unseal new barrier: %w", err)
	}
	rootToken, err := c.firstUnseal(ctx, p.RootTokenID)
	if err == nil && c.ha != nil {
		err = c.storeClusterTLS(ctx)
	}
	c.barrier.Seal()
	if err != nil {
		return nil, err
	}
	// The seal configuration is written last: a crash before this line
	// leaves the server uninitialised rather than half-initialised.
	if err := c.putSealConfig(ctx, &sc); err != nil {
		return nil, err
	}
	c.logger.Info("vault initialized", "shares", sc.SecretShares, "threshold", sc.SecretThreshold)
	return &InitResult{Shares: shares, RootToken: rootToken}, nil
}

// firstUnseal builds the default mounts and the root token on a freshly
// initialised barrier, then tears the state down again.
func (c *Core) firstUnseal(ctx context.Context, rootTokenID string) (string, error) {
	st, err := c.buildUnsealed(ctx)
	if err != nil {
		return "", fmt.Errorf("set up new vault: %w", err)
	}
	defer st.teardown(context.WithoutCancel(ctx))
	root, err := st.tokens.CreateRoot(ctx, rootTokenID)
	if err != nil {
		return "", fmt.Errorf("create root token: %w", err)
	}
	return root.ID, nil
}

// Unseal adds one key share. When the threshold is reached the shares are
// combined and the barrier opened; a wrong set of shares resets progress and
// leaves the core sealed.
func (c *Core) Unseal(ctx context.Context, share []byte) (*SealStatus, error) {
	sc, err := c.sealConfig(ctx)
	if err != nil {
		return nil, err
	}
	if sc == nil {
		return nil, ErrNotInitialized
	}
	if !c.Sealed() {
		return c.SealStatus(ctx)
	}
	if len(share) == 0 {
		return nil, logical.InvalidRequest("missing required parameter 'key'")
	}
	if _, err := c.progress.Add(share); err != nil {
		return nil, logical.InvalidRequest("%v", err)
	}
	if c.progress.Count() < sc.SecretThreshold {
		return c.SealStatus(ctx)
	}
	shares := c.progress.Take()
	if err := c.unsealWithShares(ctx, &sc.Config, shares); err != nil {
		return nil, err
	}
	if c.ha != nil {
		c.waitSoleActive(ctx)
	}
	return c.SealStatus(ctx)
}

func (c *Core) unsealWithShares(ctx context.Context, sc *seal.Config, shares [][]byte) error {
	key, err := sc.CombineKey(shares)
	if err != nil {
		return logical.InvalidRequest("unable to combine key shares: %v", err)
	}
	defer zero(key)
	if c.ha != nil {
		if err := c.completeJoin(ctx, key); err != nil {
			return err
		}
	}

	c.stateLock.Lock()
	defer c.stateLock.Unlock()
	if c.state != nil || (c.ha != nil && c.ha.open) {
		return nil
	}
	if err := c.barrier.Unseal(ctx, key); err != nil {
		if errors.Is(err, barrier.ErrBadUnsealKey) {
			return logical.InvalidRequest("the given key shares did not unseal the vault: wrong or mismatched shares; unseal progress was reset")
		}
		return fmt.Errorf("unseal barrier: %w", err)
	}
	if c.ha != nil {
		if err := c.haOpen(ctx); err != nil {
			c.barrier.Seal()
			return fmt.Errorf("post-unseal setup: %w", err)
		}
		return nil
	}
	st, err := c.buildUnsealed(ctx)
	if err != nil {
		c.barrier.Seal()
		return fmt.Errorf("post-unseal setup: %w", err)
	}
	c.state = st
	c.logger.Info("vault unsealed")
	return nil
}

// ResetUnseal discards the shares given so far.
func (c *Core) ResetUnseal(ctx context.Context) (*SealStatus, error) {
	c.progress.Reset()
	return c.SealStatus(ctx)
}

// SealStatus reports the seal state.
func (c *Core) SealStatus(ctx context.Context) (*SealStatus, error) {
	sc, err := c.sealConfig(ctx)
	if err != nil {
		return nil, err
	}
	st := &SealStatus{
		Type:        seal.TypeShamir,
		Sealed:      c.Sealed(),
		Version:     c.conf.Version,
		BuildDate:   c.conf.BuildDate,
		StorageType: c.conf.StorageType,
	}
	if sc == nil {
		return st, nil
	}
	st.Initialized = true
	st.T, st.N = sc.SecretThreshold, sc.SecretShares
	if st.Sealed {
		// Vault names the cluster only once it is unsealed.
		st.Progress = c.progress.Count()
		st.Nonce = c.progress.Nonce()
		return st, nil
	}
	st.ClusterName, st.ClusterID = sc.ClusterName, sc.ClusterID
	return st, nil
}

// Seal seals the core on behalf of the caller of PUT sys/seal, described
// by caller (its ID, ClientToken, RemoteAddr, RemotePort and Headers; the
// rest is ignored). The token must hold the root policy or sudo on
// sys/seal. It waits for in-flight requests.
func (c *Core) Seal(ctx context.Context, caller *logical.Request) error {
	// The request is built here, but it is the caller's: it carries the
	// caller's token, address and headers, so token_bound_cidrs and the
	// audit log see who asked.
	req := &logical.Request{
		ID: caller.ID, Operation: logical.UpdateOperation, Path: "sys/seal", ClientToken: caller.ClientToken,
		RemoteAddr: caller.RemoteAddr, RemotePort: caller.RemotePort, Headers: caller.Headers,
	}
	if c.Standby() {
		// A standby has no token store to check the caller against.
		return errSealStandby
	}
	if _, err := c.HandleRequest(ctx, req); err != nil {
		return err
	}
	return c.sealNow(ctx)
}

// sealNow tears down the unsealed state and zeroes the keys.
func (c *Core) sealNow(ctx context.Context) error {
	if c.ha != nil {
		c.haStopLoop()
	}
	c.stateLock.Lock()
	defer c.stateLock.Unlock()
	if c.ha != nil && c.ha.open {
		c.haClose()
	} else if c.state == nil {
		return nil
	}
	if c.state != nil {
		c.state.teardown(ctx)
		c.state = nil
	}
	c.barrier.Seal()
	c.progress.Reset()
	if c.ha != nil && c.ha.raft.IsLeader() {
		// A sealed node cannot be active: let an unsealed one lead.
		go func() { _ = c.ha.raft.StepDown() }()
	}
	c.logger.Info("vault sealed")
	return nil
}

// Shutdown seals the core and closes the physical store.
func (c *Core) Shutdown(ctx context.Context) error {
	if err := c.sealNow(ctx); err != nil {
		return err
	}
	if err := c.physical.Close(); err != nil {
		return fmt.Errorf("close storage: %w", err)
	}
	return nil
}

func zero(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
