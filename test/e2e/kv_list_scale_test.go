package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/vaulttest"
)

// The folder the LIST scale tests fill: listKeys secrets directly under
// it and listSubs sub-folders of two secrets each, 10,000 names in all.
const (
	listFolder = "team"
	listKeys   = 9_950
	listSubs   = 50
)

// listFolderNames is what LIST secret/metadata/team must answer.
func listFolderNames() []string {
	names := make([]string, 0, listKeys+listSubs)
	for i := range listKeys {
		names = append(names, fmt.Sprintf("k%05d", i))
	}
	for i := range listSubs {
		names = append(names, fmt.Sprintf("sub%02d/", i))
	}
	slices.Sort(names)
	return names
}

// fillListFolder writes the folder through the KV v2 API with 32
// concurrent clients (writes share fsyncs), plus a few secrets beside it.
func fillListFolder(t testing.TB, s *vaulttest.Server) {
	t.Helper()
	paths := make([]string, 0, listKeys+2*listSubs+3)
	for i := range listKeys {
		paths = append(paths, fmt.Sprintf("%s/k%05d", listFolder, i))
	}
	for i := range listSubs {
		paths = append(paths, fmt.Sprintf("%s/sub%02d/a", listFolder, i), fmt.Sprintf("%s/sub%02d/b", listFolder, i))
	}
	paths = append(paths, listFolder+"-a", listFolder+"0/x", "other/"+listFolder+"/k")
	c := fastClient(t, s, s.RootToken, 32)
	var (
		next  atomic.Int64
		first atomic.Value
		wg    sync.WaitGroup
	)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first.Load() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(paths) {
					return
				}
				_, err := c.KVv2("secret").Put(context.Background(), paths[i], map[string]any{"value": "v", "n": i})
				if err != nil {
					first.CompareAndSwap(nil, fmt.Errorf("put %s: %w", paths[i], err))
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := first.Load().(error); err != nil {
		t.Fatal(err)
	}
}

// listNames lists path through vault/api and returns the keys as strings.
func listNames(t testing.TB, c *api.Client, path string) []string {
	t.Helper()
	sec, err := c.Logical().List(path)
	if err != nil {
		t.Fatalf("list %s: %v", path, err)
	}
	if sec == nil {
		t.Fatalf("list %s: nothing", path)
	}
	raw, _ := sec.Data["keys"].([]any)
	out := make([]string, 0, len(raw))
	for _, k := range raw {
		s, ok := k.(string)
		if !ok {
			t.Fatalf("list %s: key %v is a %T", path, k, k)
		}
		out = append(out, s)
	}
	return out
}

// TestKVv2List10kFolder lists a KV v2 folder of 10,000 names on bbolt over
// HTTP with vault/api, with a file audit device on: every name comes back,
// sorted, sub-folders once with their "/"; the audit log holds the LIST's
// response entry with all 10,000 keys, HMAC'd. With the only device unable
// to write, the same LIST is a 500 carrying no key.
func TestKVv2List10kFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10,100 secrets")
	}
	s := vaulttest.Start(t, vaulttest.Options{Dir: t.TempDir()})
	fillListFolder(t, s)
	logPath := filepath.Join(t.TempDir(), "audit.log")
	enableFileAudit(t, s.Client, "file", logPath, nil)

	want := listFolderNames()
	got := listNames(t, s.Client, "secret/metadata/"+listFolder)
	if !slices.Equal(got, want) {
		t.Fatalf("LIST answered %d names, want the folder's %d (first %q, last %q)",
			len(got), len(want), got[:min(1, len(got))], got[max(0, len(got)-1):])
	}

	pair := onePair(t, readAuditLog(t, logPath), "secret/metadata/"+listFolder+"/", "list")
	keys, _ := pair.resp.entry.Response.Data["keys"].([]any)
	if len(keys) != len(want) {
		t.Fatalf("the audit response entry holds %d keys, want %d", len(keys), len(want))
	}
	if keys[0] != auditHash(t, s.Client, "file", want[0]) || keys[len(keys)-1] != auditHash(t, s.Client, "file", want[len(want)-1]) {
		t.Fatalf("the audit response entry's keys are not the HMACs of the names: %v … %v", keys[0], keys[len(keys)-1])
	}

	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system for the failing device")
	}
	fillDisk(t, s, logPath)
	status, body := kvSend(t, s.Client, "LIST", "secret/metadata/"+listFolder, "", "")
	if status != http.StatusInternalServerError || strings.Contains(string(body), want[0]) {
		t.Fatalf("LIST with the audit device failing: HTTP %d, %d bytes: %.200s", status, len(body), body)
	}
}

// BenchmarkList10kFolder lists a 10,000-name KV v2 folder over HTTP with
// vault/api against an in-process server on bbolt with a file audit
// device: the whole path, cursor to client, audit entry included.
func BenchmarkList10kFolder(b *testing.B) {
	s := vaulttest.Start(b, vaulttest.Options{Dir: b.TempDir()})
	fillListFolder(b, s)
	enableFileAudit(b, s.Client, "file", filepath.Join(b.TempDir(), "audit.log"), nil)
	c := fastClient(b, s, s.RootToken, 1)
	b.ReportAllocs()
	for b.Loop() {
		if n := len(listNames(b, c, "secret/metadata/"+listFolder)); n != listKeys+listSubs {
			b.Fatalf("%d names", n)
		}
	}
}
