package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/vaultd/vaultd/logical"
)

// Broker fans audit entries out to every registered device and fails
// closed. It is safe for concurrent use; logging holds only a read lock, so
// requests are audited in parallel and a device's own mutex keeps its
// lines whole.
type Broker struct {
	logger *slog.Logger

	mu      sync.RWMutex
	devices map[string]*registered
}

type registered struct {
	dev  Device
	conf DeviceConfig
}

// NewBroker returns a broker with no devices. logger may be nil.
func NewBroker(logger *slog.Logger) *Broker {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Broker{logger: logger, devices: make(map[string]*registered)}
}

// normPath gives a device path its trailing slash.
func normPath(path string) string {
	if !strings.HasSuffix(path, "/") {
		return path + "/"
	}
	return path
}

// Register adds a device at path (a trailing slash is added if missing).
// A device already registered at path is replaced and closed.
func (b *Broker) Register(path string, d Device, conf DeviceConfig) {
	path = normPath(path)
	conf.Path = path
	b.mu.Lock()
	old := b.devices[path]
	b.devices[path] = &registered{dev: d, conf: conf}
	b.mu.Unlock()
	if old != nil && old.dev != d {
		b.closeDevice(path, old.dev)
	}
}

// Deregister removes the device at path and closes it. It waits for
// entries being written to finish first.
func (b *Broker) Deregister(path string) {
	path = normPath(path)
	b.mu.Lock()
	old := b.devices[path]
	delete(b.devices, path)
	b.mu.Unlock()
	if old != nil {
		b.closeDevice(path, old.dev)
	}
}

func (b *Broker) closeDevice(path string, d Device) {
	if err := d.Close(); err != nil {
		b.logger.Warn("closing audit device failed", "path", path, "error", err)
	}
}

// IsRegistered reports whether a device is registered at path.
func (b *Broker) IsRegistered(path string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	_, ok := b.devices[normPath(path)]
	return ok
}

// Count returns the number of registered devices.
func (b *Broker) Count() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.devices)
}

// Paths returns the registered device paths, sorted.
func (b *Broker) Paths() []string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]string, 0, len(b.devices))
	for p := range b.devices {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Config returns the configuration a device was registered with.
func (b *Broker) Config(path string) (DeviceConfig, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	r, ok := b.devices[normPath(path)]
	if !ok {
		return DeviceConfig{}, false
	}
	return r.conf, true
}

// LogRequest writes the request entry of in to every device. It returns
// nil when no device is registered or at least one device wrote the entry,
// and an error wrapping ErrAuditFailed when devices are registered and none
// succeeded. Failures of single devices are logged.
func (b *Broker) LogRequest(ctx context.Context, in *LogInput) error {
	return b.fanOut(ctx, "request", in, Device.LogRequest)
}

// LogResponse writes the response entry of in to every device, with the
// same rule as LogRequest.
func (b *Broker) LogResponse(ctx context.Context, in *LogInput) error {
	return b.fanOut(ctx, "response", in, Device.LogResponse)
}

func (b *Broker) fanOut(ctx context.Context, kind string, in *LogInput, log func(Device, context.Context, *LogInput) error) error {
	if in == nil || in.Request == nil {
		return fmt.Errorf("%w: %s entry without a request", ErrAuditFailed, kind)
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if len(b.devices) == 0 {
		return nil
	}
	var errs []error
	ok := 0
	for path, r := range b.devices {
		if err := log(r.dev, ctx, in); err != nil {
			b.logger.Error("audit device failed to log "+kind, "path", path, "request_id", in.Request.ID, "error", err)
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			continue
		}
		ok++
	}
	if ok == 0 {
		return fmt.Errorf("%w (%s): %w", ErrAuditFailed, kind, errors.Join(errs...))
	}
	return nil
}

// Hash returns the HMAC of input by the device at path, for
// sys/audit-hash. An unknown path is a 400.
func (b *Broker) Hash(ctx context.Context, path, input string) (string, error) {
	b.mu.RLock()
	r, ok := b.devices[normPath(path)]
	b.mu.RUnlock()
	if !ok {
		return "", logical.InvalidRequest("unknown audit backend %s", path)
	}
	return r.dev.Hash(ctx, input)
}

// Reopen reopens every device (SIGHUP). Every device is tried; the errors
// of those that failed are joined.
func (b *Broker) Reopen() error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var errs []error
	for path, r := range b.devices {
		if err := r.dev.Reopen(); err != nil {
			b.logger.Error("reopening audit device failed", "path", path, "error", err)
			errs = append(errs, fmt.Errorf("reopen audit device %s: %w", path, err))
		}
	}
	return errors.Join(errs...)
}
