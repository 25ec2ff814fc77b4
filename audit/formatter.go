package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// Formatter turns LogInputs into audit entries and encodes them. It is safe
// for concurrent use.
type Formatter struct {
	opts FormatOptions
	mac  *macer
	now  func() time.Time
}

// NewFormatter returns a formatter keyed by salt. now is the clock used
// when a LogInput has no time; nil means time.Now.
func NewFormatter(salt []byte, opts FormatOptions, now func() time.Time) (*Formatter, error) {
	if len(salt) == 0 {
		return nil, errors.New("audit: the device salt is empty")
	}
	if opts.Format == "" {
		opts.Format = FormatJSON
	}
	if opts.Format != FormatJSON && opts.Format != FormatJSONX {
		return nil, logical.InvalidRequest("unsupported %q: %q", OptionFormat, opts.Format)
	}
	if now == nil {
		now = time.Now
	}
	return &Formatter{opts: opts, mac: newMacer(salt), now: now}, nil
}

// Options returns the formatter's options.
func (f *Formatter) Options() FormatOptions { return f.opts }

// Hash returns the HMAC of input as entries carry it: "hmac-sha256:<hex>".
// It hashes even when the formatter writes raw values, so that
// sys/audit-hash always answers.
func (f *Formatter) Hash(input string) string { return f.mac.sum(input) }

// FormatRequest returns the request entry of in, encoded as one whole
// line: prefix, entry, newline. It is AppendRequest into a new buffer.
func (f *Formatter) FormatRequest(in *LogInput) ([]byte, error) {
	return f.AppendRequest(make([]byte, 0, len(f.opts.Prefix)+1024), in)
}

// FormatResponse returns the response entry of in, encoded as one whole
// line.
func (f *Formatter) FormatResponse(in *LogInput) ([]byte, error) {
	return f.AppendResponse(make([]byte, 0, len(f.opts.Prefix)+1024), in)
}

// Encode writes e (as built by RequestEntry or ResponseEntry) in the
// formatter's format with encoding/json; FormatRequest and FormatResponse
// write the same bytes in one pass. Encode writes e, prefixed and ending in a
// newline. JSON escapes control characters in strings and JSONx escapes
// them as character references, so the only newline is the last byte
// (unless the configured prefix holds one).
func (f *Formatter) Encode(e *Entry) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(f.opts.Prefix) + 1024)
	buf.WriteString(f.opts.Prefix)
	switch f.opts.Format {
	case FormatJSONX:
		raw, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("audit: encode entry: %w", err)
		}
		if err := writeJSONX(&buf, raw); err != nil {
			return nil, fmt.Errorf("audit: encode entry as jsonx: %w", err)
		}
		buf.WriteByte('\n')
	default:
		// Encoder.Encode appends the newline.
		if err := json.NewEncoder(&buf).Encode(e); err != nil {
			return nil, fmt.Errorf("audit: encode entry: %w", err)
		}
	}
	return buf.Bytes(), nil
}

// RequestEntry builds the request entry of in, HMAC'd unless the formatter
// is raw.
func (f *Formatter) RequestEntry(in *LogInput) (*Entry, error) {
	if in == nil || in.Request == nil {
		return nil, errors.New("audit: request entry without a request")
	}
	b := &build{Formatter: f}
	req, err := b.request(in)
	if err != nil {
		return nil, err
	}
	return &Entry{
		Time:    f.timeOf(in),
		Type:    TypeRequest,
		Auth:    b.callerAuth(in),
		Request: req,
		Error:   errorText(in.OuterErr),
	}, nil
}

// ResponseEntry builds the response entry of in, HMAC'd unless the
// formatter is raw.
func (f *Formatter) ResponseEntry(in *LogInput) (*Entry, error) {
	if in == nil || in.Request == nil {
		return nil, errors.New("audit: response entry without a request")
	}
	b := &build{Formatter: f}
	req, err := b.request(in)
	if err != nil {
		return nil, err
	}
	resp, err := b.response(in)
	if err != nil {
		return nil, err
	}
	return &Entry{
		Time:     f.timeOf(in),
		Type:     TypeResponse,
		Auth:     b.callerAuth(in),
		Request:  req,
		Response: resp,
		Error:    errorText(in.OuterErr),
	}, nil
}

func (f *Formatter) timeOf(in *LogInput) string {
	t := in.Time
	if t.IsZero() {
		t = f.now()
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (f *Formatter) hasher(exempt []string) hasher {
	return hasher{mac: f.mac.sum, exempt: exempt}
}
