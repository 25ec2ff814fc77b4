package database

import (
	"context"
	"fmt"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// minRotationPeriod is Vault's floor for rotation_period.
const minRotationPeriod = 5 * time.Second

// staticRole is an existing database user whose password vaultd rotates.
type staticRole struct {
	DBName         string        `json:"db_name"`
	Username       string        `json:"username"`
	Password       string        `json:"password"`
	RotationPeriod time.Duration `json:"rotation_period"`
	Statements     []string      `json:"rotation_statements"`
	LastRotation   time.Time     `json:"last_vault_rotation"`
}

var staticSchema = map[string]*logical.FieldSchema{
	"db_name":         {Type: logical.TypeString},
	"username":        {Type: logical.TypeString},
	"rotation_period": {Type: logical.TypeDuration},
	"credential_type": {Type: logical.TypeString},
}

func (b *Backend) loadStatic(ctx context.Context, name string) (*staticRole, error) {
	var s staticRole
	ok, err := b.loadJSON(ctx, staticPrefix+name, &s)
	if err != nil || !ok {
		return nil, err
	}
	return &s, nil
}

// staticWrite creates or updates a static role. A new role's password is
// rotated at once, so that from then on only vaultd knows it.
func (b *Backend) staticWrite(ctx context.Context, req *logical.Request, name string) (*logical.Response, error) {
	fd, err := logical.RequestFields(req, staticSchema)
	if err != nil {
		return nil, err
	}
	if ct, _ := str(fd, "credential_type"); ct != "" && ct != "password" {
		return nil, logical.InvalidRequest("credential_type %q is not supported: only \"password\"", ct)
	}
	if r, err := b.loadRole(ctx, name); err != nil {
		return nil, err
	} else if r != nil {
		return nil, logical.InvalidRequest("Role and Static Role names must be unique")
	}
	b.rotateMu.Lock()
	defer b.rotateMu.Unlock()
	s, err := b.loadStatic(ctx, name)
	if err != nil {
		return nil, err
	}
	created := s == nil
	if created {
		s = &staticRole{}
	}
	if v, ok := str(fd, "db_name"); ok {
		if !created && v != s.DBName {
			return nil, logical.InvalidRequest("cannot update static role db_name")
		}
		s.DBName = v
	}
	if v, ok := str(fd, "username"); ok {
		if !created && v != s.Username {
			return nil, logical.InvalidRequest("cannot update static account username")
		}
		s.Username = v
	}
	if v, ok, _ := fd.GetOk("rotation_period"); ok {
		s.RotationPeriod = v.(time.Duration)
	}
	if v, ok, err := statements(req, "rotation_statements"); err != nil {
		return nil, err
	} else if ok {
		s.Statements = v
	}
	switch {
	case s.DBName == "":
		return nil, logical.InvalidRequest("empty database name attribute")
	case s.Username == "":
		return nil, logical.InvalidRequest("username is a required field to create a static account")
	case s.RotationPeriod < minRotationPeriod:
		return nil, logical.InvalidRequest("rotation_period must be %d seconds or more", int(minRotationPeriod.Seconds()))
	}
	if err := checkIdentifier(s.Username); err != nil {
		return nil, logical.InvalidRequest("invalid username: %v", err)
	}
	c, _, err := b.connection(ctx, s.DBName)
	if err != nil {
		return nil, err
	}
	if !c.allows(name) {
		return nil, logical.InvalidRequest("%q is not an allowed role", name)
	}
	if !created {
		return nil, b.saveJSON(ctx, staticPrefix+name, s)
	}
	if err := b.rotateStaticLocked(ctx, name, s); err != nil {
		return nil, logical.InvalidRequest("%v", err)
	}
	return nil, nil
}

// rotateStaticLocked gives a static role's user a new password; rotateMu
// is held. The new password is stored before PostgreSQL commits it; if the
// commit then fails, the old entry is put back.
func (b *Backend) rotateStaticLocked(ctx context.Context, name string, s *staticRole) error {
	c, p, err := b.connection(ctx, s.DBName)
	if err != nil {
		return err
	}
	password, err := generatePassword()
	if err != nil {
		return err
	}
	old := *s
	next := *s
	next.Password, next.LastRotation = password, b.now()
	stored := false
	err = setPassword(ctx, c, p, s.Statements, s.Username, password, func() error {
		stored = true
		return b.saveJSON(ctx, staticPrefix+name, &next)
	})
	if err != nil {
		if stored && old.Password != "" {
			_ = b.saveJSON(context.WithoutCancel(ctx), staticPrefix+name, &old)
		} else if stored {
			_ = b.storage.Delete(context.WithoutCancel(ctx), staticPrefix+name)
		}
		red := append(c.redactor(), password, old.Password)
		return fmt.Errorf("rotate password of %q: %s", s.Username, red.String(err.Error()))
	}
	*s = next
	return nil
}

func (b *Backend) staticRead(ctx context.Context, _ *logical.Request, name string) (*logical.Response, error) {
	s, err := b.loadStatic(ctx, name)
	if err != nil || s == nil {
		return nil, err
	}
	return &logical.Response{Data: map[string]any{
		"db_name":             s.DBName,
		"username":            s.Username,
		"rotation_period":     seconds(s.RotationPeriod),
		"rotation_statements": nonNil(s.Statements),
		"last_vault_rotation": s.LastRotation.UTC().Format(time.RFC3339Nano),
		"credential_type":     "password",
	}}, nil
}

func (b *Backend) staticDelete(ctx context.Context, _ *logical.Request, name string) (*logical.Response, error) {
	b.rotateMu.Lock()
	defer b.rotateMu.Unlock()
	if err := b.storage.Delete(ctx, staticPrefix+name); err != nil {
		return nil, fmt.Errorf("delete static role: %w", err)
	}
	return nil, nil
}

func (b *Backend) staticCredsRead(ctx context.Context, _ *logical.Request, name string) (*logical.Response, error) {
	s, err := b.loadStatic(ctx, name)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, logical.InvalidRequest("unknown role: %s", name)
	}
	ttl := max(s.LastRotation.Add(s.RotationPeriod).Sub(b.now()), 0)
	return &logical.Response{Data: map[string]any{
		"username":            s.Username,
		"password":            s.Password,
		"last_vault_rotation": s.LastRotation.UTC().Format(time.RFC3339Nano),
		"rotation_period":     seconds(s.RotationPeriod),
		"ttl":                 seconds(ttl),
	}}, nil
}

