package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-secure-stdlib/parseutil"
	sockaddr "github.com/hashicorp/go-sockaddr/template"
	"github.com/hashicorp/hcl/hcl/ast"
	"github.com/hashicorp/hcl/hcl/token"
)

var errStorageType = errors.New("unsupported storage type (want bbolt, file or inmem)")

// field is one key = value inside a file, with where it was written. Its
// readers return plain errors naming the key; callers place them with at.
type field struct {
	key string
	val ast.Node
	at  position
}

// literal returns the token of a single literal value.
func (f field) literal() (token.Token, error) {
	lit, ok := f.val.(*ast.LiteralType)
	if !ok {
		return token.Token{}, fmt.Errorf("%s: want a single value, got %s", f.key, describe(f.val))
	}
	return lit.Token, nil
}

// value returns the Go value of a literal: string, int64, float64 or bool.
func (f field) value() (v any, err error) {
	tok, err := f.literal()
	if err != nil {
		return nil, err
	}
	defer func() {
		// token.Value panics on a number it cannot represent.
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("%s: unreadable value %s", f.key, tok.Text)
		}
	}()
	return tok.Value(), nil
}

func (f field) str() (string, error) {
	v, err := f.value()
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: want a string, got %#v", f.key, v)
	}
	return s, nil
}

// boolean reads true/false, the strings Go's strconv.ParseBool takes, or 0/1,
// the forms Vault's config accepts.
func (f field) boolean() (bool, error) {
	v, err := f.value()
	if err != nil {
		return false, err
	}
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		if parsed, perr := strconv.ParseBool(strings.TrimSpace(b)); perr == nil {
			return parsed, nil
		}
	case int64:
		if b == 0 || b == 1 {
			return b == 1, nil
		}
	}
	return false, fmt.Errorf("%s: want true or false, got %#v", f.key, v)
}

// integer reads a whole number, written bare or as a string.
func (f field) integer() (int64, error) {
	v, err := f.value()
	if err != nil {
		return 0, err
	}
	switch n := v.(type) {
	case int64:
		return n, nil
	case string:
		if parsed, perr := strconv.ParseInt(strings.TrimSpace(n), 10, 64); perr == nil {
			return parsed, nil
		}
	}
	return 0, fmt.Errorf("%s: want a whole number, got %#v", f.key, v)
}

// duration reads Vault's duration syntax: "90s", "1h30m", "7d", "3600" or
// 3600 (seconds). Negative durations are refused.
func (f field) duration() (time.Duration, error) {
	v, err := f.value()
	if err != nil {
		return 0, err
	}
	if _, isBool := v.(bool); isBool {
		return 0, fmt.Errorf("%s: want a duration such as \"768h\", got %#v", f.key, v)
	}
	d, perr := parseutil.ParseDurationSecond(v)
	if perr != nil {
		return 0, fmt.Errorf("%s: want a duration such as \"768h\", got %#v", f.key, v)
	}
	if d < 0 {
		return 0, fmt.Errorf("%s: may not be negative, got %#v", f.key, v)
	}
	return d, nil
}

// describe names the kind of a value node for error messages.
func describe(n ast.Node) string {
	switch n.(type) {
	case *ast.ObjectType:
		return "a block"
	case *ast.ListType:
		return "a list"
	case *ast.LiteralType:
		return "a value"
	}
	return fmt.Sprintf("%T", n)
}

// optionText renders a literal option value as the string the sys/audit API
// would carry. Numbers keep their written form, so mode = 0600 stays "0600".
func optionText(tok token.Token, v any) string {
	switch tok.Type {
	case token.NUMBER, token.FLOAT:
		return tok.Text
	}
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	}
	return tok.Text
}

