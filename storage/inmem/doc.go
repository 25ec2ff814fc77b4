// Package inmem is an in-memory storage.Backend for dev mode and tests.
// Nothing survives the process; values are copied in and out so callers
// never alias its contents.
package inmem
