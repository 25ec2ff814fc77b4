package policy

import (
	"fmt"
	"regexp"
	"strings"
)

// Identity is what a policy template may read of a token's entity.
type Identity struct {
	EntityID       string
	EntityName     string
	EntityMetadata map[string]string
	// Aliases are the entity's aliases by mount accessor.
	Aliases map[string]IdentityAlias
	// Groups are the entity's groups, ID → name.
	Groups map[string]string
}

// IdentityAlias is one alias of the entity.
type IdentityAlias struct {
	ID       string
	Name     string
	Metadata map[string]string
}

// templateRE finds {{ ... }} in a path pattern.
var templateRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// templateKeyRE are the identity attributes a template may name, as in
// Vault's ACL templating.
var templateKeyRE = regexp.MustCompile(`^identity\.(entity\.(id|name|metadata\.[^.{}\s]+|aliases\.[^.{}\s]+\.(id|name|metadata\.[^.{}\s]+))|groups\.(ids\.[^.{}\s]+\.name|names\.[^.{}\s]+\.id))$`)

// checkTemplates validates every template in a pattern and reports whether
// there was any.
func checkTemplates(pattern string) (bool, error) {
	if !strings.Contains(pattern, "{{") && !strings.Contains(pattern, "}}") {
		return false, nil
	}
	rest := templateRE.ReplaceAllString(pattern, "")
	if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return false, fmt.Errorf("unbalanced template braces")
	}
	for _, m := range templateRE.FindAllStringSubmatch(pattern, -1) {
		if !templateKeyRE.MatchString(m[1]) {
			return false, fmt.Errorf("invalid template %q", m[0])
		}
	}
	return true, nil
}

// render fills the templates of a pattern from id; ok is false when a value
// is missing or empty, in which case the rule does not apply (as in Vault).
func render(pattern string, id *Identity) (string, bool) {
	if id == nil || id.EntityID == "" {
		return "", false
	}
	ok := true
	out := templateRE.ReplaceAllStringFunc(pattern, func(tpl string) string {
		key := templateRE.FindStringSubmatch(tpl)[1]
		v := lookupTemplate(strings.TrimPrefix(key, "identity."), id)
		if v == "" {
			ok = false
		}
		return v
	})
	return out, ok
}

func lookupTemplate(key string, id *Identity) string {
	switch {
	case key == "entity.id":
		return id.EntityID
	case key == "entity.name":
		return id.EntityName
	case strings.HasPrefix(key, "entity.metadata."):
		return id.EntityMetadata[strings.TrimPrefix(key, "entity.metadata.")]
	case strings.HasPrefix(key, "entity.aliases."):
		acc, attr, _ := strings.Cut(strings.TrimPrefix(key, "entity.aliases."), ".")
		a, found := id.Aliases[acc]
		if !found {
			return ""
		}
		switch {
		case attr == "id":
			return a.ID
		case attr == "name":
			return a.Name
		case strings.HasPrefix(attr, "metadata."):
			return a.Metadata[strings.TrimPrefix(attr, "metadata.")]
		}
	case strings.HasPrefix(key, "groups.ids."):
		gid := strings.TrimSuffix(strings.TrimPrefix(key, "groups.ids."), ".name")
		return id.Groups[gid]
	case strings.HasPrefix(key, "groups.names."):
		name := strings.TrimSuffix(strings.TrimPrefix(key, "groups.names."), ".id")
		for gid, n := range id.Groups {
			if n == name {
				return gid
			}
		}
	}
	return ""
}

// Templated reports whether the policy has a templated path, whose rules
// apply only once filled in for an entity (see Render).
func (p *Policy) Templated() bool { return p.templated }

// Render returns the policy with its templated paths filled in from id;
// a templated rule whose values are missing is left out. A policy without
// templates is returned as it is.
func (p *Policy) Render(id *Identity) *Policy {
	if p == nil || !p.templated {
		return p
	}
	out := &Policy{Name: p.Name, raw: p.raw}
	for _, r := range p.Rules {
		if !r.templated {
			out.Rules = append(out.Rules, r)
			continue
		}
		pattern, ok := render(r.Pattern, id)
		if !ok {
			continue
		}
		c := *r
		c.Pattern, c.templated = pattern, false
		out.Rules = append(out.Rules, &c)
	}
	return out
}
