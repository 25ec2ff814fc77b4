package agent

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/hcl/ast"
	"github.com/hashicorp/hcl/hcl/token"

	"github.com/vaultd/vaultd/config"
)

// walker reads one file's syntax tree, collecting every problem with the
// file and line it is on.
type walker struct {
	file string
	errs []error
}

func (w *walker) failf(line int, format string, args ...any) {
	w.errs = append(w.errs, &config.Error{File: w.file, Line: line, Err: fmt.Errorf(format, args...)})
}

// block is one block: `name "label" { … }` in HCL, or an object (or each
// object of a list) in JSON.
type block struct {
	name   string
	labels []string
	line   int
	items  []*ast.ObjectItem
}

// field is one key = value inside a block.
type field struct {
	key  string
	line int
	val  ast.Node
	// labels are the keys after the first (`method "kubernetes" {…}`).
	labels []string
}

func keyText(k *ast.ObjectKey) (name string) {
	defer func() {
		if recover() != nil {
			name = k.Token.Text
		}
	}()
	if s, ok := k.Token.Value().(string); ok {
		return s
	}
	return k.Token.Text
}

// fieldsOf lists a block's items as fields.
func fieldsOf(items []*ast.ObjectItem) []field {
	out := make([]field, 0, len(items))
	for _, it := range items {
		if len(it.Keys) == 0 {
			continue
		}
		f := field{key: keyText(it.Keys[0]), line: it.Keys[0].Pos().Line, val: it.Val}
		for _, k := range it.Keys[1:] {
			f.labels = append(f.labels, keyText(k))
		}
		out = append(out, f)
	}
	return out
}

// blocks reads a field as one or more blocks: an object, or a list of
// objects (JSON's form of a repeated block).
func (w *walker) blocks(f field) []block {
	switch v := f.val.(type) {
	case *ast.ObjectType:
		return []block{{name: f.key, labels: f.labels, line: f.line, items: v.List.Items}}
	case *ast.ListType:
		var out []block
		for _, el := range v.List {
			o, ok := el.(*ast.ObjectType)
			if !ok {
				w.failf(el.Pos().Line, "%s: want a block (an object), got a %s", f.key, kindOf(el))
				continue
			}
			out = append(out, block{name: f.key, labels: f.labels, line: lineOr(o.Lbrace.Line, f.line), items: o.List.Items})
		}
		return out
	}
	w.failf(f.line, "%s is a block, not a value", f.key)
	return nil
}

func lineOr(line, fallback int) int {
	if line > 0 {
		return line
	}
	return fallback
}

// oneBlock reads a block that may appear once; seen tracks the first.
func (w *walker) oneBlock(f field, seen map[string]int) (block, bool) {
	if first, dup := seen[f.key]; dup {
		w.failf(f.line, "%s is declared more than once (first on line %d)", f.key, first)
		return block{}, false
	}
	seen[f.key] = f.line
	bs := w.blocks(f)
	if len(bs) != 1 {
		if len(bs) > 1 {
			w.failf(f.line, "%s is declared more than once", f.key)
		}
		return block{}, false
	}
	return bs[0], true
}

// typed finds a labelled block's type: `method "kubernetes" {…}`, a
// "type" key inside it (the JSON the injector writes), or JSON's nesting
// `{"kubernetes": {…}}`. It returns the type and the block's own fields.
func (w *walker) typed(b block, known func(string) bool) (string, block, bool) {
	if len(b.labels) > 0 {
		if len(b.labels) > 1 {
			w.failf(b.line, "%s takes one label, got %d", b.name, len(b.labels))
			return "", b, false
		}
		return b.labels[0], b, true
	}
	var rest []*ast.ObjectItem
	typ := ""
	for _, it := range b.items {
		if len(it.Keys) == 1 && keyText(it.Keys[0]) == "type" {
			s, err := str(it.Val)
			if err != nil {
				w.failf(it.Keys[0].Pos().Line, "%s.type: %v", b.name, err)
				return "", b, false
			}
			typ = s
			continue
		}
		rest = append(rest, it)
	}
	if typ != "" {
		return typ, block{name: b.name, line: b.line, items: rest}, true
	}
	if len(b.items) == 1 {
		it := b.items[0]
		name := keyText(it.Keys[0])
		if o, ok := it.Val.(*ast.ObjectType); ok && !known(name) {
			items := o.List.Items
			if len(it.Keys) > 1 {
				w.failf(b.line, "%s: unexpected nesting under %q", b.name, name)
				return "", b, false
			}
			return name, block{name: b.name, line: it.Keys[0].Pos().Line, items: items}, true
		}
	}
	w.failf(b.line, "%s needs a type (%s \"TYPE\" { … } or \"type\": \"TYPE\")", b.name, b.name)
	return "", b, false
}

