package raft

import (
	"bytes"
	"io"
	"log/slog"
)

// hclogOutput adapts Raft's line-oriented logger output to slog: each line
// becomes one record at info level under the "raft" group. Raft logs
// addresses and indexes, never stored values.
func hclogOutput(l *slog.Logger) io.Writer {
	if l == nil {
		return io.Discard
	}
	return &lineWriter{log: l.With("component", "raft")}
}

type lineWriter struct{ log *slog.Logger }

func (w *lineWriter) Write(p []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
		if len(line) > 0 {
			w.log.Info(string(line))
		}
	}
	return len(p), nil
}

// LogWriter is the same adapter for the Raft network transport's logs.
func LogWriter(l *slog.Logger) io.Writer { return hclogOutput(l) }
