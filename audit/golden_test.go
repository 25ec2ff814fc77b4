package audit

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/entries/*.golden from the current encoder")

// TestEncoderGolden pins every entry of the encoder corpus to the bytes
// written by the encoder as it was before the single-pass encoder (the
// golden files were generated from that code, with -update-golden, before
// it changed). A field dropped, renamed, reordered or escaped differently
// on the way to speed fails here.
func TestEncoderGolden(t *testing.T) {
	dir := filepath.Join("testdata", "entries")
	for _, tc := range encoderCorpus() {
		t.Run(tc.name, func(t *testing.T) {
			f := newTestFormatter(t, tc.opts)
			var got bytes.Buffer
			req, err := f.FormatRequest(tc.in())
			if err != nil {
				t.Fatal(err)
			}
			got.Write(req)
			resp, err := f.FormatResponse(tc.in())
			if err != nil {
				t.Fatal(err)
			}
			got.Write(resp)
			path := filepath.Join(dir, tc.name+".golden")
			if *updateGolden {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("entries differ from %s\n got: %s\nwant: %s", path, got.Bytes(), want)
			}
		})
	}
}
