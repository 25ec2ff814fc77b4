package server

import (
	"time"

	"github.com/vaultd/vaultd/logical"
)

// wrapInfoBody is the envelope's "wrap_info" object as Vault renders it.
type wrapInfoBody struct {
	Token           string `json:"token"`
	Accessor        string `json:"accessor"`
	TTL             int64  `json:"ttl"`
	CreationTime    string `json:"creation_time"`
	CreationPath    string `json:"creation_path"`
	WrappedAccessor string `json:"wrapped_accessor,omitempty"`
}

func newWrapInfoBody(w *logical.WrapInfo) *wrapInfoBody {
	return &wrapInfoBody{
		Token:           w.Token,
		Accessor:        w.Accessor,
		TTL:             int64(w.TTL / time.Second),
		CreationTime:    w.CreationTime.Format(time.RFC3339Nano),
		CreationPath:    w.CreationPath,
		WrappedAccessor: w.WrappedAccessor,
	}
}
