package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/vault/api"
)

type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// opts are the flags every command takes, parsed Vault-style: single-dash
// -name=value flags before the positional arguments.
type opts struct {
	field  string
	format string
	flags  map[string][]string
	args   []string
}

func parseOpts(args []string) (*opts, error) {
	o := &opts{flags: map[string][]string{}}
	for i, a := range args {
		if !strings.HasPrefix(a, "-") || a == "-" {
			o.args = args[i:]
			break
		}
		name, val, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !ok {
			val = "true"
		}
		switch name {
		case "field":
			o.field = val
		case "format":
			o.format = val
		default:
			o.flags[name] = append(o.flags[name], val)
		}
	}
	return o, nil
}

func (o *opts) flag(name string) string {
	if v := o.flags[name]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("no command")
	}
	client, err := api.NewClient(api.DefaultConfig())
	if err != nil {
		return err
	}
	cmd, rest := args[0], args[1:]
	if len(rest) > 0 && (cmd == "kv" || cmd == "auth" || cmd == "secrets" || cmd == "policy" || cmd == "token") {
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	o, err := parseOpts(rest)
	if err != nil {
		return err
	}
	switch cmd {
	case "status":
		return c.status(ctx, client, o)
	case "kv put", "kv patch":
		return c.kvPut(ctx, client, o, cmd == "kv patch")
	case "kv get":
		return c.kvGet(ctx, client, o)
	case "read":
		return c.read(ctx, client, o)
	case "write":
		return c.write(ctx, client, o)
	case "list":
		return c.list(ctx, client, o)
	case "delete":
		return c.delete(ctx, client, o)
	case "auth enable", "secrets enable":
		return c.enable(ctx, client, o, cmd == "auth enable")
	case "policy write":
		return c.policyWrite(ctx, client, o)
	case "policy read":
		return c.policyRead(ctx, client, o)
	case "token create":
		return c.tokenCreate(ctx, client, o)
	case "token lookup":
		return c.tokenLookup(ctx, client, o)
	case "login":
		return c.login(ctx, client, o)
	}
	return fmt.Errorf("vaultcli does not implement %q; teach it (test/deploy/internal/vaultcli) before a doc uses it", cmd)
}

func needArgs(o *opts, n int, usage string) error {
	if len(o.args) != n {
		return fmt.Errorf("usage: vault %s", usage)
	}
	return nil
}

// kvData reads k=v arguments (and @file, - for JSON on stdin) as the CLI
// does: every value a string.
func (c *cli) kvData(args []string) (map[string]any, error) {
	data := map[string]any{}
	for _, a := range args {
		if a == "-" {
			if err := json.NewDecoder(c.stdin).Decode(&data); err != nil {
				return nil, fmt.Errorf("reading JSON from stdin: %w", err)
			}
			continue
		}
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, fmt.Errorf("invalid key/value pair %q", a)
		}
		if strings.HasPrefix(v, "@") {
			b, err := os.ReadFile(v[1:])
			if err != nil {
				return nil, err
			}
			v = string(b)
		}
		data[k] = v
	}
	return data, nil
}

// splitMount splits secret/my-api into the mount and the path inside it.
func splitMount(p string) (string, string, error) {
	mount, rest, ok := strings.Cut(strings.Trim(p, "/"), "/")
	if !ok || rest == "" {
		return "", "", fmt.Errorf("want MOUNT/PATH, got %q", p)
	}
	return mount, rest, nil
}

func (c *cli) status(ctx context.Context, client *api.Client, o *opts) error {
	s, err := client.Sys().SealStatusWithContext(ctx)
	if err != nil {
		return err
	}
	return c.output(o, map[string]any{
		"Seal Type": s.Type, "Initialized": s.Initialized, "Sealed": s.Sealed,
		"Total Shares": s.N, "Threshold": s.T, "Version": s.Version, "Storage Type": s.StorageType,
	}, s)
}

func (c *cli) kvPut(ctx context.Context, client *api.Client, o *opts, patch bool) error {
	if len(o.args) < 2 {
		return errors.New("usage: vault kv put MOUNT/PATH K=V [K=V]")
	}
	mount, path, err := splitMount(o.args[0])
	if err != nil {
		return err
	}
	data, err := c.kvData(o.args[1:])
	if err != nil {
		return err
	}
	kv := client.KVv2(mount)
	var s *api.KVSecret
	if patch {
		s, err = kv.Patch(ctx, path, data)
	} else {
		s, err = kv.Put(ctx, path, data)
	}
	if err != nil {
		return err
	}
	return c.output(o, map[string]any{"version": s.VersionMetadata.Version, "created_time": s.VersionMetadata.CreatedTime}, s.Raw)
}

