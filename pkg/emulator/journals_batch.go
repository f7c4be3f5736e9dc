package emulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// idempotent runs create under the Idempotency-Key rules documented for
// POST /v1/journals and /v1/journals/batch: the same key with the same body
// (compared after JSON canonicalisation) answers the original response
// without creating anything; the same key with a different body answers
// 422. Only successful responses are remembered, so a request that failed
// (say, for lack of funds) can be retried with its key once fixed.
func (e *Emulator) idempotent(w http.ResponseWriter, r *http.Request, kind string, create func(body []byte) (any, error)) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return badRequest("failed to read request body")
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 128 {
		return badRequest("Idempotency-Key must be at most 128 characters")
	}
	hash := requestHash(kind, body)
	e.mu.Lock()
	e.runDueLocked()
	if key != "" {
		if prev := e.st.Idempotency[key]; prev != nil {
			e.mu.Unlock()
			if prev.Hash != hash {
				return errorf(http.StatusUnprocessableEntity, "Idempotency-Key %s was already used with a different request body", key)
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			w.WriteHeader(prev.Status)
			_, _ = w.Write(prev.Body)
			return nil
		}
	}
	out, err := create(body)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	b, err := json.Marshal(out)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	if key != "" {
		e.st.Idempotency[key] = &idemEntry{Route: kind, Hash: hash, Status: http.StatusOK, Body: b}
	}
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}

// requestHash identifies a request body independent of key order and
// whitespace.
func requestHash(kind string, body []byte) string {
	canon := body
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&v) == nil {
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	sum := sha256.Sum256(append([]byte(kind+"\x00"), canon...))
	return hex.EncodeToString(sum[:])
}

type batchEntry struct {
	ToAccount                       string      `json:"to_account"`
	FromAccount                     string      `json:"from_account"`
	Amount                          flexDecimal `json:"amount"`
	Description                     string      `json:"description"`
	TransmitterName                 string      `json:"transmitter_name"`
	TransmitterAccountNumber        string      `json:"transmitter_account_number"`
	TransmitterAddress              string      `json:"transmitter_address"`
	TransmitterFinancialInstitution string      `json:"transmitter_financial_institution"`
	TransmitterTimestamp            string      `json:"transmitter_timestamp"`
	Currency                        string      `json:"currency"`
}

type batchRequest struct {
	EntryType   string       `json:"entry_type"`
	FromAccount string       `json:"from_account"`
	ToAccount   string       `json:"to_account"`
	Description string       `json:"description"`
	Entries     []batchEntry `json:"entries"`
}

func (b *batchEntry) journal(entryType, from, to string) journalRequest {
	return journalRequest{FromAccount: from, ToAccount: to, EntryType: entryType, Amount: b.Amount,
		Description: b.Description, Currency: b.Currency, TransmitterName: b.TransmitterName,
		TransmitterAccountNumber: b.TransmitterAccountNumber, TransmitterAddress: b.TransmitterAddress,
		TransmitterFinancialInstitution: b.TransmitterFinancialInstitution, TransmitterTimestamp: b.TransmitterTimestamp}
}

func (e *Emulator) createBatchJournal(w http.ResponseWriter, r *http.Request) error {
	return e.idempotent(w, r, "batch", func(body []byte) (any, error) {
		return e.batchLocked(body, r.Header.Get("Idempotency-Key"), false)
	})
}

func (e *Emulator) createReverseBatchJournal(w http.ResponseWriter, r *http.Request) error {
	// Reverse batches take no Idempotency-Key; the header is ignored.
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return badRequest("failed to read request body")
	}
	e.mu.Lock()
	e.runDueLocked()
	out, err := e.batchLocked(body, "", true)
	e.mu.Unlock()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// batchLocked creates a batch (one firm → many customers) or a reverse
// batch (many customers → the firm). An unknown or malformed account, or
// missing funds, fails the whole request; an existing account that cannot
// receive gets a refused entry with error_message while the rest proceed.
func (e *Emulator) batchLocked(body []byte, key string, reverse bool) ([]journalOut, error) {
	var req batchRequest
	if err := decodeJSON(body, &req); err != nil {
		return nil, err
	}
	if req.EntryType != entryJNLC {
		return nil, validation("entry_type must be JNLC")
	}
	if len(req.Entries) == 0 {
		return nil, validation("entries must not be empty")
	}
	fixed := req.FromAccount
	if reverse {
		fixed = req.ToAccount
	}
	if uuid.Validate(fixed) != nil {
		return nil, validation("invalid account id %q", fixed)
	}
	firm := e.st.accounts[fixed]
	if firm == nil {
		return nil, errorf(http.StatusNotFound, "account %s not found", fixed)
	}
	if !firm.Firm {
		return nil, errorf(http.StatusForbidden, "batch journals must %s the firm account", map[bool]string{false: "come from", true: "go to"}[reverse])
	}
	// Validate everything first: one invalid entry cancels the batch.
	total := decimal.Zero
	for i := range req.Entries {
		en := &req.Entries[i]
		other := en.ToAccount
		if reverse {
			other = en.FromAccount
		}
		if uuid.Validate(other) != nil || e.st.accounts[other] == nil {
			return nil, errorf(http.StatusNotFound, "entries[%d]: account %q not found; the whole batch was canceled", i, other)
		}
		if !en.Amount.Set || !en.Amount.Dec.IsPositive() {
			return nil, validation("entries[%d]: amount must be greater than 0", i)
		}
		if reverse {
			a := e.st.accounts[other]
			if avail := a.Cash.Sub(a.Reserved); en.Amount.Dec.GreaterThan(avail) {
				return nil, errorf(http.StatusForbidden, "entries[%d]: amount %s not available in account %s", i, en.Amount.Raw, other)
			}
		}
		total = total.Add(en.Amount.Dec)
	}
	if !reverse {
		if avail := firm.Cash.Sub(firm.Reserved); total.GreaterThan(avail) {
			return nil, errorf(http.StatusForbidden, "amount %s not available (available: %s)", total.String(), avail.String())
		}
	}
	now := e.clock.Now()
	out := make([]journalOut, 0, len(req.Entries))
	for i := range req.Entries {
		en := &req.Entries[i]
		from, to := fixed, en.ToAccount
		if reverse {
			from, to = en.FromAccount, fixed
		}
		jr := en.journal(entryJNLC, from, to)
		j, err := e.newJournalLocked(&jr, now)
		if err != nil {
			// The account exists but cannot take part: refuse this entry only.
			j = &journal{ID: uuid.NewString(), EntryType: entryJNLC, From: from, To: to, Status: jnlRefused,
				NetAmount: en.Amount.Raw, Description: en.Description, Currency: "USD", CreatedAt: now, Batch: true}
			e.st.Journals = append(e.st.Journals, j)
			e.st.journals[j.ID] = j
			e.publishJournalBatchError(j, now)
			out = append(out, e.journalWire(j, strPtr("The destination account is not eligible to receive this journal.")))
			continue
		}
		j.Batch = true
		if key != "" {
			j.IdemKey, j.IdemKeyType = key, "batch"
		}
		e.commitJournalLocked(j, now)
		out = append(out, e.journalWire(j, strPtr("")))
	}
	return out, nil
}

