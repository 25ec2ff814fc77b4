package command

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Exit codes, as the vault CLI has them.
const (
	exitOK     = 0
	exitLocal  = 1 // bad usage, bad flags, unreadable input
	exitRemote = 2 // the server said no, or could not be reached
	// exitUnknown is the code for a top-level command that does not
	// exist, as the vault CLI (mitchellh/cli) returns it.
	exitUnknown = 127
)

// Streams are a command's standard streams.
type Streams struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// spec is one command of the table.
type spec struct {
	name     string // words after the binary's name: "kv metadata get"
	synopsis string
	help     string // the text above the flag list; starts with "Usage: "
	run      func(b *base, args []string) int
}

// commands is the table of every client command. Groups (kv, policy,
// operator, …) are the prefixes of their members' names.
func commands() []spec {
	var all []spec
	for _, family := range [][]spec{
		logicalCommands(), kvCommands(), kvMetadataCommands(), policyCommands(),
		authCommands(), secretsCommands(), tokenCommands(), loginCommands(),
		auditCommands(), leaseCommands(), operatorCommands(), operatorCeremonyCommands(), operatorRaftCommands(), pathHelpCommands(), statusCommands(),
		unwrapCommands(), migrateCommands(),
	} {
		all = append(all, family...)
	}
	return all
}

// groupSynopsis describes a command group, for the usage texts.
func groupSynopsis(name string) string {
	switch name {
	case "kv":
		return "Interact with Vault's Key-Value storage"
	case "kv metadata":
		return "Interact with Vault's Key-Value storage metadata"
	case "policy":
		return "Interact with policies"
	case "auth":
		return "Interact with auth methods"
	case "secrets":
		return "Interact with secrets engines"
	case "token":
		return "Interact with tokens"
	case "audit":
		return "Interact with audit devices"
	case "lease":
		return "Interact with leases"
	case "operator":
		return "Perform operator-specific tasks"
	case "operator raft":
		return "Interact with Vault's raft storage backend"
	case "operator raft snapshot":
		return "Restores and saves snapshots from the Raft cluster"
	case "migrate":
		return "Move secrets from other stores into vaultd"
	case "print":
		return "Prints runtime configurations"
	}
	return ""
}

// Has reports whether name is a client command or command group.
func Has(name string) bool {
	for _, s := range commands() {
		if first, _, _ := strings.Cut(s.name, " "); first == name {
			return true
		}
	}
	return false
}

// Synopses lists the top-level client commands and groups, one per line,
// for the binary's usage text.
func Synopses() string {
	seen := map[string]string{}
	for _, s := range commands() {
		first, _, group := strings.Cut(s.name, " ")
		if group {
			seen[first] = groupSynopsis(first)
		} else {
			seen[first] = s.synopsis
		}
	}
	return listing(seen)
}

func listing(m map[string]string) string {
	names := make([]string, 0, len(m))
	width := 0
	for n := range m {
		names = append(names, n)
		width = max(width, len(n))
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "    %-*s    %s\n", width, n, m[n])
	}
	return b.String()
}

// Run runs the client command named by the first words of args and
// returns its exit code.
func Run(ctx context.Context, args []string, s Streams) int {
	all := commands()
	// The longest command name that prefixes args.
	var found *spec
	words := 0
	for i := range all {
		n := strings.Fields(all[i].name)
		if len(n) > len(args) || len(n) <= words {
			continue
		}
		if strings.Join(args[:len(n)], " ") == all[i].name {
			found, words = &all[i], len(n)
		}
	}
	if found != nil {
		b := &base{ctx: ctx, streams: s, spec: found}
		return found.run(b, args[words:])
	}
	// A group: print its members. Vault answers a bare group, or a
	// member it does not have, with the group's help and exit 1.
	group := ""
	for depth := min(len(args), 3); depth > 0 && group == ""; depth-- {
		prefix := strings.Join(args[:depth], " ") + " "
		for _, c := range all {
			if strings.HasPrefix(c.name, prefix) {
				group = strings.TrimSpace(prefix)
				break
			}
		}
	}
	if group == "" {
		fmt.Fprintf(s.Stderr, "Unknown command %q\n", strings.Join(args[:min(len(args), 1)], " "))
		return exitUnknown
	}
	rest := args[len(strings.Fields(group)):]
	help := len(rest) > 0 && isHelp(rest[0])
	w := s.Stderr
	if help {
		w = s.Stdout
	}
	if len(rest) > 0 && !help {
		fmt.Fprintf(w, "Unknown command \"%s %s\"\n\n", group, rest[0])
	}
	fmt.Fprintf(w, "Usage: vault %s <subcommand> [options] [args]\n\n", group)
	if syn := groupSynopsis(group); syn != "" {
		fmt.Fprintf(w, "  %s.\n\n", syn)
	}
	fmt.Fprintln(w, "Subcommands:")
	members := map[string]string{}
	for _, c := range all {
		if after, ok := strings.CutPrefix(c.name, group+" "); ok {
			first, _, sub := strings.Cut(after, " ")
			if sub {
				members[first] = groupSynopsis(group + " " + first)
			} else {
				members[first] = c.synopsis
			}
		}
	}
	fmt.Fprint(w, listing(members))
	if help {
		return exitOK
	}
	return exitLocal
}

func isHelp(a string) bool {
	switch a {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}
