package kubernetes

import (
	"strings"

	"github.com/vaultd/vaultd/logical"
)

// Help implements logical.HelpProvider, mirroring HandleRequest's
// dispatch and the schemas its handlers decode.
func (b *Backend) Help(path string) (*logical.PathHelp, bool) {
	rw := []logical.Operation{logical.ReadOperation, logical.CreateOperation, logical.UpdateOperation}
	switch p := strings.Trim(path, "/"); {
	case p == "config":
		return &logical.PathHelp{Pattern: `config`, Operations: rw, Fields: configSchema,
			Synopsis: "Configure how the method reaches the Kubernetes API server (kubernetes_host, CA, reviewer JWT)."}, true
	case p == "login":
		return &logical.PathHelp{Pattern: `login$`, Operations: []logical.Operation{logical.UpdateOperation}, Fields: loginSchema,
			Synopsis: "Log in with a service account token (jwt) and a role; the token is checked with a TokenReview."}, true
	case p == "role":
		return &logical.PathHelp{Pattern: `role/?`, Operations: []logical.Operation{logical.ListOperation},
			Synopsis: "List the roles."}, true
	case strings.HasPrefix(p, "role/"):
		return &logical.PathHelp{Pattern: `role/(?P<name>\w(([\w-.]+)?\w)?)`, Operations: append(rw, logical.DeleteOperation), Fields: roleSchema,
			Synopsis: "Create, read, update or delete a role: which service accounts and namespaces may log in, with which token settings."}, true
	}
	return nil, false
}