func (e *Emulator) publishJournalBatchError(j *journal, at time.Time) {
	e.hub.publish(event{Stream: streamJournals, At: at, AccountID: j.To, EntityID: j.ID, EntryType: j.EntryType,
		StatusTo: j.Status, Description: j.Description,
		BatchError: "The destination account is not eligible to receive this journal."})
}

func strPtr(s string) *string { return &s }

// journalOut is the Journal (and BatchJournalResponse) shape.
type journalOut struct {
	ID           string  `json:"id"`
	EntryType    string  `json:"entry_type"`
	FromAccount  string  `json:"from_account"`
	ToAccount    string  `json:"to_account"`
	Symbol       *string `json:"symbol"`
	Qty          *string `json:"qty"`
	Price        *string `json:"price"`
	Status       string  `json:"status"`
	SettleDate   *string `json:"settle_date"`
	SystemDate   *string `json:"system_date"`
	NetAmount    *string `json:"net_amount,omitempty"`
	Description  string  `json:"description"`
	Currency     string  `json:"currency,omitempty"`
	CreatedAt    string  `json:"created_at"`
	ErrorMessage *string `json:"error_message,omitempty"`

	TransmitterName                 string `json:"transmitter_name,omitempty"`
	TransmitterAccountNumber        string `json:"transmitter_account_number,omitempty"`
	TransmitterAddress              string `json:"transmitter_address,omitempty"`
	TransmitterFinancialInstitution string `json:"transmitter_financial_institution,omitempty"`
	TransmitterTimestamp            string `json:"transmitter_timestamp,omitempty"`
}

func (e *Emulator) journalWire(j *journal, errMsg *string) journalOut {
	out := journalOut{ID: j.ID, EntryType: j.EntryType, FromAccount: j.From, ToAccount: j.To, Status: j.Status,
		Description: j.Description, Currency: j.Currency, CreatedAt: rfc3339(j.CreatedAt), ErrorMessage: errMsg}
	if j.EntryType == entryJNLC {
		out.Symbol, out.Price, out.NetAmount = strPtr(""), strPtr("0"), strPtr(j.NetAmount)
	} else {
		out.Symbol, out.Qty, out.Price = strPtr(j.Symbol), strPtr(j.Qty), strPtr(j.Price)
	}
	if !j.SettledAt.IsZero() {
		d := j.SettledAt.UTC().Format(time.DateOnly)
		out.SettleDate, out.SystemDate = &d, &d
	}
	if t := j.Transmitter; t != nil {
		out.TransmitterName, out.TransmitterAccountNumber = t["transmitter_name"], t["transmitter_account_number"]
		out.TransmitterAddress, out.TransmitterFinancialInstitution = t["transmitter_address"], t["transmitter_financial_institution"]
		out.TransmitterTimestamp = t["transmitter_timestamp"]
	}
	return out
}

func (e *Emulator) listJournals(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var after, before time.Time
	var err error
	if s := q.Get("after"); s != "" {
		if after, err = parseEventTime(s, false); err != nil {
			return badRequest("invalid after: %s", s)
		}
	}
	if s := q.Get("before"); s != "" {
		if before, err = parseEventTime(s, true); err != nil {
			return badRequest("invalid before: %s", s)
		}
	}
	limit := 0
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 0 {
			return badRequest("invalid limit: %s", s)
		}
	}
	status, entry, to, from := q.Get("status"), q.Get("entry_type"), q.Get("to_account"), q.Get("from_account")
	e.mu.Lock()
	e.runDueLocked()
	out := []journalOut{}
	matched := 0
	for i := len(e.st.Journals) - 1; i >= 0; i-- {
		j := e.st.Journals[i]
		if (status != "" && j.Status != status) || (entry != "" && j.EntryType != entry) ||
			(to != "" && j.To != to) || (from != "" && j.From != from) ||
			(!after.IsZero() && j.CreatedAt.Before(after)) || (!before.IsZero() && j.CreatedAt.After(before)) {
			continue
		}
		matched++
		if limit > 0 && len(out) >= limit {
			break
		}
		if limit == 0 && matched > 100000 {
			e.mu.Unlock()
			return errorf(http.StatusUnprocessableEntity, "Result set exceeds 100,000 records")
		}
		out = append(out, e.journalWire(j, nil))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}
