package core

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

func (b *sysBackend) mountRoutes() []sysRoute {
	op := func(read, update, del sysHandler) map[logical.Operation]sysHandler {
		m := map[logical.Operation]sysHandler{}
		if read != nil {
			m[logical.ReadOperation] = read
		}
		if update != nil {
			m[logical.UpdateOperation] = update
		}
		if del != nil {
			m[logical.DeleteOperation] = del
		}
		return m
	}
	table := func(t string) sysHandler {
		return func(ctx context.Context, req *logical.Request, _ []string) (*logical.Response, error) {
			return b.listTable(t), nil
		}
	}
	return []sysRoute{
		sysPath(`mounts/?`, op(table(tableMounts), nil, nil)),
		sysPath(`mounts/(.+)/tune`, op(b.tableHandler(tableMounts, b.readTune), b.tableHandler(tableMounts, b.writeTune), nil)),
		sysPath(`mounts/(.+)`, op(b.tableHandler(tableMounts, b.readMount), b.tableHandler(tableMounts, b.enable), b.tableHandler(tableMounts, b.disable))),
		sysPath(`auth/?`, op(table(tableAuth), nil, nil)),
		sysPath(`auth/(.+)/tune`, op(b.tableHandler(tableAuth, b.readTune), b.tableHandler(tableAuth, b.writeTune), nil)),
		sysPath(`auth/(.+)`, op(b.tableHandler(tableAuth, b.readMount), b.tableHandler(tableAuth, b.enable), b.tableHandler(tableAuth, b.disable))),
		sysPath(`remount`, op(nil, b.remount, nil)),
		sysPath(`remount/status/(.+)`, op(b.remountStatus, nil, nil)),
		sysPath(`internal/ui/mounts/?`, op(b.uiMounts, nil, nil)),
		sysPath(`internal/ui/mounts/(.+)`, op(b.uiMount, nil, nil)),
	}
}

// tableHandler adapts a handler that works on one table and a normalised
// mount path.
func (b *sysBackend) tableHandler(table string, h func(context.Context, *logical.Request, string, string) (*logical.Response, error)) sysHandler {
	return func(ctx context.Context, req *logical.Request, m []string) (*logical.Response, error) {
		path, err := normaliseMountPath(m[1])
		if err != nil {
			return nil, err
		}
		// sys/mounts/auth/<path>/tune tunes an auth method, as in Vault.
		if table == tableMounts && strings.HasPrefix(path, "auth/") && strings.HasSuffix(req.Path, "/tune") {
			table, path = tableAuth, strings.TrimPrefix(path, "auth/")
		}
		return h(ctx, req, table, path)
	}
}

// mountInfo renders one entry as sys/mounts and sys/auth show it. As in
// Vault, the config block gives the TTLs as configured on the mount, 0
// meaning "the system default" (the CLI shows "system"; Terraform compares
// them with its own configuration), while the tune endpoint gives the
// effective values.
func (b *sysBackend) mountInfo(e *MountEntry) map[string]any {
	opts := map[string]any{}
	for k, v := range e.Options {
		opts[k] = v
	}
	var optsOut any = opts
	if len(opts) == 0 && e.Type != "kv" {
		optsOut = nil
	}
	return map[string]any{
		"type": e.Type, "description": e.Description, "accessor": e.Accessor, "uuid": e.UUID,
		"config":  mountConfigInfo(e),
		"options": optsOut, "local": e.Local, "seal_wrap": e.SealWrap,
		"external_entropy_access": false, "plugin_version": "", "running_plugin_version": "",
		"running_sha256": "", "deprecation_status": "supported",
	}
}

// mountConfigInfo is the config block of mountInfo: the configured TTLs
// and the optional tunables that are set.
func mountConfigInfo(e *MountEntry) map[string]any {
	cfg := map[string]any{
		"default_lease_ttl": int64(e.Config.DefaultLeaseTTL / time.Second),
		"max_lease_ttl":     int64(e.Config.MaxLeaseTTL / time.Second),
		"force_no_cache":    false,
	}
	addOptionalTunables(cfg, e)
	return cfg
}

