// Package proc runs the vaultd binary (or any program) as a child process
// for tests: it builds cmd/vaultd once per test binary, picks free loopback
// ports, collects a child's output behind a lock, waits for a server to
// answer sys/health, and stops the child when the test ends.
//
// Every test that runs a real process — the crash test, the agent, the
// injector, HA nodes, the CLI — uses these helpers rather than its own copy.
package proc
