package command

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/vault/api"
)

// The kv family: KV secrets on version 1 and version 2 mounts, the
// version found through sys/internal/ui/mounts.

func kvCommands() []spec {
	return []spec{
		{name: "kv get", synopsis: "Retrieves data from the KV store", run: runKVGet, help: `Usage: vault kv get [options] KEY

  Retrieves the value at KEY. On a version 2 mount, -version picks a
  version other than the latest.

      $ vault kv get secret/my-api
      $ vault kv get -mount=secret -field=DB_PASSWORD my-api
`},
		{name: "kv put", synopsis: "Sets or updates data in the KV store", run: runKVPut, help: `Usage: vault kv put [options] KEY [DATA]

  Writes the data to KEY, replacing what was there (a new version on a
  version 2 mount). DATA is K=V pairs, K=@FILE, K=- or - for JSON on stdin.

      $ vault kv put secret/my-api DB_PASSWORD=supersecret
`},
		{name: "kv patch", synopsis: "Sets or updates data in the KV store without overwriting", run: runKVPatch, help: `Usage: vault kv patch [options] KEY [DATA]

  Merges the data into the latest version at KEY (version 2 mounts).

      $ vault kv patch secret/my-api API_KEY=new
`},
		{name: "kv list", synopsis: "List data or secrets", run: runKVList, help: `Usage: vault kv list [options] PATH

  Lists the keys under PATH.

      $ vault kv list secret/
`},
		{name: "kv delete", synopsis: "Deletes versions in the KV store", run: runKVDelete, help: `Usage: vault kv delete [options] KEY

  Deletes the latest version at KEY, or the -versions given (version 2);
  deleted versions can be undeleted.

      $ vault kv delete -versions=1,2 secret/my-api
`},
		{name: "kv undelete", synopsis: "Undeletes versions in the KV store", run: kvVersionsCommand("undelete"), help: `Usage: vault kv undelete [options] KEY

  Undeletes the -versions given at KEY (version 2 mounts).

      $ vault kv undelete -versions=2 secret/my-api
`},
		{name: "kv destroy", synopsis: "Permanently removes one or more versions in the KV store", run: kvVersionsCommand("destroy"), help: `Usage: vault kv destroy [options] KEY

  Destroys the -versions given at KEY for good (version 2 mounts).

      $ vault kv destroy -versions=1 secret/my-api
`},
		{name: "kv rollback", synopsis: "Rolls back to a previous version of data", run: runKVRollback, help: `Usage: vault kv rollback [options] KEY

  Writes the data of -version as a new latest version (version 2 mounts).

      $ vault kv rollback -version=1 secret/my-api
`},
		{name: "kv enable-versioning", synopsis: "Turns on versioning for a KV store", run: runKVEnableVersioning, help: `Usage: vault kv enable-versioning [options] MOUNT

  Upgrades a version 1 KV mount to version 2.

      $ vault kv enable-versioning secret/
`},
	}
}

// kvFlags adds -mount to the flag set.
func (b *base) kvFlags(groups int) *string {
	fs := b.flags(groups)
	mount := new(string)
	fs.StringVar(mount, "mount", "", "The KV mount; KEY is then the path inside it.")
	return mount
}

// kvSetup parses, runs check (when given; false: exitLocal, it printed
// why), builds the client and resolves the mount.
func (b *base) kvSetup(args []string, mount *string, lo, hi int, check func() bool) (*api.Client, kvTarget, []string, int, bool) {
	pos, code, ok := b.parseN(args, lo, hi)
	if !ok {
		return nil, kvTarget{}, nil, code, false
	}
	if check != nil && !check() {
		return nil, kvTarget{}, nil, exitLocal, false
	}
	client, ok := b.client()
	if !ok {
		return nil, kvTarget{}, nil, exitRemote, false
	}
	t, err := b.kvResolve(client, pos[0], *mount)
	if err != nil {
		b.errorf("%s", err)
		return nil, kvTarget{}, nil, exitRemote, false
	}
	return client, t, pos, exitOK, true
}

// needV2 is false, having printed msg, when t is not a version 2 mount.
func (b *base) needV2(t kvTarget, msg string) bool {
	if !t.v2 {
		b.errorf("%s", msg)
	}
	return t.v2
}

// casOptions are the options of a version 2 write: cas when it is set
// (not negative).
func casOptions(cas int) map[string]any {
	opts := map[string]any{}
	if cas > -1 {
		opts["cas"] = cas
	}
	return opts
}

// secretData is the data map of a version 2 read, nil when there is none.
func secretData(s *api.Secret) map[string]any {
	if s == nil {
		return nil
	}
	data, _ := s.Data["data"].(map[string]any)
	return data
}

