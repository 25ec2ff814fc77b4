package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/vaultd/vaultd/audit"
	"github.com/vaultd/vaultd/logical"
)

// Type is the device type name.
const Type = "file"

// Option names of the file device.
const (
	OptionFilePath = "file_path"
	OptionMode     = "mode"
)

// Special file_path values, matched case-insensitively as in Vault.
const (
	Stdout  = "stdout"
	Discard = "discard"
)

// DefaultMode is the mode of a new audit file.
const DefaultMode os.FileMode = 0o600

// ErrClosed is returned by a device used after Close.
var ErrClosed = errors.New("audit file device is closed")

var _ audit.Factory = Factory

// Device is a file audit device.
type Device struct {
	formatter *audit.Formatter
	logger    *slog.Logger
	// path is the file path; empty for stdout and discard.
	path string
	mode os.FileMode
	// stdout is set for file_path=stdout; discard for file_path=discard.
	stdout  io.Writer
	discard bool
	// lines holds entry buffers: an entry is encoded into one, written,
	// and the buffer cleared and put back, so a steady stream of entries
	// allocates none.
	lines sync.Pool

	mu     sync.Mutex
	f      *os.File // nil until (re)opened
	closed bool
	// torn is set when a failed write left part of an entry at the end of
	// the file that could not be removed.
	torn bool
}

// settings are the file-specific options, parsed before anything touches
// the file system.
type settings struct {
	path    string
	special string // Stdout, Discard or ""
	mode    os.FileMode
}

func parseSettings(opts map[string]string) (settings, error) {
	var s settings
	p, ok := opts[OptionFilePath]
	if !ok {
		p, ok = opts["path"]
	}
	p = strings.TrimSpace(p)
	if !ok || p == "" {
		return s, logical.InvalidRequest("%q is required", OptionFilePath)
	}
	switch {
	case strings.EqualFold(p, Stdout):
		s.special = Stdout
	case strings.EqualFold(p, Discard):
		s.special = Discard
	default:
		s.path = filepath.Clean(p)
	}
	s.mode = DefaultMode
	if raw, ok := opts[OptionMode]; ok && strings.TrimSpace(raw) != "" {
		m, err := strconv.ParseUint(strings.TrimSpace(raw), 8, 32)
		if err != nil {
			return s, logical.InvalidRequest("unable to parse %q: %q is not an octal file mode", OptionMode, raw)
		}
		if m > 0o777 {
			return s, logical.InvalidRequest("unable to parse %q: %q is not a permission mode between 0000 and 0777", OptionMode, raw)
		}
		if m&0o111 != 0 {
			// An audit file is data; an executable one is a way to plant
			// a program (CVE-2025-6000).
			return s, logical.InvalidRequest("file mode may not be executable: %q", raw)
		}
		s.mode = os.FileMode(m)
	}
	return s, nil
}

// Factory builds a file device from conf. Every option is checked before
// the file is opened; bad options and a file that cannot be opened are
// 400s, and on failure nothing is left on disk.
func Factory(_ context.Context, conf *audit.FactoryConfig) (audit.Device, error) {
	if conf == nil {
		return nil, errors.New("audit file device: nil factory config")
	}
	opts, err := audit.ParseFormatOptions(conf.Config.Options)
	if err != nil {
		return nil, err
	}
	s, err := parseSettings(conf.Config.Options)
	if err != nil {
		return nil, err
	}
	f, err := audit.NewFormatter(conf.Salt, opts, conf.Now)
	if err != nil {
		return nil, err
	}
	logger := conf.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &Device{formatter: f, logger: logger.With("audit_path", conf.Config.Path), path: s.path, mode: s.mode}
	switch s.special {
	case Stdout:
		d.stdout = os.Stdout
	case Discard:
		d.discard = true
	default:
		if err := d.openNew(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// openNew opens the file at enable time, creating missing directories,
// and removes whatever it created if the file cannot be opened.
func (d *Device) openNew() error {
	created, err := mkdirs(filepath.Dir(d.path))
	if err == nil {
		var existed bool
		existed, err = exists(d.path)
		if err == nil {
			d.f, err = d.open()
			if err != nil && !existed {
				_ = os.Remove(d.path) // best effort: leave nothing behind
			}
		}
	}
	if err != nil {
		removeDirs(created)
		return fmt.Errorf("%w: %w", logical.InvalidRequest("file sink creation failed for path %q", d.path), err)
	}
	return nil
}

// open opens (creating if needed) the file for appending and sets its mode.
func (d *Device) open() (*os.File, error) {
	perm := d.mode
	if perm == 0 {
		perm = DefaultMode
	}
	existed, err := exists(d.path)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(d.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, perm)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	// A new file gets exactly the configured mode (whatever the umask
	// took away). An existing regular file is tightened to it but never
	// loosened: a bit the file lacks is not added, so enabling a device
	// cannot make an existing file readable, writable or executable by
	// more users. Devices (/dev/null, /dev/full) and mode 0000 are left
	// alone.
	if d.mode != 0 && st.Mode().IsRegular() {
		want := d.mode
		if existed {
			want = restrictedMode(st.Mode().Perm(), d.mode)
		}
		if want != st.Mode().Perm() {
			if err := f.Chmod(want); err != nil {
				_ = f.Close()
				return nil, fmt.Errorf("set mode %#o: %w", want, err)
			}
		}
	}
	return f, nil
}

// restrictedMode is the mode an existing file with permissions current
// gets for a device configured with mode: only the bits both allow, and
// never an execute bit.
func restrictedMode(current, mode os.FileMode) os.FileMode {
	return current & mode &^ 0o111
}

func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	}
	return false, err
}

// mkdirs creates dir and its missing parents, returning those it created,
// deepest first.
func mkdirs(dir string) ([]string, error) {
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		ok, err := exists(p)
		if err != nil {
			return nil, err
		}
		if ok {
			break
		}
		missing = append(missing, p)
		if filepath.Dir(p) == p {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			removeDirs(missing[i+1:])
			return nil, err
		}
	}
	return missing, nil
}

