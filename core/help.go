package core

import (
	"context"
	"fmt"
	"net/http"

	"github.com/vaultd/vaultd/logical"
)

// Help answers `vault path-help` (GET <path>?help=1): the pattern of the
// mount's path table that serves path, its operations and fields, and a
// description, from the backend's own table. The token must be valid and
// hold some capability (other than deny) on the path.
func (c *Core) Help(ctx context.Context, path, clientToken string) (string, error) {
	c.stateLock.RLock()
	defer c.stateLock.RUnlock()
	st := c.state
	if st == nil {
		return "", logical.ErrSealed
	}
	if err := validateRequestPath(path); err != nil {
		return "", err
	}
	if clientToken == "" {
		return "", logical.ErrPermissionDenied
	}
	te, err := st.tokens.Lookup(ctx, clientToken)
	if err != nil {
		return "", err
	}
	if te == nil {
		return "", logical.ErrPermissionDenied
	}
	acl, err := st.policies.acl(ctx, te.Policies)
	if err != nil {
		return "", err
	}
	caps := acl.Capabilities(path)
	if len(caps) == 0 || (len(caps) == 1 && caps[0] == "deny") {
		return "", logical.ErrPermissionDenied
	}
	rt, rel := st.router.match(path)
	if rt == nil {
		return "", logical.CodedErrorf(http.StatusNotFound, "no handler for route %q. route entry not found.", path)
	}
	// A help request is audited like any other, and fails closed the same
	// way.
	req := &logical.Request{ID: newUUID(), Operation: helpOperation, Path: path, ClientToken: clientToken, ClientTokenAccessor: te.Accessor}
	in := st.auditInput(&call{req: req, rt: rt, tok: te})
	if err := st.audit.LogRequest(ctx, in); err != nil {
		st.c.sink().IncrCounter(metricAuditRequestFailure, 1)
		return "", errInternal
	}
	text, herr := helpText(rt, rel)
	in.OuterErr, in.Time = herr, st.c.now()
	if err := st.audit.LogResponse(ctx, in); err != nil {
		st.c.sink().IncrCounter(metricAuditResponseFailure, 1)
		return "", errInternal
	}
	return text, herr
}

// helpOperation names a help request in the audit log, as Vault's.
const helpOperation logical.Operation = "help"

func helpText(rt *route, rel string) (string, error) {
	hp, ok := rt.backend.(logical.HelpProvider)
	if !ok {
		return fmt.Sprintf("Request:        %s\n\nThe %q engine mounted at %s has no path help.\n", rel, rt.entry.Type, rt.entry.routePath()), nil
	}
	h, ok := hp.Help(rel)
	if !ok {
		return "", logical.CodedErrorf(http.StatusNotFound, "unsupported path")
	}
	return logical.RenderHelp(rel, h), nil
}