func runKVGet(b *base, args []string) int {
	mount := b.kvFlags(flagsHTTP | flagsFormat | flagsField)
	version := b.fs.Int("version", 0, "The version to read (version 2 mounts); 0 is the latest.")
	client, t, _, code, ok := b.kvSetup(args, mount, 1, 1, nil)
	if !ok {
		return code
	}
	full := t.apiPath("data")
	params := map[string]string{}
	if t.v2 && *version > 0 {
		params["version"] = strconv.Itoa(*version)
	}
	s, err := b.kvRead(client, full, params)
	if err != nil {
		return b.remote("Error reading "+full, err)
	}
	if s == nil {
		b.errorf("No value found at %s", full)
		return exitRemote
	}
	p := b.out()
	if s.WrapInfo != nil {
		return p.secret(s) // -wrap-ttl: the wrapping token (or -field of it)
	}
	if b.field != "" {
		if !t.v2 {
			return p.secret(s)
		}
		data, _ := s.Data["data"].(map[string]any)
		if data == nil {
			b.errorf("No data found at %s", full)
			return exitRemote
		}
		return p.data(data)
	}
	if p.format != "table" {
		return p.secret(s)
	}
	if !t.v2 {
		return p.secret(s)
	}
	p.warnings(s)
	p.path("Secret Path", full)
	if md, ok := s.Data["metadata"].(map[string]any); ok {
		p.header("Metadata", md)
		p.data(md)
		p.linef("")
	}
	if data, ok := s.Data["data"].(map[string]any); ok {
		p.header("Data", data)
		p.data(data)
	}
	return exitOK
}

func runKVPut(b *base, args []string) int {
	mount := b.kvFlags(flagsHTTP | flagsFormat | flagsField)
	cas := b.fs.Int("cas", -1, "Check-and-set: write only if the current version is this one (0: only if the key does not exist).")
	client, t, pos, code, ok := b.kvSetup(args, mount, 1, -1, nil)
	if !ok {
		return code
	}
	data, ok := b.dataArgs(pos[1:], "Must supply data")
	if !ok {
		return exitLocal
	}
	full := t.apiPath("data")
	body := data
	if t.v2 {
		body = map[string]any{"data": data, "options": casOptions(*cas)}
	}
	s, err := client.Logical().WriteWithContext(b.ctx, full, body)
	if err != nil {
		return b.remote("Error writing data to "+full, err)
	}
	return b.kvWriteOutput(s, t, full)
}

func runKVPatch(b *base, args []string) int {
	mount := b.kvFlags(flagsHTTP | flagsFormat | flagsField)
	cas := b.fs.Int("cas", -1, "Check-and-set: patch only if the current version is this one.")
	method := b.fs.String("method", "patch", `"patch" (an HTTP PATCH) or "rw" (read, then write with check-and-set).`)
	client, t, pos, code, ok := b.kvSetup(args, mount, 1, -1, nil)
	if !ok {
		return code
	}
	data, ok := b.dataArgs(pos[1:], "Must supply data")
	if !ok {
		return exitLocal
	}
	if !b.needV2(t, "K/V engine mount must be version 2 for patch support") {
		return exitRemote
	}
	full := t.apiPath("data")
	var s *api.Secret
	var err error
	switch *method {
	case "patch":
		s, err = client.Logical().JSONMergePatch(b.ctx, full, map[string]any{"data": data, "options": casOptions(*cas)})
	case "rw":
		s, err = b.kvPatchRW(client, full, data, *cas)
	default:
		b.errorf("Unsupported method provided to -method flag: %s", *method)
		return exitLocal
	}
	if err != nil {
		return b.remote("Error writing data to "+full, err)
	}
	return b.kvWriteOutput(s, t, full)
}

// kvPatchRW patches by reading the latest version and writing the merge
// with check-and-set on the version read.
func (b *base) kvPatchRW(client *api.Client, full string, data map[string]any, cas int) (*api.Secret, error) {
	// The read is never wrapped; -wrap-ttl applies to the write.
	wrap := client.CurrentWrappingLookupFunc()
	client.SetWrappingLookupFunc(nil)
	cur, err := b.kvRead(client, full, nil)
	client.SetWrappingLookupFunc(wrap)
	if err != nil {
		return nil, err
	}
	old := secretData(cur)
	if old == nil {
		return nil, fmt.Errorf("no existing data at %s", full)
	}
	merged := map[string]any{}
	for k, v := range old {
		merged[k] = v
	}
	for k, v := range data {
		merged[k] = v
	}
	if cas < 0 {
		md, _ := cur.Data["metadata"].(map[string]any)
		n, _ := md["version"].(interface{ Int64() (int64, error) })
		if n != nil {
			v, _ := n.Int64()
			cas = int(v)
		}
	}
	return client.Logical().WriteWithContext(b.ctx, full, map[string]any{"data": merged, "options": map[string]any{"cas": cas}})
}

