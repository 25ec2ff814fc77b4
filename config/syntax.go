package config

import "github.com/hashicorp/hcl/hcl/ast"

// Syntax parses one HCL or JSON file (JSON when name ends in .json or the
// text starts with "{") into HCL's syntax tree, keeping the line of every
// key in both forms. It is for other file formats built on the same syntax
// (the agent's config) that walk the tree themselves; errors are *Error,
// naming name and the line.
func Syntax(name string, data []byte) (*ast.ObjectList, error) {
	return parseSyntax(name, data)
}
