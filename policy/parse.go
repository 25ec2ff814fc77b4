package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/hcl"
	"github.com/hashicorp/hcl/hcl/ast"
	hclparser "github.com/hashicorp/hcl/hcl/parser"
)

// ErrInvalidPolicy is matched (errors.Is) by every error Parse returns for
// bad policy text. Such errors are the client's fault: a 400.
var ErrInvalidPolicy = errors.New("invalid policy")

// ParseError is a problem in a policy's text. Line is 1-based, or 0 when the
// position is not known.
type ParseError struct {
	Line int
	Msg  string
	// Err is the underlying cause, if any (an HCL syntax error).
	Err error
}

// Error reads "failed to parse policy: line 3: path "a/*": invalid
// capability "reed"".
func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("failed to parse policy: line %d: %s", e.Line, e.Msg)
	}
	return "failed to parse policy: " + e.Msg
}

// Unwrap returns the underlying cause.
func (e *ParseError) Unwrap() error { return e.Err }

// Is reports ErrInvalidPolicy.
func (e *ParseError) Is(target error) bool { return target == ErrInvalidPolicy }

func parseErrorf(line int, format string, args ...any) *ParseError {
	return &ParseError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// Policy is one named policy: its rules and the text they came from.
type Policy struct {
	// Name is the policy's name, lower-cased.
	Name string
	// Rules are the path blocks in the order written.
	Rules []*Rule

	raw  string
	root bool
	// templated is set when a rule has identity templates.
	templated bool
}

// Raw returns the policy text exactly as it was given to Parse; empty for
// the built-in root policy.
func (p *Policy) Raw() string { return p.raw }

// IsRoot reports whether p is the built-in root policy.
func (p *Policy) IsRoot() bool { return p.root }

// Rule is one `path "<pattern>" { ... }` block.
type Rule struct {
	// Pattern is the path pattern with any leading "/" removed, trailing "*"
	// kept.
	Pattern string
	// Line is where the block starts.
	Line int
	// Capabilities are the capabilities granted, sorted; ["deny"] alone for
	// a deny rule; empty when the block grants none. The legacy `policy`
	// shorthand is already expanded.
	Capabilities []string
	// AllowedParameters and DeniedParameters map a lower-cased parameter
	// name (or "*") to the values allowed or denied; an empty list means any
	// value. Nil when the block does not set them.
	AllowedParameters map[string][]any
	DeniedParameters  map[string][]any
	// RequiredParameters must all be present in a request's data.
	RequiredParameters []string
	// MinWrappingTTL and MaxWrappingTTL bound the response-wrapping TTL a
	// request must ask for; zero means no bound.
	MinWrappingTTL time.Duration
	MaxWrappingTTL time.Duration

	// templated marks a pattern with identity templates; it applies only
	// once rendered for an entity.
	templated bool
}

// Parse reads a policy written in HCL or its JSON form. The name is
// lower-cased and trimmed as Vault does and must pass ValidateName; the
// built-in root policy cannot be parsed. Every problem in the text is a
// *ParseError (errors.Is(err, ErrInvalidPolicy)) naming the line.
func Parse(name, text string) (*Policy, error) {
	name = NormalizeName(name)
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if name == Root {
		return nil, fmt.Errorf("%w: cannot update %q policy", ErrInvalidName, Root)
	}
	file, err := parseHCL(text)
	if err != nil {
		return nil, err
	}
	list, ok := file.Node.(*ast.ObjectList)
	if !ok {
		return nil, parseErrorf(0, "does not contain a root object")
	}
	p := &Policy{Name: name, raw: text}
	for _, item := range list.Items {
		key, err := itemKey(item, 0)
		if err != nil {
			return nil, err
		}
		switch key {
		case "name":
			// Vault accepts a top-level name and ignores it in favour of the
			// name the policy is stored under.
			if _, err := stringValue(item.Val, itemLine(item)); err != nil {
				return nil, err
			}
		case "path":
			r, err := parseRule(item)
			if err != nil {
				return nil, err
			}
			p.Rules = append(p.Rules, r)
			p.templated = p.templated || r.templated
		default:
			return nil, parseErrorf(itemLine(item), "invalid key %q (want \"path\")", key)
		}
	}
	return p, nil
}

// parseHCL runs the HCL (or JSON) parser, turning its errors, and any panic
// in it, into a *ParseError.
func parseHCL(text string) (file *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			file, err = nil, parseErrorf(0, "malformed policy text")
		}
	}()
	if err := checkNesting(text); err != nil {
		return nil, err
	}
	if err := checkJSON(text); err != nil {
		return nil, err
	}
	f, err := hcl.Parse(text)
	if err != nil {
		pe := &ParseError{Msg: err.Error(), Err: err}
		var pos *hclparser.PosError
		if errors.As(err, &pos) {
			pe.Line = pos.Pos.Line
			pe.Msg = fmt.Sprintf("column %d: %v", pos.Pos.Column, pos.Err)
		}
		return nil, pe
	}
	return f, nil
}

