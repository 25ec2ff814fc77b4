package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/hashicorp/vault/api"

	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/vaulttest"
)

// TestKubernetesLoginEntities, against a real kube-apiserver: one entity
// per service account, found again on the next login; a policy templated
// on the alias's namespace metadata gives each namespace its own subtree;
// a group's policy reaches its member's token at request time.
func TestKubernetesLoginEntities(t *testing.T) {
	ctx := context.Background()
	cluster := kube.Start(ctx, t)
	s := vaulttest.Start(t, vaulttest.Options{})
	root := s.Client

	for _, ns := range []string{"a", "b", "vaultd"} {
		must(t, cluster.EnsureNamespace(ctx, ns, nil), "namespace "+ns)
	}
	for _, sa := range [][2]string{{"a", "app"}, {"a", "other"}, {"b", "app"}} {
		_, err := cluster.CreateServiceAccount(ctx, sa[0], sa[1])
		must(t, err, "service account "+sa[0]+"/"+sa[1])
	}
	reviewer, err := cluster.CreateReviewer(ctx, "vaultd", "vaultd")
	must(t, err, "reviewer")
	must(t, root.Sys().EnableAuthWithOptions("kubernetes", &api.EnableAuthOptions{Type: "kubernetes"}), "enable kubernetes")
	_, err = root.Logical().Write("auth/kubernetes/config", map[string]any{
		"kubernetes_host": cluster.Host, "kubernetes_ca_cert": string(cluster.CACertPEM),
		"token_reviewer_jwt": reviewer, "disable_local_ca_jwt": true,
	})
	must(t, err, "config")
	auths, err := root.Sys().ListAuth()
	must(t, err, "list auth")
	accessor := auths["kubernetes/"].Accessor

	must(t, root.Sys().PutPolicy("ns-secrets", `
path "secret/data/{{identity.entity.aliases.`+accessor+`.metadata.service_account_namespace}}/*" {
  capabilities = ["read"]
}`), "templated policy")
	_, err = root.Logical().Write("auth/kubernetes/role/apps", map[string]any{
		"bound_service_account_names": "*", "bound_service_account_namespaces": "a,b", "token_policies": "ns-secrets",
	})
	must(t, err, "role")
	for _, p := range []string{"a/x", "b/x", "shared"} {
		_, err := root.KVv2("secret").Put(ctx, p, map[string]any{"v": p})
		must(t, err, "put "+p)
	}

	login := func(ns, sa string) *api.Client {
		t.Helper()
		jwt, err := cluster.CreateToken(ctx, ns, sa, nil, 3600)
		must(t, err, "token "+ns+"/"+sa)
		sec, err := s.NewClient("").Logical().Write("auth/kubernetes/login", map[string]any{"role": "apps", "jwt": jwt})
		must(t, err, "login "+ns+"/"+sa)
		if sec.Auth.EntityID == "" {
			t.Fatalf("login %s/%s: no entity_id in the auth", ns, sa)
		}
		return s.NewClient(sec.Auth.ClientToken)
	}
	entityOf := func(c *api.Client) string {
		t.Helper()
		self, err := c.Auth().Token().LookupSelf()
		must(t, err, "lookup-self")
		id, _ := self.Data["entity_id"].(string)
		if id == "" {
			t.Fatal("token without entity_id")
		}
		return id
	}

	aApp := login("a", "app")
	aAppAgain := login("a", "app")
	bApp := login("b", "app")
	aOther := login("a", "other")
	if entityOf(aApp) != entityOf(aAppAgain) {
		t.Fatal("two logins of one service account made two entities")
	}
	if entityOf(aApp) == entityOf(bApp) || entityOf(aApp) == entityOf(aOther) {
		t.Fatal("different service accounts share an entity")
	}
	list, err := root.Logical().List("identity/entity/id")
	must(t, err, "list entities")
	if n := len(list.Data["keys"].([]any)); n != 3 {
		t.Fatalf("want 3 entities (one per service account), found %d", n)
	}
	ent, err := root.Logical().Read("identity/entity/id/" + entityOf(aApp))
	must(t, err, "read entity")
	aliases := ent.Data["aliases"].([]any)
	al := aliases[0].(map[string]any)
	if len(aliases) != 1 || al["mount_accessor"] != accessor || al["mount_type"] != "kubernetes" ||
		al["metadata"].(map[string]any)["service_account_namespace"] != "a" {
		t.Fatalf("entity aliases: %v", aliases)
	}

	read := func(c *api.Client, path string) error {
		_, err := c.KVv2("secret").Get(ctx, path)
		return err
	}
	must(t, read(aApp, "a/x"), "namespace a reads a/x")
	wantStatus(t, read(aApp, "b/x"), http.StatusForbidden, "namespace a reads b/x")
	must(t, read(bApp, "b/x"), "namespace b reads b/x")
	wantStatus(t, read(bApp, "a/x"), http.StatusForbidden, "namespace b reads a/x")

	// A group's policy reaches the token of its member, already issued.
	wantStatus(t, read(aApp, "shared"), http.StatusForbidden, "shared before the group")
	must(t, root.Sys().PutPolicy("shared-reader", `path "secret/data/shared" { capabilities = ["read"] }`), "group policy")
	_, err = root.Logical().Write("identity/group", map[string]any{
		"name": "a-apps", "policies": "shared-reader", "member_entity_ids": entityOf(aApp),
	})
	must(t, err, "group")
	must(t, read(aApp, "shared"), "group member reads shared")
	wantStatus(t, read(bApp, "shared"), http.StatusForbidden, "non-member reads shared")
}
