package kv

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Key metadata is read on every KV v2 read and written on every write, and
// decoding it as JSON by reflection cost more than the rest of the engine's
// read. It is stored in a compact binary form instead: a format byte, then
// the fields in a fixed order as varints, length-prefixed strings and
// times in time.Time's own binary form. Entries written before as JSON
// (which always begin with '{' or white space) are still read.
const metaFormatBinary = 0x01

// version flags in the binary form.
const (
	flagDeletionTime = 1 << iota
	flagDestroyed
)

var errMetaTruncated = errors.New("truncated")

// encodeMeta renders meta in the binary form.
func encodeMeta(meta *keyMetadata) ([]byte, error) {
	buf := make([]byte, 0, 64+len(meta.Path)+24*len(meta.Versions))
	buf = append(buf, metaFormatBinary)
	buf = appendString(buf, meta.Path)
	buf = binary.AppendUvarint(buf, meta.CurrentVersion)
	buf = binary.AppendUvarint(buf, meta.OldestVersion)
	var err error
	if buf, err = appendTime(buf, meta.CreatedTime); err != nil {
		return nil, err
	}
	if buf, err = appendTime(buf, meta.UpdatedTime); err != nil {
		return nil, err
	}
	buf = binary.AppendUvarint(buf, uint64(meta.MaxVersions))
	buf = appendBool(buf, meta.CASRequired)
	buf = binary.AppendVarint(buf, int64(meta.DeleteVersionAfter))
	buf = binary.AppendUvarint(buf, uint64(len(meta.CustomMetadata)))
	for k, v := range meta.CustomMetadata {
		buf = appendString(appendString(buf, k), v)
	}
	buf = binary.AppendUvarint(buf, uint64(len(meta.Versions)))
	for n, vm := range meta.Versions {
		if buf, err = appendVersion(binary.AppendUvarint(buf, n), vm); err != nil {
			return nil, err
		}
	}
	return buf, nil
}

func appendVersion(buf []byte, vm *versionMeta) ([]byte, error) {
	var flags byte
	if vm.DeletionTime != nil {
		flags |= flagDeletionTime
	}
	if vm.Destroyed {
		flags |= flagDestroyed
	}
	buf, err := appendTime(append(buf, flags), vm.CreatedTime)
	if err != nil || vm.DeletionTime == nil {
		return buf, err
	}
	return appendTime(buf, *vm.DeletionTime)
}

func appendString(buf []byte, s string) []byte {
	return append(binary.AppendUvarint(buf, uint64(len(s))), s...)
}

func appendBool(buf []byte, b bool) []byte {
	if b {
		return append(buf, 1)
	}
	return append(buf, 0)
}

func appendTime(buf []byte, t time.Time) ([]byte, error) {
	raw, err := t.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode time: %w", err)
	}
	return append(append(buf, byte(len(raw))), raw...), nil
}

// decodeMeta reads key metadata in either stored form.
func decodeMeta(raw []byte) (*keyMetadata, error) {
	meta := &keyMetadata{}
	if len(raw) > 0 && raw[0] == metaFormatBinary {
		r := metaReader{buf: raw[1:]}
		r.readMeta(meta)
		if r.err == nil && len(r.buf) != 0 {
			r.err = fmt.Errorf("%d bytes after the end", len(r.buf))
		}
		if r.err != nil {
			return nil, r.err
		}
	} else if err := json.Unmarshal(raw, meta); err != nil {
		return nil, err
	}
	if meta.Versions == nil {
		meta.Versions = map[uint64]*versionMeta{}
	}
	if len(meta.CustomMetadata) == 0 {
		meta.CustomMetadata = nil
	}
	return meta, nil
}

// metaReader reads the binary form; the first error sticks and every read
// after it yields zero values.
type metaReader struct {
	buf []byte
	err error
}

func (r *metaReader) readMeta(meta *keyMetadata) {
	meta.Path = r.string()
	meta.CurrentVersion = r.uvarint()
	meta.OldestVersion = r.uvarint()
	meta.CreatedTime = r.time()
	meta.UpdatedTime = r.time()
	maxVersions := r.uvarint()
	if maxVersions > math.MaxUint32 {
		r.fail(errors.New("max_versions out of range"))
	}
	meta.MaxVersions = uint32(maxVersions)
	meta.CASRequired = r.byte() == 1
	meta.DeleteVersionAfter = time.Duration(r.varint())
	if n := r.count(); n > 0 {
		meta.CustomMetadata = make(map[string]string, n)
		for range n {
			k := r.string()
			meta.CustomMetadata[k] = r.string()
		}
	}
	n := r.count()
	meta.Versions = make(map[uint64]*versionMeta, n)
	for range n {
		num := r.uvarint()
		meta.Versions[num] = r.version()
	}
}

func (r *metaReader) version() *versionMeta {
	flags := r.byte()
	vm := &versionMeta{CreatedTime: r.time(), Destroyed: flags&flagDestroyed != 0}
	if flags&flagDeletionTime != 0 {
		t := r.time()
		vm.DeletionTime = &t
	}
	return vm
}

func (r *metaReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.buf = nil
}

func (r *metaReader) take(n int) []byte {
	if r.err != nil || n > len(r.buf) {
		r.fail(errMetaTruncated)
		return nil
	}
	b := r.buf[:n]
	r.buf = r.buf[n:]
	return b
}

func (r *metaReader) byte() byte {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *metaReader) uvarint() uint64 { return readVarint(r, binary.Uvarint) }

func (r *metaReader) varint() int64 { return readVarint(r, binary.Varint) }

// readVarint reads one number with decode (binary.Uvarint or Varint).
func readVarint[T uint64 | int64](r *metaReader, decode func([]byte) (T, int)) T {
	if r.err != nil {
		return 0
	}
	v, n := decode(r.buf)
	if n <= 0 {
		r.fail(errMetaTruncated)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// count reads a number of items, each of which takes at least one byte.
func (r *metaReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.buf)) {
		r.fail(errMetaTruncated)
		return 0
	}
	return int(n)
}

func (r *metaReader) string() string {
	return string(r.take(r.count()))
}

func (r *metaReader) time() time.Time {
	var t time.Time
	raw := r.take(int(r.byte()))
	if r.err == nil {
		if err := t.UnmarshalBinary(raw); err != nil {
			r.fail(err)
		}
	}
	return t
}
