package logical

import (
	"net/http"
	"time"
)

// Operation is what a request asks an engine to do.
type Operation string

// The operations a request can carry. HTTP methods map onto them in the
// server: GET is read, LIST (or GET ?list=true) is list, POST and PUT are
// create or update (the engine's existence check decides), PATCH is patch,
// DELETE is delete. Renew and revoke are issued by core's lease manager.
const (
	CreateOperation Operation = "create"
	ReadOperation   Operation = "read"
	UpdateOperation Operation = "update"
	PatchOperation  Operation = "patch"
	DeleteOperation Operation = "delete"
	ListOperation   Operation = "list"
	RenewOperation  Operation = "renew"
	RevokeOperation Operation = "revoke"
)

// Request is one call to an engine.
type Request struct {
	// ID is a random identifier, shared by the request's audit entries.
	ID string
	// Operation is what is asked.
	Operation Operation
	// Path is relative to the mount point: "data/my-api" for a request to
	// "secret/data/my-api" on a mount at "secret/".
	Path string
	// Data is the decoded JSON body, or for reads and lists the query
	// parameters, each as a string.
	Data map[string]any

	// ClientToken is the token that made the request, empty on login paths.
	ClientToken string
	// ClientTokenAccessor is the accessor of ClientToken.
	ClientTokenAccessor string
	// DisplayName, Policies and EntityID describe the caller's token.
	DisplayName string
	Policies    []string
	EntityID    string

	// MountPoint is the path the engine is mounted at, with a trailing slash.
	MountPoint string
	// MountType is the engine's type name ("kv", "kubernetes", "token").
	MountType string
	// MountAccessor is the mount's accessor ("kv_1a2b3c4d").
	MountAccessor string

	// RemoteAddr and RemotePort are the client's address, for auditing and
	// CIDR bindings.
	RemoteAddr string
	RemotePort int
	// Headers are the HTTP request headers; the server removes the token
	// headers before an engine sees them.
	Headers http.Header
	// ContentType is the media type of the body ("application/json",
	// "application/merge-patch+json"), without parameters.
	ContentType string

	// WrapTTL is the response-wrapping TTL the client asked for, zero for none.
	WrapTTL time.Duration

	// Storage is the engine's own storage view.
	Storage Storage

	// Auth is set on renew and revoke of a token issued by an auth method:
	// the auth the method returned at login, as stored.
	Auth *Auth
	// Secret is set on renew and revoke of a secret lease.
	Secret *Secret

	// Unauthenticated reports that the path is one the engine declared as
	// needing no token; ClientToken may still be set.
	Unauthenticated bool
}

// Get returns the value of a field in the request data, or nil.
func (r *Request) Get(key string) any {
	if r.Data == nil {
		return nil
	}
	return r.Data[key]
}
