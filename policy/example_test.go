package policy_test

import (
	"fmt"

	"github.com/vaultd/vaultd/policy"
)

// The walkthrough's policy: a backend service may read its own secret and
// nothing else.
func Example() {
	p, err := policy.Parse("my-api", `path "secret/data/my-api" { capabilities = ["read"] }`)
	if err != nil {
		panic(err)
	}
	acl, err := policy.NewACL([]*policy.Policy{p})
	if err != nil {
		panic(err)
	}
	fmt.Println(acl.Allowed(policy.Request{Path: "secret/data/my-api", Operation: "read"}).Allowed)
	fmt.Println(acl.Allowed(policy.Request{Path: "secret/data/payment-processor", Operation: "read"}).Allowed)
	fmt.Println(acl.Capabilities("secret/data/my-api"))
	// Output:
	// true
	// false
	// [read]
}

// Core keeps one Cache and asks it for the ACL of a token's policy set on
// every request; writing or deleting a policy invalidates it.
func ExampleCache() {
	stored := map[string]string{
		"default": policy.DefaultPolicyText,
		"app":     `path "secret/data/app/*" { capabilities = ["read", "list"] }`,
	}
	load := func(name string) (*policy.Policy, error) {
		text, ok := stored[name]
		if !ok {
			return nil, nil // missing policies are skipped
		}
		return policy.Parse(name, text)
	}
	cache := policy.NewCache(0)
	acl, _ := cache.Get([]string{"default", "app"}, load)
	fmt.Println(acl.Allowed(policy.Request{Path: "secret/data/app/db", Operation: "update"}).Allowed)

	stored["app"] = `path "secret/data/app/*" { capabilities = ["read", "list", "update"] }`
	cache.Invalidate("app")
	acl, _ = cache.Get([]string{"default", "app"}, load)
	fmt.Println(acl.Allowed(policy.Request{Path: "secret/data/app/db", Operation: "update"}).Allowed)

	root, _ := cache.Get([]string{policy.Root}, load)
	fmt.Println(root.Capabilities("sys/raw/anything"))
	// Output:
	// false
	// true
	// [root]
}
