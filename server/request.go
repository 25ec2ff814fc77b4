package server

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

// Request headers with meaning to the server.
const (
	headerToken   = "X-Vault-Token"
	headerAuthz   = "Authorization"
	headerWrapTTL = "X-Vault-Wrap-TTL"
	mergePatch    = "application/merge-patch+json"
)

// errMethodNotAllowed is a 405 with an empty error list, as Vault sends.
var errMethodNotAllowed = &logical.CodedError{Status: http.StatusMethodNotAllowed}

// handleLogical serves every /v1/ path the server does not answer itself by
// handing a logical.Request to the core.
func (s *Server) handleLogical(w http.ResponseWriter, r *http.Request) {
	path := logicalPath(r)
	if path == "" {
		respondError(w, http.StatusNotFound, "")
		return
	}
	if wantsHelp(r) {
		s.handleHelp(w, r, path)
		return
	}
	req, err := s.buildRequest(w, r, path)
	if err != nil {
		respondErr(w, err)
		return
	}
	if err := s.checkQuota(r.Context(), req.Path, req.RemoteAddr); err != nil {
		respondErr(w, err)
		return
	}
	start := time.Now()
	resp, err := s.core.HandleRequest(r.Context(), req)
	s.observeRequest(req, start)
	respondLogical(w, req, resp, err)
}

// buildRequest maps an HTTP request onto a logical.Request: the operation
// from the method (and ?list=true), the data from the JSON body or the query,
// the token, the wrap TTL and the connection details.
func (s *Server) buildRequest(w http.ResponseWriter, r *http.Request, path string) (*logical.Request, error) {
	req := &logical.Request{Path: path}
	switch r.Method {
	case http.MethodGet:
		query := queryValues(r)
		list, err := listParam(query)
		if err != nil {
			return nil, err
		}
		req.Operation = logical.ReadOperation
		if list {
			req.Operation = logical.ListOperation
		}
		delete(query, "list")
		req.Data = queryData(query)
	case methodList:
		req.Operation = logical.ListOperation
		req.Data = queryData(queryValues(r))
	case http.MethodDelete:
		req.Operation = logical.DeleteOperation
		req.Data = queryData(queryValues(r))
	case http.MethodPost, http.MethodPut:
		req.Operation = logical.UpdateOperation
	case http.MethodPatch:
		req.Operation = logical.PatchOperation
	default:
		// Vault answers an unsupported method with a bare 405.
		return nil, errMethodNotAllowed
	}
	req.ContentType = mediaType(r.Header.Get("Content-Type"))
	if req.Operation == logical.PatchOperation && req.ContentType != mergePatch {
		return nil, logical.CodedErrorf(http.StatusUnsupportedMediaType,
			"PATCH requires Content-Type of %s, provided %q", mergePatch, req.ContentType)
	}
	if req.Operation == logical.ListOperation && !strings.HasSuffix(req.Path, "/") {
		req.Path += "/"
	}
	wrapTTL, err := wrapTTLHeader(r.Header)
	if err != nil {
		return nil, err
	}
	req.WrapTTL = wrapTTL
	if req.Operation == logical.UpdateOperation || req.Operation == logical.PatchOperation {
		data, err := s.readJSONBody(w, r)
		if err != nil {
			return nil, err
		}
		req.Data = data
	}
	req.ID = newRequestID()
	req.ClientToken = clientToken(r.Header)
	req.Headers = safeHeaders(r)
	req.RemoteAddr, req.RemotePort = remoteAddr(r.RemoteAddr)
	return req, nil
}

func queryValues(r *http.Request) url.Values {
	if r.URL.RawQuery == "" {
		return nil
	}
	return r.URL.Query()
}

// listParam reads ?list=, Vault's way of asking a GET to list.
func listParam(query url.Values) (bool, error) {
	v := query.Get("list")
	if v == "" {
		return false, nil
	}
	list, err := strconv.ParseBool(v)
	if err != nil {
		return false, logical.InvalidRequest("invalid value for the list parameter: %q is not a boolean", v)
	}
	return list, nil
}

// queryData turns query parameters into request data: one value as a
// string, several as a list of strings.
func queryData(query url.Values) map[string]any {
	if len(query) == 0 {
		return nil
	}
	data := make(map[string]any, len(query))
	for k, v := range query {
		switch len(v) {
		case 0:
		case 1:
			data[k] = v[0]
		default:
			data[k] = v
		}
	}
	if len(data) == 0 {
		return nil
	}
	return data
}

// clientToken reads the token from X-Vault-Token or, failing that, an
// "Authorization: Bearer" header.
func clientToken(h http.Header) string {
	if t := strings.TrimSpace(h.Get(headerToken)); t != "" {
		return t
	}
	const bearer = "bearer "
	for _, v := range h.Values(headerAuthz) {
		if len(v) > len(bearer) && strings.EqualFold(v[:len(bearer)], bearer) {
			return strings.TrimSpace(v[len(bearer):])
		}
	}
	return ""
}

// safeHeaders is a copy of the request headers without the ones that carry
// a token, plus Host (which net/http moves out of the header map).
func safeHeaders(r *http.Request) http.Header {
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Del(headerToken)
	h.Del(headerAuthz)
	if r.Host != "" {
		h.Set("Host", r.Host)
	}
	return h
}

// wrapTTLHeader reads X-Vault-Wrap-TTL: "5m", "300" or empty.
func wrapTTLHeader(h http.Header) (d time.Duration, err error) {
	v := h.Get(headerWrapTTL)
	if v == "" {
		return 0, nil
	}
	d, err = logical.ParseDuration(v)
	if err != nil {
		return 0, logical.InvalidRequest("error parsing %s header: %v", headerWrapTTL, err)
	}
	return d, nil
}

// remoteAddr splits "host:port"; an unparsable address yields empty values.
func remoteAddr(addr string) (string, int) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return host, 0
	}
	return host, port
}

// newRequestID returns a random RFC 4122 version 4 UUID.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the program instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}
