package kubernetes

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/vaultd/vaultd/auth/authutil"
	"github.com/vaultd/vaultd/logical"
)

const configKey = "config"

// config is the stored configuration. The reviewer JWT is kept in the
// mount's storage view, inside the barrier, and never returned by a read.
type config struct {
	Host                 string   `json:"host"`
	CACert               string   `json:"ca_cert"`
	TokenReviewerJWT     string   `json:"token_reviewer_jwt"`
	PEMKeys              []string `json:"pem_keys"`
	Issuer               string   `json:"issuer"`
	DisableISSValidation bool     `json:"disable_iss_validation"`
	DisableLocalCAJwt    bool     `json:"disable_local_ca_jwt"`
}

var configSchema = map[string]*logical.FieldSchema{
	"kubernetes_host":        {Type: logical.TypeString},
	"kubernetes_ca_cert":     {Type: logical.TypeString},
	"token_reviewer_jwt":     {Type: logical.TypeString},
	"pem_keys":               {Type: logical.TypeStringList},
	"issuer":                 {Type: logical.TypeString},
	"disable_iss_validation": {Type: logical.TypeBool, Default: true},
	"disable_local_ca_jwt":   {Type: logical.TypeBool, Default: false},
}

func loadConfig(ctx context.Context, s logical.Storage) (*config, error) {
	entry, err := s.Get(ctx, configKey)
	if err != nil {
		return nil, fmt.Errorf("kubernetes auth: read config: %w", err)
	}
	if entry == nil {
		return nil, nil
	}
	var c config
	if err := json.Unmarshal(entry.Value, &c); err != nil {
		return nil, fmt.Errorf("kubernetes auth: decode config: %w", err)
	}
	return &c, nil
}

func (b *Backend) readConfig(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	c, err := loadConfig(ctx, req.Storage)
	if err != nil || c == nil {
		return nil, err
	}
	pemKeys := c.PEMKeys
	if pemKeys == nil {
		pemKeys = []string{}
	}
	return &logical.Response{Data: map[string]any{
		"kubernetes_host":        c.Host,
		"kubernetes_ca_cert":     c.CACert,
		"pem_keys":               pemKeys,
		"issuer":                 c.Issuer,
		"disable_iss_validation": c.DisableISSValidation,
		"disable_local_ca_jwt":   c.DisableLocalCAJwt,
		"token_reviewer_jwt_set": c.TokenReviewerJWT != "",
	}}, nil
}

// writeConfig replaces the configuration, as Vault's does: fields left out
// take their defaults.
func (b *Backend) writeConfig(ctx context.Context, req *logical.Request) (*logical.Response, error) {
	fd := &logical.FieldData{Raw: req.Data, Schema: configSchema}
	if err := fd.Validate(); err != nil {
		return nil, err
	}
	c := &config{
		Host:                 strings.TrimSpace(fd.Get("kubernetes_host").(string)),
		CACert:               strings.TrimSpace(fd.Get("kubernetes_ca_cert").(string)),
		TokenReviewerJWT:     strings.TrimSpace(fd.Get("token_reviewer_jwt").(string)),
		PEMKeys:              fd.Get("pem_keys").([]string),
		Issuer:               fd.Get("issuer").(string),
		DisableISSValidation: fd.Get("disable_iss_validation").(bool),
		DisableLocalCAJwt:    fd.Get("disable_local_ca_jwt").(bool),
	}
	if c.Host == "" {
		return nil, logical.InvalidRequest("no host provided: kubernetes_host is required")
	}
	if _, err := normalizeHost(c.Host); err != nil {
		return nil, logical.InvalidRequest("invalid kubernetes_host: %v", err)
	}
	if c.CACert != "" {
		if _, err := parseCertificates(c.CACert); err != nil {
			return nil, logical.InvalidRequest("The provided CA PEM data contains no valid certificates: %v", err)
		}
	}
	if _, err := parsePublicKeys(c.PEMKeys); err != nil {
		return nil, logical.InvalidRequest("invalid pem_keys: %v", err)
	}
	value, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("kubernetes auth: encode config: %w", err)
	}
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	if err := req.Storage.Put(ctx, &logical.StorageEntry{Key: configKey, Value: value}); err != nil {
		return nil, fmt.Errorf("kubernetes auth: write config: %w", err)
	}
	b.clients.reset()
	return nil, nil
}

// normalizeHost accepts a URL, a host:port or a host, as Vault does, and
// returns the URL client-go should use (https unless a scheme is given).
func normalizeHost(host string) (string, error) {
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	u, err := url.Parse(host)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL or host:port", host)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("%q names no host", host)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q must not carry user info, a query or a fragment", host)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// parseCertificates requires at least one PEM CERTIFICATE block and that
// every such block is a certificate.
func parseCertificates(bundle string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := []byte(bundle)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return certs, nil
}

// parsePublicKeys reads pem_keys: each a PEM public key or certificate,
// RSA or ECDSA.
func parsePublicKeys(pems []string) ([]crypto.PublicKey, error) {
	keys := make([]crypto.PublicKey, 0, len(pems))
	for i, p := range pems {
		key, err := parsePublicKey(p)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

func parsePublicKey(p string) (crypto.PublicKey, error) {
	errNoKey := errors.New("data does not contain any valid RSA or ECDSA public keys")
	switch k := authutil.DecodePublicKeyPEM(p).(type) {
	case *rsa.PublicKey:
		return k, nil
	case *ecdsa.PublicKey:
		return k, nil
	}
	return nil, errNoKey
}
