package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchManifest is the onboarding shape at scale: per CSV row an account,
// an ACH relationship referencing it by key, and a deposit referencing
// both.
const benchManifest = `variables:
  routing: {default: "121000358"}
accounts:
  customer:
    for_each: {file: customers.csv, key: email}
    contact:
      email_address: ${each.key}
      phone_number: ${each.value.phone}
      street_address: ["1 Main St"]
      city: Austin
      state: TX
      postal_code: "78701"
      country: USA
    identity:
      given_name: ${each.value.first}
      family_name: ${each.value.last}
      date_of_birth: "1990-01-01"
      tax_id: 666-55-1234
      tax_id_type: USA_SSN
      country_of_tax_residence: USA
      funding_source: [savings]
    disclosures:
      is_control_person: false
      is_affiliated_exchange_or_finra: false
      is_politically_exposed: false
      immediate_family_exposed: false
    agreements:
      - agreement: customer_agreement
        signed_at: "2026-01-15T10:00:00Z"
        ip_address: 127.0.0.1
    wait_for: ACTIVE
ach_relationships:
  bank:
    for_each: {file: customers.csv, key: email}
    account_id: ${accounts.customer[each.key].id}
    account_owner_name: ${each.value.first} ${each.value.last}
    bank_account_type: CHECKING
    bank_account_number: "32131231abc"
    bank_routing_number: ${var.routing}
transfers:
  deposit:
    for_each: {file: customers.csv, key: email}
    account_id: ${accounts.customer[each.key].id}
    transfer_type: ach
    relationship_id: ${ach_relationships.bank[each.key].id}
    amount: ${each.value.deposit}
    direction: INCOMING
`

// writeBenchCSV writes a customers CSV of n rows into dir.
func writeBenchCSV(b *testing.B, dir string, n int) {
	var sb strings.Builder
	sb.WriteString("email,first,last,phone,deposit\n")
	for i := range n {
		fmt.Fprintf(&sb, "c%d@example.com,First%d,Last%d,+1555%07d,%d.00\n", i, i, i, i, 100+i%900)
	}
	if err := os.WriteFile(filepath.Join(dir, "customers.csv"), []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
}

// heapSampler records the peak live heap while a benchmark runs.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > h.peak.Load() {
				h.peak.Store(ms.HeapAlloc)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	h.wg.Wait()
	return h.peak.Load()
}

// BenchmarkValidate100k loads, resolves and builds the graph of 100,000
// resources: an account block with for_each over a 100,000-row CSV.
// Targets: < 2 s and < 500 MB.
func BenchmarkValidate100k(b *testing.B) {
	const rows = 100_000
	dir := b.TempDir()
	writeBenchCSV(b, dir, rows)
	// One block only, so the figure is for exactly 100,000 resources.
	manifest := benchManifest[:strings.Index(benchManifest, "ach_relationships:")]
	if err := os.WriteFile(filepath.Join(dir, "m.yaml"), []byte(manifest), 0o600); err != nil {
		b.Fatal(err)
	}
	benchLoad(b, filepath.Join(dir, "m.yaml"), rows)
}

// BenchmarkValidate100kReferences is the same CSV feeding three blocks
// (300,000 resources, 400,000 references between them).
func BenchmarkValidate100kReferences(b *testing.B) {
	const rows = 100_000
	dir := b.TempDir()
	writeBenchCSV(b, dir, rows)
	if err := os.WriteFile(filepath.Join(dir, "m.yaml"), []byte(benchManifest), 0o600); err != nil {
		b.Fatal(err)
	}
	benchLoad(b, filepath.Join(dir, "m.yaml"), 3*rows)
}

func benchLoad(b *testing.B, file string, want int) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	h := startHeapSampler()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		// Collect the previous iteration's garbage outside the timer, so
		// the peak is that of one Load.
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		cfg, diags := Load([]string{file}, Options{Getenv: unsetEnv})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		if len(cfg.Resources) != want {
			b.Fatalf("%d resources, want %d", len(cfg.Resources), want)
		}
	}
	b.StopTimer()
	elapsed := b.Elapsed()
	peak := h.Stop()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/op")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/1e6/float64(b.N), "alloc-MB/op")
}
