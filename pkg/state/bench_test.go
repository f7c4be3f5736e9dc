package state

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkPut measures one durable Put (an intent or an outcome) per
// backend: the cost the create protocol pays twice per resource.
func BenchmarkPut(b *testing.B) {
	obj := json.RawMessage(`{"id":"b0b6dd9d-8b9b-48a9-ba46-b9d54906e415","status":"ACTIVE","identity":{"tax_id":"sha256:5e1f","given_name":"Alice"}}`)
	for _, bk := range backendKinds {
		b.Run(bk.name, func(b *testing.B) {
			ctx := context.Background()
			dsn := bk.newDSN(b)
			be, err := Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer be.Close()
			w, err := be.Lock(ctx, "bench", LockInfo{}, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				r := Record{Address: fmt.Sprintf("accounts.a%d", i%1000), Kind: "account", Phase: PhaseCreated, Object: obj, Request: obj}
				if err := w.Put(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
