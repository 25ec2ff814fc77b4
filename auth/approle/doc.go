// Package approle is the AppRole auth method: roles (auth/<mount>/role/<name>)
// that a machine logs in to with the role's role ID and, unless the role
// does without, a secret ID issued for it. Secret IDs are kept only as
// HMACs under a per-mount key, with a separate accessor to manage them by.
package approle
