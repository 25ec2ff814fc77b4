package audit

import "testing"

// BenchmarkFormatKVRead measures building and encoding the request and
// response entries of a KV read, without any I/O.
func BenchmarkFormatKVRead(b *testing.B) {
	f := newTestFormatter(b, nil)
	in := testInput()
	in.OuterErr, in.WrapInfo, in.PolicyResults, in.AuditedHeaders = nil, nil, nil, nil
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.FormatRequest(in); err != nil {
			b.Fatal(err)
		}
		if _, err := f.FormatResponse(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncoderKVRead compares, on the same KV read, the reference
// encoder (Entry tree with hashed copies, then encoding/json: the encoder
// before the single-pass one) with the single-pass encoder appending into
// a reused buffer, as the file device does. Run both in one invocation to
// compare them under the same machine load.
func BenchmarkEncoderKVRead(b *testing.B) {
	f := newTestFormatter(b, nil)
	in := testInput()
	in.OuterErr, in.WrapInfo, in.PolicyResults, in.AuditedHeaders = nil, nil, nil, nil
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			referenceLine(b, f, in, false)
			referenceLine(b, f, in, true)
		}
	})
	b.Run("single-pass", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = f.AppendRequest(buf[:0], in); err != nil {
				b.Fatal(err)
			}
			if buf, err = f.AppendResponse(buf[:0], in); err != nil {
				b.Fatal(err)
			}
		}
	})
}
