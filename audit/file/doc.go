// Package file is the "file" audit device: it appends one audit entry per
// line to a file, to standard output (file_path=stdout) or nowhere
// (file_path=discard), as Vault's file audit device does.
//
// Options, besides those of audit.ParseFormatOptions: file_path (required;
// "path" is accepted as Vault's older name) and mode, an octal permission
// string, "0600" by default, "0000" to leave an existing file's mode alone.
// A missing parent directory is created (mode 0700). Each entry is written
// with a single write call under the device's mutex, so concurrent entries
// never interleave; Reopen closes and reopens the file for logrotate.
package file
