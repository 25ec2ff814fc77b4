package kubernetes

import (
	"crypto"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestParseJWTClaimLayouts(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := newRSASigner(t, "RS256")
	legacy := map[string]any{
		"iss":                                    "kubernetes/serviceaccount",
		"sub":                                    "system:serviceaccount:team-a:builder",
		"kubernetes.io/serviceaccount/namespace": "team-a",
		"kubernetes.io/serviceaccount/secret.name":          "builder-token-x7k2p",
		"kubernetes.io/serviceaccount/service-account.name": "builder",
		"kubernetes.io/serviceaccount/service-account.uid":  "uid-legacy",
	}
	both := podClaims(now, "default", "default", "uid-projected")
	for k, v := range legacy {
		both[k] = v
	}
	singleAud := podClaims(now, "ns", "sa", "u")
	singleAud["aud"] = "vault"
	floatExp := podClaims(now, "ns", "sa", "u")
	floatExp["exp"] = float64(now.Unix()) + 0.5

	tests := []struct {
		name   string
		claims map[string]any
		want   saClaims
	}{
		{"projected", podClaims(now, "default", "default", "uid-1"), saClaims{
			Namespace: "default", Name: "default", UID: "uid-1", PodName: "my-api-7d9f",
			Audience: []string{"https://kubernetes.default.svc.cluster.local"},
		}},
		{"legacy secret token", legacy, saClaims{
			Namespace: "team-a", Name: "builder", UID: "uid-legacy", SecretName: "builder-token-x7k2p",
		}},
		{"projected wins over legacy", both, saClaims{
			Namespace: "default", Name: "default", UID: "uid-projected", SecretName: "builder-token-x7k2p", PodName: "my-api-7d9f",
			Audience: []string{"https://kubernetes.default.svc.cluster.local"},
		}},
		{"aud as a string", singleAud, saClaims{Namespace: "ns", Name: "sa", UID: "u", PodName: "my-api-7d9f", Audience: []string{"vault"}}},
		{"fractional exp", floatExp, saClaims{Namespace: "ns", Name: "sa", UID: "u", PodName: "my-api-7d9f",
			Audience: []string{"https://kubernetes.default.svc.cluster.local"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := parseJWT(s.sign(t, tt.claims))
			if err != nil {
				t.Fatal(err)
			}
			got := j.claims
			if got.Namespace != tt.want.Namespace || got.Name != tt.want.Name || got.UID != tt.want.UID ||
				got.SecretName != tt.want.SecretName || got.PodName != tt.want.PodName ||
				strings.Join(got.Audience, ",") != strings.Join(tt.want.Audience, ",") {
				t.Fatalf("claims = %+v, want %+v", got, tt.want)
			}
			if j.alg != "RS256" {
				t.Fatalf("alg = %q", j.alg)
			}
		})
	}
	j, err := parseJWT(s.sign(t, floatExp))
	if err != nil {
		t.Fatal(err)
	}
	if j.claims.Expiry == nil || j.claims.Expiry.Unix() != now.Unix() {
		t.Fatalf("exp = %v", j.claims.Expiry)
	}
}

func TestParseJWTMalformed(t *testing.T) {
	okHeader := b64(`{"alg":"RS256"}`)
	okClaims := b64(`{"sub":"x"}`)
	tests := []struct {
		name, token string
	}{
		{"empty", ""},
		{"garbage", "not-a-jwt"},
		{"two parts", okHeader + "." + okClaims},
		{"four parts", okHeader + "." + okClaims + ".c.d"},
		{"header not base64", "!!!." + okClaims + ".c2ln"},
		{"claims not base64", okHeader + ".!!!.c2ln"},
		{"signature not base64", okHeader + "." + okClaims + ".!!!"},
		{"header not JSON", b64("nope") + "." + okClaims + ".c2ln"},
		{"claims not JSON", okHeader + "." + b64("nope") + ".c2ln"},
		{"alg none", b64(`{"alg":"none"}`) + "." + okClaims + "."},
		{"alg HS256", b64(`{"alg":"HS256"}`) + "." + okClaims + ".c2ln"},
		{"aud a number", okHeader + "." + b64(`{"aud":5}`) + ".c2ln"},
		{"exp a string", okHeader + "." + b64(`{"exp":"soon"}`) + ".c2ln"},
		{"too long", okHeader + "." + b64(`{"x":"`+strings.Repeat("a", maxJWTSize)+`"}`) + ".c2ln"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseJWT(tt.token)
			if !errors.Is(err, errMalformedJWT) {
				t.Fatalf("parseJWT = %v, want errMalformedJWT", err)
			}
		})
	}
}

func TestClaimCheck(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	base := func() saClaims {
		return saClaims{Issuer: "iss-a", Audience: []string{"vault", "other"}, Namespace: "ns", Name: "sa",
			Expiry: at(time.Hour), IssuedAt: at(-time.Minute), NotBefore: at(-time.Minute)}
	}
	tests := []struct {
		name    string
		mutate  func(*saClaims)
		want    claimCheck
		wantErr string
	}{
		{"valid", func(*saClaims) {}, claimCheck{now: now, issuer: "iss-a", audience: "vault"}, ""},
		{"no time claims", func(c *saClaims) { c.Expiry, c.IssuedAt, c.NotBefore = nil, nil, nil }, claimCheck{now: now}, ""},
		{"expired within leeway", func(c *saClaims) { c.Expiry = at(-time.Minute) }, claimCheck{now: now}, ""},
		{"expired", func(c *saClaims) { c.Expiry = at(-10 * time.Minute) }, claimCheck{now: now}, "token is expired"},
		{"not yet valid", func(c *saClaims) { c.NotBefore = at(time.Hour) }, claimCheck{now: now}, "not yet valid"},
		{"issued in the future", func(c *saClaims) { c.IssuedAt = at(time.Hour) }, claimCheck{now: now}, "issued in the future"},
		{"wrong issuer", func(*saClaims) {}, claimCheck{now: now, issuer: "iss-b"}, "issuer"},
		{"issuer unchecked", func(*saClaims) {}, claimCheck{now: now}, ""},
		{"wrong audience", func(*saClaims) {}, claimCheck{now: now, audience: "db"}, "audience"},
		{"no audience claim", func(c *saClaims) { c.Audience = nil }, claimCheck{now: now, audience: "vault"}, "audience"},
		{"not a service account", func(c *saClaims) { c.Namespace = "" }, claimCheck{now: now}, "not a service account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			tt.mutate(&c)
			err := c.check(tt.want)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("check: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("check = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestVerifySignature(t *testing.T) {
	now := time.Now()
	claims := podClaims(now, "default", "default", "u")
	rs := newRSASigner(t, "RS256")
	ps := &signer{alg: "PS256", key: rs.key}
	es := newECSigner(t)
	other := newRSASigner(t, "RS256")
	keys := func(ss ...*signer) []crypto.PublicKey {
		var out []crypto.PublicKey
		for _, s := range ss {
			k, err := parsePublicKey(s.publicPEM(t))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, k)
		}
		return out
	}
	tamper := func(tok string) string {
		parts := strings.Split(tok, ".")
		parts[1] = b64(`{"kubernetes.io":{"namespace":"kube-system","serviceaccount":{"name":"admin","uid":"u"}}}`)
		return strings.Join(parts, ".")
	}
	tests := []struct {
		name  string
		token string
		keys  []crypto.PublicKey
		want  bool
	}{
		{"RS256 right key", rs.sign(t, claims), keys(rs), true},
		{"PS256 right key", ps.sign(t, claims), keys(rs), true},
		{"ES256 right key", es.sign(t, claims), keys(es), true},
		{"right key among others", rs.sign(t, claims), keys(other, es, rs), true},
		{"RS256 other key", rs.sign(t, claims), keys(other), false},
		{"ES256 other key", es.sign(t, claims), keys(rs), false},
		{"tampered claims", tamper(rs.sign(t, claims)), keys(rs), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := parseJWT(tt.token)
			if err != nil {
				t.Fatal(err)
			}
			if got := j.verify(tt.keys); got != tt.want {
				t.Fatalf("verify = %v, want %v", got, tt.want)
			}
		})
	}
}
