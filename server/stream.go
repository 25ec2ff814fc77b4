package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
)

// flushSize is how much of a body is gathered before it is written to the
// connection: a large answer (a LIST of thousands of keys) goes out in
// pieces of about this size instead of being rendered whole first.
const flushSize = 8 << 10

// bodyStream renders a JSON body into a buffer and hands the buffer to the
// ResponseWriter each time it passes flushSize. The status line goes out
// with the first piece, so an encoding error met before then can still be
// answered as a 500.
//
// The bytes are exactly those json.NewEncoder(w).Encode gives for the same
// value (see stream_test.go): HTML-safe escaping, map keys sorted, a final
// newline.
type bodyStream struct {
	w       http.ResponseWriter
	status  int
	started bool // the status and at least one piece have been written
	buf     []byte
	enc     *json.Encoder // encodes single values into buf, through Write
	// err is the first encoding error; writeErr the first failed write
	// to the connection. Either stops the body.
	err, writeErr error
}

func newBodyStream(w http.ResponseWriter, status int) *bodyStream {
	s := &bodyStream{w: w, status: status, buf: make([]byte, 0, 512)}
	s.enc = json.NewEncoder(s)
	return s
}

// Write appends p to the buffer; it is how the encoder hands over a value.
func (s *bodyStream) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	return len(p), nil
}

// raw appends bytes that are already JSON.
func (s *bodyStream) raw(p string) {
	s.buf = append(s.buf, p...)
	s.maybeFlush()
}

// value appends the JSON encoding of v.
func (s *bodyStream) value(v any) {
	if s.err != nil {
		return
	}
	if err := s.enc.Encode(v); err != nil {
		s.err = err
		return
	}
	s.buf = s.buf[:len(s.buf)-1] // Encode ends every value with "\n"
	s.maybeFlush()
}

// str appends s as a JSON string. Strings with nothing to escape, which
// is nearly every key name, are copied as they are; the rest go through
// encoding/json so that escaping stays exactly its own.
func (s *bodyStream) str(v string) {
	if !plainJSONString(v) {
		s.value(v)
		return
	}
	s.buf = append(append(append(s.buf, '"'), v...), '"')
	s.maybeFlush()
}

// plainJSONString reports whether encoding/json writes v between quotes
// unchanged: printable ASCII other than the quote, the backslash and the
// characters it escapes for HTML.
func plainJSONString(v string) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c < 0x20 || c >= 0x7f, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// strings appends list as a JSON array of strings, element by element;
// nil is null, as encoding/json has it.
func (s *bodyStream) strings(list []string) {
	if list == nil {
		s.raw("null")
		return
	}
	if len(list) > 64 {
		// A long list will fill the buffer: take its full size at once
		// rather than doubling up to it.
		s.buf = slices.Grow(s.buf, flushSize+1024)
	}
	s.buf = append(s.buf, '[')
	for i, v := range list {
		if i > 0 {
			s.buf = append(s.buf, ',')
		}
		s.str(v)
	}
	s.raw("]")
}

// data appends a response's data object: keys sorted, as encoding/json
// sorts them, and a list of strings (a LIST answer's "keys") streamed
// element by element; every other value is encoded whole.
func (s *bodyStream) data(m map[string]any) {
	if m == nil {
		s.raw("null")
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s.buf = append(s.buf, '{')
	for i, k := range keys {
		if i > 0 {
			s.buf = append(s.buf, ',')
		}
		s.str(k)
		s.buf = append(s.buf, ':')
		if list, ok := m[k].([]string); ok {
			s.strings(list)
			continue
		}
		s.value(m[k])
	}
	s.raw("}")
}

// envelope appends Vault's envelope, field for field in the order (and
// with the encoding) the envelope type gives encoding/json.
func (s *bodyStream) envelope(env *envelope) {
	s.raw(`{"request_id":`)
	s.str(env.RequestID)
	s.raw(`,"lease_id":`)
	s.str(env.LeaseID)
	s.raw(`,"renewable":`)
	s.raw(strconv.FormatBool(env.Renewable))
	s.raw(`,"lease_duration":`)
	s.buf = strconv.AppendInt(s.buf, env.LeaseDuration, 10)
	s.raw(`,"data":`)
	s.data(env.Data)
	s.raw(`,"wrap_info":`)
	if env.WrapInfo == nil {
		s.raw("null")
	} else {
		s.value(env.WrapInfo)
	}
	s.raw(`,"warnings":`)
	s.strings(env.Warnings)
	s.raw(`,"auth":`)
	if env.Auth == nil {
		s.raw("null")
	} else {
		s.value(env.Auth)
	}
	s.raw(`,"mount_type":`)
	s.str(env.MountType)
	s.raw("}")
}

func (s *bodyStream) maybeFlush() {
	if len(s.buf) >= flushSize {
		s.flush()
	}
}

// flush writes what is buffered, the status first.
func (s *bodyStream) flush() {
	if s.err != nil || s.writeErr != nil {
		s.buf = s.buf[:0]
		return
	}
	if !s.started {
		s.started = true
		s.w.WriteHeader(s.status)
	}
	// A failed write means the client has gone: there is no one to
	// answer, so the error is only kept to stop writing.
	_, s.writeErr = s.w.Write(s.buf)
	s.buf = s.buf[:0]
}

// finish ends the body with the newline Encode ends it with and writes the
// rest. If encoding failed before anything was sent, the client gets a
// 500 instead; after, the body is cut short. Either way the error goes to
// the request log.
func (s *bodyStream) finish() {
	if s.err != nil {
		if !s.started {
			respondError(s.w, http.StatusInternalServerError, "failed to encode the response")
		}
		if rec, ok := s.w.(internalErrorRecorder); ok {
			rec.recordInternalError(s.err)
		}
		return
	}
	s.buf = append(s.buf, '\n')
	s.flush()
}

// writeEnvelope writes env as the body, in pieces.
func writeEnvelope(w http.ResponseWriter, status int, env *envelope) {
	s := newBodyStream(w, status)
	s.envelope(env)
	s.finish()
}

// writeData writes a raw response's data as the whole body, in pieces.
func writeData(w http.ResponseWriter, status int, data map[string]any) {
	s := newBodyStream(w, status)
	s.data(data)
	s.finish()
}