// maxNesting bounds how deeply lists and objects may nest. A real policy
// needs three or four levels; the HCL parser's time grows with the square of
// the depth, so a short text of nested brackets could otherwise pin a CPU.
const maxNesting = 64

// checkNesting refuses text whose brackets nest deeper than maxNesting,
// skipping over double-quoted strings.
func checkNesting(text string) error {
	depth, line := 0, 1
	inString, escaped := false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '\n' {
			line++
		}
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"' || c == '\n':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			if depth++; depth > maxNesting {
				return parseErrorf(line, "lists and objects nest more than %d deep", maxNesting)
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

// checkJSON rejects malformed JSON before the HCL library sees it: its JSON
// parser quietly accepts text such as `{"path": [}`. Text is JSON when its
// first non-space character is "{", the rule the HCL library itself uses.
func checkJSON(text string) error {
	if !strings.HasPrefix(strings.TrimLeftFunc(text, unicode.IsSpace), "{") {
		return nil
	}
	if json.Valid([]byte(text)) {
		return nil
	}
	var v any
	err := json.Unmarshal([]byte(text), &v)
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return &ParseError{Line: lineAt(text, syn.Offset), Msg: "invalid JSON: " + syn.Error(), Err: err}
	}
	return &ParseError{Msg: "invalid JSON", Err: err}
}

// lineAt is the 1-based line of a byte offset.
func lineAt(text string, offset int64) int {
	if offset > int64(len(text)) {
		offset = int64(len(text))
	}
	return strings.Count(text[:offset], "\n") + 1
}

// parseRule reads one path block. item's first key is "path"; the second is
// the pattern. Further keys are the JSON parser's flattening of nested
// objects and are read as the body of the block.
func parseRule(item *ast.ObjectItem) (*Rule, error) {
	line := itemLine(item)
	if len(item.Keys) < 2 {
		return nil, parseErrorf(line, "path must be a block with a pattern: path \"<pattern>\" { ... }")
	}
	pattern, err := keyString(item.Keys[1], line)
	if err != nil {
		return nil, err
	}
	body, err := blockBody(item, 2, line)
	if err != nil {
		return nil, parseErrorf(line, "path %q: %s", pattern, msgOf(err))
	}
	r := &Rule{Line: line}
	if r.Pattern, err = checkPattern(pattern, line); err != nil {
		return nil, err
	}
	if err := r.readBody(body, pattern); err != nil {
		return nil, err
	}
	r.templated, _ = checkTemplates(r.Pattern)
	return r, nil
}

// checkPattern validates a path pattern and strips a leading "/".
func checkPattern(pattern string, line int) (string, error) {
	p := strings.TrimPrefix(pattern, "/")
	if strings.Contains(p, "+*") {
		return "", parseErrorf(line, "path %q: invalid use of wildcards ('+*' is forbidden)", pattern)
	}
	if _, err := checkTemplates(p); err != nil {
		return "", parseErrorf(line, "path %q: %v", pattern, err)
	}
	return p, nil
}

// readBody reads the keys of a path block.
func (r *Rule) readBody(body *ast.ObjectList, pattern string) error {
	seen := make(map[string]bool, len(body.Items))
	var listed, legacy capSet
	for _, item := range body.Items {
		line := itemLine(item)
		key, err := itemKey(item, line)
		if err != nil {
			return err
		}
		if seen[key] {
			return parseErrorf(line, "path %q: %q is set more than once", pattern, key)
		}
		seen[key] = true
		val, err := blockValue(item, line)
		if err != nil {
			return err
		}
		if err := r.readKey(key, val, line, &listed, &legacy); err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				return parseErrorf(pe.Line, "path %q: %s", pattern, pe.Msg)
			}
			return parseErrorf(line, "path %q: %v", pattern, err)
		}
	}
	if r.MinWrappingTTL != 0 && r.MaxWrappingTTL != 0 && r.MaxWrappingTTL < r.MinWrappingTTL {
		return parseErrorf(r.Line, "path %q: max_wrapping_ttl cannot be less than min_wrapping_ttl", pattern)
	}
	caps := legacy | listed
	if caps&capDeny != 0 {
		// A deny rule denies everything; Vault keeps nothing else of it.
		*r = Rule{Pattern: r.Pattern, Line: r.Line}
		caps = capDeny
	}
	r.Capabilities = caps.list()
	return nil
}