// addOptionalTunables adds to a config or tune answer the tunables Vault
// shows only when they are set, and the token type of an auth mount.
func addOptionalTunables(data map[string]any, e *MountEntry) {
	if e.Config.ListingVisibility != "" {
		data["listing_visibility"] = e.Config.ListingVisibility
	}
	if len(e.Config.AuditNonHMACRequestKeys) > 0 {
		data["audit_non_hmac_request_keys"] = e.Config.AuditNonHMACRequestKeys
	}
	if len(e.Config.AuditNonHMACResponseKeys) > 0 {
		data["audit_non_hmac_response_keys"] = e.Config.AuditNonHMACResponseKeys
	}
	if e.Table == tableAuth {
		// Every token vaultd issues is a service token: Vault's name for
		// a mount that leaves the choice to the default is this one.
		data["token_type"] = "default-service"
	}
}

// mountTTL reads a mount TTL as Vault does: absent, null or "" leaves the
// current value alone (the CLI's "secrets tune" sends "" for the TTL it was
// not asked to change), "system" resets it to the system default (0), and
// anything else is a duration ("1h", "3600", 3600; "0s" also means 0).
func mountTTL(raw any) (d time.Duration, set bool, err error) {
	switch v := raw.(type) {
	case nil:
		return 0, false, nil
	case string:
		switch strings.TrimSpace(v) {
		case "":
			return 0, false, nil
		case "system":
			return 0, true, nil
		}
	}
	d, err = logical.ParseDuration(raw)
	if err != nil {
		return 0, false, err
	}
	return d, true, nil
}

func (b *sysBackend) entries(table string) []*MountEntry {
	b.st.tableLock.Lock()
	defer b.st.tableLock.Unlock()
	if table == tableAuth {
		return append([]*MountEntry{}, b.st.auths...)
	}
	return append([]*MountEntry{}, b.st.mounts...)
}

func (b *sysBackend) findEntry(table, path string) *MountEntry {
	for _, e := range b.entries(table) {
		if e.Path == path {
			return e
		}
	}
	return nil
}

func (b *sysBackend) listTable(table string) *logical.Response {
	data := map[string]any{}
	for _, e := range b.entries(table) {
		data[e.Path] = b.mountInfo(e)
	}
	return &logical.Response{Data: data}
}

func (b *sysBackend) readMount(_ context.Context, _ *logical.Request, table, path string) (*logical.Response, error) {
	e := b.findEntry(table, path)
	if e == nil {
		// Vault's words: Terraform's provider matches on them to tell a
		// mount deleted out of band (dropped from state) from an error.
		if table == tableAuth {
			return nil, logical.InvalidRequest("No auth engine at %s", path)
		}
		return nil, logical.InvalidRequest("No secret engine mount at %s", path)
	}
	return &logical.Response{Data: b.mountInfo(e)}, nil
}

// mountSchema is the body of POST sys/mounts/<path> and sys/auth/<path>.
func mountSchema() map[string]*logical.FieldSchema {
	return map[string]*logical.FieldSchema{
		"type":        {Type: logical.TypeString},
		"description": {Type: logical.TypeString},
		"config":      {Type: logical.TypeMap},
		"options":     {Type: logical.TypeStringMap},
		"local":       {Type: logical.TypeBool},
		"seal_wrap":   {Type: logical.TypeBool},
	}
}

// enable mounts a new secrets engine or auth method.
func (b *sysBackend) enable(ctx context.Context, req *logical.Request, table, path string) (*logical.Response, error) {
	fd, err := fields(req, mountSchema())
	if err != nil {
		return nil, err
	}
	typ := fd.Get("type").(string)
	if typ == "" {
		return nil, logical.InvalidRequest("missing type")
	}
	e, err := newMountEntry(table, path, typ, fd.Get("description").(string))
	if err != nil {
		return nil, err
	}
	e.Options = fd.Get("options").(map[string]string)
	e.Local = fd.Get("local").(bool)
	e.SealWrap = fd.Get("seal_wrap").(bool)
	if typ == "kv-v2" {
		e.Type = "kv"
		e.Options["version"] = "2"
	}
	if err := applyMountConfig(&e.Config, fd.Get("config").(map[string]any)); err != nil {
		return nil, err
	}
	return nil, b.st.mount(ctx, e)
}

