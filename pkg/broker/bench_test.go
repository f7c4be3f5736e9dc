package broker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkClientOverhead measures one GET /v1/accounts/{id} through the
// whole client stack (limiter, retry wrapper, JSON decode of a full
// account) against a local server, with the client-side rate limit off.
func BenchmarkClientOverhead(b *testing.B) {
	body := sampleBytes(b, "s12_01_account_create.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, KeyID: testKeyID, Secret: testSecret, RequestsPerMinute: -1})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.GetAccount(ctx, "de9d0029-e0a0-4a2f-b630-265a32dd00c4"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecimalRoundTrip measures decoding and encoding one decimal.
func BenchmarkDecimalRoundTrip(b *testing.B) {
	in := []byte(`"1234.567"`)
	b.ReportAllocs()
	for b.Loop() {
		var d Decimal
		if err := d.UnmarshalJSON(in); err != nil {
			b.Fatal(err)
		}
		if _, err := d.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}
