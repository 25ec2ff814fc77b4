package logical

import (
	"fmt"
	"slices"
	"strings"
)

// PathHelp describes one path pattern of a backend for `vault path-help`
// (GET …?help=1): the pattern as a regular expression relative to the
// mount, the operations it serves, its fields, and what it is for.
type PathHelp struct {
	Pattern     string
	Operations  []Operation
	Fields      map[string]*FieldSchema
	Synopsis    string
	Description string
}

// HelpProvider is implemented by a backend that can describe its paths.
// Help returns the entry of the pattern that serves path (relative to the
// mount), or false when no pattern does.
type HelpProvider interface {
	Help(path string) (*PathHelp, bool)
}

// String names a field type as Vault's help does.
func (t FieldType) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeInt:
		return "int"
	case TypeBool:
		return "bool"
	case TypeDuration:
		return "duration (sec)"
	case TypeStringList:
		return "comma-separated strings"
	case TypeMap:
		return "map"
	case TypeStringMap:
		return "keypair"
	case TypeIntList:
		return "comma-separated integers"
	}
	return "unknown"
}

// RenderHelp writes the help text Vault's path-help prints: the request,
// the matching route, the synopsis, the parameters and the description.
func RenderHelp(request string, h *PathHelp) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Request:        %s\nMatching Route: ^%s$\n\n", request, strings.TrimSuffix(strings.TrimPrefix(h.Pattern, "^"), "$"))
	if h.Synopsis != "" {
		sb.WriteString(strings.TrimSpace(h.Synopsis) + "\n\n")
	}
	if len(h.Operations) > 0 {
		ops := make([]string, len(h.Operations))
		for i, op := range h.Operations {
			ops[i] = string(op)
		}
		slices.Sort(ops)
		fmt.Fprintf(&sb, "## OPERATIONS\n\n    %s\n\n", strings.Join(ops, ", "))
	}
	if len(h.Fields) > 0 {
		sb.WriteString("## PARAMETERS\n\n")
		names := make([]string, 0, len(h.Fields))
		for n := range h.Fields {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			f := h.Fields[n]
			fmt.Fprintf(&sb, "    %s (%s)\n", n, f.Type)
			if f.Description != "" {
				fmt.Fprintf(&sb, "\n        %s\n", f.Description)
			}
			sb.WriteString("\n")
		}
	}
	if h.Description != "" {
		sb.WriteString("## DESCRIPTION\n\n" + strings.TrimSpace(h.Description) + "\n")
	}
	return sb.String()
}