// applyMountConfig decodes the "config" object of a mount or tune request.
func applyMountConfig(mc *MountConfig, raw map[string]any) error {
	fd := &logical.FieldData{Raw: raw, Schema: map[string]*logical.FieldSchema{
		"listing_visibility":           {Type: logical.TypeString},
		"audit_non_hmac_request_keys":  {Type: logical.TypeStringList},
		"audit_non_hmac_response_keys": {Type: logical.TypeStringList},
	}}
	if err := fd.Validate(); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		dst  *time.Duration
	}{{"default_lease_ttl", &mc.DefaultLeaseTTL}, {"max_lease_ttl", &mc.MaxLeaseTTL}} {
		d, set, err := mountTTL(raw[f.name])
		if err != nil {
			return logical.InvalidRequest("error converting input for field %q: %v", f.name, err)
		}
		if set {
			*f.dst = d
		}
	}
	if v, ok, _ := fd.GetOk("listing_visibility"); ok {
		s := v.(string)
		if s != "" && s != "hidden" && s != "unauth" {
			return logical.InvalidRequest("listing_visibility must be \"hidden\" or \"unauth\"")
		}
		mc.ListingVisibility = s
	}
	if v, ok, _ := fd.GetOk("audit_non_hmac_request_keys"); ok {
		mc.AuditNonHMACRequestKeys = v.([]string)
	}
	if v, ok, _ := fd.GetOk("audit_non_hmac_response_keys"); ok {
		mc.AuditNonHMACResponseKeys = v.([]string)
	}
	if mc.MaxLeaseTTL > 0 && mc.DefaultLeaseTTL > mc.MaxLeaseTTL {
		return logical.InvalidRequest("default lease TTL of %s exceeds max lease TTL of %s", mc.DefaultLeaseTTL, mc.MaxLeaseTTL)
	}
	return nil
}

// mount checks, builds and records a new mount.
func (st *unsealed) mount(ctx context.Context, e *MountEntry) error {
	if e.Table == tableMounts {
		for _, reserved := range []string{"sys/", "auth/", "cubbyhole/", "identity/"} {
			if strings.HasPrefix(e.Path, reserved) || e.Path == reserved {
				return logical.InvalidRequest("cannot mount under reserved path %q", reserved)
			}
		}
	}
	factories := st.c.conf.Engines
	if e.Table == tableAuth {
		factories = st.c.conf.AuthMethods
	}
	if _, ok := factories[e.Type]; !ok || e.builtin() {
		return logical.InvalidRequest("plugin not found in the catalog: %s", e.Type)
	}
	st.tableLock.Lock()
	defer st.tableLock.Unlock()
	if existing, clash := st.router.conflict(e.routePath()); clash {
		if existing == e.routePath() {
			return logical.InvalidRequest("path is already in use at %s", existing)
		}
		return logical.InvalidRequest("existing mount at %s conflicts with %s", existing, e.routePath())
	}
	if err := st.mountEngine(ctx, e); err != nil {
		return logical.InvalidRequest("failed to set up %s: %v", e.Type, err)
	}
	if err := st.saveEntries(ctx, e.Table, append(st.tableOf(e.Table), e)); err != nil {
		st.router.remove(e.routePath())
		return err
	}
	return nil
}

func (st *unsealed) tableOf(table string) []*MountEntry {
	if table == tableAuth {
		return st.auths
	}
	return st.mounts
}

// saveEntries persists a table and, once written, makes it current.
func (st *unsealed) saveEntries(ctx context.Context, table string, entries []*MountEntry) error {
	key := mountsKey
	if table == tableAuth {
		key = authKey
	}
	if err := saveTable(ctx, st.c.barrier, key, entries); err != nil {
		return err
	}
	if table == tableAuth {
		st.auths = entries
	} else {
		st.mounts = entries
	}
	return nil
}

// disable unmounts: revokes the mount's leases and tokens, deletes its
// data, then drops it from the table.
func (b *sysBackend) disable(ctx context.Context, _ *logical.Request, table, path string) (*logical.Response, error) {
	e := b.findEntry(table, path)
	if e == nil {
		return nil, nil
	}
	if e.builtin() {
		return nil, logical.InvalidRequest("cannot unmount %q", e.routePath())
	}
	st := b.st
	if err := st.expiration.revokePrefix(ctx, e.routePath(), true); err != nil {
		return nil, fmt.Errorf("revoke leases of %s: %w", e.routePath(), err)
	}
	st.tableLock.Lock()
	defer st.tableLock.Unlock()
	rt, _ := st.router.match(e.routePath())
	var kept []*MountEntry
	for _, other := range st.tableOf(table) {
		if other != e {
			kept = append(kept, other)
		}
	}
	if err := st.saveEntries(ctx, table, kept); err != nil {
		return nil, err
	}
	st.router.remove(e.routePath())
	if rt != nil {
		if cl, ok := rt.backend.(logical.Cleaner); ok {
			cl.Cleanup(ctx)
		}
		if err := deletePrefix(ctx, rt.view, ""); err != nil {
			return nil, fmt.Errorf("delete data of %s: %w", e.routePath(), err)
		}
	}
	return nil, nil
}

