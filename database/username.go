package database

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// defaultUsernameTemplate is Vault's default for PostgreSQL: display name
// and role name cut to 8 characters each, 20 random characters and the
// Unix time, the whole cut to PostgreSQL's 63-byte identifier limit.
const defaultUsernameTemplate = `{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}`

// maxIdentifierLength is PostgreSQL's NAMEDATALEN - 1.
const maxIdentifierLength = 63

const alphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// usernameData is what a username template sees.
type usernameData struct {
	DisplayName string
	RoleName    string
}

// parseUsernameTemplate compiles a template with Vault's template
// functions.
func parseUsernameTemplate(text string, now func() time.Time) (*template.Template, error) {
	if text == "" {
		text = defaultUsernameTemplate
	}
	funcs := template.FuncMap{
		"random": func(n int) (string, error) { return randomFrom(alphanumeric, n) },
		"truncate": func(n int, s string) string {
			if len(s) > n {
				return s[:n]
			}
			return s
		},
		"truncate_sha256": func(n int, s string) string {
			if len(s) <= n {
				return s
			}
			sum := sha256.Sum256([]byte(s[n:]))
			return s[:n] + hex.EncodeToString(sum[:])
		},
		"uppercase":        strings.ToUpper,
		"lowercase":        strings.ToLower,
		"replace":          func(old, repl, s string) string { return strings.ReplaceAll(s, old, repl) },
		"sha256":           func(s string) string { sum := sha256.Sum256([]byte(s)); return hex.EncodeToString(sum[:]) },
		"unix_time":        func() string { return strconv.FormatInt(now().Unix(), 10) },
		"unix_time_millis": func() string { return strconv.FormatInt(now().UnixMilli(), 10) },
		"timestamp":        func(layout string) string { return now().UTC().Format(layout) },
		"uuid": func() (string, error) {
			s, err := randomFrom("0123456789abcdef", 32)
			if err != nil {
				return "", err
			}
			return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:], nil
		},
	}
	t, err := template.New("username").Option("missingkey=error").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("invalid username_template: %w", err)
	}
	return t, nil
}

// renderUsername fills a username template. The result must be a usable,
// quote-free PostgreSQL identifier: it is put between double quotes in
// the operator's statements.
func renderUsername(text, displayName, roleName string, now func() time.Time) (string, error) {
	t, err := parseUsernameTemplate(text, now)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	if err := t.Execute(&sb, usernameData{DisplayName: displayName, RoleName: roleName}); err != nil {
		return "", fmt.Errorf("username_template: %w", err)
	}
	name := strings.TrimSpace(sb.String())
	if err := checkIdentifier(name); err != nil {
		return "", fmt.Errorf("username_template: %w", err)
	}
	return name, nil
}

// checkIdentifier refuses names that could not be put between double
// quotes or single quotes in a statement safely, or that PostgreSQL would
// truncate.
func checkIdentifier(name string) error {
	if name == "" {
		return fmt.Errorf("empty username")
	}
	if len(name) > maxIdentifierLength {
		return fmt.Errorf("username is %d bytes, more than PostgreSQL's %d", len(name), maxIdentifierLength)
	}
	for _, r := range name {
		if r == '"' || r == '\'' || r == '\\' || r < 0x20 || r == 0x7f {
			return fmt.Errorf("username %q contains a quote, backslash or control character", name)
		}
	}
	return nil
}
