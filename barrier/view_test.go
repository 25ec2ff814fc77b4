package barrier

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage"
	"github.com/vaultd/vaultd/storage/inmem"
)

func TestViewConfinesKeys(t *testing.T) {
	ctx := context.Background()
	phys := inmem.New()
	b, _ := newUnsealed(t, phys)
	v1 := NewView(b, "logical/1111/")
	v2 := NewView(b, "logical/2222/")
	if err := v1.Put(ctx, &logical.StorageEntry{Key: "data/x", Value: []byte("one")}); err != nil {
		t.Fatal(err)
	}
	if err := v2.Put(ctx, &logical.StorageEntry{Key: "data/x", Value: []byte("two")}); err != nil {
		t.Fatal(err)
	}
	e, err := v1.Get(ctx, "data/x")
	if err != nil || e == nil || e.Key != "data/x" || string(e.Value) != "one" {
		t.Fatalf("v1.Get = %+v, %v", e, err)
	}
	// Stored encrypted at the prefixed path.
	raw, _ := phys.Get(ctx, "logical/1111/data/x")
	if raw == nil || string(raw.Value) == "one" {
		t.Fatalf("physical entry = %v", raw)
	}
	if names, _ := v1.List(ctx, ""); !slices.Equal(names, []string{"data/"}) {
		t.Fatalf("v1.List = %q", names)
	}
	if names, _ := b.List(ctx, "logical/"); !slices.Equal(names, []string{"1111/", "2222/"}) {
		t.Fatalf("barrier List(logical/) = %q", names)
	}
	sub := v1.SubView("data/")
	if sub.Prefix() != "logical/1111/data/" {
		t.Fatalf("SubView prefix %q", sub.Prefix())
	}
	if e, _ := sub.Get(ctx, "x"); e == nil || string(e.Value) != "one" {
		t.Fatalf("sub.Get = %v", e)
	}
	err = v1.Commit(ctx, []logical.StorageOp{
		{Key: "a", Value: []byte("A")},
		{Key: "data/x", Delete: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := v1.Get(ctx, "data/x"); e != nil {
		t.Fatal("Commit delete did not apply")
	}
	if e, _ := v2.Get(ctx, "data/x"); e == nil {
		t.Fatal("a commit in one view touched another")
	}
	if err := v1.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
}

func TestViewRejectsEmptyKey(t *testing.T) {
	ctx := context.Background()
	phys := inmem.New()
	b, _ := newUnsealed(t, phys)
	before := phys.Len()
	v := NewView(b, "logical/v/")
	_, getErr := v.Get(ctx, "")
	errs := map[string]error{
		"Get":    getErr,
		"Put":    v.Put(ctx, &logical.StorageEntry{Key: "", Value: []byte("x")}),
		"PutNil": v.Put(ctx, nil),
		"Delete": v.Delete(ctx, ""),
		"Commit": v.Commit(ctx, []logical.StorageOp{{Key: "ok", Value: []byte("x")}, {Key: ""}}),
	}
	for name, err := range errs {
		if !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("%s with an empty key: %v", name, err)
		}
	}
	if phys.Len() != before {
		t.Fatal("a refused view operation wrote to storage")
	}
}

func TestViewSealedIs503(t *testing.T) {
	ctx := context.Background()
	b, _ := newUnsealed(t, inmem.New())
	v := NewView(b, "logical/v/")
	b.Seal()
	_, getErr := v.Get(ctx, "k")
	_, listErr := v.List(ctx, "")
	for name, err := range map[string]error{
		"Get":    getErr,
		"Put":    v.Put(ctx, &logical.StorageEntry{Key: "k", Value: []byte("v")}),
		"Delete": v.Delete(ctx, "k"),
		"List":   listErr,
		"Commit": v.Commit(ctx, []logical.StorageOp{{Key: "k", Delete: true}}),
	} {
		if !errors.Is(err, ErrSealed) || !errors.Is(err, logical.ErrSealed) {
			t.Errorf("%s: %v does not match both sealed errors", name, err)
		}
		if logical.StatusOf(err) != http.StatusServiceUnavailable || err.Error() != "Vault is sealed" {
			t.Errorf("%s: status %d, message %q", name, logical.StatusOf(err), err.Error())
		}
	}
}

func TestViewClear(t *testing.T) {
	ctx := context.Background()
	phys := inmem.New()
	b, _ := newUnsealed(t, phys)
	v := NewView(b, "logical/gone/")
	keep := NewView(b, "logical/gonex/")
	for _, k := range []string{"a", "b/c", "b/d/e", "f/", "g/h/i/j"} {
		if err := v.Put(ctx, &logical.StorageEntry{Key: k, Value: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 600 { // more than one delete batch
		if err := v.Put(ctx, &logical.StorageEntry{Key: "many/" + string(rune('a'+i%26)) + "/" + strconv.Itoa(i), Value: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := keep.Put(ctx, &logical.StorageEntry{Key: "stay", Value: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := v.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	left, err := phys.List(ctx, "logical/gone/")
	if err != nil || len(left) != 0 {
		t.Fatalf("after Clear: %q, %v", left, err)
	}
	if e, _ := keep.Get(ctx, "stay"); e == nil {
		t.Fatal("Clear reached a sibling view")
	}
}
