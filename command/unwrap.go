package command

import "strings"

// unwrap: the answer a wrapping token holds, printed as the original
// request's answer would have been.

func unwrapCommands() []spec {
	return []spec{
		{name: "unwrap", synopsis: "Unwrap a wrapped secret", run: runUnwrap, help: `Usage: vault unwrap [options] [TOKEN]

  Unwraps the response a wrapping token holds (sys/wrapping/unwrap) and
  prints it as the original request's answer. The wrapping token works
  once. With no TOKEN, the token in use (VAULT_TOKEN or the token helper
  file) is the wrapping token.

      $ vault unwrap hvs.CAES...
      $ VAULT_TOKEN=hvs.CAES... vault unwrap
`},
	}
}

func runUnwrap(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat | flagsField)
	pos, code, ok := b.parse(args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		b.errorf("Too many arguments (expected 0-1, got %d)", len(pos))
		b.fs.Usage()
		return exitLocal
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	token := ""
	if len(pos) == 1 {
		token = strings.TrimSpace(pos[0])
	}
	// vault/api sends an empty token as the client's own token, and any
	// other in the body.
	s, err := client.Logical().UnwrapWithContext(b.ctx, token)
	if err != nil {
		return b.remote("Error unwrapping", err)
	}
	if s == nil {
		b.errorf("Could not find wrapped response")
		return exitRemote
	}
	p := b.out()
	if b.field != "" {
		return p.secret(s)
	}
	if _, isList := s.Data["keys"].([]any); isList {
		return p.list(s)
	}
	return p.secret(s)
}
