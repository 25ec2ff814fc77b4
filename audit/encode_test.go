package audit

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/vaultd/vaultd/logical"
)

// referenceLine is the encoder as it was before the single-pass encoder,
// kept here as the reference: build the Entry tree (RequestEntry or
// ResponseEntry, with hashed copies of the data) and encode it with
// encoding/json.
func referenceLine(t testing.TB, f *Formatter, in *LogInput, response bool) []byte {
	t.Helper()
	build := f.RequestEntry
	if response {
		build = f.ResponseEntry
	}
	e, err := build(in)
	if err != nil {
		t.Fatalf("reference entry: %v", err)
	}
	line, err := f.Encode(e)
	if err != nil {
		t.Fatalf("reference encode: %v", err)
	}
	return line
}

// TestSinglePassMatchesReference holds the single-pass encoder to the
// reference encoder, byte for byte, for every entry of the corpus.
func TestSinglePassMatchesReference(t *testing.T) {
	for _, tc := range encoderCorpus() {
		t.Run(tc.name, func(t *testing.T) {
			f := newTestFormatter(t, tc.opts)
			for _, response := range []bool{false, true} {
				want := referenceLine(t, f, tc.in(), response)
				append := f.AppendRequest
				if response {
					append = f.AppendResponse
				}
				// Appending after existing bytes leaves them alone.
				got, err := append([]byte("keep"), tc.in())
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(got, []byte("keep")) || !bytes.Equal(got[4:], want) {
					t.Fatalf("response=%v\n got: %s\nwant: %s", response, got[4:], want)
				}
			}
		})
	}
}

// TestSinglePassErrors shows that values encoding/json refuses are refused
// the same way, and that a failed append leaves the buffer as it was.
func TestSinglePassErrors(t *testing.T) {
	bad := map[string]any{
		"nan":    math.NaN(),
		"inf":    math.Inf(1),
		"chan":   make(chan int),
		"number": json.Number("12abc"),
	}
	for _, raw := range []string{"false", "true"} {
		f := newTestFormatter(t, map[string]string{OptionLogRaw: raw})
		for name, v := range bad {
			in := &LogInput{Request: &logical.Request{Path: "x", Data: map[string]any{"v": v}}}
			_, refErr := f.RequestEntry(in)
			if refErr == nil {
				e, _ := f.RequestEntry(in)
				_, refErr = f.Encode(e)
			}
			got, err := f.AppendRequest([]byte("keep"), in)
			if (err == nil) != (refErr == nil) {
				t.Errorf("raw=%s %s: error %v, reference error %v", raw, name, err, refErr)
			}
			if err != nil && string(got) != "keep" {
				t.Errorf("raw=%s %s: buffer %q after a failed append", raw, name, got)
			}
		}
	}
}

// FuzzSinglePassMatchesReference feeds decoded JSON objects as request and
// response data through both encoders, with the default and raw options.
func FuzzSinglePassMatchesReference(f *testing.F) {
	for _, seed := range []string{
		`{"data":{"pin":987654321,"acct":4111111111111111,"ok":true,"none":null}}`,
		`{"list":[1,"two",[3,{"four":4.5e10}],false],"username":"<app>&"}`,
		`{"keys":["a","b"],"key_info":{"a":{"n":1}}}`,
		`{"":"","\u2028":"\u0000","deep":{"deep":{"deep":{"deep":"x\ud800"}}}}`,
		`{"big":123456789012345678901234567890,"neg":-0.0e-0}`,
	} {
		f.Add([]byte(seed))
	}
	plain, _ := NewFormatter(testSalt, DefaultFormatOptions(), nil)
	rawOpts := DefaultFormatOptions()
	rawOpts.Raw, rawOpts.ElideListResponses = true, true
	raw, _ := NewFormatter(testSalt, rawOpts, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var data map[string]any
		if err := dec.Decode(&data); err != nil || data == nil {
			return
		}
		for _, fm := range []*Formatter{plain, raw} {
			in := &LogInput{
				Time:                testTime,
				Request:             &logical.Request{ID: "fuzz", Operation: logical.ListOperation, Path: "secret/metadata/", Data: data},
				Response:            &logical.Response{Data: data},
				NonHMACReqDataKeys:  []string{"username"},
				NonHMACRespDataKeys: []string{"four"},
			}
			for _, response := range []bool{false, true} {
				want := referenceLine(t, fm, in, response)
				var got []byte
				var err error
				if response {
					got, err = fm.AppendResponse(nil, in)
				} else {
					got, err = fm.AppendRequest(nil, in)
				}
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("err %v\n got: %s\nwant: %s", err, got, want)
				}
			}
		}
	})
}
