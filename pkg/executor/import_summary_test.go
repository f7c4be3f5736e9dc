package executor

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/brokerctl/brokerctl/pkg/emulator"
)

// An adopted object is counted in apply's summary line.
func TestE2EImportCountedInSummary(t *testing.T) {
	w := newWorld(t, emulator.Faults{})
	res := w.apply(seed("ivy")[:1], Options{})
	if res.Err() != nil {
		t.Fatal(res.Err())
	}
	id := res.Rows[0].ID
	w.dsn = filepath.Join(t.TempDir(), "other.db") // another workspace adopts it
	n := seed("ivy")[:1]
	n[0].ImportID = id
	var summary string
	res = w.apply(n, Options{Reporter: ReporterFunc(func(ev Event) {
		if ev.Type == EventChangeSummary {
			summary = ev.Message
		}
	})})
	if res.Err() != nil || res.Summary.Import != 1 || !strings.Contains(summary, "1 imported") {
		t.Fatalf("err %v summary %+v %q", res.Err(), res.Summary, summary)
	}
}
