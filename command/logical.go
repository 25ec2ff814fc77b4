package command

import (
	"strings"

	"github.com/hashicorp/vault/api"
)

// read, write, list, delete and patch: any path, raw.

func logicalCommands() []spec {
	return []spec{
		{name: "read", synopsis: "Read data and retrieves secrets", run: runRead, help: `Usage: vault read [options] PATH [K=V...]

  Reads data from Vault at the given path. K=V pairs are sent as query
  parameters.

      $ vault read secret/my-secret
`},
		{name: "write", synopsis: "Write data, configuration, and secrets", run: runWrite, help: `Usage: vault write [options] PATH [DATA K=V...]

  Writes data to Vault at the given path. Values are strings; K=@FILE reads
  a file, K=- reads standard input, and - alone reads a JSON object from
  standard input.

      $ vault write auth/kubernetes/config kubernetes_host=https://10.0.0.1:443
`},
		{name: "list", synopsis: "List data or secrets", run: runList, help: `Usage: vault list [options] PATH

  Lists the keys at the given path.

      $ vault list auth/kubernetes/role
`},
		{name: "delete", synopsis: "Delete secrets and configuration", run: runDelete, help: `Usage: vault delete [options] PATH

  Deletes the data at the given path.

      $ vault delete secret/my-secret
`},
		{name: "patch", synopsis: "Patch data, configuration, and secrets", run: runPatch, help: `Usage: vault patch [options] PATH [DATA K=V...]

  Patches the data at the given path with a JSON merge patch.

      $ vault patch pki/roles/example allow_localhost=false
`},
	}
}

func runRead(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat | flagsField)
	client, pos, code, ok := b.connect(args, 1, -1)
	if !ok {
		return code
	}
	path := strings.Trim(pos[0], "/")
	data, ok := b.dataOrFail(pos[1:])
	if !ok {
		return exitLocal
	}
	params := map[string][]string{}
	for k, v := range data {
		params[k] = []string{toString(v)}
	}
	s, err := client.Logical().ReadWithDataWithContext(b.ctx, path, params)
	if err != nil {
		return b.remote("Error reading "+path, err)
	}
	if s == nil {
		b.errorf("No value found at %s", path)
		return exitRemote
	}
	return b.out().secret(s)
}

func runWrite(b *base, args []string) int {
	fs := b.flags(flagsHTTP | flagsFormat | flagsField)
	var force bool
	fs.BoolVar(&force, "force", false, "Allow writing no data.")
	fs.BoolVar(&force, "f", false, "Alias of -force.")
	return b.sendData(args, func() string {
		if force {
			return ""
		}
		return "Must supply data or use -force"
	}, func(c *api.Client, path string, data map[string]any) (*api.Secret, error) {
		return c.Logical().WriteWithContext(b.ctx, path, data)
	})
}

// sendData is write and patch once the flags are registered: PATH and
// its data parsed (empty data refused with need(), when not ""), send
// called, and what it answered printed.
func (b *base) sendData(args []string, need func() string, send func(c *api.Client, path string, data map[string]any) (*api.Secret, error)) int {
	pos, code, ok := b.parseN(args, 1, -1)
	if !ok {
		return code
	}
	path := strings.Trim(pos[0], "/")
	data, ok := b.dataArgs(pos[1:], need())
	if !ok {
		return exitLocal
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	s, err := send(client, path, data)
	if err != nil {
		return b.remote("Error writing data to "+path, err)
	}
	return b.writeResult(s, "Data written to: "+path)
}

// writeResult prints what a write answered, as the vault CLI does: the
// success line (in table format) when the server answered 204, otherwise
// the response, which may be warnings alone.
func (b *base) writeResult(s *api.Secret, success string) int {
	p := b.out()
	if s == nil {
		if p.format == "table" && b.field == "" {
			return p.success("%s", success)
		}
		return exitOK
	}
	return p.secret(s)
}

func runList(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat)
	b.fs.BoolVar(&b.detailed, "detailed", false, "Print the whole response, with key_info, in JSON or YAML.")
	client, pos, code, ok := b.connect(args, 1, 1)
	if !ok {
		return code
	}
	path := strings.Trim(pos[0], "/") + "/"
	return b.listAt(client, path)
}

// listAt lists path and prints the keys; nothing there is an error.
func (b *base) listAt(client *api.Client, path string) int {
	s, err := client.Logical().ListWithContext(b.ctx, path)
	if err != nil {
		return b.remote("Error listing "+path, err)
	}
	if s == nil || (s.WrapInfo == nil && s.Data["keys"] == nil) {
		b.errorf("No value found at %s", path)
		return exitRemote
	}
	return b.out().list(s)
}

// dataArgs is dataOrFail, and when need is not "", an empty result is
// refused with need as the message. ok false: exitLocal.
func (b *base) dataArgs(args []string, need string) (map[string]any, bool) {
	data, ok := b.dataOrFail(args)
	if !ok {
		return nil, false
	}
	if need != "" && len(data) == 0 {
		b.errorf("%s", need)
		return nil, false
	}
	return data, true
}

func runDelete(b *base, args []string) int {
	b.flags(flagsHTTP)
	pos, code, ok := b.parseN(args, 1, -1)
	if !ok {
		return code
	}
	path := strings.Trim(pos[0], "/")
	data, ok := b.dataOrFail(pos[1:])
	if !ok {
		return exitLocal
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	params := map[string][]string{}
	for k, v := range data {
		params[k] = []string{toString(v)}
	}
	if _, err := client.Logical().DeleteWithDataWithContext(b.ctx, path, params); err != nil {
		return b.remote("Error deleting "+path, err)
	}
	return b.out().success("Data deleted (if it existed) at: %s", path)
}

func runPatch(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat | flagsField)
	return b.sendData(args, func() string { return "Must supply data" },
		func(c *api.Client, path string, data map[string]any) (*api.Secret, error) {
			return c.Logical().JSONMergePatch(b.ctx, path, data)
		})
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return strings.TrimSpace(jsonString(v))
}
