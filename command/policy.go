package command

import (
	"io"
	"os"
	"strings"

	"github.com/hashicorp/hcl"
	hclprinter "github.com/hashicorp/hcl/hcl/printer"
)

// The policy family: ACL policies in sys/policies/acl.

func policyCommands() []spec {
	return []spec{
		{name: "policy write", synopsis: "Uploads a named policy from a file", run: runPolicyWrite, help: `Usage: vault policy write [options] NAME PATH

  Uploads the policy in the file PATH ("-" reads standard input) as NAME.

      $ vault policy write my-api-policy - <<EOF
      path "secret/data/my-api" { capabilities = ["read"] }
      EOF
`},
		{name: "policy read", synopsis: "Prints the contents of a policy", run: runPolicyRead, help: `Usage: vault policy read [options] [NAME]

  Prints the policy NAME (default: the "default" policy).

      $ vault policy read my-api-policy
`},
		{name: "policy list", synopsis: "Lists the installed policies", run: runPolicyList, help: `Usage: vault policy list [options]

  Lists the names of the policies.
`},
		{name: "policy delete", synopsis: "Deletes a policy by name", run: runPolicyDelete, help: `Usage: vault policy delete [options] NAME

  Deletes the policy NAME; tokens that hold it lose its rules at once.
`},
		{name: "policy fmt", synopsis: "Formats a policy on disk", run: runPolicyFmt, help: `Usage: vault policy fmt [options] PATH

  Rewrites the HCL policy file PATH in the canonical layout.
`},
	}
}

func runPolicyWrite(b *base, args []string) int {
	b.flags(flagsHTTP)
	pos, code, ok := b.parseN(args, 2, 2)
	if !ok {
		return code
	}
	name := strings.ToLower(strings.TrimSpace(pos[0]))
	var text []byte
	var err error
	if pos[1] == "-" {
		text, err = io.ReadAll(io.LimitReader(b.streams.Stdin, maxStdin))
	} else {
		text, err = os.ReadFile(pos[1])
	}
	if err != nil {
		b.errorf("Error opening policy file: %s", err)
		return exitLocal
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	if err := client.Sys().PutPolicyWithContext(b.ctx, name, string(text)); err != nil {
		return b.remote("Error uploading policy", err)
	}
	return b.out().success("Uploaded policy: %s", name)
}

func runPolicyRead(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat)
	pos, code, ok := b.parseN(args, 0, 1)
	if !ok {
		return code
	}
	name := "default"
	if len(pos) == 1 {
		name = strings.ToLower(strings.TrimSpace(pos[0]))
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	text, err := client.Sys().GetPolicyWithContext(b.ctx, name)
	if err != nil {
		return b.remote("Error reading policy named "+name, err)
	}
	if text == "" {
		b.errorf("No policy named: %s", name)
		return exitRemote
	}
	p := b.out()
	if p.format != "table" {
		return p.encode(map[string]any{"policy": text})
	}
	p.linef("%s", strings.TrimSpace(text))
	return exitOK
}

func runPolicyList(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat)
	client, _, code, ok := b.connect(args, 0, 0)
	if !ok {
		return code
	}
	names, err := client.Sys().ListPoliciesWithContext(b.ctx)
	if err != nil {
		return b.remote("Error listing policies", err)
	}
	return b.out().lines(names)
}

func runPolicyDelete(b *base, args []string) int {
	b.flags(flagsHTTP)
	pos, code, ok := b.parseN(args, 1, 1)
	if !ok {
		return code
	}
	name := strings.ToLower(strings.TrimSpace(pos[0]))
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	if err := client.Sys().DeletePolicyWithContext(b.ctx, name); err != nil {
		return b.remote("Error deleting "+name, err)
	}
	return b.out().success("Deleted policy: %s", name)
}

func runPolicyFmt(b *base, args []string) int {
	b.flags(0)
	pos, code, ok := b.parseN(args, 1, 1)
	if !ok {
		return code
	}
	file := pos[0]
	text, err := os.ReadFile(file)
	if err != nil {
		b.errorf("Error opening policy file: %s", err)
		return exitLocal
	}
	var tree map[string]any
	if err := hcl.Unmarshal(text, &tree); err != nil {
		b.errorf("Error parsing policy: %s", err)
		return exitLocal
	}
	if _, ok := tree["path"]; !ok {
		b.errorf("Error parsing policy: no path stanza")
		return exitLocal
	}
	out, err := hclprinter.Format(text)
	if err != nil {
		b.errorf("Error formatting policy: %s", err)
		return exitLocal
	}
	info, err := os.Stat(file)
	if err != nil {
		b.errorf("Error formatting policy: %s", err)
		return exitLocal
	}
	if err := os.WriteFile(file, out, info.Mode().Perm()); err != nil {
		b.errorf("Error writing formatted policy: %s", err)
		return exitLocal
	}
	return b.out().success("Formatted policy: %s", file)
}
