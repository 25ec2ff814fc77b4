package command

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/vault/api"
)

// login and print token: getting a token and keeping it in the token
// helper file, ~/.vault-token.

// serviceAccountTokenFile is where a pod finds its service account token;
// login -method=kubernetes reads it when no jwt= is given.
const serviceAccountTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"

func loginCommands() []spec {
	return []spec{
		{name: "login", synopsis: "Authenticate locally", run: runLogin, help: `Usage: vault login [options] [AUTH K=V...]

  Authenticates and stores the token in the token helper file
  (~/.vault-token), where later commands find it when VAULT_TOKEN is unset.

  With a token (the argument, "-" for standard input, or typed at the
  prompt):

      $ vault login hvs.CAESI...

  With an auth method, the K=V pairs are sent to auth/<-path>/login:

      $ vault login -method=kubernetes role=my-api-role jwt=@/var/run/secrets/kubernetes.io/serviceaccount/token
      $ vault login -method=userpass username=alice password=...
      $ vault login -method=approle role_id=... secret_id=...
      $ vault login -method=jwt role=deploy jwt=@/path/to/id-token

  With -wrap-ttl, the login answer comes back wrapped: -token-only prints
  the wrapping token, -no-store the wrapping token's table; otherwise it is
  unwrapped and the token inside stored.
`},
		{name: "print token", synopsis: "Prints the vault token currently in use", run: runPrintToken, help: `Usage: vault print token

  Prints the token the other commands would use: VAULT_TOKEN, or the one
  stored by vault login.
`},
	}
}

