// Package core is vaultd's heart: the seal state machine, the mount tables
// and router, the request pipeline (token, ACL, audit, route, lease), the
// sys/ backend and the lease manager.
//
// core knows nothing of HTTP. The server package turns HTTP requests into
// logical.Requests and hands them to Core.HandleRequest; the seal ceremony
// endpoints call Initialize, Unseal and SealStatus directly.
package core