func (c *cli) kvGet(ctx context.Context, client *api.Client, o *opts) error {
	if err := needArgs(o, 1, "kv get [-version=N] [-field=F] MOUNT/PATH"); err != nil {
		return err
	}
	mount, path, err := splitMount(o.args[0])
	if err != nil {
		return err
	}
	kv := client.KVv2(mount)
	var s *api.KVSecret
	if v := o.flag("version"); v != "" {
		var n int
		if _, err := fmt.Sscanf(v, "%d", &n); err != nil {
			return fmt.Errorf("-version: %w", err)
		}
		s, err = kv.GetVersion(ctx, path, n)
	} else {
		s, err = kv.Get(ctx, path)
	}
	if err != nil {
		return err
	}
	return c.output(o, s.Data, s.Raw)
}

func (c *cli) read(ctx context.Context, client *api.Client, o *opts) error {
	if err := needArgs(o, 1, "read PATH"); err != nil {
		return err
	}
	s, err := client.Logical().ReadWithContext(ctx, o.args[0])
	if err != nil {
		return err
	}
	if s == nil {
		return fmt.Errorf("no value found at %s", o.args[0])
	}
	return c.output(o, s.Data, s)
}

func (c *cli) write(ctx context.Context, client *api.Client, o *opts) error {
	if len(o.args) < 1 {
		return errors.New("usage: vault write PATH [K=V]")
	}
	data, err := c.kvData(o.args[1:])
	if err != nil {
		return err
	}
	s, err := client.Logical().WriteWithContext(ctx, o.args[0], data)
	if err != nil {
		return err
	}
	if s == nil || (len(s.Data) == 0 && s.Auth == nil && o.field == "") {
		if s != nil && len(s.Warnings) > 0 {
			fmt.Fprintln(c.stderr, "WARNING! The following warnings were returned from Vault:")
			for _, w := range s.Warnings {
				fmt.Fprintf(c.stderr, "  * %s\n", w)
			}
		}
		fmt.Fprintf(c.stdout, "Success! Data written to: %s\n", o.args[0])
		return nil
	}
	return c.secretOutput(o, s)
}

func (c *cli) list(ctx context.Context, client *api.Client, o *opts) error {
	if err := needArgs(o, 1, "list PATH"); err != nil {
		return err
	}
	s, err := client.Logical().ListWithContext(ctx, o.args[0])
	if err != nil {
		return err
	}
	if s == nil {
		return fmt.Errorf("no value found at %s", o.args[0])
	}
	if o.format == "json" {
		return writeJSON(c.stdout, s.Data["keys"])
	}
	keys, _ := s.Data["keys"].([]any)
	fmt.Fprintln(c.stdout, "Keys")
	fmt.Fprintln(c.stdout, "----")
	for _, k := range keys {
		fmt.Fprintln(c.stdout, k)
	}
	return nil
}

func (c *cli) delete(ctx context.Context, client *api.Client, o *opts) error {
	if err := needArgs(o, 1, "delete PATH"); err != nil {
		return err
	}
	if _, err := client.Logical().DeleteWithContext(ctx, o.args[0]); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Success! Data deleted (if it existed) at: %s\n", o.args[0])
	return nil
}

func (c *cli) enable(ctx context.Context, client *api.Client, o *opts, auth bool) error {
	if err := needArgs(o, 1, "auth|secrets enable [-path=P] TYPE"); err != nil {
		return err
	}
	typ := o.args[0]
	path := o.flag("path")
	if path == "" {
		path = typ
	}
	if auth {
		err := client.Sys().EnableAuthWithOptionsWithContext(ctx, path, &api.EnableAuthOptions{Type: typ, Description: o.flag("description")})
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "Success! Enabled %s auth method at: %s/\n", typ, strings.Trim(path, "/"))
		return nil
	}
	in := &api.MountInput{Type: typ, Description: o.flag("description")}
	if v := o.flag("version"); v != "" {
		in.Options = map[string]string{"version": v}
	}
	if err := client.Sys().MountWithContext(ctx, path, in); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Success! Enabled the %s secrets engine at: %s/\n", typ, strings.Trim(path, "/"))
	return nil
}

