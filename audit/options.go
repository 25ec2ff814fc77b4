package audit

import (
	"strings"

	"github.com/vaultd/vaultd/logical"
)

// Format is the encoding of an audit entry.
type Format string

// The formats Vault offers.
const (
	// FormatJSON writes each entry as one JSON object.
	FormatJSON Format = "json"
	// FormatJSONX writes each entry as JSONx, IBM's XML rendering of JSON.
	FormatJSONX Format = "jsonx"
)

// Option names shared by every device type.
const (
	OptionFormat             = "format"
	OptionPrefix             = "prefix"
	OptionHMACAccessor       = "hmac_accessor"
	OptionLogRaw             = "log_raw"
	OptionElideListResponses = "elide_list_responses"
)

// FormatOptions are the formatting options every device type shares.
type FormatOptions struct {
	// Format is json (the default) or jsonx.
	Format Format
	// Prefix is written verbatim before every entry.
	Prefix string
	// HMACAccessor HMACs token accessors (the default); false writes them
	// in plain text.
	HMACAccessor bool
	// Raw writes every value in plain text: nothing is HMAC'd.
	Raw bool
	// ElideListResponses replaces the keys (and key_info) of list
	// responses by their count.
	ElideListResponses bool
}

// DefaultFormatOptions are Vault's defaults: JSON, no prefix, accessors
// HMAC'd, nothing raw, list responses in full.
func DefaultFormatOptions() FormatOptions {
	return FormatOptions{Format: FormatJSON, HMACAccessor: true}
}

// ParseFormatOptions reads the shared options from a device's option map.
// Options it does not know are left for the device type. A value that
// cannot be read, or an Enterprise-only option (filter, fallback), is a
// 400.
func ParseFormatOptions(opts map[string]string) (FormatOptions, error) {
	out := DefaultFormatOptions()
	for _, name := range []string{"filter", "fallback"} {
		if _, ok := opts[name]; ok {
			return out, logical.InvalidRequest("enterprise-only options supplied: %q is not supported", name)
		}
	}
	if raw, ok := opts[OptionFormat]; ok {
		switch f := Format(strings.ToLower(strings.TrimSpace(raw))); f {
		case FormatJSON, FormatJSONX:
			out.Format = f
		default:
			return out, logical.InvalidRequest("unsupported %q: %q (expected %q or %q)", OptionFormat, raw, FormatJSON, FormatJSONX)
		}
	}
	if p, ok := opts[OptionPrefix]; ok {
		out.Prefix = p
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{
		{OptionHMACAccessor, &out.HMACAccessor},
		{OptionLogRaw, &out.Raw},
		{OptionElideListResponses, &out.ElideListResponses},
	} {
		raw, ok := opts[b.name]
		if !ok {
			continue
		}
		v, err := logical.ParseBool(raw)
		if err != nil {
			return out, logical.InvalidRequest("unable to parse %q: %v", b.name, err)
		}
		*b.dst = v
	}
	return out, nil
}