func runKVList(b *base, args []string) int {
	mount := b.kvFlags(flagsHTTP | flagsFormat)
	b.fs.BoolVar(&b.detailed, "detailed", false, "Print the whole response in JSON or YAML.")
	client, t, _, code, ok := b.kvSetup(args, mount, 1, 1, nil)
	if !ok {
		return code
	}
	full := t.apiPath("metadata")
	if t.rel == "" {
		full += "/"
	}
	return b.listAt(client, full)
}

func runKVDelete(b *base, args []string) int {
	mount := b.kvFlags(flagsHTTP)
	var versions versionsFlag
	b.fs.Var(&versions, "versions", "Versions to delete, comma-separated or repeated (version 2 mounts).")
	client, t, _, code, ok := b.kvSetup(args, mount, 1, 1, nil)
	if !ok {
		return code
	}
	var err error
	full := t.apiPath("data")
	if t.v2 && len(versions) > 0 {
		full = t.apiPath("delete")
		_, err = client.Logical().WriteWithContext(b.ctx, full, map[string]any{"versions": []string(versions)})
	} else {
		_, err = client.Logical().DeleteWithContext(b.ctx, full)
	}
	if err != nil {
		return b.remote("Error deleting "+full, err)
	}
	return b.out().success("Data deleted (if it existed) at: %s", full)
}

// kvVersionsCommand is kv undelete or kv destroy: a write of -versions to
// the mount's undelete/ or destroy/ path.
func kvVersionsCommand(op string) func(*base, []string) int {
	return func(b *base, args []string) int {
		mount := b.kvFlags(flagsHTTP)
		var versions versionsFlag
		b.fs.Var(&versions, "versions", "Versions to "+op+", comma-separated or repeated.")
		client, t, _, code, ok := b.kvSetup(args, mount, 1, 1, func() bool {
			if len(versions) == 0 {
				b.errorf("No versions provided, use the \"-versions\" flag to specify the version to %s.", op)
			}
			return len(versions) > 0
		})
		if !ok {
			return code
		}
		if !b.needV2(t, op+" is not supported on a version 1 KV mount") {
			return exitLocal
		}
		full := t.apiPath(op)
		if _, err := client.Logical().WriteWithContext(b.ctx, full, map[string]any{"versions": []string(versions)}); err != nil {
			return b.remote("Error writing data to "+full, err)
		}
		return b.out().success("Data written to: %s", full)
	}
}

func runKVRollback(b *base, args []string) int {
	mount := b.kvFlags(flagsHTTP | flagsFormat | flagsField)
	version := b.fs.Int("version", 0, "The version to roll back to.")
	client, t, _, code, ok := b.kvSetup(args, mount, 1, 1, func() bool {
		if *version <= 0 {
			b.errorf("Must specify a -version to roll back to")
		}
		return *version > 0
	})
	if !ok {
		return code
	}
	if !b.needV2(t, "K/V engine mount must be version 2 for rollback support") {
		return exitRemote
	}
	full := t.apiPath("data")
	cur, err := b.kvRead(client, full, nil)
	if err != nil {
		return b.remote("Error reading "+full, err)
	}
	old, err := b.kvRead(client, full, map[string]string{"version": strconv.Itoa(*version)})
	if err != nil {
		return b.remote("Error reading "+full, err)
	}
	oldData := secretData(old)
	if oldData == nil {
		b.errorf("Cannot roll back to a version that is deleted, destroyed or missing: %d", *version)
		return exitRemote
	}
	opts := map[string]any{}
	if cur != nil {
		if md, ok := cur.Data["metadata"].(map[string]any); ok {
			opts["cas"] = md["version"]
		}
	}
	s, err := client.Logical().WriteWithContext(b.ctx, full, map[string]any{"data": oldData, "options": opts})
	if err != nil {
		return b.remote("Error writing data to "+full, err)
	}
	return b.kvWriteOutput(s, t, full)
}

func runKVEnableVersioning(b *base, args []string) int {
	b.flags(flagsHTTP)
	client, pos, code, ok := b.connect(args, 1, 1)
	if !ok {
		return code
	}
	mount := strings.Trim(pos[0], "/") + "/"
	_, err := client.Logical().WriteWithContext(b.ctx, "sys/mounts/"+mount+"tune", map[string]any{"options": map[string]string{"version": "2"}})
	if err != nil {
		return b.remote("Error tuning secrets engine "+mount, err)
	}
	return b.out().success("Tuned the secrets engine at: %s", mount)
}
