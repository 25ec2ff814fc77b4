// Package pg runs a real PostgreSQL server for tests: it finds Debian's
// PostgreSQL binaries (/usr/lib/postgresql/<version>/bin), runs initdb and
// pg_ctl in a temporary directory as an unprivileged user on a free
// loopback port, and stops and removes the cluster when the test ends.
//
// When the binaries or the unprivileged user are missing a test is
// skipped, except under CI (CI=true), where it fails: scripts/test installs
// the postgresql package, so a missing server there is a broken machine.
package pg
