package config

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/hcl/ast"
)

// ListenerLimits are the limits a listener puts on its clients. Zero (a
// key left out) means the server's default (see server.Limits: 10s to read
// the headers, 30s the request, 5m idle, no write timeout; JSON 300 deep,
// 1 MiB strings, 10,000 entries or elements); a timeout of -1 means none
// (written as 0 in a file, as Vault reads it).
type ListenerLimits struct {
	// HTTPReadHeaderTimeout bounds reading the request headers.
	HTTPReadHeaderTimeout time.Duration
	// HTTPReadTimeout bounds reading the whole request.
	HTTPReadTimeout time.Duration
	// HTTPWriteTimeout bounds writing the response (none by default, as
	// Vault).
	HTTPWriteTimeout time.Duration
	// HTTPIdleTimeout closes an idle keep-alive connection.
	HTTPIdleTimeout time.Duration

	// MaxJSONDepth bounds the nesting of a JSON body.
	MaxJSONDepth int64
	// MaxJSONStringValueLength bounds one string (or key) in bytes.
	MaxJSONStringValueLength int64
	// MaxJSONObjectEntryCount bounds the entries of one object.
	MaxJSONObjectEntryCount int64
	// MaxJSONArrayElementCount bounds the elements of one array.
	MaxJSONArrayElementCount int64

	// UnauthenticatedMetricsAccess serves sys/metrics without a token
	// (telemetry { unauthenticated_metrics_access = true }).
	UnauthenticatedMetricsAccess bool
}

// listenerLimitKeys are the listener keys ListenerLimits reads.
var listenerLimitKeys = []string{
	"http_read_header_timeout", "http_read_timeout", "http_write_timeout", "http_idle_timeout",
	"max_json_depth", "max_json_string_value_length", "max_json_object_entry_count", "max_json_array_element_count",
	"telemetry",
}

// listenerLimitField reads one of listenerLimitKeys.
func (p *fileParser) listenerLimitField(l *ListenerLimits, b block, f field) error {
	timeout := func(dst *time.Duration) error {
		d, err := f.duration()
		if err != nil {
			return err
		}
		if d == 0 {
			d = -1
		}
		*dst = d
		return nil
	}
	count := func(dst *int64) error {
		n, err := f.integer()
		if err != nil {
			return err
		}
		if n < 0 {
			return fmt.Errorf("%s: may not be negative, got %d", f.key, n)
		}
		*dst = n
		return nil
	}
	switch f.key {
	case "http_read_header_timeout":
		return timeout(&l.HTTPReadHeaderTimeout)
	case "http_read_timeout":
		return timeout(&l.HTTPReadTimeout)
	case "http_write_timeout":
		return timeout(&l.HTTPWriteTimeout)
	case "http_idle_timeout":
		return timeout(&l.HTTPIdleTimeout)
	case "max_json_depth":
		return count(&l.MaxJSONDepth)
	case "max_json_string_value_length":
		return count(&l.MaxJSONStringValueLength)
	case "max_json_object_entry_count":
		return count(&l.MaxJSONObjectEntryCount)
	case "max_json_array_element_count":
		return count(&l.MaxJSONArrayElementCount)
	case "telemetry":
		return p.listenerTelemetry(l, b, f)
	}
	return nil
}

// listenerTelemetry reads telemetry { unauthenticated_metrics_access = … }
// inside a listener.
func (p *fileParser) listenerTelemetry(l *ListenerLimits, b block, f field) error {
	sub, err := subBlock(b, f)
	if err != nil {
		return err
	}
	for _, sf := range p.fields(sub, "unauthenticated_metrics_access") {
		v, err := sf.boolean()
		if err != nil {
			return err
		}
		l.UnauthenticatedMetricsAccess = v
	}
	return nil
}

// subBlock reads a field written as a nested block (telemetry { … }) as a
// block of its own, for fields().
func subBlock(parent block, f field) (block, error) {
	ot, ok := f.val.(*ast.ObjectType)
	if !ok {
		return block{}, fmt.Errorf("%s: want a block { … }, got %s", f.key, describe(f.val))
	}
	return block{name: parent.title() + " " + f.key, body: ot.List, at: f.at}, nil
}
