package server

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// Limits are a listener's HTTP timeouts and JSON body limits. A zero
// timeout means its default and a negative one none; a zero JSON limit
// means its default.
type Limits struct {
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration

	MaxJSONDepth             int64
	MaxJSONStringValueLength int64
	MaxJSONObjectEntryCount  int64
	MaxJSONArrayElementCount int64
}

// The JSON defaults; the timeout defaults are readHeaderTimeout and its
// neighbours.
const (
	defaultMaxJSONDepth        = 300
	defaultMaxJSONStringLength = 1 << 20
	defaultMaxJSONEntries      = 10_000
	defaultMaxJSONElements     = 10_000
)

// withDefaults fills the zero values.
func (l Limits) withDefaults() Limits {
	pick := func(v, def time.Duration) time.Duration {
		switch {
		case v == 0:
			return def
		case v < 0:
			return 0 // net/http: no timeout
		}
		return v
	}
	l.ReadHeaderTimeout = pick(l.ReadHeaderTimeout, readHeaderTimeout)
	l.ReadTimeout = pick(l.ReadTimeout, readTimeout)
	l.WriteTimeout = pick(l.WriteTimeout, -1)
	l.IdleTimeout = pick(l.IdleTimeout, idleTimeout)
	count := func(v, def int64) int64 {
		if v <= 0 {
			return def
		}
		return v
	}
	l.MaxJSONDepth = count(l.MaxJSONDepth, defaultMaxJSONDepth)
	l.MaxJSONStringValueLength = count(l.MaxJSONStringValueLength, defaultMaxJSONStringLength)
	l.MaxJSONObjectEntryCount = count(l.MaxJSONObjectEntryCount, defaultMaxJSONEntries)
	l.MaxJSONArrayElementCount = count(l.MaxJSONArrayElementCount, defaultMaxJSONElements)
	return l
}

// jsonLimitError names the limit a body went past. It is a 400.
type jsonLimitError struct {
	name  string
	limit int64
	what  string
}

func (e *jsonLimitError) Error() string {
	return fmt.Sprintf("failed to parse JSON input: %s exceeds the listener's %s of %d", e.what, e.name, e.limit)
}

// limitErr turns a jsonLimitError in err's chain into a coded 400.
func limitErr(err error) (error, bool) {
	var le *jsonLimitError
	if errors.As(err, &le) {
		return logical.InvalidRequest("%s", le.Error()), true
	}
	return nil, false
}

// jsonScanner watches the bytes of a JSON body go by and fails the read as
// soon as the body nests too deep, holds too long a string or too many
// entries or elements in one container. It does not check the syntax (the
// decoder does); it only needs to find strings and containers, so it is a
// small state machine that allocates nothing per byte. The decoder never
// gets to build the oversized value.
type jsonScanner struct {
	r      io.Reader
	limits Limits
	err    error

	inString bool
	escaped  bool
	strLen   int64
	// stack holds, per open container, whether it is an object and how
	// many members it has so far (counted at the first member and at each
	// comma).
	stack []container
}

type container struct {
	object bool
	count  int64
	empty  bool
}

func newJSONScanner(r io.Reader, l Limits) *jsonScanner {
	return &jsonScanner{r: r, limits: l}
}

func (s *jsonScanner) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	if serr := s.scan(p[:n]); serr != nil {
		s.err = serr
		return 0, serr
	}
	return n, err
}

func (s *jsonScanner) scan(b []byte) error {
	for _, c := range b {
		if s.inString {
			switch {
			case s.escaped:
				s.escaped = false
			case c == '\\':
				s.escaped = true
			case c == '"':
				s.inString = false
				continue
			}
			s.strLen++
			if s.strLen > s.limits.MaxJSONStringValueLength {
				return &jsonLimitError{"max_json_string_value_length", s.limits.MaxJSONStringValueLength, "a string"}
			}
			continue
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '}', ']':
			if len(s.stack) > 0 {
				s.stack = s.stack[:len(s.stack)-1]
			}
			continue
		case ',':
			if err := s.member(); err != nil {
				return err
			}
			continue
		}
		// Any other byte starts or continues a value or key: the first
		// one in an empty container is its first member.
		if top := s.top(); top != nil && top.empty && c != ':' {
			top.empty = false
			if err := s.member(); err != nil {
				return err
			}
		}
		switch c {
		case '"':
			s.inString, s.strLen = true, 0
		case '{', '[':
			s.stack = append(s.stack, container{object: c == '{', empty: true})
			if int64(len(s.stack)) > s.limits.MaxJSONDepth {
				return &jsonLimitError{"max_json_depth", s.limits.MaxJSONDepth, "the nesting depth"}
			}
		}
	}
	return nil
}

func (s *jsonScanner) top() *container {
	if len(s.stack) == 0 {
		return nil
	}
	return &s.stack[len(s.stack)-1]
}

// member counts one more member of the innermost container.
func (s *jsonScanner) member() error {
	top := s.top()
	if top == nil {
		return nil
	}
	top.count++
	if top.object && top.count > s.limits.MaxJSONObjectEntryCount {
		return &jsonLimitError{"max_json_object_entry_count", s.limits.MaxJSONObjectEntryCount, "the number of object entries"}
	}
	if !top.object && top.count > s.limits.MaxJSONArrayElementCount {
		return &jsonLimitError{"max_json_array_element_count", s.limits.MaxJSONArrayElementCount, "the number of array elements"}
	}
	return nil
}
