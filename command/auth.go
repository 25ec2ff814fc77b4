package command

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/vault/api"
)

// The auth family: auth method mounts in sys/auth.

func authCommands() []spec {
	return []spec{
		{name: "auth enable", synopsis: "Enables a new auth method", run: runAuthEnable, help: `Usage: vault auth enable [options] TYPE

  Enables an auth method of TYPE at -path (default: TYPE).

      $ vault auth enable kubernetes
`},
		{name: "auth disable", synopsis: "Disables an auth method", run: runAuthDisable, help: `Usage: vault auth disable [options] PATH

  Disables the auth method at PATH; its tokens are revoked.
`},
		{name: "auth list", synopsis: "Lists enabled auth methods", run: runAuthList, help: `Usage: vault auth list [options]

  Lists the enabled auth methods.
`},
		{name: "auth tune", synopsis: "Tunes an auth method configuration", run: runAuthTune, help: `Usage: vault auth tune [options] PATH

  Changes the settings given of the auth method at PATH.

      $ vault auth tune -default-lease-ttl=72h kubernetes/
`},
		{name: "auth move", synopsis: "Move an auth method to a new path", run: runAuthMove, help: `Usage: vault auth move [options] SOURCE DESTINATION

  Moves the auth method at SOURCE to DESTINATION, tokens and all.

      $ vault auth move auth/approle auth/approle-2
`},
	}
}

func runAuthEnable(b *base, args []string) int {
	fs := b.flags(flagsHTTP)
	var m mountFlags
	m.register(fs, true)
	path := fs.String("path", "", "Where to mount the auth method (default: its type).")
	pos, code, ok := b.parseN(args, 1, 1)
	if !ok {
		return code
	}
	typ := strings.TrimSpace(pos[0])
	where := *path
	if where == "" {
		where = typ
	}
	where = mountPath(where)
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	err := client.Sys().EnableAuthWithOptionsWithContext(b.ctx, where, &api.EnableAuthOptions{
		Type: typ, Description: m.description, Local: m.local, Options: m.options,
		Config: api.AuthConfigInput{
			DefaultLeaseTTL: ttl(m.defaultLeaseTTL), MaxLeaseTTL: ttl(m.maxLeaseTTL),
			ListingVisibility: m.listingVisibility,
		},
	})
	if err != nil {
		return b.remote("Error enabling "+typ+" auth", err)
	}
	return b.out().success("Enabled %s auth method at: %s", typ, where)
}

func runAuthDisable(b *base, args []string) int {
	b.flags(flagsHTTP)
	pos, code, ok := b.parseN(args, 1, 1)
	if !ok {
		return code
	}
	path := mountPath(pos[0])
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	if err := client.Sys().DisableAuthWithContext(b.ctx, path); err != nil {
		return b.remote("Error disabling auth method at "+path, err)
	}
	return b.out().success("Disabled the auth method (if it existed) at: %s", path)
}

func runAuthList(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat)
	b.fs.BoolVar(&b.detailed, "detailed", false, "Print the TTLs, options and replication of each method.")
	if _, code, ok := b.parseN(args, 0, 0); !ok {
		return code
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	auths, err := client.Sys().ListAuthWithContext(b.ctx)
	if err != nil {
		return b.remote("Error listing enabled authentications", err)
	}
	if !b.detailed {
		rows := map[string][4]string{}
		for p, a := range auths {
			rows[p] = [4]string{a.Type, a.Accessor, a.Description}
		}
		return b.out().columns(mountRows(rows), auths)
	}
	paths := make([]string, 0, len(auths))
	for p := range auths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	rows := [][]string{{"Path", "Type", "Accessor", "Plugin", "Default TTL", "Max TTL", "Replication", "Seal Wrap", "Options", "Description"}}
	for _, p := range paths {
		a := auths[p]
		repl := "replicated"
		if a.Local {
			repl = "local"
		}
		rows = append(rows, []string{p, a.Type, a.Accessor, a.Type,
			detailedTTL(a.Type, a.Config.DefaultLeaseTTL), detailedTTL(a.Type, a.Config.MaxLeaseTTL),
			repl, fmt.Sprint(a.SealWrap), fmt.Sprint(a.Options), a.Description})
	}
	return b.out().columns(rows, auths)
}

func runAuthTune(b *base, args []string) int {
	fs := b.flags(flagsHTTP)
	var m mountFlags
	m.register(fs, false)
	pos, code, ok := b.parseN(args, 1, 1)
	if !ok {
		return code
	}
	path := mountPath(pos[0])
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	if err := b.tune(client, "auth/"+strings.TrimSuffix(path, "/"), &m, setFlags(fs)); err != nil {
		return b.remote("Error tuning auth method "+path, err)
	}
	return b.out().success("Tuned the auth method at: %s", path)
}

func runAuthMove(b *base, args []string) int {
	b.flags(flagsHTTP)
	pos, code, ok := b.parseN(args, 2, 2)
	if !ok {
		return code
	}
	from, to := authPath(pos[0]), authPath(pos[1])
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	id, err := b.move(client, from, to)
	if err != nil {
		return b.remote("Error moving auth method "+from+" to "+to, err)
	}
	return b.out().success("Finished moving auth method %s to %s, with migration ID %s", from, to, id)
}

// authPath is p under auth/, with one trailing slash.
func authPath(p string) string {
	p = mountPath(p)
	if !strings.HasPrefix(p, "auth/") {
		p = "auth/" + p
	}
	return p
}
