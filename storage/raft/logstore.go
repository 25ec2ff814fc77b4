package raft

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	hraft "github.com/hashicorp/raft"
	bolt "go.etcd.io/bbolt"
)

var (
	logsBucket   = []byte("logs")
	stableBucket = []byte("stable")
)

// logStore is the Raft log and stable store in one bbolt file. Every
// write is one fsync'd transaction, as Raft requires before it answers.
type logStore struct {
	db *bolt.DB
}

var (
	_ hraft.LogStore    = (*logStore)(nil)
	_ hraft.StableStore = (*logStore)(nil)
)

func openLogStore(path string) (*logStore, error) {
	db, err := bolt.Open(path, fileMode, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("raft: open log store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{logsBucket, stableBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("raft: prepare log store %s: %w", path, err)
	}
	return &logStore{db: db}, nil
}

func (s *logStore) Close() error { return s.db.Close() }

func indexKey(i uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], i)
	return k[:]
}

func (s *logStore) FirstIndex() (uint64, error) {
	var first uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(logsBucket).Cursor().First(); k != nil {
			first = binary.BigEndian.Uint64(k)
		}
		return nil
	})
	return first, err
}

func (s *logStore) LastIndex() (uint64, error) {
	var last uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(logsBucket).Cursor().Last(); k != nil {
			last = binary.BigEndian.Uint64(k)
		}
		return nil
	})
	return last, err
}

func (s *logStore) GetLog(index uint64, out *hraft.Log) error {
	return s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(logsBucket).Get(indexKey(index))
		if v == nil {
			return hraft.ErrLogNotFound
		}
		return decodeLog(v, out)
	})
}

func (s *logStore) StoreLog(l *hraft.Log) error { return s.StoreLogs([]*hraft.Log{l}) }

func (s *logStore) StoreLogs(logs []*hraft.Log) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(logsBucket)
		for _, l := range logs {
			if err := b.Put(indexKey(l.Index), encodeLog(l)); err != nil {
				return fmt.Errorf("raft: store log %d: %w", l.Index, err)
			}
		}
		return nil
	})
}

func (s *logStore) DeleteRange(lo, hi uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(logsBucket).Cursor()
		for k, _ := c.Seek(indexKey(lo)); k != nil && binary.BigEndian.Uint64(k) <= hi; k, _ = c.Next() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *logStore) Set(key, val []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(stableBucket).Put(key, val)
	})
}

func (s *logStore) Get(key []byte) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		out = bytes.Clone(tx.Bucket(stableBucket).Get(key))
		return nil
	})
	if out == nil {
		out = []byte{}
	}
	return out, err
}

func (s *logStore) SetUint64(key []byte, val uint64) error { return s.Set(key, indexKey(val)) }

func (s *logStore) GetUint64(key []byte) (uint64, error) {
	v, err := s.Get(key)
	if err != nil || len(v) == 0 {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("raft: stable key %q holds %d bytes, want 8", key, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// A log entry on disk: index, term, type, the append time in Unix
// nanoseconds, then the length-prefixed data and extensions.
func encodeLog(l *hraft.Log) []byte {
	buf := make([]byte, 0, 8+8+1+8+2*binary.MaxVarintLen64+len(l.Data)+len(l.Extensions))
	buf = binary.BigEndian.AppendUint64(buf, l.Index)
	buf = binary.BigEndian.AppendUint64(buf, l.Term)
	buf = append(buf, byte(l.Type))
	var ts int64
	if !l.AppendedAt.IsZero() {
		ts = l.AppendedAt.UnixNano()
	}
	buf = binary.BigEndian.AppendUint64(buf, uint64(ts))
	buf = binary.AppendUvarint(buf, uint64(len(l.Data)))
	buf = append(buf, l.Data...)
	buf = binary.AppendUvarint(buf, uint64(len(l.Extensions)))
	return append(buf, l.Extensions...)
}

var errCorruptLog = errors.New("raft: corrupt log entry")

func decodeLog(v []byte, l *hraft.Log) error {
	if len(v) < 25 {
		return errCorruptLog
	}
	l.Index = binary.BigEndian.Uint64(v[0:8])
	l.Term = binary.BigEndian.Uint64(v[8:16])
	l.Type = hraft.LogType(v[16])
	if ts := int64(binary.BigEndian.Uint64(v[17:25])); ts != 0 {
		l.AppendedAt = time.Unix(0, ts)
	} else {
		l.AppendedAt = time.Time{}
	}
	rest := v[25:]
	var err error
	if l.Data, rest, err = readChunk(rest); err != nil {
		return err
	}
	if l.Extensions, _, err = readChunk(rest); err != nil {
		return err
	}
	return nil
}

func readChunk(v []byte) (chunk, rest []byte, err error) {
	n, used := binary.Uvarint(v)
	if used <= 0 || uint64(len(v)-used) < n {
		return nil, nil, errCorruptLog
	}
	v = v[used:]
	if n == 0 {
		return nil, v, nil
	}
	return bytes.Clone(v[:n]), v[n:], nil
}
