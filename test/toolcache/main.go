package toolcache

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Main is the body of a command that fills a cache ahead of `go test`: it
// runs ensure until it returns or the process is interrupted, logging to
// standard error, prints the path ensure returns and gives the exit code
// (0, or 1 when ensure fails).
func Main(ensure func(ctx context.Context, logger *slog.Logger) (string, error)) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	path, err := ensure(ctx, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(path)
	return 0
}
