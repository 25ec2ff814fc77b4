package command

import (
	"fmt"
	"strings"

	"github.com/hashicorp/vault/api"
)

// The secrets family: secrets engine mounts in sys/mounts.

func secretsCommands() []spec {
	return []spec{
		{name: "secrets enable", synopsis: "Enable a secrets engine", run: runSecretsEnable, help: `Usage: vault secrets enable [options] TYPE

  Enables a secrets engine of TYPE at -path (default: TYPE). -version=2
  makes a KV engine versioned.

      $ vault secrets enable -path=secret -version=2 kv
`},
		{name: "secrets disable", synopsis: "Disable a secrets engine", run: runSecretsDisable, help: `Usage: vault secrets disable [options] PATH

  Disables the secrets engine at PATH; its data is deleted and its leases
  revoked.
`},
		{name: "secrets list", synopsis: "List enabled secrets engines", run: runSecretsList, help: `Usage: vault secrets list [options]

  Lists the enabled secrets engines.
`},
		{name: "secrets tune", synopsis: "Tune a secrets engine configuration", run: runSecretsTune, help: `Usage: vault secrets tune [options] PATH

  Changes the settings given of the secrets engine at PATH.

      $ vault secrets tune -max-lease-ttl=24h secret/
`},
		{name: "secrets move", synopsis: "Move a secrets engine to a new path", run: runSecretsMove, help: `Usage: vault secrets move [options] SOURCE DESTINATION

  Moves the secrets engine at SOURCE to DESTINATION, data and all.
`},
	}
}

func runSecretsEnable(b *base, args []string) int {
	fs := b.flags(flagsHTTP)
	var m mountFlags
	m.register(fs, true)
	path := fs.String("path", "", "Where to mount the engine (default: its type).")
	version := fs.Int("version", 0, "Version of the engine (KV: 1 or 2).")
	pos, code, ok := b.parseN(args, 1, 1)
	if !ok {
		return code
	}
	typ := strings.TrimSpace(pos[0])
	where := enablePath(typ, *path)
	if *version > 0 {
		m.options["version"] = fmt.Sprint(*version)
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	err := client.Sys().MountWithContext(b.ctx, where, &api.MountInput{
		Type: typ, Description: m.description, Local: m.local, Options: m.options, Config: m.config(),
	})
	if err != nil {
		return b.remote("Error enabling", err)
	}
	return b.out().success("Enabled the %s secrets engine at: %s", typ, where)
}

func runSecretsDisable(b *base, args []string) int {
	return runMountDisable(b, args, "secrets engine", func(c *api.Client, path string) error {
		return c.Sys().UnmountWithContext(b.ctx, path)
	})
}

func runSecretsList(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat)
	b.fs.BoolVar(&b.detailed, "detailed", false, "Print the TTLs, options and replication of each engine.")
	client, _, code, ok := b.connect(args, 0, 0)
	if !ok {
		return code
	}
	mounts, err := client.Sys().ListMountsWithContext(b.ctx)
	if err != nil {
		return b.remote("Error listing secrets engines", err)
	}
	if !b.detailed {
		rows := map[string][4]string{}
		for p, m := range mounts {
			rows[p] = [4]string{m.Type, m.Accessor, m.Description}
		}
		return b.out().columns(mountRows(rows), mounts)
	}
	rows := [][]string{{"Path", "Plugin", "Accessor", "Default TTL", "Max TTL", "Force No Cache", "Replication", "Seal Wrap", "External Entropy Access", "Options", "Description", "UUID"}}
	for _, p := range sortedKeys(mounts) {
		m := mounts[p]
		rows = append(rows, []string{p, m.Type, m.Accessor,
			detailedTTL(m.Type, m.Config.DefaultLeaseTTL), detailedTTL(m.Type, m.Config.MaxLeaseTTL),
			fmt.Sprint(m.Config.ForceNoCache), replication(m.Local), fmt.Sprint(m.SealWrap), fmt.Sprint(m.ExternalEntropyAccess),
			fmt.Sprint(m.Options), m.Description, m.UUID})
	}
	return b.out().columns(rows, mounts)
}

func runSecretsTune(b *base, args []string) int {
	return runMountTune(b, args, "mounts", "secrets engine")
}

func runSecretsMove(b *base, args []string) int {
	return runMountMove(b, args, "secrets engine", mountPath)
}