func (b *sysBackend) readTune(_ context.Context, _ *logical.Request, table, path string) (*logical.Response, error) {
	e := b.findEntry(table, path)
	if e == nil {
		return nil, logical.InvalidRequest("cannot fetch sysview for path %q", path)
	}
	sys := mountSystemView{c: b.st.c, entry: e}
	data := map[string]any{
		"description":       e.Description,
		"default_lease_ttl": int64(sys.DefaultLeaseTTL() / time.Second),
		"max_lease_ttl":     int64(sys.MaxLeaseTTL() / time.Second),
		"force_no_cache":    false,
	}
	if len(e.Options) > 0 {
		data["options"] = e.Options
	}
	addOptionalTunables(data, e)
	return &logical.Response{Data: data}, nil
}

// writeTune changes a mount's tunables. The tune body carries the config
// keys at the top level, as Vault's does.
func (b *sysBackend) writeTune(ctx context.Context, req *logical.Request, table, path string) (*logical.Response, error) {
	st := b.st
	st.tableLock.Lock()
	defer st.tableLock.Unlock()
	var target *MountEntry
	for _, e := range st.tableOf(table) {
		if e.Path == path {
			target = e
		}
	}
	if target == nil {
		return nil, logical.InvalidRequest("cannot tune %q: no such mount", path)
	}
	updated := *target
	if err := applyMountConfig(&updated.Config, req.Data); err != nil {
		return nil, err
	}
	if d, ok := req.Data["description"]; ok {
		s, err := logical.ParseString(d)
		if err != nil {
			return nil, logical.InvalidRequest("error converting input for field \"description\": %v", err)
		}
		updated.Description = s
	}
	if raw, ok := req.Data["options"]; ok {
		opts, err := logical.ParseStringMap(raw)
		if err != nil {
			return nil, logical.InvalidRequest("error converting input for field \"options\": %v", err)
		}
		if v, ok := opts["version"]; ok && updated.Type == "kv" && v != updated.kvVersion() {
			return nil, logical.InvalidRequest("changing the KV version of an existing mount is not supported")
		}
		merged := map[string]string{}
		for k, v := range updated.Options {
			merged[k] = v
		}
		for k, v := range opts {
			merged[k] = v
		}
		updated.Options = merged
	}
	var entries []*MountEntry
	for _, e := range st.tableOf(table) {
		if e == target {
			e = &updated
		}
		entries = append(entries, e)
	}
	if err := st.saveEntries(ctx, table, entries); err != nil {
		return nil, err
	}
	*target = updated
	return nil, nil
}

// remount moves a mount, its data view unchanged (views are keyed by the
// mount's UUID, not its path), and answers as Vault's asynchronous remount
// does with a migration that has already succeeded.
func (b *sysBackend) remount(ctx context.Context, req *logical.Request, _ []string) (*logical.Response, error) {
	fd, err := fields(req, map[string]*logical.FieldSchema{"from": {Type: logical.TypeString}, "to": {Type: logical.TypeString}})
	if err != nil {
		return nil, err
	}
	from, to := fd.Get("from").(string), fd.Get("to").(string)
	if from == "" || to == "" {
		return nil, logical.InvalidRequest("both 'from' and 'to' must be specified")
	}
	table := tableMounts
	if strings.HasPrefix(strings.TrimPrefix(from, "/"), "auth/") {
		table = tableAuth
		from, to = strings.TrimPrefix(strings.TrimPrefix(from, "/"), "auth/"), strings.TrimPrefix(strings.TrimPrefix(to, "/"), "auth/")
	}
	fromPath, err := normaliseMountPath(from)
	if err != nil {
		return nil, err
	}
	toPath, err := normaliseMountPath(to)
	if err != nil {
		return nil, err
	}
	if err := b.st.move(ctx, table, fromPath, toPath); err != nil {
		return nil, err
	}
	id := newUUID()
	b.st.remounts.Store(id, [2]string{fromPath, toPath})
	return &logical.Response{Data: map[string]any{"migration_id": id}}, nil
}

