package database

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// expirationFormat is how {{expiration}} is written, as Vault writes it.
const expirationFormat = "2006-01-02 15:04:05-0700"

// Default statements where a role gives none.
const (
	defaultRenew          = `ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';`
	defaultChangePassword = `ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}';`
)

// aclLockKey names the transaction-scoped advisory lock every user change
// takes first. PostgreSQL fails concurrent GRANTs and REVOKEs on one object
// with "tuple concurrently updated", so vaultd's changes to one database
// run one at a time (across every vaultd connection to it).
const aclLockKey = 0x7661756c7464 // "vaultd"

// begin starts a transaction holding the advisory lock.
func begin(ctx context.Context, p *pgxpool.Pool) (pgx.Tx, error) {
	tx, err := p.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin transaction: %w", describe(err))
	}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(aclLockKey)); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("lock: %w", describe(err))
	}
	return tx, nil
}

// fill puts values in a statement's {{placeholders}}.
func fill(stmt string, values map[string]string) string {
	pairs := make([]string, 0, 2*len(values))
	for k, v := range values {
		pairs = append(pairs, "{{"+k+"}}", v)
	}
	return strings.NewReplacer(pairs...).Replace(stmt)
}

// execAll runs statements, filled with values, in one transaction. Each
// statement is sent with the simple query protocol, so one may hold
// several commands, quoted semicolons or a DO block: PostgreSQL parses
// them, not vaultd.
func execAll(ctx context.Context, p *pgxpool.Pool, stmts []string, values map[string]string) error {
	return execThen(ctx, p, stmts, values, nil)
}

// execThen is execAll that calls beforeCommit, when set, after the
// statements and before the commit; its error rolls the transaction back.
// A password change records the new password this way before PostgreSQL
// takes it, so vaultd never loses the only copy.
func execThen(ctx context.Context, p *pgxpool.Pool, stmts []string, values map[string]string, beforeCommit func() error) error {
	tx, err := begin(ctx, p)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	for _, s := range stmts {
		if strings.TrimSpace(s) == "" {
			continue
		}
		if _, err := tx.Exec(ctx, fill(s, values), pgx.QueryExecModeSimpleProtocol); err != nil {
			return describe(err)
		}
	}
	if beforeCommit != nil {
		if err := beforeCommit(); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", describe(err))
	}
	return nil
}

// describe gives PostgreSQL's own message for a server error (without the
// statement, which may hold a password); other errors pass unchanged.
func describe(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s (SQLSTATE %s)", pe.Message, pe.Code)
	}
	return err
}

// passwordValue is what goes in {{password}}: the password itself, or its
// SCRAM verifier.
func passwordValue(c *dbConfig, password string) (string, error) {
	if c.PasswordAuthentication == authSCRAM {
		return scramVerifier(password)
	}
	return password, nil
}

// createUser runs a role's creation statements for a new user; on failure
// the transaction leaves nothing behind, and the rollback statements, if
// any, run as a best effort for anything made outside it.
func createUser(ctx context.Context, c *dbConfig, p *pgxpool.Pool, r *role, username, password string, expires time.Time) error {
	pw, err := passwordValue(c, password)
	if err != nil {
		return err
	}
	values := map[string]string{"name": username, "username": username, "password": pw, "expiration": expires.Format(expirationFormat)}
	if err := execAll(ctx, p, r.Creation, values); err != nil {
		if len(r.Rollback) > 0 {
			_ = execAll(context.WithoutCancel(ctx), p, r.Rollback, map[string]string{"name": username, "username": username})
		}
		return err
	}
	return nil
}

// renewUser moves a user's VALID UNTIL.
func renewUser(ctx context.Context, p *pgxpool.Pool, stmts []string, username string, expires time.Time) error {
	if len(stmts) == 0 {
		stmts = []string{defaultRenew}
	}
	return execAll(ctx, p, stmts, map[string]string{"name": username, "username": username, "expiration": expires.Format(expirationFormat)})
}

// setPassword changes a user's password (static roles, the root), calling
// record before the change commits.
func setPassword(ctx context.Context, c *dbConfig, p *pgxpool.Pool, stmts []string, username, password string, record func() error) error {
	if len(stmts) == 0 {
		stmts = []string{defaultChangePassword}
	}
	pw, err := passwordValue(c, password)
	if err != nil {
		return err
	}
	return execThen(ctx, p, stmts, map[string]string{"name": username, "username": username, "password": pw}, record)
}

// dropUser revokes a user. With revocation statements it runs them; by
// default it cuts the user's sessions, hands what it owns in this database
// to the connecting (root) user, drops its remaining privileges here and
// on shared objects, and drops the role. A user already gone is not an
// error, so a repeated revocation is harmless.
func dropUser(ctx context.Context, p *pgxpool.Pool, stmts []string, username string) error {
	if len(stmts) > 0 {
		return execAll(ctx, p, stmts, map[string]string{"name": username, "username": username})
	}
	var oid uint32
	err := p.QueryRow(ctx, "SELECT oid FROM pg_roles WHERE rolname = $1", username).Scan(&oid)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return describe(err)
	}
	ident := pgx.Identifier{username}.Sanitize()
	tx, err := begin(ctx, p)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	for _, s := range []string{
		"ALTER ROLE " + ident + " NOLOGIN",
		"REASSIGN OWNED BY " + ident + " TO CURRENT_USER",
		"DROP OWNED BY " + ident,
		"DROP ROLE IF EXISTS " + ident,
	} {
		if _, err := tx.Exec(ctx, s); err != nil {
			return describe(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return describe(err)
	}
	// Sessions opened before the drop keep running in PostgreSQL; end them
	// (best effort: the root user may lack pg_signal_backend).
	_, _ = p.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usesysid = $1", oid)
	return nil
}