func runLogin(b *base, args []string) int {
	fs := b.flags(flagsHTTP | flagsFormat | flagsField)
	method := fs.String("method", "token", "The auth method: token, kubernetes, userpass, approle, or any method taking K=V pairs.")
	mount := fs.String("path", "", "The mount of the auth method (default: the method's name).")
	noStore := fs.Bool("no-store", false, "Do not store the token in the token helper.")
	noPrint := fs.Bool("no-print", false, "Print nothing on success.")
	tokenOnly := fs.Bool("token-only", false, "Print only the token; implies -no-store.")
	pos, code, ok := b.parseN(args, 0, -1)
	if !ok {
		return code
	}
	if *tokenOnly {
		*noStore = true
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	var s *api.Secret
	var err error
	if *method == "token" {
		// A token is checked with lookup-self, which -wrap-ttl must not wrap.
		client.SetWrappingLookupFunc(nil)
		s, code, ok = b.tokenLogin(client, pos)
	} else {
		s, code, ok = b.methodLogin(client, *method, *mount, pos)
	}
	if !ok {
		return code
	}
	if s != nil && s.WrapInfo != nil {
		// -wrap-ttl: with -token-only or -no-store the wrapping token is
		// the answer; otherwise it is unwrapped and the token inside stored,
		// as the vault CLI does.
		client.SetWrappingLookupFunc(nil)
		p := b.out()
		switch {
		case *tokenOnly:
			b.field, p.field = "wrapping_token", "wrapping_token"
			return p.secret(s)
		case *noStore:
			return p.secret(s)
		}
		if s, err = client.Logical().UnwrapWithContext(b.ctx, s.WrapInfo.Token); err != nil {
			return b.remote("Error unwrapping the login response", err)
		}
	}
	if s == nil || s.Auth == nil || s.Auth.ClientToken == "" {
		b.errorf("Error authenticating: no token was returned")
		return exitRemote
	}
	if !*noStore {
		if err = writeTokenHelper(s.Auth.ClientToken); err != nil {
			b.errorf("Error storing token: %s", err)
			return exitLocal
		}
	}
	p := b.out()
	if os.Getenv(api.EnvVaultToken) != "" && !*tokenOnly {
		p.warn("WARNING! The VAULT_TOKEN environment variable is set! The value of this variable " +
			"will take precedence; if this is unwanted please unset VAULT_TOKEN or update its value accordingly.")
	}
	switch {
	case *tokenOnly:
		b.field = "token"
		p.field = "token"
		return p.secret(s)
	case *noPrint:
		return exitOK
	case b.field != "" || p.format != "table":
		return p.secret(s)
	}
	msg := "Success! You are now authenticated. The token information displayed below " +
		"is already stored in the token helper. You do NOT need to run \"vault login\" " +
		"again. Future Vault requests will automatically use this token."
	if *noStore {
		msg = "Success! You are now authenticated. The token information displayed below " +
			"is not stored in the token helper. Set VAULT_TOKEN to it to use it in later commands."
	}
	p.paragraph(msg)
	return p.secret(s)
}

var errNoToken = errors.New("no token given: pass it as the argument, type it at the terminal, or send it on standard input")

// tokenLogin checks a token with lookup-self and shapes the answer as an
// auth method's login would be.
func (b *base) tokenLogin(client *api.Client, pos []string) (*api.Secret, int, bool) {
	if len(pos) > 1 {
		b.errorf("Too many arguments (expected at most 1, got %d)", len(pos))
		return nil, exitLocal, false
	}
	token := ""
	if len(pos) == 1 && pos[0] != "-" {
		token = strings.TrimSpace(pos[0])
		// As with the vault CLI, token=TOKEN is the same as TOKEN.
		if k, v, ok := strings.Cut(token, "="); ok {
			if k != "token" {
				b.errorf("Token login takes a token or token=TOKEN, not %q; for another method use -method", k)
				return nil, exitLocal, false
			}
			token = strings.TrimSpace(v)
		}
	}
	if token == "" {
		var err error
		if token, err = readHidden(b.ctx, b.streams.Stdin, b.streams.Stderr, "Token", errNoToken); err != nil {
			b.errorf("Error reading the token: %s", err)
			return nil, exitLocal, false
		}
	}
	client.SetToken(token)
	s, err := client.Auth().Token().LookupSelfWithContext(b.ctx)
	if err != nil {
		return nil, b.remote("Error authenticating", err), false
	}
	id, _ := s.TokenID()
	accessor, _ := s.TokenAccessor()
	policies, _ := s.TokenPolicies()
	var identity []string
	if raw, ok := s.Data["identity_policies"].([]any); ok {
		for _, v := range raw {
			identity = append(identity, fmt.Sprint(v))
		}
	}
	ttl, _ := s.TokenTTL()
	renewable, _ := s.TokenIsRenewable()
	meta, _ := s.TokenMetadata()
	return &api.Secret{Auth: &api.SecretAuth{
		ClientToken: id, Accessor: accessor,
		Policies: append(append([]string{}, policies...), identity...), TokenPolicies: policies, IdentityPolicies: identity,
		Metadata: meta, LeaseDuration: int(ttl.Seconds()), Renewable: renewable,
	}}, exitOK, true
}

// methodLogin writes the K=V pairs to the method's login path:
// auth/<mount>/login, or auth/<mount>/login/<username> for userpass.
func (b *base) methodLogin(client *api.Client, method, mount string, pos []string) (*api.Secret, int, bool) {
	data, ok := b.dataOrFail(pos)
	if !ok {
		return nil, exitLocal, false
	}
	if mount == "" {
		mount = method
	}
	path := "auth/" + strings.Trim(mount, "/") + "/login"
	switch method {
	case "kubernetes":
		if _, ok := data["role"]; !ok {
			b.errorf("Missing role: give role=<name> of the kubernetes auth role")
			return nil, exitLocal, false
		}
		if _, ok := data["jwt"]; !ok {
			jwt, err := os.ReadFile(serviceAccountTokenFile)
			if err != nil {
				b.errorf("Missing jwt and no service account token: %s", err)
				return nil, exitLocal, false
			}
			data["jwt"] = strings.TrimSpace(string(jwt))
		}
	case "userpass", "ldap":
		user, _ := data["username"].(string)
		if user == "" {
			b.errorf("Missing username: give username=<name>")
			return nil, exitLocal, false
		}
		if _, ok := data["password"]; !ok {
			pw, err := readHidden(b.ctx, b.streams.Stdin, b.streams.Stderr, "Password", errors.New("no password given"))
			if err != nil {
				b.errorf("Error reading the password: %s", err)
				return nil, exitLocal, false
			}
			data["password"] = pw
		}
		delete(data, "username")
		path += "/" + user
	case "jwt":
		if _, ok := data["jwt"]; !ok {
			b.errorf("Missing jwt: give jwt=<token>, or jwt=@<file>")
			return nil, exitLocal, false
		}
	case "approle":
		if _, ok := data["role_id"]; !ok {
			b.errorf("Missing role_id: give role_id=<id>")
			return nil, exitLocal, false
		}
	}
	s, err := client.Logical().WriteWithContext(b.ctx, path, data)
	if err != nil {
		return nil, b.remote("Error authenticating", err), false
	}
	return s, exitOK, true
}

func runPrintToken(b *base, args []string) int {
	b.flags(0)
	if _, code, ok := b.parseN(args, 0, 0); !ok {
		return code
	}
	client, ok := b.client()
	if !ok {
		return exitLocal
	}
	return b.out().raw(client.Token())
}
