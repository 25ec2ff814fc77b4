package server

import (
	"encoding/json"
	"strings"
)

// Vault answers a few older sys/ endpoints with their data twice: inside
// "data" and, for clients written before the envelope had one, as keys of
// the top-level object (so `jq '."secret/"'` on sys/mounts works, as it
// does against Vault). These are the paths, after /v1/, it does that for:
// exact names, and the subtrees of the names ending in "/".
var injectedDataPaths = []string{
	"sys/audit", "sys/audit/", "sys/audit-hash/",
	"sys/auth", "sys/auth/",
	"sys/ha-status",
	"sys/capabilities", "sys/capabilities-accessor", "sys/capabilities-self",
	"sys/key-status",
	"sys/mounts", "sys/mounts/",
	"sys/policy", "sys/policy/",
	"sys/remount", "sys/rotate",
	"sys/wrapping/wrap",
}

// injectsData reports whether the answer for path carries its data at the
// top level too.
func injectsData(path string) bool {
	for _, p := range injectedDataPaths {
		if path == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(path, p)) {
			return true
		}
	}
	return false
}

// withTopLevelData renders env as a JSON object that also holds each key
// of env.Data at the top level. The envelope's own fields win over a data
// key of the same name, so the envelope is never altered.
func withTopLevelData(env *envelope) (map[string]json.RawMessage, error) {
	raw, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	out := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	for k, v := range env.Data {
		if _, taken := out[k]; taken {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		out[k] = b
	}
	return out, nil
}
