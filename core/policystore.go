package core

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/policy"
)

// policyPrefix is where ACL policies live inside the barrier.
const policyPrefix = "sys/policy/"

// storedPolicy is a policy as kept in storage: its name and original text.
type storedPolicy struct {
	Name string `json:"name"`
	Raw  string `json:"raw"`
}

// policyStore keeps named policies and the compiled-ACL cache.
type policyStore struct {
	view  logical.Storage
	cache *policy.Cache
}

func newPolicyStore(view logical.Storage) *policyStore {
	return &policyStore{view: view, cache: policy.NewCache(1024)}
}

// ensureDefault writes the built-in default policy the first time.
func (ps *policyStore) ensureDefault(ctx context.Context) error {
	p, err := ps.get(ctx, policy.Default)
	if err != nil {
		return err
	}
	if p != nil {
		return nil
	}
	return ps.put(ctx, policy.Default, policy.DefaultPolicyText)
}

// get returns the named policy, or nil when there is none.
func (ps *policyStore) get(ctx context.Context, name string) (*policy.Policy, error) {
	name = strings.ToLower(name)
	if name == policy.Root {
		return policy.RootPolicy(), nil
	}
	entry, err := ps.view.Get(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read policy %q: %w", name, err)
	}
	if entry == nil {
		return nil, nil
	}
	var sp storedPolicy
	if err := json.Unmarshal(entry.Value, &sp); err != nil {
		return nil, fmt.Errorf("decode policy %q: %w", name, err)
	}
	p, err := policy.Parse(sp.Name, sp.Raw)
	if err != nil {
		return nil, fmt.Errorf("parse stored policy %q: %w", name, err)
	}
	return p, nil
}

// put parses and stores a policy; a parse error is a 400.
// parseErrPrefix starts Vault's answer to a policy that does not parse.
const parseErrPrefix = "failed to parse policy: "

func (ps *policyStore) put(ctx context.Context, name, text string) error {
	name = strings.ToLower(strings.TrimSpace(name))
	if err := policy.ValidateName(name); err != nil {
		return logical.InvalidRequest("%v", err)
	}
	if policy.IsImmutable(name) {
		return logical.InvalidRequest("cannot update %q policy", name)
	}
	if _, err := policy.Parse(name, text); err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, parseErrPrefix) {
			msg = parseErrPrefix + msg
		}
		return logical.InvalidRequest("%s", msg)
	}
	raw, err := json.Marshal(storedPolicy{Name: name, Raw: text})
	if err != nil {
		return fmt.Errorf("encode policy: %w", err)
	}
	if err := ps.view.Put(ctx, &logical.StorageEntry{Key: name, Value: raw}); err != nil {
		return fmt.Errorf("write policy %q: %w", name, err)
	}
	ps.cache.Invalidate(name)
	return nil
}

func (ps *policyStore) delete(ctx context.Context, name string) error {
	name = strings.ToLower(name)
	if policy.IsUndeletable(name) {
		return logical.InvalidRequest("cannot delete %q policy", name)
	}
	if err := ps.view.Delete(ctx, name); err != nil {
		return fmt.Errorf("delete policy %q: %w", name, err)
	}
	ps.cache.Invalidate(name)
	return nil
}

// list names every policy, root included, sorted.
func (ps *policyStore) list(ctx context.Context) ([]string, error) {
	keys, err := ps.view.List(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list policies: %w", err)
	}
	names := append([]string{policy.Root}, keys...)
	sort.Strings(names)
	return names, nil
}

// acl returns the compiled ACL for a set of policy names. Names with no
// stored policy contribute nothing.
func (ps *policyStore) acl(ctx context.Context, names []string) (*policy.ACL, error) {
	return ps.cache.Get(names, func(name string) (*policy.Policy, error) {
		return ps.get(ctx, name)
	})
}
