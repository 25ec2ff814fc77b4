package database

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// PluginPostgres is the one plugin name vaultd serves.
const PluginPostgres = "postgresql-database-plugin"

// Storage prefixes inside the mount's view.
const (
	configPrefix = "config/"
	rolePrefix   = "role/"
	staticPrefix = "static-role/"
)

// The two ways a password is handed to PostgreSQL.
const (
	authPassword = "password"
	authSCRAM    = "scram-sha-256"
)

// defaultMaxOpen is Vault's default max_open_connections.
const defaultMaxOpen = 4

// dbConfig is a connection config as stored (inside the barrier).
type dbConfig struct {
	PluginName             string        `json:"plugin_name"`
	ConnectionURL          string        `json:"connection_url"`
	Username               string        `json:"username"`
	Password               string        `json:"password"`
	AllowedRoles           []string      `json:"allowed_roles"`
	VerifyConnection       bool          `json:"verify_connection"`
	MaxOpen                int           `json:"max_open_connections"`
	MaxIdle                int           `json:"max_idle_connections"`
	MaxLifetime            time.Duration `json:"max_connection_lifetime"`
	PasswordAuthentication string        `json:"password_authentication"`
	UsernameTemplate       string        `json:"username_template"`
	RootRotationStatements []string      `json:"root_rotation_statements"`
}

// allows reports whether role may use this config ("*" allows every role;
// globs ending in "*" match prefixes).
func (c *dbConfig) allows(role string) bool {
	for _, a := range c.AllowedRoles {
		if a == "*" || a == role || (strings.HasSuffix(a, "*") && strings.HasPrefix(role, strings.TrimSuffix(a, "*"))) {
			return true
		}
	}
	return false
}

func (c *dbConfig) redactor() redactor { return redactor{c.Password} }

var configSchema = map[string]*logical.FieldSchema{
	"plugin_name":              {Type: logical.TypeString},
	"plugin_version":           {Type: logical.TypeString},
	"connection_url":           {Type: logical.TypeString},
	"username":                 {Type: logical.TypeString},
	"password":                 {Type: logical.TypeString},
	"allowed_roles":            {Type: logical.TypeStringList},
	"verify_connection":        {Type: logical.TypeBool, Default: true},
	"max_open_connections":     {Type: logical.TypeInt},
	"max_idle_connections":     {Type: logical.TypeInt},
	"max_connection_lifetime":  {Type: logical.TypeDuration},
	"password_authentication":  {Type: logical.TypeString},
	"username_template":        {Type: logical.TypeString},
	"password_policy":          {Type: logical.TypeString},
	"root_rotation_statements": {Type: logical.TypeStringList},
}

func (b *Backend) loadConfig(ctx context.Context, name string) (*dbConfig, error) {
	entry, err := b.storage.Get(ctx, configPrefix+name)
	if err != nil {
		return nil, fmt.Errorf("read database config: %w", err)
	}
	if entry == nil {
		return nil, nil
	}
	var c dbConfig
	if err := json.Unmarshal(entry.Value, &c); err != nil {
		return nil, fmt.Errorf("decode database config: %w", err)
	}
	return &c, nil
}

func (b *Backend) saveConfig(ctx context.Context, name string, c *dbConfig) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode database config: %w", err)
	}
	if err := b.storage.Put(ctx, &logical.StorageEntry{Key: configPrefix + name, Value: raw}); err != nil {
		return fmt.Errorf("write database config: %w", err)
	}
	return nil
}

