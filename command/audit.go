package command

import (
	"fmt"
	"strings"

	"github.com/hashicorp/vault/api"
)

// The audit family: audit devices in sys/audit.

func auditCommands() []spec {
	return []spec{
		auditReportSpec(),
		{name: "audit enable", synopsis: "Enables an audit device", run: runAuditEnable, help: `Usage: vault audit enable [options] TYPE [CONFIG K=V...]

  Enables an audit device of TYPE at -path (default: TYPE).

      $ vault audit enable file file_path=/vault/audit/audit.log
`},
		{name: "audit disable", synopsis: "Disables an audit device", run: runAuditDisable, help: `Usage: vault audit disable [options] PATH

  Disables the audit device at PATH.
`},
		{name: "audit list", synopsis: "Lists enabled audit devices", run: runAuditList, help: `Usage: vault audit list [options]

  Lists the enabled audit devices.
`},
	}
}

func runAuditEnable(b *base, args []string) int {
	fs := b.flags(flagsHTTP)
	description := fs.String("description", "", "Human-friendly description of the device.")
	path := fs.String("path", "", "Where to enable the device (default: its type).")
	local := fs.Bool("local", false, "Mark the device local to this cluster.")
	pos, code, ok := b.parseN(args, 1, -1)
	if !ok {
		return code
	}
	typ := strings.TrimSpace(pos[0])
	data, ok := b.dataOrFail(pos[1:])
	if !ok {
		return exitLocal
	}
	opts := map[string]string{}
	for k, v := range data {
		opts[k] = toString(v)
	}
	where := enablePath(typ, *path)
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	err := client.Sys().EnableAuditWithOptionsWithContext(b.ctx, where, &api.EnableAuditOptions{
		Type: typ, Description: *description, Options: opts, Local: *local,
	})
	if err != nil {
		return b.remote("Error enabling audit device", err)
	}
	return b.out().success("Enabled the %s audit device at: %s", typ, where)
}

func runAuditDisable(b *base, args []string) int {
	client, paths, code, ok := b.mountArgs(args, 1, nil)
	if !ok {
		return code
	}
	if err := client.Sys().DisableAuditWithContext(b.ctx, paths[0]); err != nil {
		return b.remote("Error disabling audit device", err)
	}
	return b.out().success("Disabled audit device (if it was enabled) at: %s", paths[0])
}

func runAuditList(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat)
	b.fs.BoolVar(&b.detailed, "detailed", false, "Print the options and replication of each device.")
	client, _, code, ok := b.connect(args, 0, 0)
	if !ok {
		return code
	}
	audits, err := client.Sys().ListAuditWithContext(b.ctx)
	if err != nil {
		return b.remote("Error listing audits", err)
	}
	p := b.out()
	if p.format == "table" && len(audits) == 0 {
		p.linef("No audit devices are enabled.")
		return exitRemote
	}
	rows := [][]string{{"Path", "Type", "Description"}}
	if b.detailed {
		rows[0] = append(rows[0], "Replication", "Options")
	}
	for _, k := range sortedKeys(audits) {
		a := audits[k]
		r := []string{a.Path, a.Type, a.Description}
		if b.detailed {
			r = append(r, replication(a.Local), fmt.Sprint(a.Options))
		}
		rows = append(rows, r)
	}
	return p.columns(rows, audits)
}
