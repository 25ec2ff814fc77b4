package command

import (
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/hashicorp/vault/api"
)

// kvTarget is a kv command's secret: its mount, the mount's version and
// the path inside it.
type kvTarget struct {
	mount string // "secret/"
	v2    bool
	rel   string // "my-api"
}

// apiPath is the request path: mount/prefix/rel on version 2 (prefix is
// data, metadata, delete, undelete or destroy), mount/rel on version 1.
func (k kvTarget) apiPath(prefix string) string {
	if !k.v2 || prefix == "" {
		return path.Join(k.mount, k.rel)
	}
	return path.Join(k.mount, prefix, k.rel)
}

// kvResolve finds the mount of arg (or of -mount) and its KV version
// through sys/internal/ui/mounts, as the vault CLI does.
func (b *base) kvResolve(client *api.Client, arg, mountFlag string) (kvTarget, error) {
	arg = strings.TrimLeft(arg, "/")
	probe := arg
	if mountFlag != "" {
		probe = strings.Trim(mountFlag, "/")
	}
	// The probe is never wrapped, whatever -wrap-ttl says.
	wrap := client.CurrentWrappingLookupFunc()
	client.SetWrappingLookupFunc(nil)
	defer client.SetWrappingLookupFunc(wrap)
	resp, err := client.Logical().ReadRawWithContext(b.ctx, "sys/internal/ui/mounts/"+probe)
	if resp != nil {
		defer resp.Body.Close()
	}
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			// A server without the endpoint: version 1, the path as given.
			return kvTarget{rel: arg}, nil
		}
		return kvTarget{}, err
	}
	s, err := api.ParseSecret(resp.Body)
	if err != nil {
		return kvTarget{}, err
	}
	if s == nil {
		return kvTarget{}, fmt.Errorf("nil response from pre-flight request")
	}
	mount, _ := s.Data["path"].(string)
	version := ""
	if opts, ok := s.Data["options"].(map[string]any); ok {
		version, _ = opts["version"].(string)
	}
	t := kvTarget{mount: mount, v2: version == "2"}
	if mountFlag != "" {
		t.rel = arg
	} else {
		t.rel = strings.TrimPrefix(arg, strings.TrimSuffix(mount, "/"))
		t.rel = strings.TrimPrefix(t.rel, "/")
	}
	return t, nil
}

// kvRead reads a KV path: a 404 with data (a deleted version's metadata)
// or warnings is an answer, a bare 404 is nil.
func (b *base) kvRead(client *api.Client, p string, params map[string]string) (*api.Secret, error) {
	values := map[string][]string{}
	for k, v := range params {
		values[k] = []string{v}
	}
	return client.Logical().ParseRawResponseAndCloseBody(client.Logical().ReadRawWithDataWithContext(b.ctx, p, values))
}

// kvWriteOutput prints what kv put, patch and rollback answered on a
// version 2 mount: the secret path and the new version's metadata.
func (b *base) kvWriteOutput(s *api.Secret, t kvTarget, fullPath string) int {
	p := b.out()
	if s == nil {
		if p.format == "table" {
			return p.success("Data written to: %s", fullPath)
		}
		return exitOK
	}
	if b.field != "" || s.WrapInfo != nil {
		return p.secret(s)
	}
	if p.format != "table" || !t.v2 {
		return p.secret(s)
	}
	p.warnings(s)
	p.path("Secret Path", fullPath)
	p.header("Metadata", s.Data)
	return p.data(s.Data)
}

// versionsFlag is a repeatable -versions=1,2 flag.
type versionsFlag []string

func (v *versionsFlag) String() string { return strings.Join(*v, ",") }

func (v *versionsFlag) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			if _, err := strconv.Atoi(part); err != nil {
				return fmt.Errorf("%q is not a version number", part)
			}
			*v = append(*v, part)
		}
	}
	return nil
}

// listFlag is a repeatable string flag that also splits on commas.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// mapFlag is a repeatable -flag=key=value.
type mapFlag map[string]string

func (m mapFlag) String() string { return "" }

func (m mapFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	m[k] = v
	return nil
}