// renderTemplate renders a go-sockaddr template ("{{ GetPrivateIP }}:8200");
// text without "{{" is returned as it is.
func renderTemplate(raw string) (string, error) {
	if !strings.Contains(raw, "{{") {
		return raw, nil
	}
	out, err := sockaddr.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("template %q: %w", raw, err)
	}
	out = strings.TrimSpace(out)
	if strings.ContainsAny(out, " \t\n") {
		return "", fmt.Errorf("template %q gave more than one address (%q)", raw, out)
	}
	return out, nil
}

// renderListenAddress renders a listener address template and refuses one
// that rendered to no host, which would otherwise listen on every interface.
func renderListenAddress(raw string) (string, error) {
	out, err := renderTemplate(raw)
	if err != nil || out == raw {
		return out, err
	}
	host, _, err := net.SplitHostPort(out)
	if err == nil && host == "" {
		return "", fmt.Errorf("template %q gave no address (rendered %q)", raw, out)
	}
	return out, nil
}

// checkListenAddress requires host:port with a numeric port.
func checkListenAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port, got %q", addr)
	}
	if strings.ContainsAny(host, " \t") {
		return fmt.Errorf("bad host in %q", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("bad port %q in %q", port, addr)
	}
	return nil
}

// checkAPIAddr requires an http or https URL with a host.
func checkAPIAddr(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("api_addr: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("api_addr: want a URL such as https://vault.example.com:8200, got %q", s)
	}
	return nil
}

// tlsVersion maps tls_min_version to the crypto/tls constant. Versions
// before TLS 1.2 are refused.
func tlsVersion(s string) (uint16, error) {
	switch s {
	case "tls12":
		return tls.VersionTLS12, nil
	case "tls13":
		return tls.VersionTLS13, nil
	case "tls10", "tls11":
		return 0, fmt.Errorf("tls_min_version: %s is not allowed, the minimum is tls12", s)
	}
	return 0, fmt.Errorf("tls_min_version: unknown version %q (want tls12 or tls13)", s)
}

// fileAuditOptions names the options the file audit device takes (issue 6).
const fileAuditOptions = "file_path, log_raw, hmac_accessor, mode, format, prefix, elide_list_responses"

// checkAuditOption checks one option of a file audit device.
func checkAuditOption(key, value string) error {
	switch key {
	case "file_path":
		if strings.TrimSpace(value) == "" {
			return errors.New("options: file_path may not be empty")
		}
	case "log_raw", "hmac_accessor", "elide_list_responses":
		if _, err := strconv.ParseBool(value); err != nil {
			return fmt.Errorf("options: %s: want true or false, got %q", key, value)
		}
	case "mode":
		m, err := strconv.ParseUint(value, 8, 32)
		if err != nil || m > 0o777 {
			return fmt.Errorf("options: mode: want an octal file mode such as \"0600\", got %q", value)
		}
		if m&0o111 != 0 {
			return fmt.Errorf("options: mode: file mode may not be executable, got %q", value)
		}
	case "format":
		if value != "json" && value != "jsonx" {
			return fmt.Errorf("options: format: want json or jsonx, got %q", value)
		}
	case "prefix":
	default:
		return fmt.Errorf("options: unknown option %q (want one of %s)", key, fileAuditOptions)
	}
	return nil
}

// checkFileAuditOptions checks every option and that file_path is there.
func checkFileAuditOptions(opts map[string]string) error {
	var errs []error
	if _, ok := opts["file_path"]; !ok {
		errs = append(errs, errors.New(`options: file_path is required (a file, "stdout" or "discard")`))
	}
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		errs = append(errs, checkAuditOption(k, opts[k]))
	}
	return errors.Join(errs...)
}

// auditFile returns the file an audit device writes to, cleaned, made
// absolute and with links resolved; false for stdout and discard.
func auditFile(opts map[string]string) (string, bool) {
	p := strings.TrimSpace(opts["file_path"])
	if p == "" || strings.EqualFold(p, "stdout") || strings.EqualFold(p, "discard") {
		return "", false
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p), true
	}
	// Follow links, so that a link cannot point a second device at a file
	// already in use.
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, true
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs)), true
	}
	return abs, true
}
