// Package registry is the one table of engine, auth-method and audit-device
// types that vaultd serves. cmd/vaultd hands it to core; end-to-end tests
// use the same table, so they run the engines a user gets.
//
// Adding an engine is one folder and one line here.
package registry

import (
	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/audit/file"
	"github.com/vaultd/vaultd/auth/jwt"
	"github.com/vaultd/vaultd/auth/kubernetes"
	"github.com/vaultd/vaultd/cubbyhole"
	"github.com/vaultd/vaultd/kv"
	"github.com/vaultd/vaultd/logical"
)

// Engines are the secrets engines by type name, as sys/mounts takes them.
func Engines() map[string]logical.Factory {
	return map[string]logical.Factory{
		kv.MountTypeKV:      kv.Factory,
		kv.MountTypeKVv2:    kv.Factory,
		cubbyhole.MountType: cubbyhole.Factory,
	}
}

// AuthMethods are the auth methods by type name, as sys/auth takes them.
// The token store is core's own and always mounted at auth/token/.
func AuthMethods() map[string]logical.Factory {
	return map[string]logical.Factory{
		"kubernetes": kubernetes.Factory,
		"jwt":        jwt.Factory,
		"oidc":       jwt.Factory,
	}
}

// AuditDevices are the audit-device types, as sys/audit takes them.
func AuditDevices() map[string]audit.Factory {
	return map[string]audit.Factory{
		"file": file.Factory,
	}
}
