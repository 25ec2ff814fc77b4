package audit

import (
	"net/http"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

func TestParseFormatOptions(t *testing.T) {
	cases := []struct {
		name string
		in   map[string]string
		want FormatOptions
	}{
		{"defaults", nil, FormatOptions{Format: FormatJSON, HMACAccessor: true}},
		{"jsonx", map[string]string{"format": "jsonx"}, FormatOptions{Format: FormatJSONX, HMACAccessor: true}},
		{"format case", map[string]string{"format": " JSON "}, FormatOptions{Format: FormatJSON, HMACAccessor: true}},
		{"all set", map[string]string{
			"prefix": "@cee: ", "hmac_accessor": "false", "log_raw": "true", "elide_list_responses": "1",
		}, FormatOptions{Format: FormatJSON, Prefix: "@cee: ", Raw: true, ElideListResponses: true}},
		{"unknown keys ignored", map[string]string{"file_path": "/x", "mode": "0600"}, FormatOptions{Format: FormatJSON, HMACAccessor: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseFormatOptions(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseFormatOptionsRejects(t *testing.T) {
	cases := map[string]map[string]string{
		"format unknown":       {"format": "xml"},
		"format empty":         {"format": ""},
		"hmac_accessor":        {"hmac_accessor": "maybe"},
		"log_raw":              {"log_raw": "yes please"},
		"elide_list_responses": {"elide_list_responses": "2"},
		"enterprise filter":    {"filter": `mount_type == "kv"`},
		"enterprise fallback":  {"fallback": "true"},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseFormatOptions(opts)
			if err == nil {
				t.Fatal("accepted")
			}
			if got := logical.StatusOf(err); got != http.StatusBadRequest {
				t.Fatalf("status %d, want 400 (%v)", got, err)
			}
		})
	}
}
