package audit

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

// TestResponseEntryOfLongList: the response entry of a LIST of 10,000
// keys (each written as its HMAC) allocates little more than the line
// itself, rather than the several times over that growing the line a
// quarter at a time costs.
func TestResponseEntryOfLongList(t *testing.T) {
	f := newTestFormatter(t, nil)
	in := testInput()
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%05d", i)
	}
	in.Request.Operation = logical.ListOperation
	in.Response = &logical.Response{Data: map[string]any{"keys": keys}}
	line, err := f.AppendResponse(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	const runs = 5
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := f.AppendResponse(nil, in); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	perEntry := (after.TotalAlloc - before.TotalAlloc) / runs
	t.Logf("a %d-byte response entry allocated %d bytes", len(line), perEntry)
	if perEntry > uint64(len(line))*5/4 {
		t.Fatalf("a %d-byte response entry allocated %d bytes", len(line), perEntry)
	}
}
