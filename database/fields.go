package database

import (
	"encoding/json"
	"fmt"

	"github.com/vaultd/vaultd/logical"
)

// statements reads a statement list as Vault's TypeStringSlice does: a
// JSON array of strings, or one string that is one element. Unlike
// allowed_roles it is never split on commas, which SQL is full of.
func statements(req *logical.Request, name string) ([]string, bool, error) {
	raw, ok := req.Data[name]
	if !ok || raw == nil {
		return nil, false, nil
	}
	var out []string
	add := func(v any) error {
		s, err := logical.ParseString(v)
		if err != nil {
			return err
		}
		if s != "" {
			out = append(out, s)
		}
		return nil
	}
	switch v := raw.(type) {
	case []any:
		for _, item := range v {
			if err := add(item); err != nil {
				return nil, true, logical.InvalidRequest("error converting input for field %q: %v", name, err)
			}
		}
	case []string:
		for _, item := range v {
			_ = add(item)
		}
	case string:
		// A JSON array written as text (the CLI's name=@file.json) is a list.
		var list []string
		if json.Unmarshal([]byte(v), &list) == nil {
			for _, item := range list {
				_ = add(item)
			}
			break
		}
		_ = add(v)
	default:
		return nil, true, logical.InvalidRequest("error converting input for field %q: %v", name, fmt.Errorf("expected a string or a list of strings, got %T", raw))
	}
	return out, true, nil
}

func str(fd *logical.FieldData, name string) (string, bool) {
	v, ok, _ := fd.GetOk(name)
	s, _ := v.(string)
	return s, ok
}

func strList(fd *logical.FieldData, name string) ([]string, bool) {
	v, ok, _ := fd.GetOk(name)
	l, _ := v.([]string)
	return l, ok
}

func seconds(d interface{ Seconds() float64 }) int64 { return int64(d.Seconds()) }
