package barrier

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vaultd/vaultd/storage"
	"github.com/vaultd/vaultd/storage/bbolt"
	"github.com/vaultd/vaultd/test/heap"
)

func TestReservedChild(t *testing.T) {
	for _, c := range []struct{ prefix, name string }{
		{"core/", "keyring"}, {"core/", "root-key"}, {"core/", "seal-config"}, {"", "core/keyring"},
		{"core/k", "eyring"}, {"core/", "keyring/"}, {"core/", "keyrin"}, {"core/", "mounts"},
		{"cor", "e/keyring"}, {"sys/", "keyring"}, {"core/keyring", ""}, {"", ""},
	} {
		if got, want := reservedChild(c.prefix, c.name), Reserved(c.prefix+c.name); got != want {
			t.Errorf("reservedChild(%q, %q) = %v, Reserved = %v", c.prefix, c.name, got, want)
		}
	}
}

// The folder the list tests fill, as a KV v2 mount's view would hold it:
// 9,900 secrets and 100 sub-folders, 10,000 names.
const (
	listView   = "logical/0e9a1c2f/"
	listFolder = "kv2/meta/team/"
)

// commitThrough writes keys through the barrier (encrypted) in large
// batches.
func commitThrough(t testing.TB, b *Barrier, keys []string) {
	t.Helper()
	value := make([]byte, 100)
	for start := 0; start < len(keys); start += 20_000 {
		end := min(start+20_000, len(keys))
		ops := make([]storage.Op, 0, end-start)
		for _, k := range keys[start:end] {
			ops = append(ops, storage.Op{Key: k, Value: value})
		}
		if err := b.Commit(context.Background(), ops); err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
}

// listStore returns an unsealed barrier on a bbolt file holding the folder
// and, when crowded, 100,000 other entries beside and around it.
func listStore(t testing.TB, crowded bool) (*Barrier, *bbolt.Backend) {
	t.Helper()
	phys, err := bbolt.Open(filepath.Join(t.TempDir(), "list.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = phys.Close() })
	b, _ := newUnsealed(t, phys)
	var keys []string
	for i := range 9_900 {
		keys = append(keys, fmt.Sprintf("%s%sk%05d", listView, listFolder, i))
	}
	for i := range 100 {
		keys = append(keys, fmt.Sprintf("%s%ssub%03d/a", listView, listFolder, i), fmt.Sprintf("%s%ssub%03d/b", listView, listFolder, i))
	}
	if crowded {
		for i := range 100_000 {
			switch i % 3 {
			case 0:
				keys = append(keys, fmt.Sprintf("%skv2/data/%06d/1", listView, i))
			case 1:
				keys = append(keys, fmt.Sprintf("%skv2/meta/team-%06d", listView, i))
			default:
				keys = append(keys, fmt.Sprintf("logical/ffff/kv2/meta/team/%06d", i))
			}
		}
	}
	commitThrough(t, b, keys)
	return b, phys
}

// TestViewListFolderAmongManyKeys lists the folder through a mount's view
// of the barrier on bbolt, as the KV engine does: all 10,000 names, sorted;
// the barrier adds no allocation per name to the backend's own (it
// filters the backend's slice in place); and the heap bytes of the listing
// are the same with 100,000 other entries in the store.
func TestViewListFolderAmongManyKeys(t *testing.T) {
	ctx := context.Background()
	allocated := map[bool]uint64{}
	for _, crowded := range []bool{false, true} {
		b, phys := listStore(t, crowded)
		view := NewView(b, listView)
		names, err := view.List(ctx, listFolder)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != 10_000 || !slices.IsSorted(names) || names[0] != "k00000" || names[9_999] != "sub099/" ||
			slices.Index(names, "sub000/") != 9_900 {
			t.Fatalf("crowded=%v: %d names, sorted %v, first %q", crowded, len(names), slices.IsSorted(names), names[:1])
		}
		viewAllocs := testing.AllocsPerRun(5, func() { _, _ = view.List(ctx, listFolder) })
		physAllocs := testing.AllocsPerRun(5, func() { _, _ = phys.List(ctx, listView+listFolder) })
		if viewAllocs > physAllocs+4 {
			t.Errorf("crowded=%v: the view's List makes %.0f allocations, the backend's %.0f: the barrier copies names", crowded, viewAllocs, physAllocs)
		}
		allocated[crowded] = heap.BytesPerRun(5, func() { _, _ = view.List(ctx, listFolder) })
	}
	t.Logf("heap bytes per listing: folder only %d, among 100,000 other entries %d", allocated[false], allocated[true])
	if float64(allocated[true]) > 1.5*float64(allocated[false]) {
		t.Errorf("listing allocated %d bytes among 100,000 other entries against %d alone", allocated[true], allocated[false])
	}
}
