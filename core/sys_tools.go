package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strconv"

	"github.com/vaultd/vaultd/logical"
)

// maxRandomBytes is the most sys/tools/random hands out at once, as Vault.
const maxRandomBytes = 128 * 1024

func (b *sysBackend) toolRoutes() []sysRoute {
	upd := func(h sysHandler) map[logical.Operation]sysHandler {
		return map[logical.Operation]sysHandler{logical.UpdateOperation: h}
	}
	return []sysRoute{
		// tools/random, tools/random/<bytes>, tools/random/<source>,
		// tools/random/<source>/<bytes>
		sysPath(`tools/random(?:/(platform|seal|all))?(?:/([^/]+))?`, upd(b.toolRandom)),
		sysPath(`tools/hash(?:/([^/]+))?`, upd(b.toolHash)),
	}
}

var randomSchema = map[string]*logical.FieldSchema{
	"bytes":  {Type: logical.TypeInt, Default: 32},
	"format": {Type: logical.TypeString, Default: "base64"},
	"source": {Type: logical.TypeString, Default: "platform"},
}

// toolRandom answers random bytes from the platform's CSPRNG. Every source
// Vault names (platform, seal, all) is served by crypto/rand: vaultd has no
// seal with an entropy source of its own.
func (b *sysBackend) toolRandom(_ context.Context, req *logical.Request, m []string) (*logical.Response, error) {
	fd, err := fields(req, randomSchema)
	if err != nil {
		return nil, err
	}
	n := fd.Get("bytes").(int64)
	if m[2] != "" {
		if n, err = strconv.ParseInt(m[2], 10, 64); err != nil {
			// Vault reads a non-number in that place as the format.
			return nil, logical.InvalidRequest("error parsing URL-given byte count: %v", err)
		}
	}
	source := fd.Get("source").(string)
	if m[1] != "" {
		source = m[1]
	}
	switch source {
	case "platform", "seal", "all":
	default:
		return nil, logical.InvalidRequest("unsupported entropy source %q; must be \"platform\", \"seal\", or \"all\"", source)
	}
	if n < 1 {
		return nil, logical.InvalidRequest("bytes must be greater than 0")
	}
	if n > maxRandomBytes {
		return nil, logical.InvalidRequest("bytes cannot be greater than %d", maxRandomBytes)
	}
	format := fd.Get("format").(string)
	encode, err := encoder(format)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		return nil, err
	}
	return &logical.Response{Data: map[string]any{"random_bytes": encode(buf)}}, nil
}

func encoder(format string) (func([]byte) string, error) {
	switch format {
	case "base64":
		return base64.StdEncoding.EncodeToString, nil
	case "hex":
		return hex.EncodeToString, nil
	}
	return nil, logical.InvalidRequest("unsupported encoding format %q; must be \"hex\" or \"base64\"", format)
}

var hashSchema = map[string]*logical.FieldSchema{
	"input":     {Type: logical.TypeString},
	"algorithm": {Type: logical.TypeString, Default: "sha2-256"},
	"format":    {Type: logical.TypeString, Default: "hex"},
}

// hashes are the algorithms of sys/tools/hash, by Vault's names.
var hashes = map[string]func() hash.Hash{
	"sha2-224": sha256.New224,
	"sha2-256": sha256.New,
	"sha2-384": sha512.New384,
	"sha2-512": sha512.New,
	"sha3-224": func() hash.Hash { return sha3.New224() },
	"sha3-256": func() hash.Hash { return sha3.New256() },
	"sha3-384": func() hash.Hash { return sha3.New384() },
	"sha3-512": func() hash.Hash { return sha3.New512() },
}

// toolHash hashes base64 input.
func (b *sysBackend) toolHash(_ context.Context, req *logical.Request, m []string) (*logical.Response, error) {
	fd, err := fields(req, hashSchema)
	if err != nil {
		return nil, err
	}
	in, err := base64.StdEncoding.DecodeString(fd.Get("input").(string))
	if err != nil {
		return nil, logical.InvalidRequest("unable to decode input as base64: %v", err)
	}
	alg := fd.Get("algorithm").(string)
	if m[1] != "" {
		alg = m[1]
	}
	newHash, ok := hashes[alg]
	if !ok {
		return nil, logical.InvalidRequest("unsupported algorithm %s", alg)
	}
	encode, err := encoder(fd.Get("format").(string))
	if err != nil {
		return nil, err
	}
	h := newHash()
	h.Write(in)
	return &logical.Response{Data: map[string]any{"sum": encode(h.Sum(nil))}}, nil
}
