package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/hcl/ast"
	hclparser "github.com/hashicorp/hcl/hcl/parser"
)

// Parse reads one config file, HCL or JSON (JSON when name ends in .json or
// the text starts with "{"). name is used in error messages. It checks the
// syntax, refuses unknown keys and reads every value into its type; checks
// that need the whole configuration (is there a storage block?) are left
// to Validate, since another file may supply the missing part. Settings the
// file leaves out hold their defaults.
func Parse(name string, data []byte) (*Config, error) {
	list, err := parseSyntax(name, data)
	if err != nil {
		return nil, err
	}
	p := &fileParser{name: name, json: isJSON(name, data)}
	cfg := &Config{
		LogLevel:  DefaultLogLevel,
		LogFormat: DefaultLogFormat,
		set:       map[string]position{},
	}
	for _, item := range list.Items {
		p.topItem(cfg, item)
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return cfg, nil
}

// isJSON tells a JSON file by its name or its first character.
func isJSON(name string, data []byte) bool {
	return strings.HasSuffix(strings.ToLower(name), ".json") ||
		strings.HasPrefix(strings.TrimSpace(string(data)), "{")
}

// parseSyntax turns the text into the HCL syntax tree.
func parseSyntax(name string, data []byte) (*ast.ObjectList, error) {
	if isJSON(name, data) {
		return parseJSON(name, data)
	}
	// Duplicates are reported by the walk below, with better words.
	file, err := hclparser.ParseDontErrorOnDuplicateKeys(data)
	if err != nil {
		var pe *hclparser.PosError
		if errors.As(err, &pe) {
			return nil, &Error{File: name, Line: pe.Pos.Line, Err: fmt.Errorf("syntax error: %w", pe.Err)}
		}
		return nil, &Error{File: name, Err: fmt.Errorf("syntax error: %w", err)}
	}
	list, ok := file.Node.(*ast.ObjectList)
	if !ok {
		return nil, &Error{File: name, Err: errors.New("syntax error: the file is not a set of keys and blocks")}
	}
	return list, nil
}

// fileParser walks one file's syntax tree, collecting every problem.
type fileParser struct {
	name    string
	json    bool
	errs    []error
	storage *position // where this file declared storage
}

func (p *fileParser) fail(err error) {
	if err != nil {
		p.errs = append(p.errs, err)
	}
}

func (p *fileParser) pos(n ast.Node) position {
	return position{file: p.name, line: n.Pos().Line}
}

// keyName is a key's text, unquoted.
func keyName(k *ast.ObjectKey) (name string) {
	defer func() {
		// token.Value panics on text it cannot unquote; keep it as written.
		if recover() != nil {
			name = k.Token.Text
		}
	}()
	if s, ok := k.Token.Value().(string); ok {
		return s
	}
	return k.Token.Text
}

// topItem handles one top-level key or block.
func (p *fileParser) topItem(cfg *Config, item *ast.ObjectItem) {
	if len(item.Keys) == 0 {
		return
	}
	key := keyName(item.Keys[0])
	at := p.pos(item.Keys[0])
	switch key {
	case "storage":
		for _, b := range p.blocks(key, item, 1) {
			p.storageBlock(cfg, b)
		}
	case "listener":
		for _, b := range p.blocks(key, item, 1) {
			if l := p.listenerBlock(b); l != nil {
				cfg.Listeners = append(cfg.Listeners, l)
			}
		}
	case "telemetry":
		p.telemetryItem(cfg, item)
	case "audit":
		for _, b := range p.blocks(key, item, 2) {
			if a := p.auditBlock(b); a != nil {
				cfg.Audit = append(cfg.Audit, a)
			}
		}
	case "api_addr", "cluster_addr", "cluster_name", "log_level", "log_format",
		"default_lease_ttl", "max_lease_ttl", "disable_mlock", "ui",
		"allow_audit_log_prefixing", "pprof_addr":
		if len(item.Keys) > 1 {
			p.fail(at.errorf("%s is a setting (%s = …), not a block", key, key))
			return
		}
		if prev, dup := cfg.set[key]; dup {
			p.fail(at.errorf("%s is set more than once (first on line %d)", key, prev.line))
			return
		}
		if err := setScalar(cfg, field{key: key, val: item.Val, at: at}); err != nil {
			p.fail(err)
			return
		}
		cfg.set[key] = at
	default:
		p.fail(at.errorf("unknown key %q", key))
	}
}

// setScalar reads one top-level setting into cfg.
func setScalar(cfg *Config, f field) error {
	if err := readScalar(cfg, f); err != nil {
		return f.at.wrap(err)
	}
	return nil
}

func readScalar(cfg *Config, f field) error {
	var err error
	switch f.key {
	case "api_addr":
		var s string
		if s, err = f.str(); err != nil {
			return err
		}
		if s, err = renderTemplate(s); err != nil {
			return fmt.Errorf("api_addr: %w", err)
		}
		s = bracketIPv6(s)
		if err = checkAPIAddr(s); err != nil {
			return err
		}
		cfg.APIAddr = s
	case "cluster_addr":
		var s string
		if s, err = f.str(); err != nil {
			return err
		}
		if s, err = renderTemplate(s); err != nil {
			return fmt.Errorf("cluster_addr: %w", err)
		}
		s = bracketIPv6(s)
		if err = checkClusterAddr(s); err != nil {
			return err
		}
		cfg.ClusterAddr = s
	case "cluster_name":
		cfg.ClusterName, err = f.str()
	case "log_level":
		var s string
		if s, err = f.str(); err != nil {
			return err
		}
		cfg.LogLevel, err = canonicalLogLevel(s)
	case "log_format":
		var s string
		if s, err = f.str(); err != nil {
			return err
		}
		if err = checkLogFormat(s); err != nil {
			return err
		}
		cfg.LogFormat = s
	case "default_lease_ttl":
		cfg.DefaultLeaseTTL, err = f.duration()
	case "max_lease_ttl":
		cfg.MaxLeaseTTL, err = f.duration()
	case "disable_mlock":
		cfg.DisableMlock, err = f.boolean()
	case "ui":
		cfg.UI, err = f.boolean()
	case "allow_audit_log_prefixing":
		cfg.AllowAuditLogPrefixing, err = f.boolean()
	case "pprof_addr":
		var s string
		if s, err = f.str(); err != nil {
			return err
		}
		if s != "" {
			if err = checkPprofAddr(s); err != nil {
				return err
			}
		}
		cfg.PprofAddr = s
	}
	return err
}

// block is one expanded block: its labels and its body.
type block struct {
	name   string
	labels []string
	body   *ast.ObjectList
	at     position
}

// title renders the block's head for messages: listener "tcp".
func (b block) title() string {
	parts := []string{b.name}
	for _, l := range b.labels {
		parts = append(parts, strconv.Quote(l))
	}
	return strings.Join(parts, " ")
}

// blocks expands a top-level item into blocks with n labels. HCL gives the
// labels as the item's keys (listener "tcp" { … }); JSON gives them as
// nested objects ("listener": {"tcp": {…}}), or arrays of such objects.
func (p *fileParser) blocks(name string, item *ast.ObjectItem, n int) []block {
	var out []block
	p.expand(name, item.Keys[1:], item.Val, p.pos(item.Keys[0]), n, &out)
	return out
}

func (p *fileParser) expand(name string, keys []*ast.ObjectKey, val ast.Node, at position, n int, out *[]block) {
	if lt, ok := val.(*ast.ListType); ok && len(lt.List) > 0 && allObjects(lt.List) {
		// JSON: "listener": [ {"tcp": {…}}, {"tcp": {…}} ], or "tcp": [ {…}, {…} ]
		for _, elem := range lt.List {
			p.expand(name, keys, elem, at, n, out)
		}
		return
	}
	if len(keys) >= n {
		b := block{name: name, at: at}
		for _, k := range keys[:n] {
			b.labels = append(b.labels, keyName(k))
		}
		if last := p.pos(keys[n-1]); last.line > 0 {
			b.at = last // in JSON the labels sit on lines of their own
		}
		if rest := keys[n:]; len(rest) > 0 {
			// More labels than the block takes: listener "tcp" "x" { … }.
			p.fail(b.at.errorf("%s: too many labels (%q)", b.title(), keyName(rest[0])))
			return
		}
		ot, ok := val.(*ast.ObjectType)
		if !ok {
			p.fail(b.at.errorf("%s: want a block { … }, got %s", b.title(), describe(val)))
			return
		}
		b.body = ot.List
		*out = append(*out, b)
		return
	}
	// HCL gives every label as a key; only JSON nests them as objects.
	ot, ok := val.(*ast.ObjectType)
	if !p.json || !ok || len(ot.List.Items) == 0 || !allBlocks(ot.List) {
		p.fail(at.errorf("%s: %s", name, blockUsage(name)))
		return
	}
	for _, sub := range ot.List.Items {
		p.expand(name, append(slices.Clone(keys), sub.Keys...), sub.Val, at, n, out)
	}
}

func allObjects(nodes []ast.Node) bool {
	for _, n := range nodes {
		if _, ok := n.(*ast.ObjectType); !ok {
			return false
		}
	}
	return true
}

// allBlocks reports whether every member of list is an object or a
// non-empty array of objects: the shape of nested JSON block labels.
func allBlocks(list *ast.ObjectList) bool {
	for _, it := range list.Items {
		switch v := it.Val.(type) {
		case *ast.ObjectType:
		case *ast.ListType:
			if len(v.List) == 0 || !allObjects(v.List) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func blockUsage(name string) string {
	switch name {
	case "storage":
		return `want a block with a type label, as in storage "bbolt" { path = "/vault/data" }`
	case "listener":
		return `want a block with a type label, as in listener "tcp" { address = "127.0.0.1:8200" }`
	}
	return `want a block with a type and a path label, as in audit "file" "file/" { options = { file_path = "/vault/audit.log" } }`
}

// fields reads a block body as key = value settings, reporting unknown,
// repeated and mis-shaped keys.
func (p *fileParser) fields(b block, allowed ...string) []field {
	var out []field
	seen := map[string]int{}
	for _, item := range b.body.Items {
		if len(item.Keys) == 0 {
			continue
		}
		key := keyName(item.Keys[0])
		at := p.pos(item.Keys[0])
		if !slices.Contains(allowed, key) {
			p.fail(at.errorf("%s: unknown key %q", b.title(), key))
			continue
		}
		if line, dup := seen[key]; dup {
			p.fail(at.errorf("%s: %s is set more than once (first on line %d)", b.title(), key, line))
			continue
		}
		seen[key] = at.line
		val := item.Val
		if len(item.Keys) > 1 {
			// options "x" { … } in HCL, or a JSON object flattened too far.
			val = &ast.ObjectType{List: &ast.ObjectList{Items: []*ast.ObjectItem{{Keys: item.Keys[1:], Val: item.Val}}}}
		}
		out = append(out, field{key: key, val: val, at: at})
	}
	return out
}
