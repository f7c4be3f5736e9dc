package executor

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestReporters(t *testing.T) {
	events := []Event{
		{Type: EventApplyStart, Message: "accounts.a: Creating...", Hook: &Hook{Address: "accounts.a"}},
		{Type: EventApplyProgress, Message: "accounts.a: waiting", Hook: &Hook{Address: "accounts.a", Phase: "waiting"}},
		{Type: EventApplyComplete, Message: "accounts.a: created", Hook: &Hook{Address: "accounts.a"}},
		{Type: EventApplyErrored, Message: "orders.b: failed", Hook: &Hook{Address: "orders.b", Error: "boom"}},
	}
	t.Run("json lines", func(t *testing.T) {
		var b bytes.Buffer
		r := NewJSONReporter(&b)
		for _, e := range events {
			r.Report(e)
		}
		lines := strings.Split(strings.TrimSpace(b.String()), "\n")
		if len(lines) != len(events) {
			t.Fatalf("%d lines", len(lines))
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(lines[3]), &got); err != nil || got["type"] != "apply_errored" {
			t.Fatalf("line %s: %v", lines[3], err)
		}
	})
	t.Run("plain lines", func(t *testing.T) {
		var b bytes.Buffer
		r := NewLineReporter(&b)
		for _, e := range events {
			r.Report(e)
		}
		if strings.Count(b.String(), "\n") != 4 || strings.Contains(b.String(), "\r") {
			t.Fatalf("plain output %q", b.String())
		}
	})
	t.Run("live counts", func(t *testing.T) {
		var b bytes.Buffer
		r := NewLiveReporter(&b, 3, func() int64 { return 10 })
		r.Report(events[0])
		r.Report(events[1])
		if got := r.StatusLine(); !strings.HasPrefix(got, "0/3 done · 0 running · 1 waiting · 0 failed") {
			t.Fatalf("status %q", got)
		}
		r.Report(events[2])
		r.Report(events[3])
		if got := r.StatusLine(); !strings.HasPrefix(got, "1/3 done · 0 running · 0 waiting · 1 failed") || !strings.Contains(got, "ETA") {
			t.Fatalf("status %q", got)
		}
		r.Stop()
		if !strings.Contains(b.String(), "accounts.a: created\n") || strings.Contains(b.String(), "Creating") {
			t.Fatalf("live output %q", b.String())
		}
	})
}

func TestSummaryTable(t *testing.T) {
	got := formatSummaryTable([][4]string{{"orders.b", "failed", "x", ""}, {"accounts.a", "created", "ACTIVE", "id1"}})
	want := "RESOURCE    RESULT   STATUS  ID\naccounts.a  created  ACTIVE  id1\norders.b    failed   x       \n"
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}
