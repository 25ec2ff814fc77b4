package metrics

import (
	"context"
	"time"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage"
)

// timedStorage times every operation of a physical store as
// vault_<type>_<op> (vault_bbolt_get, …), as Vault names its storage
// metrics. Keys are never put in a label.
type timedStorage struct {
	storage.Backend
	sink logical.MetricSink
	keys map[string][]string // op → metric key, made once
}

// WrapStorage returns b with its operations timed into sink.
func WrapStorage(b storage.Backend, typ string, sink logical.MetricSink) storage.Backend {
	keys := map[string][]string{}
	for _, op := range []string{"get", "put", "delete", "list", "commit"} {
		keys[op] = []string{typ, op}
	}
	return &timedStorage{Backend: b, sink: sink, keys: keys}
}

func (s *timedStorage) since(op string, start time.Time) {
	s.sink.MeasureSince(s.keys[op], start)
}

func (s *timedStorage) Get(ctx context.Context, key string) (*storage.Entry, error) {
	defer s.since("get", time.Now())
	return s.Backend.Get(ctx, key)
}

func (s *timedStorage) Put(ctx context.Context, e *storage.Entry) error {
	defer s.since("put", time.Now())
	return s.Backend.Put(ctx, e)
}

func (s *timedStorage) Delete(ctx context.Context, key string) error {
	defer s.since("delete", time.Now())
	return s.Backend.Delete(ctx, key)
}

func (s *timedStorage) List(ctx context.Context, prefix string) ([]string, error) {
	defer s.since("list", time.Now())
	return s.Backend.List(ctx, prefix)
}

func (s *timedStorage) Commit(ctx context.Context, ops []storage.Op) error {
	defer s.since("commit", time.Now())
	return s.Backend.Commit(ctx, ops)
}
