package config

import (
	"fmt"
	"strconv"
)

// Error is one problem in a config file, with the file and line where it is.
// File or Line is empty when the problem belongs to no one place (a missing
// storage block across all the files, say).
type Error struct {
	File string
	Line int
	Err  error
}

// Error renders the problem as "file:line: message".
func (e *Error) Error() string {
	where := position{file: e.File, line: e.Line}.String()
	if where == "" {
		return e.Err.Error()
	}
	return where + ": " + e.Err.Error()
}

// Unwrap returns the underlying problem.
func (e *Error) Unwrap() error { return e.Err }

// position is where something was written.
type position struct {
	file string
	line int
}

// String gives "file:line", "file", "line N" or "".
func (p position) String() string {
	switch {
	case p.file != "" && p.line > 0:
		return p.file + ":" + strconv.Itoa(p.line)
	case p.file != "":
		return p.file
	case p.line > 0:
		return "line " + strconv.Itoa(p.line)
	}
	return ""
}

// errorf builds an *Error at p; %w in format wraps as fmt.Errorf does.
func (p position) errorf(format string, args ...any) *Error {
	return &Error{File: p.file, Line: p.line, Err: fmt.Errorf(format, args...)}
}

// wrap places err at p.
func (p position) wrap(err error) *Error {
	return &Error{File: p.file, Line: p.line, Err: err}
}
