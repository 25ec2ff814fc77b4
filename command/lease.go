package command

import "time"

// The lease family: sys/leases.

func leaseCommands() []spec {
	return []spec{
		{name: "lease lookup", synopsis: "Lookup the lease of a secret", run: runLeaseLookup, help: `Usage: vault lease lookup [options] ID

  Prints the issue time, expiry and TTL of the lease ID.
`},
		{name: "lease renew", synopsis: "Renew the lease of a secret", run: runLeaseRenew, help: `Usage: vault lease renew [options] ID

  Renews the lease ID by -increment (default: its TTL).
`},
		{name: "lease revoke", synopsis: "Revoke leases and secrets", run: runLeaseRevoke, help: `Usage: vault lease revoke [options] ID

  Revokes the lease ID, or with -prefix every lease under ID; -force
  drops them even when the backend fails to revoke (with -prefix).
`},
	}
}

func runLeaseLookup(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat | flagsField)
	client, pos, code, ok := b.connect(args, 1, 1)
	if !ok {
		return code
	}
	s, err := client.Sys().LookupWithContext(b.ctx, pos[0])
	if err != nil {
		return b.remote("error looking up lease id "+pos[0], err)
	}
	return b.out().secret(s)
}

func runLeaseRenew(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat | flagsField)
	var increment time.Duration
	b.fs.DurationVar(&increment, "increment", 0, "Ask for this TTL from now; 0 is the lease's TTL.")
	client, pos, code, ok := b.connect(args, 1, 1)
	if !ok {
		return code
	}
	s, err := client.Sys().RenewWithContext(b.ctx, pos[0], int(increment.Seconds()))
	if err != nil {
		return b.remote("Error renewing "+pos[0], err)
	}
	return b.out().secret(s)
}

func runLeaseRevoke(b *base, args []string) int {
	b.flags(flagsHTTP)
	prefix := b.fs.Bool("prefix", false, "Revoke every lease under ID.")
	force := b.fs.Bool("force", false, "With -prefix: drop the leases even if the backend fails to revoke them.")
	b.fs.BoolVar(force, "f", false, "Alias of -force.")
	pos, code, ok := b.parseN(args, 1, 1)
	if !ok {
		return code
	}
	if *force && !*prefix {
		b.errorf("Specifying -force requires also specifying -prefix")
		return exitLocal
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	id := pos[0]
	p := b.out()
	switch {
	case *force:
		if err := client.Sys().RevokeForceWithContext(b.ctx, id); err != nil {
			return b.remote("Error force revoking leases with prefix "+id, err)
		}
		return p.success("Force revoked any leases with prefix: %s", id)
	case *prefix:
		if err := client.Sys().RevokePrefixWithContext(b.ctx, id); err != nil {
			return b.remote("Error revoking leases with prefix "+id, err)
		}
		return p.success("Revoked any leases with prefix: %s", id)
	}
	if err := client.Sys().RevokeWithContext(b.ctx, id); err != nil {
		return b.remote("Error revoking lease "+id, err)
	}
	return p.success("Revoked lease: %s", id)
}
