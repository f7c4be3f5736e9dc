package executor

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// EventType names a progress event, after Terraform's machine-readable UI.
type EventType string

// Event types. apply_* events carry a Hook for one resource.
const (
	EventPlannedChange EventType = "planned_change"
	EventApplyStart    EventType = "apply_start"
	EventApplyProgress EventType = "apply_progress"
	EventApplyComplete EventType = "apply_complete"
	EventApplyErrored  EventType = "apply_errored"
	EventApplySkipped  EventType = "apply_skipped"
	EventChangeSummary EventType = "change_summary"
	EventOutputs       EventType = "outputs"
	EventDiagnostic    EventType = "diagnostic"
)

// Event is one line of progress. Personal data never reaches an Event: the
// executor only puts addresses, ids, statuses and redacted errors in it.
type Event struct {
	Level      string                 `json:"@level"`
	Message    string                 `json:"@message"`
	Time       time.Time              `json:"@timestamp"`
	Type       EventType              `json:"type"`
	Hook       *Hook                  `json:"hook,omitempty"`
	Changes    *ChangeSummary         `json:"changes,omitempty"`
	Outputs    map[string]OutputValue `json:"outputs,omitempty"`
	Diagnostic *Diagnostic            `json:"diagnostic,omitempty"`
}

// Hook describes what happens to one resource.
type Hook struct {
	Address  string  `json:"resource"`
	Kind     string  `json:"kind"`
	Action   Action  `json:"action"`
	RemoteID string  `json:"id,omitempty"`
	Status   string  `json:"status,omitempty"`
	Phase    string  `json:"phase,omitempty"`
	Elapsed  float64 `json:"elapsed_seconds,omitempty"`
	Error    string  `json:"error,omitempty"`
	Upstream string  `json:"failed_upstream,omitempty"`
	// Reason explains a planned change (planned_change events).
	Reason string `json:"reason,omitempty"`
	// Drift is what --refresh found changed outside brokerctl: deleted,
	// changed or ended (planned_change events).
	Drift string `json:"drift,omitempty"`
}

// OutputValue is one named output.
type OutputValue struct {
	Value     any  `json:"value"`
	Sensitive bool `json:"sensitive,omitempty"`
}

// Diagnostic is a warning or error not tied to one step of a resource,
// such as a problem in the manifest.
type Diagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail,omitempty"`
	Address  string `json:"address,omitempty"`
	// Range locates the problem in a manifest file.
	Range *Range `json:"range,omitempty"`
}

// Range is a position in a manifest file.
type Range struct {
	Filename string `json:"filename"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
}

// ChangeSummary counts what a plan would do or an apply did.
type ChangeSummary struct {
	Operation string `json:"operation"` // plan, apply or destroy
	Add       int    `json:"add"`
	Change    int    `json:"change"`
	Replace   int    `json:"replace"`
	Remove    int    `json:"remove"`
	Import    int    `json:"import"`
	Read      int    `json:"read"`
	NoOp      int    `json:"no_op"`
	Orphaned  int    `json:"orphaned,omitempty"`
	Failed    int    `json:"failed,omitempty"`
	Skipped   int    `json:"skipped,omitempty"`
	NotRun    int    `json:"not_run,omitempty"`
	// Blocked counts resources plan knows apply fails on (Change.Blocked).
	Blocked int `json:"blocked,omitempty"`
	// Forgotten counts resources destroy (or --prune) only dropped from
	// state: data sources, retain_on_destroy, objects left as is.
	Forgotten int `json:"forgotten,omitempty"`
	// Interrupted counts resources an interrupt stopped midway (NotRun
	// counts those it kept from starting).
	Interrupted int `json:"interrupted,omitempty"`
	// Requests is the number of HTTP requests sent (apply) or estimated (plan).
	Requests int `json:"requests"`
	// ElapsedSeconds is the wall time of an apply or destroy.
	ElapsedSeconds float64 `json:"elapsed_seconds,omitempty"`
}

// Reporter receives progress. Implementations must be safe for concurrent use.
type Reporter interface {
	Report(Event)
}

// ReporterFunc adapts a function to Reporter.
type ReporterFunc func(Event)

// Report calls f.
func (f ReporterFunc) Report(e Event) { f(e) }

// Discard drops every event.
var Discard Reporter = ReporterFunc(func(Event) {})

// JSONReporter writes one JSON object per line.
type JSONReporter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewJSONReporter writes events to w as JSON lines.
func NewJSONReporter(w io.Writer) *JSONReporter { return &JSONReporter{w: w} }

// Report writes e.
func (r *JSONReporter) Report(e Event) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.w.Write(append(b, '\n'))
}

// LineReporter writes one plain line per event, for logs and CI.
type LineReporter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewLineReporter writes plain lines to w.
func NewLineReporter(w io.Writer) *LineReporter { return &LineReporter{w: w} }

// Report writes e's message.
func (r *LineReporter) Report(e Event) {
	if e.Type == EventOutputs || e.Type == EventChangeSummary && e.Message == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(r.w, e.Message)
}

// Counts tallies resource states for progress displays and summaries.
type Counts struct {
	Total, Done, Running, Waiting, Failed, Skipped int
}

// tally keeps Counts up to date from events.
type tally struct {
	mu      sync.Mutex
	c       Counts
	running map[string]bool
	waiting map[string]bool
}

func newTally(total int) *tally {
	return &tally{c: Counts{Total: total}, running: map[string]bool{}, waiting: map[string]bool{}}
}

func (t *tally) observe(e Event) {
	if e.Hook == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	a := e.Hook.Address
	switch e.Type {
	case EventApplyStart:
		t.running[a] = true
	case EventApplyProgress:
		if e.Hook.Phase == "waiting" {
			t.waiting[a] = true
		}
	case EventApplyComplete:
		delete(t.running, a)
		delete(t.waiting, a)
		t.c.Done++
	case EventApplyErrored:
		delete(t.running, a)
		delete(t.waiting, a)
		t.c.Failed++
	case EventApplySkipped:
		t.c.Skipped++
	}
	t.c.Running = len(t.running) - len(t.waiting)
	t.c.Waiting = len(t.waiting)
}

func (t *tally) counts() Counts {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.c
}

// formatSummaryTable renders the final per-resource table.
func formatSummaryTable(rows [][4]string) string {
	if len(rows) == 0 {
		return ""
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i][0] < rows[j][0] })
	head := [4]string{"RESOURCE", "RESULT", "STATUS", "ID"}
	width := [4]int{}
	for _, r := range append([][4]string{head}, rows...) {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range append([][4]string{head}, rows...) {
		for i, c := range r {
			if i == 3 {
				b.WriteString(c)
				continue
			}
			fmt.Fprintf(&b, "%-*s  ", width[i], c)
		}
		b.WriteString("\n")
	}
	return b.String()
}
