package kv

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/vaultd/vaultd/logical"
)

func metaCorpus() map[string]*keyMetadata {
	created := time.Date(2026, 11, 30, 8, 1, 2, 345678901, time.UTC)
	deleted := created.Add(time.Hour)
	zoned := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("", 3600))
	return map[string]*keyMetadata{
		"new": {Path: "a", Versions: map[uint64]*versionMeta{}},
		"versions": {
			Path: "app/db/creds", CurrentVersion: 12, OldestVersion: 3,
			CreatedTime: created, UpdatedTime: deleted,
			Versions: map[uint64]*versionMeta{
				3:  {CreatedTime: created},
				11: {CreatedTime: created, DeletionTime: &deleted},
				12: {CreatedTime: zoned, Destroyed: true},
			},
		},
		"settings": {
			Path: "x/ü y", CurrentVersion: 1, OldestVersion: 1, CreatedTime: zoned, UpdatedTime: zoned,
			MaxVersions: 1<<32 - 1, CASRequired: true, DeleteVersionAfter: -time.Second,
			CustomMetadata: map[string]string{"owner": "payments", "": "empty key"},
			Versions:       map[uint64]*versionMeta{1<<64 - 1: {CreatedTime: created, DeletionTime: &zoned, Destroyed: true}},
		},
	}
}

// The binary form reads back what was written, field for field, and so does
// the JSON that earlier versions stored.
func TestMetaCodecRoundTrip(t *testing.T) {
	for name, meta := range metaCorpus() {
		t.Run(name, func(t *testing.T) {
			raw, err := encodeMeta(meta)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeMeta(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, meta) {
				t.Errorf("binary: got %+v, want %+v", got, meta)
			}
			old, err := json.Marshal(meta)
			if err != nil {
				t.Fatal(err)
			}
			fromJSON, err := decodeMeta(old)
			if err != nil {
				t.Fatal(err)
			}
			// JSON keeps only the zone offset, and so does the binary form.
			again, err := encodeMeta(fromJSON)
			if err != nil {
				t.Fatal(err)
			}
			twice, err := decodeMeta(again)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(twice, fromJSON) {
				t.Errorf("JSON then binary: got %+v, want %+v", twice, fromJSON)
			}
			if a, b := mustJSON(t, twice), string(old); a != b {
				t.Errorf("renders differently after the binary form:\n%s\n%s", a, b)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every cut of a valid entry, and bytes after its end, are errors, never a
// panic or a half-read secret.
func TestMetaCodecRefusesDamage(t *testing.T) {
	raw, err := encodeMeta(metaCorpus()["settings"])
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n < len(raw); n++ {
		if _, err := decodeMeta(raw[:n]); err == nil {
			t.Fatalf("a cut at %d of %d bytes decoded", n, len(raw))
		}
	}
	if _, err := decodeMeta(append(raw, 0)); err == nil {
		t.Fatal("a trailing byte decoded")
	}
}

func FuzzMetaCodec(f *testing.F) {
	for _, meta := range metaCorpus() {
		raw, err := encodeMeta(meta)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		meta, err := decodeMeta(raw)
		if err != nil {
			return
		}
		again, err := encodeMeta(meta)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeMeta(again)
		if err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
		if !sameMeta(back, meta) {
			t.Fatalf("round trip changed the entry: %+v != %+v", back, meta)
		}
	})
}

// sameMeta compares metadata with times compared as instants with their
// zone offsets: for years far outside 0-9999, time.Time's internal fields
// differ after a round trip while the time is the same.
func sameMeta(a, b *keyMetadata) bool {
	if len(a.Versions) != len(b.Versions) {
		return false
	}
	for n, va := range a.Versions {
		vb, ok := b.Versions[n]
		if !ok || va.Destroyed != vb.Destroyed || !sameTime(va.CreatedTime, vb.CreatedTime) ||
			(va.DeletionTime == nil) != (vb.DeletionTime == nil) ||
			(va.DeletionTime != nil && !sameTime(*va.DeletionTime, *vb.DeletionTime)) {
			return false
		}
	}
	ca, cb := *a, *b
	ca.Versions, cb.Versions = nil, nil
	ca.CreatedTime, cb.CreatedTime = time.Time{}, time.Time{}
	ca.UpdatedTime, cb.UpdatedTime = time.Time{}, time.Time{}
	return reflect.DeepEqual(ca, cb) && sameTime(a.CreatedTime, b.CreatedTime) && sameTime(a.UpdatedTime, b.UpdatedTime)
}

func sameTime(a, b time.Time) bool {
	_, oa := a.Zone()
	_, ob := b.Zone()
	return a.Equal(b) && oa == ob
}

// A store written by a release that kept metadata as JSON still reads: its
// versions, metadata and custom metadata come back, and the next write
// stores the metadata in the binary form without losing a version.
func TestMetaStoredAsJSONStillReads(t *testing.T) {
	e := newV2(t)
	e.write("data/app", `{"data":{"v":"one"}}`)
	e.write("metadata/app", `{"custom_metadata":{"owner":"payments"}}`)
	e.write("data/app", `{"data":{"v":"two"}}`)
	ctx := context.Background()
	entry, err := e.s.Get(ctx, metaKey("app"))
	if err != nil || entry == nil || entry.Value[0] != metaFormatBinary {
		t.Fatalf("metadata not stored in the binary form: %v %v", entry, err)
	}
	meta, err := decodeMeta(entry.Value)
	if err != nil {
		t.Fatal(err)
	}
	before := e.must(logical.ReadOperation, "metadata/app", nil).Data
	asJSON, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.Put(ctx, &logical.StorageEntry{Key: metaKey("app"), Value: asJSON}); err != nil {
		t.Fatal(err)
	}
	if got := e.must(logical.ReadOperation, "metadata/app", nil).Data; !reflect.DeepEqual(got, before) {
		t.Fatalf("metadata read from JSON differs:\n got %v\nwant %v", got, before)
	}
	if got := e.must(logical.ReadOperation, "data/app", nil).Data["data"]; !reflect.DeepEqual(got, map[string]any{"v": "two"}) {
		t.Fatalf("data = %v", got)
	}
	e.write("data/app", `{"data":{"v":"three"}}`)
	entry, err = e.s.Get(ctx, metaKey("app"))
	if err != nil || entry.Value[0] != metaFormatBinary {
		t.Fatalf("rewritten metadata not binary: %v", err)
	}
	got := e.must(logical.ReadOperation, "metadata/app", nil).Data
	if fmt.Sprint(got["current_version"]) != "3" || len(got["versions"].(map[string]any)) != 3 || !reflect.DeepEqual(got["custom_metadata"], before["custom_metadata"]) {
		t.Fatalf("after rewrite: %v", got)
	}
}
