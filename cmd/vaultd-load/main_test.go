package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRunPrintsOneLinePerRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"-addr=" + srv.URL, "-token=t", "-op=read,write", "-c=1,3", "-n=12"}, &out, &errs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{"op=read c=1 requests=12", "op=read c=3 requests=12", "op=write c=1 requests=12", "op=write c=3 requests=12"}
	if len(lines) != len(want) {
		t.Fatalf("output:\n%s", out.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) || !strings.Contains(lines[i], "p50=") || !strings.Contains(lines[i], "p99=") {
			t.Errorf("line %d = %q, want prefix %q with p50 and p99", i, lines[i], w)
		}
	}
}

func TestRunFailures(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"errors":["permission denied"]}`, http.StatusForbidden)
	}))
	defer failing.Close()
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"bad concurrency", []string{"-c=0"}, 2, "-c"},
		{"bad concurrency text", []string{"-c=16x"}, 2, "-c"},
		{"unknown flag", []string{"-bogus"}, 2, "bogus"},
		{"extra argument", []string{"extra"}, 2, "unexpected arguments"},
		{"bad op", []string{"-addr=" + failing.URL, "-op=delete", "-n=1"}, 1, "op"},
		{"requests refused", []string{"-addr=" + failing.URL, "-op=write", "-n=3"}, 1, "permission denied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			if code := run(context.Background(), tc.args, &out, &errs); code != tc.code || !strings.Contains(errs.String(), tc.msg) {
				t.Fatalf("exit %d, stderr %q; want %d mentioning %q", code, errs.String(), tc.code, tc.msg)
			}
		})
	}
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &out, &errs); code != 0 {
		t.Fatalf("-h: exit %d", code)
	}
}
