package pg

import (
	"context"

	"github.com/jackc/pgx/v5"
	"testing"
	"time"
)

// TestStartConnectStopStart shows the harness gives a server that accepts
// the superuser's password, refuses a wrong one, and comes back after Stop.
func TestStartConnectStopStart(t *testing.T) {
	s := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var one int
	s.WithAdmin(t, func(ctx context.Context, c *pgx.Conn) error { return c.QueryRow(ctx, "SELECT 1").Scan(&one) })
	if one != 1 {
		t.Fatalf("select 1 gave %d", one)
	}
	if c, err := s.Connect(ctx, Superuser, "wrong", "postgres"); err == nil {
		_ = c.Close(ctx)
		t.Fatal("a wrong password logged in")
	}
	s.Stop()
	if c, err := s.Connect(ctx, Superuser, s.Password, "postgres"); err == nil {
		_ = c.Close(ctx)
		t.Fatal("connected to a stopped server")
	}
	s.Start()
	c, err := s.Connect(ctx, Superuser, s.Password, "postgres")
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	_ = c.Close(ctx)
}
