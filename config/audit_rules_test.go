package config

import (
	"strings"
	"testing"
)

// TestAuditLogPrefixingSetting: allow_audit_log_prefixing is read from HCL
// and JSON, and a device with a prefix validates only when it is true.
func TestAuditLogPrefixingSetting(t *testing.T) {
	const device = "storage \"inmem\" {}\nlistener \"tcp\" {\n  tls_disable = true\n}\naudit \"file\" \"f\" {\n  options = {\n    file_path = \"/tmp/a.log\"\n    prefix = \"@cee: \"\n  }\n}\n"
	for _, tt := range []struct {
		name, file, text string
		want             bool
	}{
		{"hcl true", "a.hcl", device + "allow_audit_log_prefixing = true\n", true},
		{"hcl unset", "a.hcl", device, false},
		{"json true", "a.json", `{"allow_audit_log_prefixing": true}`, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(tt.file, []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.AllowAuditLogPrefixing != tt.want {
				t.Fatalf("AllowAuditLogPrefixing = %v, want %v", cfg.AllowAuditLogPrefixing, tt.want)
			}
			if !strings.HasSuffix(tt.file, ".hcl") {
				return
			}
			err = cfg.Validate()
			if tt.want && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !tt.want && (err == nil || !strings.Contains(err.Error(), "audit log prefixing is not allowed")) {
				t.Fatalf("Validate = %v, want the prefix refused", err)
			}
		})
	}
}
