package policy

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-secure-stdlib/parseutil"
	"github.com/hashicorp/hcl/hcl/ast"
	"github.com/hashicorp/hcl/hcl/token"
)

// The helpers here read values out of the HCL AST, turning every surprise
// into a *ParseError with the best line number available. The JSON parser
// leaves most token positions empty, so each helper takes the line of the
// enclosing item as a fallback.

// itemLine is the line of an item: its first key, else its "=" (the only
// position the JSON parser records), else the fallback.
func itemLine(item *ast.ObjectItem, fallback ...int) int {
	if len(item.Keys) > 0 && item.Keys[0].Token.Pos.Line > 0 {
		return item.Keys[0].Token.Pos.Line
	}
	if item.Assign.Line > 0 {
		return item.Assign.Line
	}
	if item.Val != nil {
		if l := item.Val.Pos().Line; l > 0 {
			return l
		}
	}
	if len(fallback) > 0 {
		return fallback[0]
	}
	return 0
}

// nodeLine is the line of a value node, or fallback when it has none.
func nodeLine(n ast.Node, fallback int) int {
	if n != nil {
		if l := n.Pos().Line; l > 0 {
			return l
		}
	}
	return fallback
}

// msgOf is the message of a *ParseError without its "failed to parse" prefix.
func msgOf(err error) string {
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe.Msg
	}
	return err.Error()
}

// tokenValue is token.Value without its panics.
func tokenValue(t token.Token, line int) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, parseErrorf(line, "malformed value %q", t.Text)
		}
	}()
	return t.Value(), nil
}

// keyString reads an object key (an identifier or a quoted string).
func keyString(k *ast.ObjectKey, line int) (string, error) {
	if k.Token.Pos.Line > 0 {
		line = k.Token.Pos.Line
	}
	switch k.Token.Type {
	case token.IDENT, token.STRING:
	default:
		return "", parseErrorf(line, "unexpected key %q", k.Token.Text)
	}
	v, err := tokenValue(k.Token, line)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", parseErrorf(line, "unexpected key %q", k.Token.Text)
	}
	return s, nil
}

// itemKey is an item's first key.
func itemKey(item *ast.ObjectItem, fallback int) (string, error) {
	line := itemLine(item, fallback)
	if len(item.Keys) == 0 {
		return "", parseErrorf(line, "missing key")
	}
	return keyString(item.Keys[0], line)
}

// nested rebuilds the value of an item whose keys continue past from: the
// JSON parser flattens {"a": {"b": V}} into one item with keys a, b.
func nested(item *ast.ObjectItem, from int) *ast.ObjectList {
	return &ast.ObjectList{Items: []*ast.ObjectItem{{
		Keys:   item.Keys[from:],
		Assign: item.Assign,
		Val:    item.Val,
	}}}
}

// blockBody is the object list inside a block whose labels end at from.
func blockBody(item *ast.ObjectItem, from, line int) (*ast.ObjectList, error) {
	if len(item.Keys) > from {
		return nested(item, from), nil
	}
	obj, ok := item.Val.(*ast.ObjectType)
	if !ok || obj.List == nil {
		return nil, parseErrorf(line, "must be a block { ... }")
	}
	return obj.List, nil
}

// blockValue is an item's value, rebuilding flattened keys as an object.
func blockValue(item *ast.ObjectItem, line int) (ast.Node, error) {
	if len(item.Keys) > 1 {
		return &ast.ObjectType{List: nested(item, 1)}, nil
	}
	if item.Val == nil {
		return nil, parseErrorf(line, "missing value")
	}
	return item.Val, nil
}

// literalValue reads a string, number or boolean.
func literalValue(n ast.Node, line int) (any, error) {
	lit, ok := n.(*ast.LiteralType)
	if !ok {
		return nil, parseErrorf(nodeLine(n, line), "expected a string, number or boolean, got %s", nodeKind(n))
	}
	line = nodeLine(n, line)
	switch lit.Token.Type {
	case token.STRING, token.HEREDOC, token.NUMBER, token.FLOAT, token.BOOL:
		return tokenValue(lit.Token, line)
	}
	return nil, parseErrorf(line, "unexpected value %q", lit.Token.Text)
}

// stringValue reads a string.
func stringValue(n ast.Node, line int) (string, error) {
	v, err := literalValue(n, line)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", parseErrorf(nodeLine(n, line), "expected a string, got %v", v)
	}
	return s, nil
}

type lineString struct {
	s    string
	line int
}

// stringList reads a list of strings.
func stringList(n ast.Node, line int) ([]lineString, error) {
	list, ok := n.(*ast.ListType)
	if !ok {
		return nil, parseErrorf(nodeLine(n, line), "expected a list of strings, got %s", nodeKind(n))
	}
	line = nodeLine(n, line)
	out := make([]lineString, 0, len(list.List))
	for _, elem := range list.List {
		s, err := stringValue(elem, line)
		if err != nil {
			return nil, err
		}
		out = append(out, lineString{s: s, line: nodeLine(elem, line)})
	}
	return out, nil
}

func nodeKind(n ast.Node) string {
	switch v := n.(type) {
	case *ast.ObjectType:
		return "an object"
	case *ast.ListType:
		return "a list"
	case *ast.LiteralType:
		return fmt.Sprintf("%q", v.Token.Text)
	}
	return "nothing"
}

// parseTTL reads a wrapping TTL as Vault does: a number of seconds, or a
// string such as "90s", "1h", "3600" or "2d".
func parseTTL(v any) (d time.Duration, err error) {
	if _, ok := v.(bool); ok {
		return 0, errors.New("expected a duration, got a boolean")
	}
	d, err = parseutil.ParseDurationSecond(v)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %v: %w", v, err)
	}
	if d < 0 {
		return 0, fmt.Errorf("invalid duration %v: must not be negative", v)
	}
	return d, nil
}
