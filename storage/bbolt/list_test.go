package bbolt_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vaultd/vaultd/storage"
	"github.com/vaultd/vaultd/storage/bbolt"
	"github.com/vaultd/vaultd/test/heap"
)

// The folder the scale tests list: folderKeys keys directly under it and
// folderSubs sub-folders of subKeys keys each, so that List names
// folderKeys+folderSubs = 10,000 children.
const (
	folder     = "logical/mount-1/kv2/meta/team/"
	folderKeys = 9_900
	folderSubs = 100
	subKeys    = 3
	otherKeys  = 100_000
)

// folderNames is what List(folder) must answer: every key, every
// sub-folder once with its trailing "/", in sorted order.
func folderNames() []string {
	names := make([]string, 0, folderKeys+folderSubs)
	for i := range folderKeys {
		names = append(names, fmt.Sprintf("k%05d", i))
	}
	for i := range folderSubs {
		names = append(names, fmt.Sprintf("sub%03d/", i))
	}
	slices.Sort(names)
	return names
}

// fillFolder writes the listed folder: its keys, and the keys inside its
// sub-folders (which List must not name one by one).
func fillFolder(t testing.TB, db *bbolt.Backend) {
	t.Helper()
	keys := make([]string, 0, folderKeys+folderSubs*subKeys)
	for i := range folderKeys {
		keys = append(keys, fmt.Sprintf("%sk%05d", folder, i))
	}
	for i := range folderSubs {
		for j := range subKeys {
			keys = append(keys, fmt.Sprintf("%ssub%03d/x%d", folder, i, j))
		}
	}
	commitAll(t, db, keys)
}

// fillElsewhere writes otherKeys keys outside the folder, on both sides of
// it in key order and right against its edges: siblings whose names
// extend the folder's ("team0", "team-a", "team.x"), a key equal to the
// folder without its slash, other mounts, and deep trees.
func fillElsewhere(t testing.TB, db *bbolt.Backend) {
	t.Helper()
	keys := []string{
		strings.TrimSuffix(folder, "/"),
		"logical/mount-1/kv2/meta/team-a",
		"logical/mount-1/kv2/meta/team.x/y",
		"logical/mount-1/kv2/meta/team0",
		"logical/mount-1/kv2/meta/teal/z",
	}
	for i := len(keys); i < otherKeys; i++ {
		switch i % 4 {
		case 0:
			keys = append(keys, fmt.Sprintf("logical/mount-0/kv2/meta/app/%06d", i))
		case 1:
			keys = append(keys, fmt.Sprintf("logical/mount-1/kv2/data/%06d/1", i))
		case 2:
			keys = append(keys, fmt.Sprintf("logical/mount-1/kv2/meta/u%06d", i))
		default:
			keys = append(keys, fmt.Sprintf("sys/token/id/%06d", i))
		}
	}
	commitAll(t, db, keys)
}

// commitAll writes keys (each with a 100-byte value) in large batches
// straight into the store.
func commitAll(t testing.TB, db *bbolt.Backend, keys []string) {
	t.Helper()
	value := make([]byte, 100)
	const batch = 20_000
	for start := 0; start < len(keys); start += batch {
		end := min(start+batch, len(keys))
		ops := make([]storage.Op, 0, end-start)
		for _, k := range keys[start:end] {
			ops = append(ops, storage.Op{Key: k, Value: value})
		}
		if err := db.Commit(context.Background(), ops); err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
}

// openFilled opens a bbolt file holding the folder, and with crowded set
// the otherKeys keys around it as well.
func openFilled(t testing.TB, crowded bool) *bbolt.Backend {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "list.db"), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	fillFolder(t, db)
	if crowded {
		fillElsewhere(t, db)
	}
	return db
}

// BenchmarkList10kFolder lists a folder of 10,000 names (9,900 keys and
// 100 sub-folders) in a store holding only that folder and in one holding
// 100,000 other keys around it: the two should cost the same.
func BenchmarkList10kFolder(b *testing.B) {
	for _, crowded := range []bool{false, true} {
		name := "store=folder-only"
		if crowded {
			name = "store=+100k-keys"
		}
		b.Run(name, func(b *testing.B) {
			db := openFilled(b, crowded)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				names, err := db.List(ctx, folder)
				if err != nil {
					b.Fatal(err)
				}
				if len(names) != folderKeys+folderSubs {
					b.Fatalf("%d names", len(names))
				}
			}
		})
	}
}

// TestListFolderAmongManyKeys lists a 10,000-name folder in a store that
// holds only it and in one that holds 100,000 other keys as well: both
// answer every name, sorted, each sub-folder once; the cursor lands on no
// more keys than the folder has names (plus the first key past it); and
// the heap bytes a listing allocates are the same in the crowded store.
func TestListFolderAmongManyKeys(t *testing.T) {
	ctx := context.Background()
	want := folderNames()
	allocated := map[bool]uint64{}
	for _, crowded := range []bool{false, true} {
		db := openFilled(t, crowded)
		steps0 := db.ListSteps()
		got, err := db.List(ctx, folder)
		if err != nil {
			t.Fatalf("crowded=%v: List: %v", crowded, err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("crowded=%v: List answered %d names, want the %d of the folder (first %q, last %q)",
				crowded, len(got), len(want), got[:min(1, len(got))], got[max(0, len(got)-1):])
		}
		if steps := db.ListSteps() - steps0; steps > uint64(len(want))+1 {
			t.Errorf("crowded=%v: List stepped onto %d keys for %d names: it walked outside the folder", crowded, steps, len(want))
		}
		allocated[crowded] = heap.BytesPerRun(5, func() {
			if _, err := db.List(ctx, folder); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Logf("heap bytes per List: folder only %d, among 100,000 other keys %d", allocated[false], allocated[true])
	if float64(allocated[true]) > 1.5*float64(allocated[false]) {
		t.Errorf("List allocated %d bytes among 100,000 other keys against %d alone: more than 1.5x", allocated[true], allocated[false])
	}
}

// TestListOrderUnsorted checks the claim List's answer rests on: the
// cursor's order, cut at each key's first "/", is already the sorted order
// of the names, for bytes on both sides of '/' and for keys that are
// prefixes of folders. The reference is storage.ListNames, which sorts.
func TestListOrderUnsorted(t *testing.T) {
	ctx := context.Background()
	db := open(t, filepath.Join(t.TempDir(), "order.db"), nil)
	defer db.Close()
	const prefix = "p/"
	rests := []string{
		"a", "a/", "a/x", "a//y", "a-b", "a-b/c", "a.c", "a0", "a0/z", "a!", "a\x01",
		"A", "Z/1", "~", "~/x", "é", "é/x", "\x7f", "b", "b/", "b/c/d", "ba",
		"-", "-/x", ".", "./x", "0", "0/x", "/", "//", "/x",
	}
	keys := make([]string, 0, len(rests)+3)
	for _, r := range rests {
		keys = append(keys, prefix+r)
	}
	keys = append(keys, "p", "p-", "p0/x") // around the folder, outside it
	commitAll(t, db, keys)
	got, err := db.List(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if want := storage.ListNames(prefix, keys); !slices.Equal(got, want) {
		t.Fatalf("List(%q)\n got %q\nwant %q", prefix, got, want)
	}
	if !slices.IsSorted(got) {
		t.Fatalf("List answered unsorted names: %q", got)
	}
}
