package kv

import (
	"math"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// getInt returns an int field and whether the request set it.
func getInt(fd *logical.FieldData, name string) (int64, bool, error) {
	v, ok, err := fd.GetOk(name)
	if err != nil {
		return 0, false, err
	}
	return v.(int64), ok, nil
}

// getBool returns a bool field and whether the request set it.
func getBool(fd *logical.FieldData, name string) (bool, bool, error) {
	v, ok, err := fd.GetOk(name)
	if err != nil {
		return false, false, err
	}
	return v.(bool), ok, nil
}

// getMaxVersions reads max_versions, which must fit a non-negative uint32.
func getMaxVersions(fd *logical.FieldData) (uint32, bool, error) {
	n, ok, err := getInt(fd, "max_versions")
	if err != nil || !ok {
		return 0, ok, err
	}
	if n < 0 || n > math.MaxUint32 {
		return 0, false, logical.InvalidRequest("max_versions must be between 0 and %d", uint32(math.MaxUint32))
	}
	return uint32(n), true, nil
}

// parseSignedDuration reads a duration that may be negative ("-1s", -1),
// truncated to whole seconds as Vault's TypeSignedDurationSecond is.
func parseSignedDuration(raw any) (time.Duration, error) {
	if s, ok := raw.(string); ok {
		s = strings.TrimSpace(s)
		if rest, neg := strings.CutPrefix(s, "-"); neg {
			d, err := logical.ParseDuration(rest)
			return -d.Truncate(time.Second), err
		}
	}
	if n, err := logical.ParseInt(raw); err == nil && n < 0 {
		if n < math.MinInt64/int64(time.Second) {
			return 0, logical.InvalidRequest("duration %d is too large", n)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := logical.ParseDuration(raw)
	return d.Truncate(time.Second), err
}

// getVersions reads the "versions" field of delete/, undelete/ and
// destroy/: a list of version numbers given as [1,2], ["1","2"], "1,2" or 1.
// emptyMsg is the 400 for a missing or empty list (Vault words it
// differently per endpoint).
func getVersions(req *logical.Request, emptyMsg string) ([]uint64, error) {
	raw, ok := req.Data["versions"]
	if !ok || raw == nil {
		return nil, logical.InvalidRequest("%s", emptyMsg)
	}
	list, err := logical.ParseIntList(raw)
	if err != nil {
		return nil, logical.InvalidRequest("error converting input for field %q: %v", "versions", err)
	}
	if len(list) == 0 {
		return nil, logical.InvalidRequest("%s", emptyMsg)
	}
	out := make([]uint64, 0, len(list))
	for _, n := range list {
		if n < 0 {
			return nil, logical.InvalidRequest("error converting input for field %q: version %d is negative", "versions", n)
		}
		out = append(out, uint64(n))
	}
	return out, nil
}
