package command

import (
	"fmt"
	"sort"
	"strconv"
)

// kv metadata: the metadata entry of a key on a version 2 mount.

func kvMetadataCommands() []spec {
	return []spec{
		{name: "kv metadata get", synopsis: "Retrieves key metadata from the KV store", run: runKVMetadataGet, help: `Usage: vault kv metadata get [options] KEY

  Prints the metadata of KEY and of each of its versions.

      $ vault kv metadata get secret/my-api
`},
		{name: "kv metadata put", synopsis: "Sets or updates key settings in the KV store", run: kvMetadataWrite(false), help: `Usage: vault kv metadata put [options] KEY

  Sets the settings of KEY: -max-versions, -cas-required,
  -delete-version-after, -custom-metadata=K=V (repeatable).

      $ vault kv metadata put -max-versions=5 secret/my-api
`},
		{name: "kv metadata patch", synopsis: "Patches key settings in the KV store", run: kvMetadataWrite(true), help: `Usage: vault kv metadata patch [options] KEY

  Changes only the settings given.

      $ vault kv metadata patch -custom-metadata=owner=ops secret/my-api
`},
		{name: "kv metadata delete", synopsis: "Deletes all versions and metadata for a key in the KV store", run: runKVMetadataDelete, help: `Usage: vault kv metadata delete [options] KEY

  Deletes KEY with every version and its metadata, for good.

      $ vault kv metadata delete secret/my-api
`},
	}
}

func runKVMetadataGet(b *base, args []string) int {
	mount := b.kvFlags(flagsHTTP | flagsFormat | flagsField)
	client, t, _, code, ok := b.kvSetup(args, mount, 1, 1, nil)
	if !ok {
		return code
	}
	if !b.needV2(t, "Metadata not supported on KV Version 1") {
		return exitLocal
	}
	full := t.apiPath("metadata")
	s, err := b.kvRead(client, full, nil)
	if err != nil {
		return b.remote("Error reading "+full, err)
	}
	if s == nil {
		b.errorf("No value found at %s", full)
		return exitRemote
	}
	p := b.out()
	if b.field != "" || p.format != "table" || s.WrapInfo != nil {
		return p.secret(s)
	}
	versions, _ := s.Data["versions"].(map[string]any)
	md := map[string]any{}
	for k, v := range s.Data {
		if k != "versions" {
			md[k] = v
		}
	}
	p.warnings(s)
	p.path("Metadata Path", full)
	p.header("Metadata", md)
	p.data(md)
	keys := make([]int, 0, len(versions))
	for k := range versions {
		if n, err := strconv.Atoi(k); err == nil {
			keys = append(keys, n)
		}
	}
	sort.Ints(keys)
	for _, n := range keys {
		v, _ := versions[strconv.Itoa(n)].(map[string]any)
		p.linef("")
		p.header(fmt.Sprintf("Version %d", n), v)
		p.data(v)
	}
	return exitOK
}

// kvMetadataWrite is kv metadata put, or with patch, kv metadata patch.
func kvMetadataWrite(patch bool) func(*base, []string) int {
	return func(b *base, args []string) int {
		mount := b.kvFlags(flagsHTTP)
		maxVersions := b.fs.Int("max-versions", -1, "Versions to keep; 0 is the mount's setting.")
		casRequired := b.fs.String("cas-required", "", "Require check-and-set on every write (true or false).")
		deleteAfter := b.fs.String("delete-version-after", "", `Delete versions after this long, e.g. "768h"; "0s" never.`)
		custom := mapFlag{}
		b.fs.Var(custom, "custom-metadata", "A K=V pair of custom metadata; repeatable.")
		client, t, _, code, ok := b.kvSetup(args, mount, 1, 1, nil)
		if !ok {
			return code
		}
		if !b.needV2(t, "Metadata not supported on KV Version 1") {
			return exitLocal
		}
		data := map[string]any{}
		if *maxVersions >= 0 {
			data["max_versions"] = *maxVersions
		}
		if *casRequired != "" {
			v, err := strconv.ParseBool(*casRequired)
			if err != nil {
				b.errorf("invalid boolean value %q for -cas-required", *casRequired)
				return exitLocal
			}
			data["cas_required"] = v
		}
		if *deleteAfter != "" {
			data["delete_version_after"] = *deleteAfter
		}
		if len(custom) > 0 {
			data["custom_metadata"] = map[string]string(custom)
		}
		full := t.apiPath("metadata")
		var err error
		if patch {
			_, err = client.Logical().JSONMergePatch(b.ctx, full, data)
		} else {
			_, err = client.Logical().WriteWithContext(b.ctx, full, data)
		}
		if err != nil {
			return b.remote("Error writing data to "+full, err)
		}
		return b.out().success("Data written to: %s", full)
	}
}

func runKVMetadataDelete(b *base, args []string) int {
	mount := b.kvFlags(flagsHTTP)
	client, t, _, code, ok := b.kvSetup(args, mount, 1, 1, nil)
	if !ok {
		return code
	}
	if !b.needV2(t, "Metadata not supported on KV Version 1") {
		return exitLocal
	}
	full := t.apiPath("metadata")
	if _, err := client.Logical().DeleteWithContext(b.ctx, full); err != nil {
		return b.remote("Error deleting "+full, err)
	}
	return b.out().success("Data deleted (if it existed) at: %s", full)
}
