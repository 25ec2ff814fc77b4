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

// streamAt is the length from which a list of strings in a response's
// data (a LIST answer's "keys") has the body written in pieces; smaller
// answers are encoded whole, in one call, which is cheaper for them.
const streamAt = 256

// streamed reports whether data holds a list long enough to stream.
func streamed(data map[string]any) bool {
	for _, v := range data {
		if list, ok := v.([]string); ok && len(list) >= streamAt {
			return true
		}
	}
	return false
}

// writeEnvelope writes env as the body: in pieces when its data holds a
// long list of strings, else whole.
func writeEnvelope(w http.ResponseWriter, status int, env *envelope) {
	writeStreamable(w, status, env, env.Data, env.WrapInfo, env.Auth, func(s *bodyStream) { s.envelope(env) })
}

// writeData writes a raw response's data as the whole body, in pieces
// when it holds a long list of strings.
func writeData(w http.ResponseWriter, status int, data map[string]any) {
	writeStreamable(w, status, data, data, nil, nil, func(s *bodyStream) { s.data(data) })
}

// writeStreamable writes body whole unless data holds a long list of
// strings; then render writes it through a bodyStream, for which data's
// other values, wrapInfo and auth are encoded first.
func writeStreamable(w http.ResponseWriter, status int, body any, data map[string]any,
	wrapInfo *wrapInfoBody, auth *authBody, render func(*bodyStream)) {
	if !streamed(data) {
		writeJSON(w, status, body)
		return
	}
	s, err := newBodyStream(w, status, data, wrapInfo, auth)
	if err != nil {
		failEncoding(w, err)
		return
	}
	render(s)
	s.finish()
}

// failEncoding answers a body that could not be encoded (a backend bug)
// with a 500, the details going to the request log.
func failEncoding(w http.ResponseWriter, err error) {
	if rec, ok := w.(internalErrorRecorder); ok {
		rec.recordInternalError(err)
	}
	respondError(w, http.StatusInternalServerError, "failed to encode the response")
}

// headerOnWrite writes the status just before the first byte of the body.
// json.Encoder writes a value only once it has encoded all of it.
type headerOnWrite struct {
	w      http.ResponseWriter
	status int
	wrote  bool
}

func (h *headerOnWrite) Write(p []byte) (int, error) {
	if !h.wrote {
		h.wrote = true
		h.w.WriteHeader(h.status)
	}
	return h.w.Write(p)
}

// bodyStream renders a JSON body into a buffer and hands the buffer to the
// ResponseWriter each time it passes flushSize, the status with the first
// piece. Every value that could fail to encode is encoded before the
// first byte is written (newBodyStream), so a failure is still a clean
// 500; what is left to write cannot fail but for the connection.
//
// The bytes are exactly those json.NewEncoder(w).Encode gives for the same
// value (see stream_test.go): HTML-safe escaping, map keys sorted, a final
// newline.
type bodyStream struct {
	w       http.ResponseWriter
	status  int
	started bool // the status and at least one piece have been written
	buf     []byte
	// encoded holds the JSON of every data value but the lists of
	// strings, and of the envelope's wrap_info and auth.
	encoded  map[string][]byte
	wrapInfo []byte
	auth     []byte
	// writeErr is the first failed write to the connection: the client
	// has gone, there is no one to answer, and writing stops.
	writeErr error
}

// newBodyStream encodes the values of data that are not lists of strings,
// and wrapInfo and auth when set, ready for writing to w with status.
func newBodyStream(w http.ResponseWriter, status int, data map[string]any, wrapInfo *wrapInfoBody, auth *authBody) (*bodyStream, error) {
	s := &bodyStream{w: w, status: status, buf: make([]byte, 0, flushSize+1024), encoded: map[string][]byte{}}
	for k, v := range data {
		if _, ok := v.([]string); ok {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		s.encoded[k] = b
	}
	var err error
	if wrapInfo != nil {
		if s.wrapInfo, err = json.Marshal(wrapInfo); err != nil {
			return nil, err
		}
	}
	if auth != nil {
		if s.auth, err = json.Marshal(auth); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// raw appends bytes that are already JSON.
func (s *bodyStream) raw(p []byte) {
	s.buf = append(s.buf, p...)
	s.maybeFlush()
}

// rawOrNull appends p, or null when p is nil.
func (s *bodyStream) rawOrNull(p []byte) {
	if p == nil {
		p = []byte("null")
	}
	s.raw(p)
}

// str appends v as a JSON string. Strings with nothing to escape, which
// is nearly every key name, are copied as they are; the rest go through
// encoding/json so that escaping stays exactly its own.
func (s *bodyStream) str(v string) {
	if plainJSONString(v) {
		s.buf = append(append(append(s.buf, '"'), v...), '"')
	} else {
		b, _ := json.Marshal(v) // a string always encodes
		s.buf = append(s.buf, b...)
	}
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
		s.raw([]byte("null"))
		return
	}
	s.buf = append(s.buf, '[')
	for i, v := range list {
		if i > 0 {
			s.buf = append(s.buf, ',')
		}
		s.str(v)
	}
	s.buf = append(s.buf, ']')
}

// data appends a response's data object, keys sorted as encoding/json
// sorts them: lists of strings element by element, every other value as
// encoded beforehand.
func (s *bodyStream) data(m map[string]any) {
	if m == nil {
		s.raw([]byte("null"))
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
		s.raw(s.encoded[k])
	}
	s.buf = append(s.buf, '}')
}

// envelope appends Vault's envelope, field for field in the order (and
// with the encoding) the envelope type gives encoding/json.
func (s *bodyStream) envelope(env *envelope) {
	s.buf = append(s.buf, `{"request_id":`...)
	s.str(env.RequestID)
	s.buf = append(s.buf, `,"lease_id":`...)
	s.str(env.LeaseID)
	s.buf = append(s.buf, `,"renewable":`...)
	s.buf = strconv.AppendBool(s.buf, env.Renewable)
	s.buf = append(s.buf, `,"lease_duration":`...)
	s.buf = strconv.AppendInt(s.buf, env.LeaseDuration, 10)
	s.buf = append(s.buf, `,"data":`...)
	s.data(env.Data)
	s.buf = append(s.buf, `,"wrap_info":`...)
	s.rawOrNull(s.wrapInfo)
	s.buf = append(s.buf, `,"warnings":`...)
	s.strings(env.Warnings)
	s.buf = append(s.buf, `,"auth":`...)
	s.rawOrNull(s.auth)
	s.buf = append(s.buf, `,"mount_type":`...)
	s.str(env.MountType)
	s.buf = append(s.buf, '}')
}

func (s *bodyStream) maybeFlush() {
	if len(s.buf) >= flushSize {
		s.flush()
	}
}

// flush writes what is buffered, the status first.
func (s *bodyStream) flush() {
	if s.writeErr == nil {
		if !s.started {
			s.started = true
			s.w.WriteHeader(s.status)
		}
		_, s.writeErr = s.w.Write(s.buf)
	}
	s.buf = s.buf[:0]
}

// finish ends the body with the newline Encode ends it with and writes the
// rest.
func (s *bodyStream) finish() {
	s.buf = append(s.buf, '\n')
	s.flush()
}
