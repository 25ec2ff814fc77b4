package command

import (
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"
)

// The token family: auth/token.

func tokenCommands() []spec {
	return []spec{
		{name: "token create", synopsis: "Create a new token", run: runTokenCreate, help: `Usage: vault token create [options]

  Creates a child of the current token (or, with -orphan, a token with no
  parent) holding the -policy given (repeatable).

      $ vault token create -policy=my-api-policy -ttl=1h
`},
		{name: "token lookup", synopsis: "Display information about a token", run: runTokenLookup, help: `Usage: vault token lookup [options] [TOKEN | ACCESSOR]

  Prints the properties of TOKEN (default: the current token), or, with
  -accessor, of the token with that accessor.
`},
		{name: "token renew", synopsis: "Renew a token lease", run: runTokenRenew, help: `Usage: vault token renew [options] [TOKEN]

  Renews TOKEN (default: the current token) by -increment (default: its
  TTL).
`},
		{name: "token revoke", synopsis: "Revoke a token and its children", run: runTokenRevoke, help: `Usage: vault token revoke [options] [TOKEN | ACCESSOR]

  Revokes TOKEN and its children; -self revokes the current token,
  -accessor takes an accessor, -mode=orphan keeps the children.
`},
		{name: "token capabilities", synopsis: "Print capabilities of a token on a path", run: runTokenCapabilities, help: `Usage: vault token capabilities [options] [TOKEN] PATH

  Prints what TOKEN (default: the current token) may do on PATH.

      $ vault token capabilities secret/data/my-api
`},
	}
}

func runTokenCreate(b *base, args []string) int {
	fs := b.flags(flagsHTTP | flagsFormat | flagsField)
	var policies listFlag
	meta := mapFlag{}
	var ttl, explicitMax, period time.Duration
	var orphan, noDefault bool
	renewable := true
	fs.Var(&policies, "policy", "A policy of the token; repeatable.")
	fs.Var(meta, "metadata", "A K=V metadata pair; repeatable.")
	fs.DurationVar(&ttl, "ttl", 0, "Initial TTL of the token.")
	fs.DurationVar(&explicitMax, "explicit-max-ttl", 0, "Hard limit on the token's life.")
	fs.DurationVar(&period, "period", 0, "Make a periodic token renewable by this period forever.")
	fs.BoolVar(&orphan, "orphan", false, "Create the token with no parent.")
	fs.BoolVar(&noDefault, "no-default-policy", false, `Leave out the "default" policy.`)
	fs.BoolVar(&renewable, "renewable", true, "Allow renewing the token.")
	displayName := fs.String("display-name", "", "Name shown for the token in audit logs.")
	useLimit := fs.Int("use-limit", 0, "Uses after which the token is revoked; 0 is no limit.")
	role := fs.String("role", "", "Create the token against this token role.")
	typ := fs.String("type", "", `"service" or "batch".`)
	id := fs.String("id", "", "The token's value (root only).")
	client, _, code, ok := b.connect(args, 0, 0)
	if !ok {
		return code
	}
	req := &api.TokenCreateRequest{
		ID: *id, Policies: policies, Metadata: meta, NoParent: orphan, NoDefaultPolicy: noDefault,
		DisplayName: *displayName, NumUses: *useLimit, Renewable: &renewable, Type: *typ,
	}
	if ttl > 0 {
		req.TTL = ttl.String()
	}
	if explicitMax > 0 {
		req.ExplicitMaxTTL = explicitMax.String()
	}
	if period > 0 {
		req.Period = period.String()
	}
	var s *api.Secret
	var err error
	switch {
	case *role != "":
		s, err = client.Auth().Token().CreateWithRoleWithContext(b.ctx, req, *role)
	case orphan:
		s, err = client.Auth().Token().CreateOrphanWithContext(b.ctx, req)
	default:
		s, err = client.Auth().Token().CreateWithContext(b.ctx, req)
	}
	if err != nil {
		return b.remote("Error creating token", err)
	}
	return b.out().secret(s)
}

