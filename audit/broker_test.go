package audit

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

// memDevice is a device that keeps entries in memory, or fails on demand.
type memDevice struct {
	f       *Formatter
	fail    error
	mu      sync.Mutex
	lines   [][]byte
	closed  atomic.Bool
	reopens atomic.Int32
}

func (d *memDevice) log(line []byte, err error) error {
	if err != nil {
		return err
	}
	if d.fail != nil {
		return d.fail
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lines = append(d.lines, line)
	return nil
}

func (d *memDevice) LogRequest(_ context.Context, in *LogInput) error {
	return d.log(d.f.FormatRequest(in))
}

func (d *memDevice) LogResponse(_ context.Context, in *LogInput) error {
	return d.log(d.f.FormatResponse(in))
}

func (d *memDevice) Hash(_ context.Context, s string) (string, error) { return d.f.Hash(s), nil }

func (d *memDevice) Reopen() error {
	d.reopens.Add(1)
	return d.fail
}

func (d *memDevice) Close() error {
	d.closed.Store(true)
	return nil
}

func newMem(t *testing.T, fail error) *memDevice {
	return &memDevice{f: newTestFormatter(t, nil), fail: fail}
}

func TestBrokerNoDevices(t *testing.T) {
	b := NewBroker(nil)
	if err := b.LogRequest(context.Background(), testInput()); err != nil {
		t.Fatalf("no devices: %v", err)
	}
	if err := b.LogResponse(context.Background(), testInput()); err != nil {
		t.Fatalf("no devices: %v", err)
	}
	if b.Count() != 0 {
		t.Fatal("count")
	}
}

func TestBrokerFailsClosed(t *testing.T) {
	ctx := context.Background()
	diskFull := errors.New("no space left on device")
	cases := []struct {
		name    string
		devices []error // nil = healthy
		wantErr bool
	}{
		{"one healthy", []error{nil}, false},
		{"one failing", []error{diskFull}, true},
		{"all failing", []error{diskFull, diskFull}, true},
		{"one of two failing", []error{diskFull, nil}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBroker(nil)
			var devs []*memDevice
			for i, fail := range tc.devices {
				d := newMem(t, fail)
				devs = append(devs, d)
				b.Register(string(rune('a'+i))+"/", d, DeviceConfig{Type: "mem"})
			}
			for _, logFn := range []func(context.Context, *LogInput) error{b.LogRequest, b.LogResponse} {
				err := logFn(ctx, testInput())
				if tc.wantErr {
					if !errors.Is(err, ErrAuditFailed) || !errors.Is(err, diskFull) {
						t.Fatalf("err = %v, want ErrAuditFailed wrapping the device error", err)
					}
					if logical.StatusOf(err) != http.StatusInternalServerError {
						t.Fatalf("status %d", logical.StatusOf(err))
					}
				} else if err != nil {
					t.Fatalf("err = %v", err)
				}
			}
			for i, d := range devs {
				if tc.devices[i] == nil && len(d.lines) != 2 {
					t.Fatalf("healthy device %d has %d entries", i, len(d.lines))
				}
			}
		})
	}
}

func TestBrokerRejectsEmptyInput(t *testing.T) {
	b := NewBroker(nil)
	b.Register("a", newMem(t, nil), DeviceConfig{})
	if err := b.LogRequest(context.Background(), &LogInput{}); !errors.Is(err, ErrAuditFailed) {
		t.Fatalf("err = %v", err)
	}
	// A formatting failure on the only device fails closed too.
	in := testInput()
	in.Request.Data = map[string]any{"bad": make(chan int)}
	if err := b.LogRequest(context.Background(), in); !errors.Is(err, ErrAuditFailed) {
		t.Fatalf("err = %v", err)
	}
}

func TestBrokerRegistry(t *testing.T) {
	ctx := context.Background()
	b := NewBroker(nil)
	d1, d2 := newMem(t, nil), newMem(t, nil)
	b.Register("file", d1, DeviceConfig{Type: "file", Description: "one"})
	if !b.IsRegistered("file/") || !b.IsRegistered("file") || b.Count() != 1 {
		t.Fatal("not registered under file/")
	}
	if c, ok := b.Config("file/"); !ok || c.Path != "file/" || c.Description != "one" {
		t.Fatalf("config = %+v", c)
	}
	b.Register("file/", d2, DeviceConfig{Type: "file"})
	if !d1.closed.Load() || b.Count() != 1 {
		t.Fatal("replaced device not closed")
	}
	b.Register("other/", newMem(t, nil), DeviceConfig{})
	if got := b.Paths(); len(got) != 2 || got[0] != "file/" || got[1] != "other/" {
		t.Fatalf("paths = %v", got)
	}

	got, err := b.Hash(ctx, "file/", secretValue)
	if err != nil || got != h(secretValue) {
		t.Fatalf("hash = %q, %v", got, err)
	}
	if _, err := b.Hash(ctx, "nope/", "x"); logical.StatusOf(err) != http.StatusBadRequest {
		t.Fatalf("unknown path: %v", err)
	}

	b.Deregister("file")
	if !d2.closed.Load() || b.IsRegistered("file/") || b.Count() != 1 {
		t.Fatal("deregister")
	}
	b.Deregister("never/") // no-op
}

func TestBrokerReopen(t *testing.T) {
	b := NewBroker(nil)
	ok, bad := newMem(t, nil), newMem(t, errors.New("boom"))
	b.Register("ok/", ok, DeviceConfig{})
	b.Register("bad/", bad, DeviceConfig{})
	err := b.Reopen()
	if err == nil || ok.reopens.Load() != 1 || bad.reopens.Load() != 1 {
		t.Fatalf("reopen: %v, %d, %d", err, ok.reopens.Load(), bad.reopens.Load())
	}
}
