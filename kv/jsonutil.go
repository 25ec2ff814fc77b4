package kv

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// decodeJSON decodes stored JSON into v, keeping numbers as json.Number so
// that their exact text survives a round trip.
func decodeJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode stored entry: %w", err)
	}
	return nil
}

// decodeObject decodes a stored JSON object.
func decodeObject(raw []byte) (map[string]any, error) {
	var out map[string]any
	if err := decodeJSON(raw, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// mergePatch applies an RFC 7386 JSON merge patch to target and returns the
// result. A null in the patch removes the member; an object merges member
// by member; any other value replaces. target is modified in place when it
// is an object.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

// nullLeaves returns the key structure of data with every value replaced by
// nil: an object with at least one member is walked while its depth (top
// level is 1) is within maxDepth (0 means no limit); anything else becomes
// nil. data is modified in place.
func nullLeaves(data map[string]any, maxDepth int) {
	var walk func(m map[string]any, depth int)
	walk = func(m map[string]any, depth int) {
		for k, v := range m {
			child, ok := v.(map[string]any)
			next := depth + 1
			if ok && len(child) > 0 && (maxDepth == 0 || next <= maxDepth) {
				walk(child, next)
				continue
			}
			m[k] = nil
		}
	}
	walk(data, 1)
}