func (c *cli) policyWrite(ctx context.Context, client *api.Client, o *opts) error {
	if err := needArgs(o, 2, "policy write NAME FILE|-"); err != nil {
		return err
	}
	var text []byte
	var err error
	if o.args[1] == "-" {
		text, err = io.ReadAll(c.stdin)
	} else {
		text, err = os.ReadFile(o.args[1])
	}
	if err != nil {
		return err
	}
	if err := client.Sys().PutPolicyWithContext(ctx, o.args[0], string(text)); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Success! Uploaded policy: %s\n", o.args[0])
	return nil
}

func (c *cli) policyRead(ctx context.Context, client *api.Client, o *opts) error {
	if err := needArgs(o, 1, "policy read NAME"); err != nil {
		return err
	}
	text, err := client.Sys().GetPolicyWithContext(ctx, o.args[0])
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, text)
	return nil
}

func (c *cli) tokenCreate(ctx context.Context, client *api.Client, o *opts) error {
	if err := needArgs(o, 0, "token create [-policy=P]... [-ttl=D]"); err != nil {
		return err
	}
	req := &api.TokenCreateRequest{Policies: o.flags["policy"], TTL: o.flag("ttl"), DisplayName: o.flag("display-name")}
	s, err := client.Auth().Token().CreateWithContext(ctx, req)
	if err != nil {
		return err
	}
	return c.secretOutput(o, s)
}

func (c *cli) tokenLookup(ctx context.Context, client *api.Client, o *opts) error {
	var s *api.Secret
	var err error
	switch len(o.args) {
	case 0:
		s, err = client.Auth().Token().LookupSelfWithContext(ctx)
	case 1:
		s, err = client.Auth().Token().LookupWithContext(ctx, o.args[0])
	default:
		return errors.New("usage: vault token lookup [TOKEN]")
	}
	if err != nil {
		return err
	}
	return c.output(o, s.Data, s)
}

// login supports `vault login TOKEN` and `vault login -method=kubernetes
// role=R jwt=J`; the token is printed, not saved.
func (c *cli) login(ctx context.Context, client *api.Client, o *opts) error {
	method := o.flag("method")
	if method == "" || method == "token" {
		if err := needArgs(o, 1, "login TOKEN"); err != nil {
			return err
		}
		client.SetToken(o.args[0])
		s, err := client.Auth().Token().LookupSelfWithContext(ctx)
		if err != nil {
			return err
		}
		return c.output(o, s.Data, s)
	}
	data, err := c.kvData(o.args)
	if err != nil {
		return err
	}
	path := o.flag("path")
	if path == "" {
		path = method
	}
	s, err := client.Logical().WriteWithContext(ctx, "auth/"+strings.Trim(path, "/")+"/login", data)
	if err != nil {
		return err
	}
	return c.secretOutput(o, s)
}

// secretOutput prints a response that may carry auth: the token fields
// under the CLI's names (token, token_accessor, token_policies...).
func (c *cli) secretOutput(o *opts, s *api.Secret) error {
	fields := map[string]any{}
	for k, v := range s.Data {
		fields[k] = v
	}
	if s.Auth != nil {
		fields["token"] = s.Auth.ClientToken
		fields["token_accessor"] = s.Auth.Accessor
		fields["token_duration"] = s.Auth.LeaseDuration
		fields["token_renewable"] = s.Auth.Renewable
		fields["token_policies"] = s.Auth.TokenPolicies
		fields["policies"] = s.Auth.Policies
	}
	return c.output(o, fields, s)
}

// output prints one field, the JSON form, or a table.
func (c *cli) output(o *opts, fields map[string]any, raw any) error {
	if o.field != "" {
		v, ok := fields[o.field]
		if !ok {
			return fmt.Errorf("field %q not present in secret", o.field)
		}
		// The CLI prints a string as it is and anything else with Go's %v
		// (a list as [a b]).
		fmt.Fprintf(c.stdout, "%v\n", v)
		return nil
	}
	if o.format == "json" {
		return writeJSON(c.stdout, raw)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(c.stdout, "Key    Value")
	fmt.Fprintln(c.stdout, "---    -----")
	for _, k := range keys {
		fmt.Fprintf(c.stdout, "%s    %v\n", k, fields[k])
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