func runTokenLookup(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat | flagsField)
	accessor := b.fs.Bool("accessor", false, "Treat the argument as an accessor.")
	pos, code, ok := b.parseN(args, 0, 1)
	if !ok {
		return code
	}
	if *accessor && len(pos) == 0 {
		b.errorf("Not enough arguments (expected 1, got 0)")
		return exitLocal
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	var s *api.Secret
	var err error
	switch {
	case *accessor:
		s, err = client.Auth().Token().LookupAccessorWithContext(b.ctx, pos[0])
	case len(pos) == 1:
		s, err = client.Auth().Token().LookupWithContext(b.ctx, pos[0])
	default:
		s, err = client.Auth().Token().LookupSelfWithContext(b.ctx)
	}
	if err != nil {
		return b.remote("Error looking up token", err)
	}
	return b.out().secret(s)
}

func runTokenRenew(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat | flagsField)
	var increment time.Duration
	b.fs.DurationVar(&increment, "increment", 0, "Ask for this TTL from now; 0 is the token's TTL.")
	b.fs.DurationVar(&increment, "i", 0, "Alias of -increment.")
	client, pos, code, ok := b.connect(args, 0, 1)
	if !ok {
		return code
	}
	inc := int(increment.Seconds())
	var s *api.Secret
	var err error
	if len(pos) == 1 {
		s, err = client.Auth().Token().RenewWithContext(b.ctx, pos[0], inc)
	} else {
		s, err = client.Auth().Token().RenewSelfWithContext(b.ctx, inc)
	}
	if err != nil {
		return b.remote("Error renewing token", err)
	}
	return b.out().secret(s)
}

func runTokenRevoke(b *base, args []string) int {
	b.flags(flagsHTTP)
	self := b.fs.Bool("self", false, "Revoke the current token.")
	accessor := b.fs.Bool("accessor", false, "Treat the argument as an accessor.")
	mode := b.fs.String("mode", "", `"orphan" to keep the children, "path" to revoke by creation path prefix.`)
	pos, code, ok := b.parseN(args, 0, 1)
	if !ok {
		return code
	}
	switch {
	case *self && len(pos) > 0:
		b.errorf("Tokens cannot be specified with -self")
		return exitLocal
	case !*self && len(pos) == 0:
		b.errorf("Not enough arguments (expected 1, got 0)")
		return exitLocal
	case *self && *accessor:
		b.errorf("Cannot use -self with -accessor")
		return exitLocal
	case *mode != "" && *mode != "orphan" && *mode != "path":
		b.errorf("Invalid mode: %s", *mode)
		return exitLocal
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	var err error
	tok := client.Auth().Token()
	switch {
	case *self:
		err = tok.RevokeSelfWithContext(b.ctx, "")
	case *accessor:
		err = tok.RevokeAccessorWithContext(b.ctx, pos[0])
	case *mode == "orphan":
		err = tok.RevokeOrphanWithContext(b.ctx, pos[0])
	case *mode == "path":
		err = client.Sys().RevokePrefixWithContext(b.ctx, pos[0])
	default:
		err = tok.RevokeTreeWithContext(b.ctx, pos[0])
	}
	if err != nil {
		return b.remote("Error revoking token", err)
	}
	return b.out().success("Revoked token (if it existed)")
}

func runTokenCapabilities(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat)
	accessor := b.fs.Bool("accessor", false, "Treat the first argument as an accessor.")
	client, pos, code, ok := b.connect(args, 1, 2)
	if !ok {
		return code
	}
	var caps []string
	var err error
	switch {
	case len(pos) == 1 && *accessor:
		b.errorf("Not enough arguments (expected 2, got 1)")
		return exitLocal
	case len(pos) == 1:
		caps, err = client.Sys().CapabilitiesSelfWithContext(b.ctx, pos[0])
	case *accessor:
		caps, err = client.Sys().CapabilitiesAccessorWithContext(b.ctx, pos[0], pos[1])
	default:
		caps, err = client.Sys().CapabilitiesWithContext(b.ctx, pos[0], pos[1])
	}
	if err != nil {
		return b.remote("Error listing capabilities", err)
	}
	if caps == nil {
		b.errorf("No capabilities found")
		return exitLocal
	}
	sort.Strings(caps)
	p := b.out()
	if p.format != "table" {
		return p.encode(caps)
	}
	return p.lines([]string{strings.Join(caps, ", ")})
}
