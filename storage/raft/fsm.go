package raft

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	hraft "github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"

	"github.com/vaultd/vaultd/storage"
)

var (
	dataBucket = []byte("vaultd")
	metaBucket = []byte("raft-meta")
	appliedKey = []byte("applied-index")
)

// fileMode is the mode of every file this package creates.
const fileMode os.FileMode = 0o600

// fsm applies committed commands to a bbolt file and serves reads from it.
// Restore swaps the file, so every use of db holds mu for reading.
type fsm struct {
	path string

	mu sync.RWMutex
	db *bolt.DB

	applied atomic.Uint64
}

var _ hraft.BatchingFSM = (*fsm)(nil)

func openFSM(path string) (*fsm, error) {
	f := &fsm{path: path}
	if err := f.open(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *fsm) open() error {
	db, err := bolt.Open(f.path, fileMode, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("raft: open %s: %w", f.path, err)
	}
	var applied uint64
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(dataBucket); err != nil {
			return err
		}
		meta, err := tx.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		if v := meta.Get(appliedKey); len(v) == 8 {
			applied = bytesToUint64(v)
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return fmt.Errorf("raft: prepare %s: %w", f.path, err)
	}
	f.db = db
	f.applied.Store(applied)
	return nil
}

func bytesToUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func (f *fsm) close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.db.Close()
}

// Apply applies one log entry.
func (f *fsm) Apply(l *hraft.Log) any { return f.ApplyBatch([]*hraft.Log{l})[0] }

// ApplyBatch applies every command of the batch in one bbolt transaction,
// so a burst of writes shares one fsync. Each command's answer is nil or
// the error that refused it; a refused command changes nothing (its ops are
// checked before any is written).
func (f *fsm) ApplyBatch(logs []*hraft.Log) []any {
	results := make([]any, len(logs))
	f.mu.RLock()
	defer f.mu.RUnlock()
	var last uint64
	err := f.db.Update(func(tx *bolt.Tx) error {
		data := tx.Bucket(dataBucket)
		for i, l := range logs {
			last = l.Index
			if l.Type != hraft.LogCommand {
				continue
			}
			results[i] = applyCommand(data, l.Data)
		}
		return tx.Bucket(metaBucket).Put(appliedKey, indexKey(last))
	})
	if err != nil {
		// The file cannot be written: every command of the batch failed.
		// Raft has committed them, so this node's FSM is now behind; it is
		// rebuilt from a snapshot and the log when the process restarts.
		for i := range results {
			results[i] = fmt.Errorf("raft: apply: %w", err)
		}
		return results
	}
	f.applied.Store(last)
	return results
}

func applyCommand(b *bolt.Bucket, data []byte) error {
	ops, err := decodeOps(data)
	if err != nil {
		return err
	}
	for _, op := range ops {
		if err := storage.ValidateKey(op.Key); err != nil {
			return err
		}
	}
	for _, op := range ops {
		if op.Delete {
			err = b.Delete([]byte(op.Key))
		} else {
			err = b.Put([]byte(op.Key), op.Value)
		}
		if err != nil {
			return fmt.Errorf("raft: apply %q: %w", op.Key, err)
		}
	}
	return nil
}

func (f *fsm) get(key string) (*storage.Entry, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out *storage.Entry
	err := f.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(dataBucket).Get([]byte(key)); v != nil {
			out = &storage.Entry{Key: key, Value: bytes.Clone(v)}
		}
		return nil
	})
	return out, err
}

func (f *fsm) list(ctx context.Context, prefix string) ([]string, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := []string{}
	err := f.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(dataBucket).Cursor()
		p := []byte(prefix)
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); {
			if err := ctx.Err(); err != nil {
				return err
			}
			name, ok := storage.ChildName(prefix, string(k))
			if !ok {
				k, _ = c.Next()
				continue
			}
			out = append(out, name)
			if name[len(name)-1] != '/' {
				k, _ = c.Next()
				continue
			}
			// Skip the whole sub-folder: seek past every key under it.
			k, _ = c.Seek(append([]byte(prefix+name[:len(name)-1]), '/'+1))
		}
		return nil
	})
	return out, err
}

// Snapshot captures the file as it is now; Persist streams that view while
// later commands go on being applied.
func (f *fsm) Snapshot() (hraft.FSMSnapshot, error) {
	f.mu.RLock()
	tx, err := f.db.Begin(false)
	if err != nil {
		f.mu.RUnlock()
		return nil, fmt.Errorf("raft: snapshot: %w", err)
	}
	return &fsmSnapshot{tx: tx, unlock: f.mu.RUnlock}, nil
}

// Restore replaces the file with a snapshot's: written beside it, synced,
// then renamed over it while no read or apply runs.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	tmp := f.path + ".restore"
	if err := writeSynced(tmp, rc); err != nil {
		return err
	}
	if err := checkSnapshotFile(tmp); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.db.Close(); err != nil {
		return fmt.Errorf("raft: restore: close: %w", err)
	}
	if err := os.Rename(tmp, f.path); err != nil {
		return fmt.Errorf("raft: restore: %w", err)
	}
	if err := syncDir(filepath.Dir(f.path)); err != nil {
		return err
	}
	return f.open()
}

// checkSnapshotFile refuses a snapshot that is not one of ours before the
// live file is touched.
func checkSnapshotFile(path string) error {
	db, err := bolt.Open(path, fileMode, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("raft: restore: not a vaultd snapshot: %w", err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(dataBucket) == nil {
			return errors.New("raft: restore: not a vaultd snapshot: no data bucket")
		}
		return nil
	})
}

func writeSynced(path string, r io.Reader) error {
	out, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, fileMode)
	if err != nil {
		return fmt.Errorf("raft: restore: %w", err)
	}
	if _, err := io.Copy(out, r); err != nil {
		_ = out.Close()
		return fmt.Errorf("raft: restore: write: %w", err)
	}
	if err := out.Sync(); err != nil {
		_ = out.Close()
		return fmt.Errorf("raft: restore: sync: %w", err)
	}
	return out.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("raft: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("raft: sync %s: %w", dir, err)
	}
	return nil
}

type fsmSnapshot struct {
	tx     *bolt.Tx
	unlock func()
	once   sync.Once
}

func (s *fsmSnapshot) Persist(sink hraft.SnapshotSink) error {
	if _, err := s.tx.WriteTo(sink); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("raft: persist snapshot: %w", err)
	}
	return sink.Close()
}

func (s *fsmSnapshot) Release() {
	s.once.Do(func() {
		_ = s.tx.Rollback()
		s.unlock()
	})
}
