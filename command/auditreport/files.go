package auditreport

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"time"
)

// MaxLine is the longest line read; a longer one is reported as corrupt
// and skipped, so one bad line cannot make the reader hold a whole file.
const MaxLine = 16 << 20

// logFile is one input file, opened, decompressed when it is gzip.
type logFile struct {
	name string
	f    *os.File
	gz   *gzip.Reader
	r    *bufio.Reader
	line int
}

func openLog(name string) (*logFile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	lf := &logFile{name: name, f: f, r: bufio.NewReaderSize(f, 256<<10)}
	magic, _ := lf.r.Peek(2)
	if bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(lf.r)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		lf.gz, lf.r = gz, bufio.NewReaderSize(gz, 256<<10)
	}
	return lf, nil
}

func (lf *logFile) Close() error {
	if lf.gz != nil {
		lf.gz.Close()
	}
	return lf.f.Close()
}

// next returns the next line without its newline. A line longer than
// MaxLine is skipped to its end and returned as errTooLong. At the end it
// returns io.EOF.
func (lf *logFile) next(buf []byte) ([]byte, error) {
	buf = buf[:0]
	tooLong := false
	for {
		chunk, err := lf.r.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > MaxLine {
				tooLong, buf = true, buf[:0]
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(buf) == 0 && !tooLong:
			return nil, io.EOF
		case err != nil && err != io.EOF:
			return nil, fmt.Errorf("%s: line %d: %w", lf.name, lf.line+1, err)
		}
		lf.line++
		if tooLong {
			return nil, errTooLong
		}
		return bytes.TrimRight(buf, "\r\n"), nil
	}
}

var errTooLong = fmt.Errorf("line longer than %d bytes", MaxLine)

// firstTime is the time of a file's first entry: the order of rotated
// files is their content's, whatever their names.
func firstTime(name string) (time.Time, error) {
	lf, err := openLog(name)
	if err != nil {
		return time.Time{}, err
	}
	defer lf.Close()
	var buf []byte
	for range 100 {
		line, err := lf.next(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			if err == errTooLong {
				continue
			}
			return time.Time{}, err
		}
		var e struct {
			Time time.Time `json:"time"`
		}
		if json.Unmarshal(line, &e) == nil && !e.Time.IsZero() {
			return e.Time, nil
		}
	}
	return time.Time{}, nil
}

// orderFiles sorts the files by the time of their first entry.
func orderFiles(names []string) ([]string, error) {
	type f struct {
		name string
		t    time.Time
	}
	fs := make([]f, 0, len(names))
	for _, n := range names {
		t, err := firstTime(n)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", n, err)
		}
		fs = append(fs, f{n, t})
	}
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].t.Before(fs[j].t) })
	out := make([]string, len(fs))
	for i := range fs {
		out[i] = fs[i].name
	}
	return out, nil
}
