package emulator

import (
	"encoding/json"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// streamKind names one event log.
type streamKind int

const (
	streamAccounts streamKind = iota
	streamFunding             // transfers, ACH relationships and recipient banks
	streamJournals
	streamTrades
	numStreams
)

// event is one status change, with enough fields to render every wire
// shape (legacy v1 and current v2) of its stream.
type event struct {
	Stream streamKind `json:"stream"`
	// Seq is the per-stream integer id (the legacy int event_id).
	Seq int64 `json:"seq"`
	// ULID is the v2 event_id and the v1 event_ulid.
	ULID string    `json:"ulid"`
	At   time.Time `json:"at"`

	AccountID  string `json:"account_id,omitempty"`
	EntityID   string `json:"entity_id,omitempty"`
	EntityType string `json:"entity_type,omitempty"`
	StatusFrom string `json:"status_from,omitempty"`
	StatusTo   string `json:"status_to,omitempty"`
	Reason     string `json:"reason,omitempty"`

	// Accounts.
	AccountNumber string `json:"account_number,omitempty"`
	KYCFail       bool   `json:"kyc_fail,omitempty"`

	// Journals.
	EntryType      string `json:"entry_type,omitempty"`
	Description    string `json:"description,omitempty"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	IdemKeyType    string `json:"idempotency_key_type,omitempty"`
	BatchError     string `json:"batch_error_message,omitempty"`

	// Trades: Order is the order as it was after the change.
	Trade *tradeDetail `json:"trade,omitempty"`
}

type tradeDetail struct {
	Event       string          `json:"event"`
	ExecutionID string          `json:"execution_id"`
	Order       json.RawMessage `json:"order"`
	Price       string          `json:"price,omitempty"`
	Qty         string          `json:"qty,omitempty"`
	PositionQty string          `json:"position_qty,omitempty"`
	SettleDate  string          `json:"settle_date,omitempty"`
}

// hub stores every event and wakes subscribers when one is added.
type hub struct {
	mu      sync.Mutex
	logs    [numStreams][]event
	changed chan struct{}
	closed  chan struct{}
	entropy io.Reader
}

func newHub(seed uint64) *hub {
	r := rand.New(rand.NewPCG(seed, seed+1))
	return &hub{
		changed: make(chan struct{}),
		closed:  make(chan struct{}),
		entropy: ulid.Monotonic(readerFunc(func(p []byte) (int, error) {
			for i := range p {
				p[i] = byte(r.Uint32())
			}
			return len(p), nil
		}), 0),
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// publish appends ev to its stream, assigning Seq and ULID.
func (h *hub) publish(ev event) {
	h.mu.Lock()
	log := &h.logs[ev.Stream]
	ev.Seq = int64(len(*log)) + 1
	if n := len(*log); n > 0 {
		// ULIDs must sort in publish order even if At went backwards.
		if last := (*log)[n-1].At; ev.At.Before(last) {
			ev.At = last
		}
	}
	ev.ULID = ulid.MustNew(ulid.Timestamp(ev.At), h.entropy).String()
	*log = append(*log, ev)
	ch := h.changed
	h.changed = make(chan struct{})
	h.mu.Unlock()
	close(ch)
}

// read returns the events of stream from index i on and a channel closed
// when more arrive.
func (h *hub) read(stream streamKind, i int) ([]event, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	log := h.logs[stream]
	if i > len(log) {
		i = len(log)
	}
	return log[i:len(log):len(log)], h.changed
}

// snapshot copies every log (for persistence).
func (h *hub) snapshot() [][]event {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([][]event, numStreams)
	for i := range h.logs {
		out[i] = append([]event(nil), h.logs[i]...)
	}
	return out
}

// restore replaces the logs (at load time, before serving).
func (h *hub) restore(logs [][]event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range logs {
		if i < int(numStreams) {
			h.logs[i] = logs[i]
		}
	}
}

// close ends every open stream.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.closed:
	default:
		close(h.closed)
	}
}
