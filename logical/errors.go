package logical

import (
	"errors"
	"fmt"
	"net/http"
)

// CodedError is an error that carries the HTTP status it should produce.
// Its message is shown to the client, so it must never hold a secret.
type CodedError struct {
	Status  int
	Message string
}

func (e *CodedError) Error() string { return e.Message }

// Code returns the HTTP status.
func (e *CodedError) Code() int { return e.Status }

// Errors that engines and core share. Compare with errors.Is.
var (
	// ErrPermissionDenied is Vault's "permission denied", a 403.
	ErrPermissionDenied = &CodedError{Status: http.StatusForbidden, Message: "permission denied"}
	// ErrUnsupportedPath is a 404 for a path the engine does not serve.
	ErrUnsupportedPath = &CodedError{Status: http.StatusNotFound, Message: "unsupported path"}
	// ErrUnsupportedOperation is a 405.
	ErrUnsupportedOperation = &CodedError{Status: http.StatusMethodNotAllowed, Message: "unsupported operation"}
	// ErrSealed is Vault's "Vault is sealed", a 503.
	ErrSealed = &CodedError{Status: http.StatusServiceUnavailable, Message: "Vault is sealed"}
)

// CodedErrorf builds a CodedError with a formatted message.
func CodedErrorf(status int, format string, args ...any) error {
	return &CodedError{Status: status, Message: fmt.Sprintf(format, args...)}
}

// InvalidRequest is a 400 with the given message.
func InvalidRequest(format string, args ...any) error {
	return CodedErrorf(http.StatusBadRequest, format, args...)
}

// StatusOf returns the HTTP status an error should produce: the code of the
// first CodedError in its chain, or 500.
func StatusOf(err error) int {
	var coded *CodedError
	if errors.As(err, &coded) {
		return coded.Status
	}
	return http.StatusInternalServerError
}
