package pg

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser is the name of the cluster's bootstrap superuser.
const Superuser = "postgres"

// Server is one running PostgreSQL cluster.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	cred *syscall.Credential
	// Host and Port are where the server listens (127.0.0.1 and a free port).
	Host string
	Port int
	// Password is the superuser's password (scram-sha-256 over TCP).
	Password string

	mu      sync.Mutex
	running bool
}

// binDir returns the newest Debian PostgreSQL bin directory, or "".
func binDir() string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return ""
	}
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) > version(matches[j]) })
	return filepath.Dir(matches[0])
}

func version(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// unavailable skips the test, or fails it under CI.
func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("pg: PostgreSQL is required under CI: %s", why)
	}
	t.Skipf("pg: PostgreSQL not available: %s (apt-get install postgresql)", why)
}

// credential is who the server runs as: itself when not root, else the
// Debian package's "postgres" system user (PostgreSQL refuses to run as root).
func credential(t testing.TB) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		unavailable(t, "no unprivileged postgres user: "+err.Error())
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// Start initialises and starts a cluster; it is stopped and removed when
// the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := binDir()
	if bin == "" {
		unavailable(t, "no /usr/lib/postgresql/*/bin/initdb")
	}
	s := &Server{t: t, bin: bin, cred: credential(t), Host: "127.0.0.1", Password: randomHex(t, 16)}
	dir, err := os.MkdirTemp("", "vaultd-pg-")
	if err != nil {
		t.Fatalf("pg: temp dir: %v", err)
	}
	s.dir = dir
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if s.cred != nil {
		if err := os.Chown(dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			t.Fatalf("pg: chown: %v", err)
		}
	}
	pwfile := filepath.Join(dir, "pwfile")
	s.writeOwned(pwfile, s.Password+"\n")
	s.run("initdb", "-D", s.data(), "-U", Superuser, "--pwfile="+pwfile, "-E", "UTF8", "--no-locale",
		"--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync")
	_ = os.Remove(pwfile)
	// The free port may be taken by someone else before the server binds
	// it (other test processes start clusters too): try a few.
	var out []byte
	for range 3 {
		s.Port = freePort(t)
		if out, err = s.exec("pg_ctl", s.startArgs()...); err == nil {
			s.running = true
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("pg: pg_ctl start: %v\n%s", err, out)
	return nil
}

func (s *Server) startArgs() []string {
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=off -c max_connections=200 -c shared_buffers=16MB", s.Port, s.dir)
	return []string{"-D", s.data(), "-l", filepath.Join(s.dir, "server.log"), "-o", opts, "-w", "-t", "60", "start"}
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

func (s *Server) writeOwned(path, content string) {
	s.t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		s.t.Fatalf("pg: write %s: %v", path, err)
	}
	if s.cred != nil {
		if err := os.Chown(path, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			s.t.Fatalf("pg: chown: %v", err)
		}
	}
}

// run runs one PostgreSQL program as the server's user and fails the test
// with its output when it fails.
func (s *Server) run(prog string, args ...string) {
	s.t.Helper()
	if out, err := s.exec(prog, args...); err != nil {
		s.t.Fatalf("pg: %s %v: %v\n%s", prog, args, err, out)
	}
}

func (s *Server) exec(prog string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, prog), args...)
	cmd.Dir = s.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "HOME=" + s.dir}
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// Start starts the server (again, after Stop) on the same data and port.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return
	}
	s.run("pg_ctl", s.startArgs()...)
	s.running = true
}

// Stop stops the server (fast shutdown: sessions are cut); safe to call twice.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return
	}
	if out, err := s.exec("pg_ctl", "-D", s.data(), "-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		s.t.Errorf("pg: stop: %v\n%s", err, out)
	}
	s.running = false
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// URL is a connection URL for user and password on database db.
func (s *Server) URL(user, password, db string) string {
	u := url.URL{Scheme: "postgresql", User: url.UserPassword(user, password), Host: s.Addr(), Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// TemplateURL is a URL with Vault's {{username}} and {{password}}
// placeholders, as a database config's connection_url takes it.
func (s *Server) TemplateURL(db string) string {
	return fmt.Sprintf("postgresql://{{username}}:{{password}}@%s/%s?sslmode=disable", s.Addr(), db)
}

// Connect opens a connection as user with password to database db.
func (s *Server) Connect(ctx context.Context, user, password, db string) (*pgx.Conn, error) {
	return pgx.Connect(ctx, s.URL(user, password, db))
}

// WithAdmin runs fn on a fresh superuser connection to database
// "postgres" and closes it.
func (s *Server) WithAdmin(t testing.TB, fn func(ctx context.Context, c *pgx.Conn) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := s.Connect(ctx, Superuser, s.Password, "postgres")
	if err != nil {
		t.Fatalf("pg: admin connect: %v", err)
	}
	defer c.Close(context.Background())
	if err := fn(ctx, c); err != nil {
		t.Fatalf("pg: %v", err)
	}
}

// Exec runs SQL as the superuser on database "postgres".
func (s *Server) Exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	s.WithAdmin(t, func(ctx context.Context, c *pgx.Conn) error {
		if _, err := c.Exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("%s: %w", sql, err)
		}
		return nil
	})
}

// RoleExists reports whether a role of that name is in pg_roles.
func (s *Server) RoleExists(t testing.TB, name string) bool {
	t.Helper()
	var n int
	s.WithAdmin(t, func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT count(*) FROM pg_roles WHERE rolname = $1", name).Scan(&n)
	})
	return n == 1
}

// ValidUntil returns a role's rolvaliduntil (zero when unset).
func (s *Server) ValidUntil(t testing.TB, name string) time.Time {
	t.Helper()
	var at *time.Time
	s.WithAdmin(t, func(ctx context.Context, c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1", name).Scan(&at)
	})
	if at == nil {
		return time.Time{}
	}
	return *at
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pg: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("pg: random: %v", err)
	}
	return hex.EncodeToString(b)
}
