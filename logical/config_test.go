package logical

import (
	"log/slog"
	"testing"
)

func TestBackendConfigFallbacks(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	tests := []struct {
		name       string
		conf       BackendConfig
		wantLogger *slog.Logger // nil: a fresh discarding logger
		wantTTL    int          // DefaultTTL of the StaticSystemView returned
	}{
		{"both given", BackendConfig{Logger: logger, System: StaticSystemView{DefaultTTL: 7}}, logger, 7},
		{"both missing", BackendConfig{}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.conf.LoggerOrDiscard()
			if got == nil || (tt.wantLogger != nil && got != tt.wantLogger) {
				t.Errorf("LoggerOrDiscard() = %p, want %p", got, tt.wantLogger)
			}
			if tt.wantLogger == nil && got.Handler() != slog.DiscardHandler {
				t.Errorf("fallback logger handler = %T, want the discard handler", got.Handler())
			}
			sys, ok := tt.conf.SystemOrStatic().(StaticSystemView)
			if !ok || int(sys.DefaultTTL) != tt.wantTTL {
				t.Errorf("SystemOrStatic() = %#v, want a StaticSystemView with DefaultTTL %d", tt.conf.SystemOrStatic(), tt.wantTTL)
			}
		})
	}
}
