// Package kubernetes is vaultd's Kubernetes auth method: pods log in with
// their service-account token and get a vaultd token with the policies of a
// role that binds their service account.
//
// It speaks the paths of Vault's Kubernetes auth method, relative to the
// mount (auth/kubernetes/ by default):
//
//	config        GET, POST   the API server to ask, its CA, a reviewer JWT
//	role/<name>   GET, POST, DELETE
//	role          LIST
//	login         POST        role + jwt, no token needed
//
// A login first reads the JWT's claims and checks them against the role
// (service account name and namespace, audience, expiry, issuer, and the
// signature when pem_keys are configured), so a token that cannot match
// costs no network call. Only then does it ask the API server, through
// client-go's authentication.k8s.io/v1 TokenReview, whether the token is
// genuine and still valid: the API server's checks of signature, expiry,
// audience and deleted service accounts are the ones that count. The
// answer's user must be system:serviceaccount:<namespace>:<name> with the
// claims' UID. Renewal of a token from this method re-checks that its role
// still exists and still binds the service account.
//
// The client for the API server is built once per configuration and reused
// (one HTTP/2 connection, no client-side rate limit), with a per-request
// timeout, so a dead API server is a prompt 500 rather than a hang.
package kubernetes
