package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/vaultd/vaultd/logical"
)

// readJSONBody decodes the request body as a JSON object whatever the
// Content-Type says (the vault CLI sends none), keeping numbers as
// json.Number. An empty body (or "null") is nil data. The body is capped at
// the server's MaxRequestSize: over it is a 413. Anything but one JSON
// object is a 400 naming the problem.
func (s *Server) readJSONBody(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body := r.Body
	if s.maxRequestSize > 0 {
		if r.ContentLength > s.maxRequestSize {
			return nil, s.errTooLarge()
		}
		body = http.MaxBytesReader(w, r.Body, s.maxRequestSize)
	}
	dec := json.NewDecoder(newJSONScanner(body, s.limits))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, s.bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, s.bodyError(err)
		}
		return nil, logical.InvalidRequest("failed to parse JSON input: unexpected data after the JSON object")
	}
	switch m := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return m, nil
	}
	return nil, logical.InvalidRequest("failed to parse JSON input: the body must be a JSON object, not %s", jsonKind(v))
}

func (s *Server) errTooLarge() error {
	return logical.CodedErrorf(http.StatusRequestEntityTooLarge,
		"http: request body too large (the limit is %d bytes)", s.maxRequestSize)
}

// bodyError turns a read or decode error into a coded error.
func (s *Server) bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	if lerr, ok := limitErr(err); ok {
		return lerr
	}
	switch {
	case errors.As(err, &tooLarge):
		return s.errTooLarge()
	case errors.As(err, &syntax):
		return logical.InvalidRequest("failed to parse JSON input: %v (at byte %d)", syntax, syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return logical.InvalidRequest("failed to parse JSON input: unexpected end of input")
	}
	return logical.InvalidRequest("error reading request body: %v", err)
}

// jsonKind names the JSON type of a decoded value, for error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// mediaType is the lower-case media type of a Content-Type header, without
// parameters; empty when the header is absent or unparsable.
func mediaType(header string) string {
	if header == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(header)
	if err != nil {
		return ""
	}
	return mt
}