func (b *sysBackend) remountStatus(_ context.Context, _ *logical.Request, m []string) (*logical.Response, error) {
	v, ok := b.st.remounts.Load(m[1])
	if !ok {
		return nil, nil
	}
	paths := v.([2]string)
	return &logical.Response{Data: map[string]any{
		"migration_id": m[1],
		"migration_info": map[string]any{
			"source_mount": paths[0], "target_mount": paths[1], "status": "success",
		},
	}}, nil
}

// move changes a mount's path in its table and the router.
func (st *unsealed) move(ctx context.Context, table, from, to string) error {
	st.tableLock.Lock()
	defer st.tableLock.Unlock()
	var target *MountEntry
	for _, e := range st.tableOf(table) {
		if e.Path == from {
			target = e
		}
	}
	if target == nil {
		return logical.InvalidRequest("no matching mount at %q", from)
	}
	if target.builtin() {
		return logical.InvalidRequest("cannot remount %q", target.routePath())
	}
	moved := *target
	moved.Path = to
	if table == tableMounts && (strings.HasPrefix(to, "sys/") || strings.HasPrefix(to, "auth/")) {
		return logical.InvalidRequest("cannot remount to reserved path %q", to)
	}
	if existing, clash := st.router.conflictExcept(moved.routePath(), target.routePath()); clash {
		return logical.InvalidRequest("existing mount at %s conflicts with %s", existing, moved.routePath())
	}
	if err := st.expiration.revokePrefix(ctx, target.routePath(), true); err != nil {
		return fmt.Errorf("revoke leases of %s: %w", target.routePath(), err)
	}
	var entries []*MountEntry
	for _, e := range st.tableOf(table) {
		if e == target {
			e = &moved
		}
		entries = append(entries, e)
	}
	if err := st.saveEntries(ctx, table, entries); err != nil {
		return err
	}
	rt, _ := st.router.match(target.routePath())
	st.router.remove(target.routePath())
	rt.entry = &moved
	rt.system = mountSystemView{c: st.c, entry: &moved}
	st.router.add(rt)
	return nil
}

// uiMounts lists the mounts the caller's token can reach, as the UI and
// the CLI's kv commands ask for them.
// uiMounts lists the mounts the caller may see: those its policies grant
// anything under, and, as in Vault, every mount tuned to listing_visibility
// "unauth". A caller without a token sees only the latter, and only their
// type, description and options.
func (b *sysBackend) uiMounts(ctx context.Context, req *logical.Request, _ []string) (*logical.Response, error) {
	anonymous := req.ClientToken == ""
	list := func(table string) map[string]any {
		out := map[string]any{}
		for _, e := range b.entries(table) {
			public := e.Config.ListingVisibility == "unauth"
			switch {
			case anonymous && public:
				out[e.Path] = map[string]any{"type": e.Type, "description": e.Description, "options": b.mountInfo(e)["options"]}
			case !anonymous && (public || b.st.canSee(ctx, req, e)):
				out[e.Path] = b.mountInfo(e)
			}
		}
		return out
	}
	return &logical.Response{Data: map[string]any{"secret": list(tableMounts), "auth": list(tableAuth)}}, nil
}

// uiMount answers which mount serves a path, with the KV version the kv
// commands need.
func (b *sysBackend) uiMount(ctx context.Context, req *logical.Request, m []string) (*logical.Response, error) {
	rt, _ := b.st.router.match(trimSlashes(m[1]) + "/")
	if rt == nil || !b.st.canSee(ctx, req, rt.entry) {
		return nil, logical.CodedErrorf(http.StatusForbidden, "preflight capability check returned 403, please ensure client's policies grant access to path %q", m[1]+"/")
	}
	info := b.mountInfo(rt.entry)
	info["path"] = rt.entry.routePath()
	if rt.entry.Table == tableAuth {
		info["path"] = rt.entry.Path
	}
	return &logical.Response{Data: info}, nil
}