// readKey reads one key of a path block into r (capabilities into listed,
// the legacy shorthand into legacy).
func (r *Rule) readKey(key string, val ast.Node, line int, listed, legacy *capSet) error {
	var err error
	switch key {
	case "comment":
		_, err = stringValue(val, line)
	case "policy":
		*legacy, err = readLegacy(val, line)
	case "capabilities":
		*listed, err = readCapabilities(val, line)
	case "allowed_parameters":
		r.AllowedParameters, err = readParameters(val, line)
	case "denied_parameters":
		r.DeniedParameters, err = readParameters(val, line)
	case "required_parameters":
		r.RequiredParameters, err = readRequired(val, line)
	case "min_wrapping_ttl":
		r.MinWrappingTTL, err = readDuration(val, line)
	case "max_wrapping_ttl":
		r.MaxWrappingTTL, err = readDuration(val, line)
	case "mfa_methods", "control_group", "subscribe_event_types":
		return parseErrorf(line, "%q is not supported by vaultd", key)
	default:
		return parseErrorf(line, "invalid key %q", key)
	}
	if err != nil {
		return parseErrorf(lineOf(err, line), "%s: %s", key, msgOf(err))
	}
	return nil
}

// lineOf is the line a *ParseError names, else fallback.
func lineOf(err error, fallback int) int {
	var pe *ParseError
	if errors.As(err, &pe) && pe.Line > 0 {
		return pe.Line
	}
	return fallback
}

// readLegacy reads the legacy `policy = "read"` shorthand.
func readLegacy(val ast.Node, line int) (capSet, error) {
	s, err := stringValue(val, line)
	if err != nil {
		return 0, err
	}
	caps, ok := legacyCapabilities(s)
	if !ok {
		return 0, parseErrorf(nodeLine(val, line), "invalid policy %q (want deny, read, write or sudo)", s)
	}
	return caps, nil
}

// readCapabilities reads a capabilities list, refusing unknown names.
func readCapabilities(val ast.Node, line int) (capSet, error) {
	names, err := stringList(val, line)
	if err != nil {
		return 0, err
	}
	var caps capSet
	for _, n := range names {
		c, ok := capFromName(n.s)
		if !ok {
			return 0, parseErrorf(n.line, "invalid capability %q", n.s)
		}
		caps |= c
	}
	return caps, nil
}

// readRequired reads required_parameters, lower-cased and de-duplicated.
func readRequired(val ast.Node, line int) ([]string, error) {
	names, err := stringList(val, line)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		k := strings.ToLower(n.s)
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// readParameters reads allowed_parameters or denied_parameters: an object
// whose values are lists of strings, numbers or booleans.
func readParameters(val ast.Node, line int) (map[string][]any, error) {
	obj, ok := val.(*ast.ObjectType)
	if !ok {
		return nil, parseErrorf(nodeLine(val, line), "must be an object of lists")
	}
	out := make(map[string][]any, len(obj.List.Items))
	for _, item := range obj.List.Items {
		iline := itemLine(item, line)
		if len(item.Keys) != 1 {
			return nil, parseErrorf(iline, "parameter values must be lists")
		}
		k, err := keyString(item.Keys[0], iline)
		if err != nil {
			return nil, err
		}
		k = strings.ToLower(k)
		if _, dup := out[k]; dup {
			return nil, parseErrorf(iline, "parameter %q is listed more than once", k)
		}
		list, ok := item.Val.(*ast.ListType)
		if !ok {
			return nil, parseErrorf(iline, "parameter %q: values must be a list", k)
		}
		vals := make([]any, 0, len(list.List))
		for _, elem := range list.List {
			v, err := literalValue(elem, iline)
			if err != nil {
				return nil, parseErrorf(nodeLine(elem, iline), "parameter %q: %s", k, msgOf(err))
			}
			vals = append(vals, v)
		}
		out[k] = vals
	}
	return out, nil
}

// readDuration reads min_wrapping_ttl or max_wrapping_ttl.
func readDuration(val ast.Node, line int) (time.Duration, error) {
	v, err := literalValue(val, line)
	if err != nil {
		return 0, err
	}
	d, err := parseTTL(v)
	if err != nil {
		return 0, parseErrorf(nodeLine(val, line), "%v", err)
	}
	return d, nil
}