// configWrite creates or updates a config. On update, fields the request
// leaves out keep their values (the password among them).
func (b *Backend) configWrite(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	fd, err := logical.RequestFields(req, configSchema)
	if err != nil {
		return nil, err
	}
	stmts, stmtsSet, err := statements(req, "root_rotation_statements")
	if err != nil {
		return nil, err
	}
	c, err := b.loadConfig(ctx, name)
	if err != nil {
		return nil, err
	}
	if c == nil {
		c = &dbConfig{MaxOpen: defaultMaxOpen, PasswordAuthentication: authPassword}
	}
	if v, ok := str(fd, "plugin_name"); ok {
		c.PluginName = v
	}
	switch {
	case c.PluginName == "":
		return nil, logical.InvalidRequest("empty plugin name")
	case c.PluginName != PluginPostgres:
		return nil, logical.InvalidRequest("unknown plugin_name %q: this server serves %q only", c.PluginName, PluginPostgres)
	}
	if v, _ := str(fd, "password_policy"); v != "" {
		return nil, logical.InvalidRequest("password_policy is not supported: passwords follow the default policy")
	}
	for field, dst := range map[string]*string{"connection_url": &c.ConnectionURL, "username": &c.Username,
		"password": &c.Password, "username_template": &c.UsernameTemplate, "password_authentication": &c.PasswordAuthentication} {
		if v, ok := str(fd, field); ok {
			*dst = v
		}
	}
	if v, ok := strList(fd, "allowed_roles"); ok {
		c.AllowedRoles = v
	}
	if stmtsSet {
		c.RootRotationStatements = stmts
	}
	c.VerifyConnection = fd.Get("verify_connection").(bool)
	if v, ok, _ := fd.GetOk("max_open_connections"); ok {
		c.MaxOpen = int(v.(int64))
	}
	if v, ok, _ := fd.GetOk("max_idle_connections"); ok {
		c.MaxIdle = int(v.(int64))
	}
	if v, ok, _ := fd.GetOk("max_connection_lifetime"); ok {
		c.MaxLifetime = v.(time.Duration)
	}
	if err := validateConfig(c, b.now); err != nil {
		return nil, err
	}
	pool, err := openPool(c)
	if err != nil {
		return nil, err
	}
	if c.VerifyConnection {
		pctx, cancel := context.WithTimeout(ctx, connectTimeout)
		err := pool.Ping(pctx)
		cancel()
		if err != nil {
			pool.Close()
			return nil, logical.InvalidRequest("error creating database object: error verifying connection: %s", c.redactor().String(err.Error()))
		}
	}
	if err := b.saveConfig(ctx, name, c); err != nil {
		pool.Close()
		return nil, err
	}
	b.replacePool(name, pool)
	return nil, nil
}

func validateConfig(c *dbConfig, now func() time.Time) error {
	if c.ConnectionURL == "" {
		return logical.InvalidRequest("error creating database object: connection_url cannot be empty")
	}
	if c.PasswordAuthentication != authPassword && c.PasswordAuthentication != authSCRAM {
		return logical.InvalidRequest("password_authentication must be %q or %q", authPassword, authSCRAM)
	}
	if c.MaxOpen <= 0 {
		c.MaxOpen = defaultMaxOpen
	}
	if c.MaxIdle <= 0 || c.MaxIdle > c.MaxOpen {
		c.MaxIdle = c.MaxOpen
	}
	if c.UsernameTemplate != "" {
		if _, err := parseUsernameTemplate(c.UsernameTemplate, now); err != nil {
			return logical.InvalidRequest("error creating database object: %v", err)
		}
	}
	return nil
}

// configRead returns a config without its password.
func (b *Backend) configRead(ctx context.Context, _ *logical.Request, name string) (*logical.Response, error) {
	c, err := b.loadConfig(ctx, name)
	if err != nil || c == nil {
		return nil, err
	}
	details := map[string]any{
		"connection_url":          c.ConnectionURL,
		"username":                c.Username,
		"max_open_connections":    c.MaxOpen,
		"max_idle_connections":    c.MaxIdle,
		"max_connection_lifetime": c.MaxLifetime.String(),
		"password_authentication": c.PasswordAuthentication,
	}
	if c.UsernameTemplate != "" {
		details["username_template"] = c.UsernameTemplate
	}
	return &logical.Response{Data: map[string]any{
		"plugin_name":                        c.PluginName,
		"plugin_version":                     "",
		"connection_details":                 details,
		"allowed_roles":                      nonNil(c.AllowedRoles),
		"root_credentials_rotate_statements": nonNil(c.RootRotationStatements),
		"password_policy":                    "",
		"verify_connection":                  c.VerifyConnection,
	}}, nil
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return slices.Clone(l)
}

func (b *Backend) configDelete(ctx context.Context, _ *logical.Request, name string) (*logical.Response, error) {
	if err := b.storage.Delete(ctx, configPrefix+name); err != nil {
		return nil, fmt.Errorf("delete database config: %w", err)
	}
	b.replacePool(name, nil)
	return nil, nil
}

// reset closes the config's pool; the next use opens a new one.
func (b *Backend) reset(ctx context.Context, _ *logical.Request, name string) (*logical.Response, error) {
	c, err := b.loadConfig(ctx, name)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, logical.InvalidRequest("unable to find config %q", name)
	}
	b.replacePool(name, nil)
	return nil, nil
}
