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

	"github.com/brokerctl/brokerctl/pkg/broker"
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
func (e *Emulator) batchLocked(body []byte, key string, reverse bool) ([]broker.BatchJournalResult, error) {
	// Normalise both request kinds to (fixed firm account, entries).
	type entry struct {
		other  string
		amount broker.Decimal
		jr     broker.JournalCreateRequest
	}
	var fixed string
	var entries []entry
	if reverse {
		var req broker.ReverseBatchJournalRequest
		if err := decodeJSON(body, &req); err != nil {
			return nil, err
		}
		if err := req.Validate(); err != nil {
			return nil, validationFrom(err)
		}
		fixed = req.ToAccount
		for _, en := range req.Entries {
			amt := en.Amount
			entries = append(entries, entry{other: en.FromAccount, amount: amt, jr: broker.JournalCreateRequest{
				FromAccount: en.FromAccount, ToAccount: fixed, EntryType: entryJNLC, Amount: &amt, Description: en.Description}})
		}
	} else {
		var req broker.BatchJournalRequest
		if err := decodeJSON(body, &req); err != nil {
			return nil, err
		}
		if err := req.Validate(); err != nil {
			return nil, validationFrom(err)
		}
		fixed = req.FromAccount
		for _, en := range req.Entries {
			amt := en.Amount
			entries = append(entries, entry{other: en.ToAccount, amount: amt, jr: broker.JournalCreateRequest{
				FromAccount: fixed, ToAccount: en.ToAccount, EntryType: entryJNLC, Amount: &amt,
				Description: en.Description, Currency: en.Currency, TransmitterName: en.TransmitterName,
				TransmitterAccountNumber: en.TransmitterAccountNumber, TransmitterAddress: en.TransmitterAddress,
				TransmitterFinancialInstitution: en.TransmitterFinancialInstitution, TransmitterTimestamp: en.TransmitterTimestamp}})
		}
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
	// Validate everything first: one invalid account cancels the batch.
	total := decimal.Zero
	for i, en := range entries {
		if uuid.Validate(en.other) != nil || e.st.accounts[en.other] == nil {
			return nil, errorf(http.StatusNotFound, "entries[%d]: account %q not found; the whole batch was canceled", i, en.other)
		}
		if reverse {
			a := e.st.accounts[en.other]
			if avail := a.Cash.Sub(a.Reserved); en.amount.Dec().GreaterThan(avail) {
				return nil, errorf(http.StatusForbidden, "entries[%d]: amount %s not available in account %s", i, en.amount, en.other)
			}
		}
		total = total.Add(en.amount.Dec())
	}
	if !reverse {
		if avail := firm.Cash.Sub(firm.Reserved); total.GreaterThan(avail) {
			return nil, errorf(http.StatusForbidden, "amount %s not available (available: %s)", total.String(), avail.String())
		}
	}
	now := e.now()
	out := make([]broker.BatchJournalResult, 0, len(entries))
	for i := range entries {
		en := &entries[i]
		j, err := e.newJournalLocked(&en.jr, now)
		if err != nil {
			// The account exists but cannot take part: refuse this entry only.
			j = &journal{ID: uuid.NewString(), EntryType: entryJNLC, From: en.jr.FromAccount, To: en.jr.ToAccount,
				Status: jnlRefused, NetAmount: en.amount.String(), Description: en.jr.Description, Currency: "USD",
				CreatedAt: now, Batch: true}
			e.st.Journals = append(e.st.Journals, j)
			e.st.journals[j.ID] = j
			e.publishJournalBatchError(j, now)
			out = append(out, broker.BatchJournalResult{ErrorMessage: strPtr(refusedMessage), Journal: e.journalWire(j)})
			continue
		}
		j.Batch = true
		if key != "" {
			j.IdemKey, j.IdemKeyType = key, "batch"
		}
		e.commitJournalLocked(j, now)
		out = append(out, broker.BatchJournalResult{ErrorMessage: strPtr(""), Journal: e.journalWire(j)})
	}
	return out, nil
}

const refusedMessage = "The destination account is not eligible to receive this journal."

func (e *Emulator) publishJournalBatchError(j *journal, at time.Time) {
	e.hub.publish(event{Stream: streamJournals, At: at, AccountID: j.To, EntityID: j.ID, EntryType: j.EntryType,
		StatusTo: j.Status, Description: j.Description,
		BatchError: refusedMessage})
}

func strPtr(s string) *string { return &s }

func (e *Emulator) journalWire(j *journal) broker.Journal {
	created := j.CreatedAt.UTC()
	out := broker.Journal{ID: j.ID, EntryType: broker.EntryType(j.EntryType), FromAccount: j.From, ToAccount: j.To,
		Status: broker.JournalStatus(j.Status), Description: j.Description, Currency: j.Currency, CreatedAt: &created}
	if j.EntryType == entryJNLC {
		amt, zero := wireDecimal(j.NetAmount), broker.MustDecimal("0")
		out.Symbol, out.Price, out.NetAmount = strPtr(""), &zero, &amt
	} else {
		qty, price := wireDecimal(j.Qty), wireDecimal(j.Price)
		out.Symbol, out.Qty, out.Price = strPtr(j.Symbol), &qty, &price
	}
	if !j.SettledAt.IsZero() {
		d := broker.DateOf(j.SettledAt.UTC())
		out.SettleDate, out.SystemDate = &d, &d
	}
	if t := j.Transmitter; t != nil {
		out.TransmitterName, out.TransmitterAccountNumber = t["transmitter_name"], t["transmitter_account_number"]
		out.TransmitterAddress, out.TransmitterFinancialInstitution = t["transmitter_address"], t["transmitter_financial_institution"]
		if ts, err := time.Parse(time.RFC3339Nano, t["transmitter_timestamp"]); err == nil {
			out.TransmitterTimestamp = &ts
		}
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
	out := []broker.Journal{}
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
		out = append(out, e.journalWire(j))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}
