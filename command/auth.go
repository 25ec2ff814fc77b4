package command

import (
	"fmt"
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
	where := enablePath(typ, *path)
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
	return runMountDisable(b, args, "auth method", func(c *api.Client, path string) error {
		return c.Sys().DisableAuthWithContext(b.ctx, path)
	})
}

func runAuthList(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat)
	b.fs.BoolVar(&b.detailed, "detailed", false, "Print the TTLs, options and replication of each method.")
	client, _, code, ok := b.connect(args, 0, 0)
	if !ok {
		return code
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
	rows := [][]string{{"Path", "Type", "Accessor", "Plugin", "Default TTL", "Max TTL", "Replication", "Seal Wrap", "Options", "Description"}}
	for _, p := range sortedKeys(auths) {
		a := auths[p]
		rows = append(rows, []string{p, a.Type, a.Accessor, a.Type,
			detailedTTL(a.Type, a.Config.DefaultLeaseTTL), detailedTTL(a.Type, a.Config.MaxLeaseTTL),
			replication(a.Local), fmt.Sprint(a.SealWrap), fmt.Sprint(a.Options), a.Description})
	}
	return b.out().columns(rows, auths)
}

func runAuthTune(b *base, args []string) int {
	return runMountTune(b, args, "auth", "auth method")
}

func runAuthMove(b *base, args []string) int {
	return runMountMove(b, args, "auth method", authPath)
}

// authPath is p under auth/, with one trailing slash.
func authPath(p string) string {
	p = mountPath(p)
	if !strings.HasPrefix(p, "auth/") {
		p = "auth/" + p
	}
	return p
}