func kindOf(n ast.Node) string {
	switch v := n.(type) {
	case *ast.ObjectType:
		return "block"
	case *ast.ListType:
		return "list"
	case *ast.LiteralType:
		switch v.Token.Type {
		case token.STRING, token.HEREDOC:
			return "string"
		case token.NUMBER, token.FLOAT:
			return "number"
		case token.BOOL:
			return "bool"
		}
	}
	return "value"
}

func literal(n ast.Node) (*ast.LiteralType, error) {
	lit, ok := n.(*ast.LiteralType)
	if !ok {
		return nil, fmt.Errorf("want a value, got a %s", kindOf(n))
	}
	return lit, nil
}

// str reads a string; a number or bool is taken as written.
func str(n ast.Node) (string, error) {
	lit, err := literal(n)
	if err != nil {
		return "", err
	}
	switch lit.Token.Type {
	case token.STRING, token.HEREDOC:
		s, ok := safeValue(lit.Token).(string)
		if !ok {
			return "", errors.New("bad string")
		}
		return s, nil
	}
	return lit.Token.Text, nil
}

func safeValue(t token.Token) (v any) {
	defer func() {
		if recover() != nil {
			v = nil
		}
	}()
	return t.Value()
}

// boolean reads true/false, or a string holding one (as the injector's
// use_auto_auth_token "true").
func boolean(n ast.Node) (bool, error) {
	lit, err := literal(n)
	if err != nil {
		return false, err
	}
	text := lit.Token.Text
	if lit.Token.Type == token.STRING {
		text, _ = str(n)
	}
	b, err := strconv.ParseBool(text)
	if err != nil {
		return false, fmt.Errorf("want true or false, got %s", lit.Token.Text)
	}
	return b, nil
}

func integer(n ast.Node) (int, error) {
	s, err := str(n)
	if err != nil {
		return 0, err
	}
	i, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("want a whole number, got %q", s)
	}
	return i, nil
}

func float(n ast.Node) (float64, error) {
	s, err := str(n)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, fmt.Errorf("want a number, got %q", s)
	}
	return f, nil
}

// duration reads "5m", "90s", "300" or 300 (seconds).
func duration(n ast.Node) (time.Duration, error) {
	s, err := str(n)
	if err != nil {
		return 0, err
	}
	s = strings.TrimSpace(s)
	if s == "" { // the injector's JSON writes "" for "not set"
		return 0, nil
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		if secs < 0 {
			return 0, fmt.Errorf("negative duration %q", s)
		}
		return time.Duration(secs) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("want a duration such as \"5m\" or \"90s\", got %q", s)
	}
	return d, nil
}

// mode reads a file mode written in octal: "0640", "640" or 0640.
func mode(n ast.Node) (os.FileMode, error) {
	s, err := str(n)
	if err != nil {
		return 0, err
	}
	m, err := strconv.ParseUint(strings.TrimSpace(s), 8, 32)
	if err != nil || m > 0o7777 {
		return 0, fmt.Errorf("want an octal file mode such as \"0640\", got %q", s)
	}
	return os.FileMode(m), nil
}

// strList reads a list of strings, or one string.
func strList(n ast.Node) ([]string, error) {
	if l, ok := n.(*ast.ListType); ok {
		out := make([]string, 0, len(l.List))
		for _, el := range l.List {
			s, err := str(el)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := str(n)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}
