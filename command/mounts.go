package command

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"
)

// Flags and helpers shared by the auth and secrets families, which both
// enable, tune and move mounts.

// mountFlags are the settings enable and tune take.
type mountFlags struct {
	description       string
	defaultLeaseTTL   time.Duration
	maxLeaseTTL       time.Duration
	listingVisibility string
	options           mapFlag
	local             bool
}

func (m *mountFlags) register(fs *flag.FlagSet, enable bool) {
	m.options = mapFlag{}
	fs.StringVar(&m.description, "description", "", "Human-friendly description of the mount.")
	fs.DurationVar(&m.defaultLeaseTTL, "default-lease-ttl", 0, "Default lease TTL of the mount; 0 is the system default.")
	fs.DurationVar(&m.maxLeaseTTL, "max-lease-ttl", 0, "Maximum lease TTL of the mount; 0 is the system maximum.")
	fs.StringVar(&m.listingVisibility, "listing-visibility", "", `"unauth" to list the mount in sys/internal/ui/mounts for everyone, "hidden" not to.`)
	fs.Var(m.options, "options", "A K=V option of the mount; repeatable.")
	if enable {
		fs.BoolVar(&m.local, "local", false, "Mark the mount local to this cluster.")
	}
}

// ttl is a duration flag as the API takes it: "" when unset.
func ttl(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}

func (m *mountFlags) config() api.MountConfigInput {
	return api.MountConfigInput{
		DefaultLeaseTTL:   ttl(m.defaultLeaseTTL),
		MaxLeaseTTL:       ttl(m.maxLeaseTTL),
		ListingVisibility: m.listingVisibility,
	}
}

// tune sends the flags that were set to sys/mounts/<path>/tune or
// sys/auth/<path>/tune.
func (b *base) tune(client *api.Client, path string, m *mountFlags, set map[string]bool) error {
	body := map[string]any{}
	if set["description"] {
		body["description"] = m.description
	}
	if set["default-lease-ttl"] {
		body["default_lease_ttl"] = ttl(m.defaultLeaseTTL)
		if m.defaultLeaseTTL == 0 {
			body["default_lease_ttl"] = "system"
		}
	}
	if set["max-lease-ttl"] {
		body["max_lease_ttl"] = ttl(m.maxLeaseTTL)
		if m.maxLeaseTTL == 0 {
			body["max_lease_ttl"] = "system"
		}
	}
	if set["listing-visibility"] {
		body["listing_visibility"] = m.listingVisibility
	}
	if len(m.options) > 0 {
		body["options"] = map[string]string(m.options)
	}
	_, err := client.Logical().WriteWithContext(b.ctx, "sys/"+path+"/tune", body)
	return err
}

// setFlags names the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// mountPath is p with one trailing slash.
func mountPath(p string) string {
	return strings.Trim(p, "/") + "/"
}

// move remounts from to to and waits for the migration to finish.
func (b *base) move(client *api.Client, from, to string) (string, error) {
	out, err := client.Sys().StartRemountWithContext(b.ctx, from, to)
	if err != nil {
		return "", err
	}
	for {
		st, err := client.Sys().RemountStatusWithContext(b.ctx, out.MigrationID)
		if err != nil {
			return out.MigrationID, err
		}
		switch st.MigrationInfo.MigrationStatus {
		case "success":
			return out.MigrationID, nil
		case "failure":
			return out.MigrationID, fmt.Errorf("the move failed (migration %s)", out.MigrationID)
		}
		select {
		case <-b.ctx.Done():
			return out.MigrationID, b.ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// mountRows are the rows of auth list and secrets list.
func mountRows(paths map[string][4]string) [][]string {
	rows := [][]string{{"Path", "Type", "Accessor", "Description"}}
	for _, k := range sortedKeys(paths) {
		r := paths[k]
		rows = append(rows, []string{k, r[0], r[1], r[2]})
	}
	return rows
}

// detailedTTL is a TTL column of a -detailed listing.
func detailedTTL(typ string, seconds int) string {
	switch {
	case typ == "system" || typ == "cubbyhole" || typ == "identity":
		return ""
	case seconds != 0:
		return fmt.Sprint(seconds)
	}
	return "system"
}

// mountArgs parses the flags (flagsHTTP, and whatever extra registers) and
// exactly n mount paths, each with one trailing slash, and builds the
// client. When ok is false the command exits with code.
func (b *base) mountArgs(args []string, n int, extra func(*flag.FlagSet)) (client *api.Client, paths []string, code int, ok bool) {
	fs := b.flags(flagsHTTP)
	if extra != nil {
		extra(fs)
	}
	if client, paths, code, ok = b.connect(args, n, n); !ok {
		return nil, nil, code, false
	}
	for i := range paths {
		paths[i] = mountPath(paths[i])
	}
	return client, paths, exitOK, true
}

// enablePath is where enable mounts TYPE: -path, else the type, with one
// trailing slash.
func enablePath(typ, path string) string {
	if path == "" {
		path = typ
	}
	return mountPath(path)
}

// runMountDisable is auth disable and secrets disable: noun names the
// kind of mount in the messages.
func runMountDisable(b *base, args []string, noun string, disable func(c *api.Client, path string) error) int {
	client, paths, code, ok := b.mountArgs(args, 1, nil)
	if !ok {
		return code
	}
	if err := disable(client, paths[0]); err != nil {
		return b.remote("Error disabling "+noun+" at "+paths[0], err)
	}
	return b.out().success("Disabled the %s (if it existed) at: %s", noun, paths[0])
}

// runMountTune is auth tune and secrets tune; kind is "auth" or "mounts",
// the part of sys/ the mount is tuned under.
func runMountTune(b *base, args []string, kind, noun string) int {
	var m mountFlags
	var fs *flag.FlagSet
	client, paths, code, ok := b.mountArgs(args, 1, func(f *flag.FlagSet) {
		fs = f
		m.register(f, false)
	})
	if !ok {
		return code
	}
	path := paths[0]
	if err := b.tune(client, kind+"/"+strings.TrimSuffix(path, "/"), &m, setFlags(fs)); err != nil {
		return b.remote("Error tuning "+noun+" "+path, err)
	}
	return b.out().success("Tuned the %s at: %s", noun, path)
}

// runMountMove is auth move and secrets move; fix turns each argument
// into the path sys/remount takes.
func runMountMove(b *base, args []string, noun string, fix func(string) string) int {
	client, paths, code, ok := b.mountArgs(args, 2, nil)
	if !ok {
		return code
	}
	from, to := fix(paths[0]), fix(paths[1])
	id, err := b.move(client, from, to)
	if err != nil {
		return b.remote("Error moving "+noun+" "+from+" to "+to, err)
	}
	return b.out().success("Finished moving %s %s to %s, with migration ID %s", noun, from, to, id)
}

// replication is the Replication column of a -detailed listing.
func replication(local bool) string {
	if local {
		return "local"
	}
	return "replicated"
}
