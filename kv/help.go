package kv

import (
	"strings"

	"github.com/vaultd/vaultd/logical"
)

var allOps = []logical.Operation{logical.ReadOperation, logical.CreateOperation, logical.UpdateOperation, logical.DeleteOperation, logical.ListOperation}

// Help implements logical.HelpProvider for KV version 1: one pattern, any
// path.
func (b *V1) Help(string) (*logical.PathHelp, bool) {
	return &logical.PathHelp{
		Pattern:    `.*`,
		Operations: allOps,
		Synopsis:   "Pass-through secret storage: read, write, list and delete secrets at any path.",
		Description: "KV version 1 stores the JSON object written to a path and returns it as written. " +
			"Writing replaces the secret; there are no versions.",
	}, true
}

// v2Help is KV version 2's path table, in the order its HandleRequest
// dispatches: endpoint, pattern and help.
var v2Help = map[string]*logical.PathHelp{
	endpointConfig: {Pattern: `config`, Operations: []logical.Operation{logical.ReadOperation, logical.UpdateOperation},
		Synopsis: "Configure the engine: max_versions, cas_required and delete_version_after.",
		Fields: map[string]*logical.FieldSchema{
			"max_versions":         {Type: logical.TypeInt, Description: "The number of versions kept per key (0: 10)."},
			"cas_required":         {Type: logical.TypeBool, Description: "Require the cas option on every write."},
			"delete_version_after": {Type: logical.TypeDuration, Description: "Delete versions this long after they are written (0: never)."},
		}},
	endpointData: {Pattern: `data/(?P<path>.*)`, Operations: []logical.Operation{logical.ReadOperation, logical.CreateOperation, logical.UpdateOperation, logical.PatchOperation, logical.DeleteOperation},
		Synopsis: "Write, patch, read and delete the data of a secret's versions.",
		Fields: map[string]*logical.FieldSchema{
			"path":    {Type: logical.TypeString, Description: "Location of the secret."},
			"data":    {Type: logical.TypeMap, Description: "The secret's contents (a JSON object)."},
			"options": {Type: logical.TypeMap, Description: "Options for the write, such as cas."},
			"version": {Type: logical.TypeInt, Description: "The version to read (0: the latest)."},
		}},
	endpointMetadata: {Pattern: `metadata/?(?P<path>.*)`, Operations: []logical.Operation{logical.ReadOperation, logical.CreateOperation, logical.UpdateOperation, logical.PatchOperation, logical.DeleteOperation, logical.ListOperation},
		Synopsis: "Read and configure a secret's metadata and versions; list keys; delete every version.",
		Fields: map[string]*logical.FieldSchema{
			"path":                 {Type: logical.TypeString, Description: "Location of the secret."},
			"max_versions":         {Type: logical.TypeInt, Description: "The number of versions kept for this key."},
			"cas_required":         {Type: logical.TypeBool, Description: "Require the cas option on writes to this key."},
			"delete_version_after": {Type: logical.TypeDuration, Description: "Delete versions of this key this long after they are written."},
			"custom_metadata":      {Type: logical.TypeStringMap, Description: "Arbitrary string metadata."},
		}},
	endpointDelete: {Pattern: `delete/(?P<path>.*)`, Operations: []logical.Operation{logical.UpdateOperation},
		Synopsis: "Mark versions of a secret deleted (soft delete; undelete restores them).",
		Fields:   map[string]*logical.FieldSchema{"path": {Type: logical.TypeString}, "versions": {Type: logical.TypeIntList, Description: "The versions to delete."}}},
	endpointUndelete: {Pattern: `undelete/(?P<path>.*)`, Operations: []logical.Operation{logical.UpdateOperation},
		Synopsis: "Restore deleted versions of a secret.",
		Fields:   map[string]*logical.FieldSchema{"path": {Type: logical.TypeString}, "versions": {Type: logical.TypeIntList, Description: "The versions to undelete."}}},
	endpointDestroy: {Pattern: `destroy/(?P<path>.*)`, Operations: []logical.Operation{logical.UpdateOperation},
		Synopsis: "Destroy versions of a secret for good.",
		Fields:   map[string]*logical.FieldSchema{"path": {Type: logical.TypeString}, "versions": {Type: logical.TypeIntList, Description: "The versions to destroy."}}},
	endpointSubkeys: {Pattern: `subkeys/(?P<path>.*)`, Operations: []logical.Operation{logical.ReadOperation},
		Synopsis: "Read the structure of a secret's data without its values.",
		Fields: map[string]*logical.FieldSchema{
			"path": {Type: logical.TypeString}, "version": {Type: logical.TypeInt}, "depth": {Type: logical.TypeInt, Description: "How deep to descend (0: all the way)."},
		}},
}

// Help implements logical.HelpProvider for KV version 2.
func (b *V2) Help(path string) (*logical.PathHelp, bool) {
	endpoint, _, _ := splitPath(strings.TrimPrefix(path, "/"))
	h, ok := v2Help[endpoint]
	return h, ok
}
