package database

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vaultd/vaultd/logical"
)

// connectTimeout bounds one connection attempt.
const connectTimeout = 10 * time.Second

// placeholder stands in for {{username}} and {{password}} while a URL is
// parsed; the real values are set on the parsed config, so they are never
// escaped into (or leaked out of) a connection string.
const placeholder = "vaultd-placeholder"

// openPool builds a pool for a config without connecting.
func openPool(c *dbConfig) (*pgxpool.Pool, error) {
	text := strings.NewReplacer("{{username}}", placeholder, "{{password}}", placeholder).Replace(c.ConnectionURL)
	pc, err := pgxpool.ParseConfig(text)
	if err != nil {
		return nil, logical.InvalidRequest("error creating database object: invalid connection_url: %s", c.redactor().String(err.Error()))
	}
	if c.Username != "" {
		pc.ConnConfig.User = c.Username
	}
	if strings.Contains(c.ConnectionURL, "{{password}}") || c.Password != "" {
		pc.ConnConfig.Password = c.Password
	}
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = connectTimeout
	}
	pc.MaxConns = int32(c.MaxOpen)
	pc.MaxConnLifetime = c.MaxLifetime
	if c.MaxLifetime == 0 {
		pc.MaxConnLifetime = 24 * time.Hour
	}
	pc.MaxConnIdleTime = 5 * time.Minute
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, logical.InvalidRequest("error creating database object: %s", c.redactor().String(err.Error()))
	}
	return pool, nil
}

// replacePool installs p (nil to drop) as the pool of a config and closes
// the one it replaces.
func (b *Backend) replacePool(name string, p *pgxpool.Pool) {
	b.mu.Lock()
	old := b.pools[name]
	if p == nil {
		delete(b.pools, name)
	} else {
		b.pools[name] = p
	}
	b.mu.Unlock()
	if old != nil && old != p {
		old.Close()
	}
}

// pool returns the config's pool, opening it on first use.
func (b *Backend) pool(name string, c *dbConfig) (*pgxpool.Pool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if p := b.pools[name]; p != nil {
		return p, nil
	}
	p, err := openPool(c)
	if err != nil {
		return nil, fmt.Errorf("open database %q: %w", name, err)
	}
	b.pools[name] = p
	return p, nil
}

// connection loads a config and its pool; a missing config is a 400.
func (b *Backend) connection(ctx context.Context, name string) (*dbConfig, *pgxpool.Pool, error) {
	c, err := b.loadConfig(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if c == nil {
		return nil, nil, logical.InvalidRequest("database config %q not found", name)
	}
	p, err := b.pool(name, c)
	if err != nil {
		return nil, nil, err
	}
	return c, p, nil
}