func removeDirs(dirs []string) {
	for _, p := range dirs {
		_ = os.Remove(p)
	}
}

// LogRequest writes the request entry of in. The context is not consulted:
// an entry is written even when the client has gone away, since the
// operation may already have happened.
func (d *Device) LogRequest(_ context.Context, in *audit.LogInput) error {
	return d.log(in, d.formatter.AppendRequest)
}

// LogResponse writes the response entry of in.
func (d *Device) LogResponse(_ context.Context, in *audit.LogInput) error {
	return d.log(in, d.formatter.AppendResponse)
}

// maxPooledLine bounds the buffers kept for reuse, so that one huge entry
// does not pin its memory.
const maxPooledLine = 64 << 10

func (d *Device) log(in *audit.LogInput, appendEntry func([]byte, *audit.LogInput) ([]byte, error)) error {
	bp, _ := d.lines.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	line, err := appendEntry((*bp)[:0], in)
	if err == nil {
		err = d.write(line)
	}
	if cap(line) <= maxPooledLine {
		// The file has the bytes (or refused them): the buffer is free.
		clear(line)
		*bp = line[:0]
		d.lines.Put(bp)
	}
	return err
}

// Hash returns the HMAC of input as this device writes it.
func (d *Device) Hash(_ context.Context, input string) (string, error) {
	return d.formatter.Hash(input), nil
}

// write writes one whole line with a single write call. If the write
// fails before any byte reached the file, the file is reopened and the
// write tried once more, as Vault does.
func (d *Device) write(line []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	switch {
	case d.discard:
		return nil
	case d.stdout != nil:
		return writeAll(d.stdout, line)
	}
	if d.f == nil {
		f, err := d.open()
		if err != nil {
			return fmt.Errorf("open audit file %q: %w", d.path, err)
		}
		d.f = f
	}
	if d.torn {
		// An earlier entry was cut short and could not be removed: end
		// its line, so this entry starts a line of its own.
		line = append([]byte{'\n'}, line...)
	}
	n, err := d.f.Write(line)
	if err == nil {
		d.torn = false
		return nil
	}
	if n > 0 {
		d.dropPartial(n)
		return fmt.Errorf("write audit file %q: %w", d.path, err)
	}
	_ = d.f.Close()
	d.f = nil
	f, rerr := d.open()
	if rerr != nil {
		return fmt.Errorf("write audit file %q: %w (reopen: %w)", d.path, err, rerr)
	}
	d.f = f
	if n, err := d.f.Write(line); err != nil {
		if n > 0 {
			d.dropPartial(n)
		}
		return fmt.Errorf("write audit file %q: %w", d.path, err)
	}
	d.torn = false
	return nil
}

// dropPartial removes the n bytes of an entry that a failed write left at
// the end of the file, so that the file ends at a line boundary again and
// a one-entry-per-line reader never sees a truncated entry glued to the
// next one. When the file cannot be cut back, the next entry starts with
// a newline instead, leaving the broken entry alone on its line. The lock
// is held; the device is the file's only writer (two devices may not share
// a file).
func (d *Device) dropPartial(n int) {
	st, err := d.f.Stat()
	if err == nil {
		err = d.f.Truncate(st.Size() - int64(n))
	}
	if err != nil {
		d.torn = true
		d.logger.Error("a partial audit entry could not be removed; the next entry starts on a new line", "error", err)
	}
}

func writeAll(w io.Writer, b []byte) error {
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write audit entry to stdout: %w", err)
	}
	return nil
}

// Reopen closes the file and opens the path again, so that after
// logrotate renamed the file the next entries go to a new one. Standard
// output and discard have nothing to reopen.
func (d *Device) Reopen() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	if d.path == "" {
		return nil
	}
	var cerr error
	if d.f != nil {
		cerr = d.f.Close()
		d.f = nil
	}
	f, err := d.open()
	if err != nil {
		return fmt.Errorf("reopen audit file %q: %w", d.path, err)
	}
	d.f = f
	if cerr != nil {
		d.logger.Warn("closing the old audit file failed", "error", cerr)
	}
	return nil
}

// Close closes the file; the device refuses entries afterwards.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	if d.f == nil {
		return nil
	}
	err := d.f.Close()
	d.f = nil
	if err != nil {
		return fmt.Errorf("close audit file %q: %w", d.path, err)
	}
	return nil
}
