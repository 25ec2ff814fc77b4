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
