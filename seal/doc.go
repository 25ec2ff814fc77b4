// Package seal holds the state of the unseal ceremony that core drives: the
// seal configuration (how many shares, how many needed) and the progress of
// one unseal attempt. Splitting and combining the shares is seal/shamir's
// job.
//
// The package imports nothing from vaultd outside seal/, so its errors are
// plain; core maps them to HTTP statuses.
package seal
