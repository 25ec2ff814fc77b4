package auditreport

import (
	"bytes"
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Record is one request as the report shows it.
type Record struct {
	Time          time.Time `json:"time"`
	RequestID     string    `json:"request_id"`
	Operation     string    `json:"operation"`
	Path          string    `json:"path"`
	MountType     string    `json:"mount_type,omitempty"`
	RemoteAddress string    `json:"remote_address,omitempty"`
	// Outcome is "ok", "denied", "error" or "no response" (a request
	// whose response is not in the files read).
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
	// The caller, as its token's entry and its login give it.
	DisplayName string   `json:"display_name,omitempty"`
	EntityID    string   `json:"entity_id,omitempty"`
	Accessor    string   `json:"accessor,omitempty"` // HMAC'd unless the log is raw
	Policies    []string `json:"policies,omitempty"`
	// From the Kubernetes login that created the token.
	Namespace      string `json:"service_account_namespace,omitempty"`
	ServiceAccount string `json:"service_account_name,omitempty"`
	Role           string `json:"role,omitempty"`
	LoginPath      string `json:"login_path,omitempty"`
	LoginTime      string `json:"login_time,omitempty"`
	// Where the record ends (its response line, else its request line).
	File string `json:"file"`
	Line int    `json:"line"`

	token string // the caller's token as the log holds it (HMAC'd)
}

// Denied reports whether the request was refused.
func (r *Record) Denied() bool { return r.Outcome == "denied" }

// LineError is a line that is not an audit entry.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

// Limits bound the reader's memory.
type Limits struct {
	// Pending is the most requests kept waiting for their response; the
	// oldest is reported as "no response" beyond it (default 100 000).
	Pending int
	// Logins is the most logins remembered for the token join; the
	// oldest is forgotten beyond it (default 1 000 000).
	Logins int
}

// Stats count what was read.
type Stats struct {
	Files, Lines, Entries, Corrupt, Records int
}

type login struct {
	meta                map[string]string
	path, time          string
	displayName, entity string
}

type pendingReq struct {
	rec     Record
	matched bool
	elem    *list.Element
}

// Reader joins entries into records.
type Reader struct {
	limits   Limits
	filter   *Filter
	pending  map[string]*pendingReq
	order    *list.List // request ids, oldest first
	logins   map[string]login
	loginFIF *list.List
	stats    Stats
}

// NewReader makes a reader that passes records through f (nil: all).
func NewReader(f *Filter, l Limits) *Reader {
	if l.Pending <= 0 {
		l.Pending = 100_000
	}
	if l.Logins <= 0 {
		l.Logins = 1_000_000
	}
	return &Reader{limits: l, filter: f, pending: map[string]*pendingReq{}, order: list.New(),
		logins: map[string]login{}, loginFIF: list.New()}
}

// Read streams the files, oldest first, calling emit for each record that
// passes the filter and bad for each line that is not an audit entry. It
// stops at the first error of emit or of reading a file.
func (rd *Reader) Read(ctx context.Context, files []string, emit func(*Record) error, bad func(*LineError)) (Stats, error) {
	ordered, err := orderFiles(files)
	if err != nil {
		return rd.stats, err
	}
	var buf []byte
	for _, name := range ordered {
		lf, err := openLog(name)
		if err != nil {
			return rd.stats, fmt.Errorf("opening %s: %w", name, err)
		}
		rd.stats.Files++
		for {
			if rd.stats.Lines%4096 == 0 && ctx.Err() != nil {
				lf.Close()
				return rd.stats, ctx.Err()
			}
			line, err := lf.next(buf)
			if err == io.EOF {
				break
			}
			rd.stats.Lines++
			if errors.Is(err, errTooLong) {
				rd.stats.Corrupt++
				bad(&LineError{File: name, Line: lf.line, Err: err})
				continue
			}
			if err != nil {
				lf.Close()
				return rd.stats, err
			}
			buf = line[:0]
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			if err := rd.line(name, lf.line, line, emit, bad); err != nil {
				lf.Close()
				return rd.stats, err
			}
		}
		if err := lf.Close(); err != nil {
			return rd.stats, err
		}
	}
	// Requests whose response was never seen.
	for e := rd.order.Front(); e != nil; e = rd.order.Front() {
		if err := rd.flush(e.Value.(string), emit); err != nil {
			return rd.stats, err
		}
	}
	return rd.stats, nil
}

func (rd *Reader) line(file string, n int, line []byte, emit func(*Record) error, bad func(*LineError)) error {
	var e entry
	if err := json.Unmarshal(line, &e); err != nil {
		rd.stats.Corrupt++
		bad(&LineError{File: file, Line: n, Err: fmt.Errorf("not a JSON audit entry: %w", err)})
		return nil
	}
	if (e.Type != "request" && e.Type != "response") || e.Request == nil {
		rd.stats.Corrupt++
		bad(&LineError{File: file, Line: n, Err: fmt.Errorf("not an audit entry (type %q)", e.Type)})
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, e.Time)
	if err != nil {
		rd.stats.Corrupt++
		bad(&LineError{File: file, Line: n, Err: fmt.Errorf("bad time %q", e.Time)})
		return nil
	}
	rd.stats.Entries++
	matched := rd.filter.matchesLine(line)
	id := e.Request.ID
	if e.Type == "request" {
		if old, ok := rd.pending[id]; ok && id != "" {
			rd.order.Remove(old.elem)
			delete(rd.pending, id)
		}
		p := &pendingReq{rec: recordOf(&e, t, file, n), matched: matched}
		p.rec.Outcome = "no response"
		if o := outcome(&e); o != "ok" {
			p.rec.Outcome, p.rec.Error = o, e.Error // refused before it was answered
		}
		if id == "" {
			return rd.emit(p, emit)
		}
		p.elem = rd.order.PushBack(id)
		rd.pending[id] = p
		for rd.order.Len() > rd.limits.Pending {
			if err := rd.flush(rd.order.Front().Value.(string), emit); err != nil {
				return err
			}
		}
		return nil
	}
	// A response: its request entry (if read) gives the time asked.
	p, ok := rd.pending[id]
	if ok {
		rd.order.Remove(p.elem)
		delete(rd.pending, id)
	} else {
		p = &pendingReq{rec: recordOf(&e, t, file, n)}
	}
	p.matched = p.matched || matched
	p.rec.File, p.rec.Line = file, n
	p.rec.Outcome, p.rec.Error = outcome(&e), e.Error
	if e.Response != nil && e.Response.Auth != nil && e.Response.Auth.ClientToken != "" {
		// A login: who logged in is the token it minted.
		a := e.Response.Auth
		p.rec.DisplayName = first(p.rec.DisplayName, a.DisplayName)
		p.rec.EntityID = first(p.rec.EntityID, a.EntityID)
		p.rec.Namespace = first(p.rec.Namespace, a.Metadata["service_account_namespace"])
		p.rec.ServiceAccount = first(p.rec.ServiceAccount, a.Metadata["service_account_name"])
		p.rec.Role = first(p.rec.Role, a.Metadata["role"])
		rd.remember(e.Response.Auth.ClientToken, login{meta: e.Response.Auth.Metadata, path: e.Request.Path,
			time: e.Time, displayName: e.Response.Auth.DisplayName, entity: e.Response.Auth.EntityID})
	}
	return rd.emit(p, emit)
}

func (rd *Reader) remember(tokenHMAC string, l login) {
	if _, ok := rd.logins[tokenHMAC]; !ok {
		rd.loginFIF.PushBack(tokenHMAC)
	}
	rd.logins[tokenHMAC] = l
	for rd.loginFIF.Len() > rd.limits.Logins {
		delete(rd.logins, rd.loginFIF.Remove(rd.loginFIF.Front()).(string))
	}
}

func (rd *Reader) flush(id string, emit func(*Record) error) error {
	p := rd.pending[id]
	rd.order.Remove(p.elem)
	delete(rd.pending, id)
	return rd.emit(p, emit)
}

// emit completes the record with the caller's login and filters it.
func (rd *Reader) emit(p *pendingReq, emit func(*Record) error) error {
	r := &p.rec
	if l, ok := rd.logins[p.tokenHMAC()]; ok {
		r.Namespace = first(l.meta["service_account_namespace"], r.Namespace)
		r.ServiceAccount = first(l.meta["service_account_name"], r.ServiceAccount)
		r.Role = first(l.meta["role"], r.Role)
		r.LoginPath, r.LoginTime = l.path, l.time
		r.DisplayName = first(r.DisplayName, l.displayName)
		r.EntityID = first(r.EntityID, l.entity)
	}
	if !rd.filter.Match(r, p.matched) {
		return nil
	}
	rd.stats.Records++
	return emit(r)
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (p *pendingReq) tokenHMAC() string { return p.rec.token }

func recordOf(e *entry, t time.Time, file string, n int) Record {
	r := Record{Time: t, RequestID: e.Request.ID, Operation: e.Request.Operation, Path: e.Request.Path,
		MountType: e.Request.MountType, RemoteAddress: e.Request.RemoteAddress, File: file, Line: n,
		token: e.Request.ClientToken}
	if a := e.Auth; a != nil {
		r.DisplayName, r.EntityID, r.Accessor, r.Policies = a.DisplayName, a.EntityID, a.Accessor, a.Policies
		if a.ClientToken != "" {
			r.token = a.ClientToken
		}
		// A token's own metadata, when the log carries it; the login's
		// (joined later) takes precedence.
		r.Namespace = a.Metadata["service_account_namespace"]
		r.ServiceAccount = a.Metadata["service_account_name"]
		r.Role = a.Metadata["role"]
	}
	return r
}

// outcome classifies a response entry.
func outcome(e *entry) string {
	switch {
	case e.Auth != nil && e.Auth.PolicyResults != nil && !e.Auth.PolicyResults.Allowed:
		return "denied"
	case e.Error == "permission denied" || e.Error == "1 error occurred:\n\t* permission denied\n\n":
		return "denied"
	case e.Error != "":
		return "error"
	}
	return "ok"
}
