// Package database is the database secrets engine, Vault's "database"
// mount type, for PostgreSQL: it keeps connection configs (root
// credentials inside the barrier), creates a PostgreSQL role per read of
// creds/<role> with a lease that core's expiration manager renews and
// revokes, and rotates the passwords of existing users on a schedule
// (static roles).
//
// Statements are the operator's SQL with Vault's placeholders ({{name}},
// {{username}}, {{password}}, {{expiration}}) filled in. The values vaultd
// puts there are generated from fixed, quote-free alphabets (or refused when
// they are not, as a static role's username with a quote), so no filled-in
// value can end a literal or an identifier; the engine's own statements use
// bind parameters and quoted identifiers. Every error that reaches a client
// or a log line has the passwords it could contain replaced.
//
// The package imports only logical and pgx.
package database
