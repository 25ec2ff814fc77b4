package core

import (
	"log/slog"
	"time"

	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/logical"
	"github.com/vaultd/vaultd/storage"
	raftstore "github.com/vaultd/vaultd/storage/raft"
)

// Config is what New needs to build a Core.
type Config struct {
	// Physical is the store under the barrier.
	Physical storage.Backend
	// StorageType names Physical in seal-status ("bbolt", "inmem").
	StorageType string
	// Logger receives the core's logs. Never log a token or secret.
	Logger *slog.Logger
	// Clock is the server's clock; nil means time.Now.
	Clock func() time.Time
	// Engines are the secrets-engine factories by type name ("kv").
	Engines map[string]logical.Factory
	// AuthMethods are the auth-method factories by type name ("kubernetes").
	AuthMethods map[string]logical.Factory
	// AuditDevices are the audit-device factories by type name ("file").
	AuditDevices map[string]audit.Factory
	// ConfigAuditDevices are devices declared in the server config; they
	// are enabled at every unseal and cannot be disabled through the API.
	ConfigAuditDevices []audit.DeviceConfig
	// AllowAuditLogPrefixing lets audit devices take the prefix option
	// (allow_audit_log_prefixing); refused by default, as in Vault.
	AllowAuditLogPrefixing bool
	// DefaultLeaseTTL and MaxLeaseTTL are the server-wide defaults
	// (768h for both when zero, as Vault).
	DefaultLeaseTTL time.Duration
	MaxLeaseTTL     time.Duration
	// ClusterName is reported by seal-status and health; one is generated
	// at initialisation when empty.
	ClusterName string
	// Version and BuildDate are reported by seal-status and health.
	Version   string
	BuildDate string
	// Metrics receives the core's metrics; nil drops them.
	Metrics logical.MetricSink

	// Raft, when set, makes the core highly available: active while this
	// node leads the Raft cluster, standby otherwise. Physical is then the
	// same backend.
	Raft *raftstore.Backend
	// Cluster receives the cluster key pair kept in the barrier.
	Cluster ClusterHooks
	// APIAddr and ClusterAddr are this node's api_addr and cluster_addr,
	// told to the other members.
	APIAddr     string
	ClusterAddr string
}

// InitParams are the parameters of PUT sys/init.
type InitParams struct {
	SecretShares    int
	SecretThreshold int
	// RootTokenID, when set (dev mode), is used as the root token instead
	// of a random one.
	RootTokenID string
}

// InitResult is what initialisation hands back once, and never again.
type InitResult struct {
	// Shares are the unseal key shares, in Vault's format.
	Shares [][]byte
	// RootToken is the initial root token.
	RootToken string
}

// SealStatus is the answer of GET sys/seal-status and PUT sys/unseal.
type SealStatus struct {
	Type         string `json:"type"`
	Initialized  bool   `json:"initialized"`
	Sealed       bool   `json:"sealed"`
	T            int    `json:"t"`
	N            int    `json:"n"`
	Progress     int    `json:"progress"`
	Nonce        string `json:"nonce"`
	Version      string `json:"version"`
	BuildDate    string `json:"build_date"`
	Migration    bool   `json:"migration"`
	ClusterName  string `json:"cluster_name,omitempty"`
	ClusterID    string `json:"cluster_id,omitempty"`
	RecoverySeal bool   `json:"recovery_seal"`
	StorageType  string `json:"storage_type,omitempty"`
}

// Errors of the seal state machine. The server maps them to HTTP statuses
// through logical.StatusOf; they are CodedErrors.
var (
	// ErrAlreadyInitialized answers a second PUT sys/init.
	ErrAlreadyInitialized = logical.InvalidRequest("Vault is already initialized")
	// ErrNotInitialized answers unseal before init.
	ErrNotInitialized = logical.InvalidRequest("Vault is not initialized")
)