// rotateRole rotates a static role's password now.
func (b *Backend) rotateRole(ctx context.Context, _ *logical.Request, name string) (*logical.Response, error) {
	b.rotateMu.Lock()
	defer b.rotateMu.Unlock()
	s, err := b.loadStatic(ctx, name)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, logical.InvalidRequest("no static role found for role name")
	}
	if err := b.rotateStaticLocked(ctx, name, s); err != nil {
		return nil, err
	}
	return nil, nil
}

// rotateDue rotates every static role whose period has passed. A failure
// is logged (without any password) and tried again on a later tick.
func (b *Backend) rotateDue(ctx context.Context) {
	names, err := b.storage.List(ctx, staticPrefix)
	if err != nil || len(names) == 0 {
		return
	}
	b.rotateMu.Lock()
	defer b.rotateMu.Unlock()
	for _, name := range names {
		s, err := b.loadStatic(ctx, name)
		if err != nil || s == nil || b.now().Before(s.LastRotation.Add(s.RotationPeriod)) {
			continue
		}
		if err := b.rotateStaticLocked(ctx, name, s); err != nil {
			b.logger.Warn("static role rotation failed; will retry", "role", name, "error", err)
		}
	}
}

// rotateRoot gives the config's root user a new password that only vaultd
// knows. The new password is stored before PostgreSQL commits it.
func (b *Backend) rotateRoot(ctx context.Context, _ *logical.Request, name string) (*logical.Response, error) {
	b.rotateMu.Lock()
	defer b.rotateMu.Unlock()
	c, p, err := b.connection(ctx, name)
	if err != nil {
		return nil, err
	}
	if c.Username == "" {
		return nil, logical.InvalidRequest("unable to rotate root credentials: no username in configuration")
	}
	if err := checkIdentifier(c.Username); err != nil {
		return nil, logical.InvalidRequest("unable to rotate root credentials: %v", err)
	}
	password, err := generatePassword()
	if err != nil {
		return nil, err
	}
	old := *c
	next := *c
	next.Password = password
	stored := false
	err = setPassword(ctx, c, p, c.RootRotationStatements, c.Username, password, func() error {
		stored = true
		return b.saveConfig(ctx, name, &next)
	})
	if err != nil {
		if stored {
			_ = b.saveConfig(context.WithoutCancel(ctx), name, &old)
		}
		red := append(c.redactor(), password)
		return nil, fmt.Errorf("failed to update user: %s", red.String(err.Error()))
	}
	// Connections made with the old password stay valid in PostgreSQL;
	// drop them so every new one proves the new password.
	b.replacePool(name, nil)
	return nil, nil
}
