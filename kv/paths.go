package kv

import (
	"strings"

	"github.com/vaultd/vaultd/logical"
)

// validateSecretPath checks the path of one secret: non-empty, no empty
// segment (so no leading, trailing or doubled slash) and no "." or ".."
// segment. A bad path is a 400 and nothing is read or written.
func validateSecretPath(p string) error {
	if p == "" {
		return logical.InvalidRequest("missing path")
	}
	return validateSegments(p)
}

// listPrefix turns the path of a LIST request into a storage prefix: empty
// for the root, otherwise the folder with exactly one trailing slash. The
// folder's segments are validated like a secret path.
func listPrefix(p string) (string, error) {
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return "", nil
	}
	if err := validateSegments(p); err != nil {
		return "", err
	}
	return p + "/", nil
}

func validateSegments(p string) error {
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return logical.InvalidRequest("invalid path %q: empty path segment", p)
		case ".", "..":
			return logical.InvalidRequest("invalid path %q: %q segments are not allowed", p, seg)
		}
	}
	return nil
}
