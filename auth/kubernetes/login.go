package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/vaultd/vaultd/logical"
)

var loginSchema = map[string]*logical.FieldSchema{
	"role": {Type: logical.TypeString},
	"jwt":  {Type: logical.TypeString},
}

// denied is a 403 with a reason of the kind Vault gives.
func denied(reason string) error {
	return &logical.CodedError{Status: http.StatusForbidden, Message: reason}
}

// apiCredentials are what a login needs to reach the API server.
type apiCredentials struct {
	target   apiTarget
	reviewer string // bearer for TokenReview and lookups; empty: the client's own JWT
}

// credentials resolves the configuration against the pod's local files:
// with no CA or reviewer JWT configured (and disable_local_ca_jwt false),
// the pod's own are used, re-read as the kubelet rotates them.
func (b *Backend) credentials(c *config) apiCredentials {
	cred := apiCredentials{target: apiTarget{host: c.Host, caCert: c.CACert}, reviewer: c.TokenReviewerJWT}
	if c.DisableLocalCAJwt {
		return cred
	}
	if cred.reviewer == "" {
		token, err := b.localToken.read()
		if err != nil {
			b.logger.Debug("no local service-account token; the client's JWT will review itself", "error", err)
		}
		cred.reviewer = token
	}
	if cred.target.caCert == "" {
		ca, err := b.localCA.read()
		if err != nil {
			b.logger.Debug("no local CA certificate; using the system's roots", "error", err)
		}
		cred.target.caCert = ca
	}
	return cred
}

func (b *Backend) login(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	defer b.metrics.MeasureSince(metricLogin, time.Now())
	fd := &logical.FieldData{Raw: req.Data, Schema: loginSchema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	roleName := strings.TrimSpace(fd.Get("role").(string))
	if roleName == "" {
		return nil, logical.InvalidRequest("missing role")
	}
	jwt := strings.TrimSpace(fd.Get("jwt").(string))
	if jwt == "" {
		return nil, logical.InvalidRequest("missing jwt")
	}
	r, err := loadRole(ctx, req.Storage, roleName)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, logical.InvalidRequest("invalid role name %q", roleName)
	}
	if !r.allowsAddr(req.RemoteAddr) {
		return nil, logical.ErrPermissionDenied
	}
	conf, err := loadConfig(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	if conf == nil {
		return nil, errors.New("could not load backend configuration: write auth/kubernetes/config first")
	}

	claims, err := b.checkClaims(jwt, r, conf)
	if err != nil {
		return nil, err
	}
	namespaceListed := r.bindsNamespaceByName(claims.Namespace)
	if !namespaceListed && r.BoundServiceAccountNamespaceSelector == "" {
		return nil, denied("namespace not authorized")
	}

	cred := b.credentials(conf)
	cs, err := b.clients.get(cred.target)
	if err != nil {
		return nil, err
	}
	bearer := cred.reviewer
	if bearer == "" {
		bearer = jwt
	}
	audiences := claims.Audience
	if r.Audience != "" {
		audiences = []string{r.Audience}
	}
	callCtx, cancel := context.WithTimeout(ctx, b.opts.RequestTimeout)
	defer cancel()
	started := time.Now()
	got, err := review(callCtx, cs, bearer, jwt, audiences)
	b.observe("TokenReview", started, err)
	if err != nil {
		return nil, b.apiFailure("login refused by TokenReview", err)
	}
	if got.Namespace != claims.Namespace || got.Name != claims.Name || got.UID != claims.UID {
		b.logger.Debug("login refused: TokenReview identity differs from the JWT's claims")
		return nil, logical.ErrPermissionDenied
	}
	// The selector is checked only for a token the API server vouched for,
	// so an unauthenticated caller learns nothing about namespace labels.
	if !namespaceListed {
		if err := b.checkSelector(callCtx, cs, cred.reviewer, r, claims.Namespace); err != nil {
			return nil, err
		}
	}
	return &logical.Response{Auth: r.auth(roleName, claims)}, nil
}

// checkClaims does everything that needs no network: parse, signature
// (with pem_keys), time, issuer, audience, service account name.
func (b *Backend) checkClaims(jwt string, r *role, conf *config) (*saClaims, error) {
	parsed, err := parseJWT(jwt)
	if err != nil {
		return nil, denied(err.Error())
	}
	if len(conf.PEMKeys) > 0 {
		keys, err := parsePublicKeys(conf.PEMKeys)
		if err != nil {
			return nil, fmt.Errorf("kubernetes auth: stored pem_keys: %w", err)
		}
		if !parsed.verify(keys) {
			b.logger.Debug("login refused: JWT signature matches no configured pem_keys")
			return nil, logical.ErrPermissionDenied
		}
	}
	want := claimCheck{now: b.system.Now(), audience: r.Audience}
	if !conf.DisableISSValidation {
		want.issuer = conf.Issuer
	}
	if err := parsed.claims.check(want); err != nil {
		return nil, denied(err.Error())
	}
	if !r.bindsName(parsed.claims.Name) {
		return nil, denied("service account name not authorized")
	}
	return &parsed.claims, nil
}

// checkSelector admits a namespace by the role's label selector, reading
// its labels with the reviewer credential.
func (b *Backend) checkSelector(ctx context.Context, cs kubernetes.Interface, reviewer string, r *role, namespace string) error {
	if reviewer == "" {
		return denied("namespace not authorized: a token_reviewer_jwt (or vaultd's own pod token) is needed to use namespace selectors")
	}
	sel, err := parseNamespaceSelector(r.BoundServiceAccountNamespaceSelector)
	if err != nil {
		return fmt.Errorf("kubernetes auth: stored namespace selector: %w", err)
	}
	started := time.Now()
	nsLabels, err := namespaceLabels(ctx, cs, reviewer, namespace)
	b.observe("namespace", started, err)
	if err != nil {
		return b.apiFailure("namespace not authorized", err)
	}
	if !sel.Matches(labels.Set(nsLabels)) {
		return denied("namespace not authorized")
	}
	return nil
}

func (b *Backend) observe(call string, started time.Time, err error) {
	b.observeMetrics(call, started, err)
	if b.opts.ObserveAPICall != nil {
		b.opts.ObserveAPICall(call, time.Since(started), err)
	}
}

// apiFailure turns an API error into the client's answer: a refusal is a
// 403, a server that cannot be reached a 500 saying so.
func (b *Backend) apiFailure(what string, err error) error {
	if errors.Is(err, errReviewUnavailable) {
		b.logger.Warn("kubernetes API server call failed", "error", err)
		return fmt.Errorf("kubernetes auth: %w", err)
	}
	if strings.HasPrefix(what, "namespace") {
		// The reviewer credential was refused: an operator's problem.
		b.logger.Warn("namespace lookup for a label selector refused", "error", err)
		return denied("namespace not authorized")
	}
	b.logger.Debug(what, "error", err)
	return logical.ErrPermissionDenied
}
