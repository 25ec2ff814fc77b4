package core

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// A snapshot, as GET sys/storage/raft/snapshot streams it, is a gzipped
// tar in the shape Vault's clients check: meta.json, state.bin (the Raft
// snapshot of the store, barrier ciphertext only), SHA256SUMS of the two,
// and last SHA256SUMS.sealed, the checksums sealed under the cluster's
// root key. A restore checks the checksums; unless forced it also requires
// the sealed copy to open with this cluster's keys.
const (
	snapMeta   = "meta.json"
	snapState  = "state.bin"
	snapSums   = "SHA256SUMS"
	snapSealed = "SHA256SUMS.sealed"
)

// SaveSnapshot streams a snapshot archive to w. The caller has authorised
// the request through the pipeline (GET sys/storage/raft/snapshot).
func (c *Core) SaveSnapshot(_ context.Context, w io.Writer) error {
	if c.ha == nil {
		return errNoRaft
	}
	spool, err := os.CreateTemp(c.ha.raft.Dir(), "save-*.snap")
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	h := sha256.New()
	if err := c.ha.raft.SaveSnapshot(io.MultiWriter(spool, h)); err != nil {
		return err
	}
	size, err := spool.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	committed, applied := c.ha.raft.Indexes()
	meta, _ := json.Marshal(map[string]any{"version": 1, "node_id": c.ha.raft.NodeID(), "committed_index": committed, "applied_index": applied, "created": time.Now().UTC()})
	metaSum := sha256.Sum256(meta)
	sums := fmt.Sprintf("%x  %s\n%s  %s\n", metaSum, snapMeta, hex.EncodeToString(h.Sum(nil)), snapState)
	sealed, err := c.barrier.SealSnapshotSums([]byte(sums))
	if err != nil {
		return err
	}
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	now := time.Now()
	add := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Size: size, Mode: 0o600, ModTime: now, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := io.Copy(tw, r)
		return err
	}
	for _, f := range []struct {
		name string
		size int64
		r    io.Reader
	}{
		{snapMeta, int64(len(meta)), bytes.NewReader(meta)},
		{snapState, size, spool},
		{snapSums, int64(len(sums)), strings.NewReader(sums)},
		{snapSealed, int64(len(sealed)), bytes.NewReader(sealed)},
	} {
		if err := add(f.name, f.size, f.r); err != nil {
			return fmt.Errorf("snapshot: write %s: %w", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// RestoreSnapshot replaces the cluster's data with a snapshot archive; the
// active node then reloads its state from it. Without force the snapshot
// must have been made by this cluster. A forced restore of another
// cluster's snapshot leaves the data sealed with that cluster's keys: the
// nodes seal, and are unsealed with that cluster's shares.
func (c *Core) RestoreSnapshot(_ context.Context, r io.Reader, force bool) error {
	if c.ha == nil {
		return errNoRaft
	}
	bad := func(format string, args ...any) error {
		return logical.CodedErrorf(http.StatusBadRequest, "invalid snapshot: "+format, args...)
	}
	spool, err := os.CreateTemp(c.ha.raft.Dir(), "restore-*.state")
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	gz, err := gzip.NewReader(r)
	if err != nil {
		return bad("%v", err)
	}
	tr := tar.NewReader(gz)
	got := map[string]string{}
	var sums, sealed []byte
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bad("%v", err)
		}
		h := sha256.New()
		switch hdr.Name {
		case snapState:
			if _, err := io.Copy(io.MultiWriter(spool, h), tr); err != nil {
				return bad("%v", err)
			}
		case snapSums:
			sums, err = io.ReadAll(io.LimitReader(tr, 1<<16))
		case snapSealed:
			sealed, err = io.ReadAll(io.LimitReader(tr, 1<<16))
		default:
			_, err = io.Copy(h, io.LimitReader(tr, 1<<20))
		}
		if err != nil {
			return bad("%v", err)
		}
		got[hdr.Name] = hex.EncodeToString(h.Sum(nil))
	}
	if len(sums) == 0 || len(sealed) == 0 {
		return bad("checksums are missing")
	}
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || subtle.ConstantTimeCompare([]byte(got[name]), []byte(sum)) != 1 {
			return bad("checksum of %q does not match", name)
		}
	}
	if _, ok := got[snapState]; !ok {
		return bad("no %s", snapState)
	}
	if !force {
		plain, err := c.barrier.OpenSnapshotSums(sealed)
		if err != nil || subtle.ConstantTimeCompare(plain, sums) != 1 {
			return logical.InvalidRequest("the snapshot was made by another cluster (its checksums do not open with this cluster's keys); use snapshot-force to restore it anyway")
		}
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := c.ha.raft.RestoreSnapshot(spool); err != nil {
		return logical.CodedErrorf(http.StatusBadRequest, "restore snapshot: %v", err)
	}
	// The loop makes this node active again from the restored data.
	c.becomeStandby("snapshot restored")
	return nil
}
