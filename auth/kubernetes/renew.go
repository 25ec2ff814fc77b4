package kubernetes

import (
	"context"
	"fmt"

	"github.com/vaultd/vaultd/logical"
)

// renew answers core's renewal of a token this method issued. The role
// must still exist and still bind the service account the token was issued
// to (by name, and by namespace list or label selector); the renewed token
// takes the role's current TTL, max TTL and period.
func (b *Backend) renew(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	if req.Auth == nil {
		return nil, logical.InvalidRequest("renew: no auth to renew")
	}
	str := func(k string) string {
		s, _ := req.Auth.InternalData[k].(string)
		return s
	}
	roleName, name, namespace := str("role"), str("service_account_name"), str("service_account_namespace")
	if roleName == "" || name == "" || namespace == "" {
		return nil, denied("permission denied: the token carries no role or service account to renew against")
	}
	r, err := loadRole(ctx, req.Storage, roleName)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, denied(fmt.Sprintf("permission denied: role %q no longer exists", roleName))
	}
	if !r.bindsName(name) {
		return nil, denied(fmt.Sprintf("permission denied: role %q no longer binds service account %q", roleName, name))
	}
	if !r.bindsNamespaceByName(namespace) {
		if r.BoundServiceAccountNamespaceSelector == "" {
			return nil, denied(fmt.Sprintf("permission denied: role %q no longer binds namespace %q", roleName, namespace))
		}
		if err := b.renewSelector(ctx, req, r, namespace); err != nil {
			return nil, err
		}
	}
	return r.Renewed(req.Auth), nil
}

// renewSelector re-checks a namespace admitted by label selector.
func (b *Backend) renewSelector(ctx context.Context, req *logical.Request, r *role, namespace string) error {
	conf, err := loadConfig(ctx, req.Storage)
	if err != nil {
		return err
	}
	if conf == nil {
		return fmt.Errorf("could not load backend configuration")
	}
	cred := b.credentials(conf)
	cs, err := b.clients.get(cred.target)
	if err != nil {
		return err
	}
	callCtx, cancel := context.WithTimeout(ctx, b.opts.RequestTimeout)
	defer cancel()
	return b.checkSelector(callCtx, cs, cred.reviewer, r, namespace)
}
