package broker

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzDecimalJSON checks that any decimal that decodes re-encodes to a
// string that decodes to the same value and the same text.
func FuzzDecimalJSON(f *testing.F) {
	for _, s := range []string{`"692.0"`, `"1234.567"`, `1.25`, `"-0.000000001"`, `1e3`, `"abc"`, `null`, `""`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var d Decimal
		if err := json.Unmarshal([]byte(in), &d); err != nil {
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("marshal %q: %v", in, err)
		}
		var back Decimal
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-decode %s (from %q): %v", out, in, err)
		}
		if back.Cmp(d) != 0 || back.String() != d.String() {
			t.Fatalf("%q -> %s -> %s", in, d, back)
		}
	})
}

// FuzzReadSSE checks that the stream reader never panics and that every
// event it reports carries data.
func FuzzReadSSE(f *testing.F) {
	f.Add("data: {\"a\":1}\n\n: comment\n\ndata: x\ndata: y\n\n")
	f.Add("data: {\n  \"a\": 1\n}\n\n")
	f.Add("event: e\nid: 1\nretry: 5\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		_ = ReadSSE(strings.NewReader(in), func(e SSEEvent) error {
			if e.Data == nil {
				t.Fatalf("event without data from %q", in)
			}
			return nil
		})
	})
}
