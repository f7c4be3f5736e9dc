package emulator

import (
	"net/http"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Realistic journal timing: the docs' event sample goes queued → pending →
// executed within 0.4 s.
const journalStepDelay = 200 * time.Millisecond

// Journal statuses (lower case on the wire).
const (
	jnlQueued   = "queued"
	jnlSent     = "sent_to_clearing"
	jnlPending  = "pending"
	jnlExecuted = "executed"
	jnlRejected = "rejected"
	jnlRefused  = "refused"
	jnlDeleted  = "deleted"
	entryJNLC   = "JNLC"
	entryJNLS   = "JNLS"
)

// transmitter collects the transmitter_* fields that are set.
func transmitter(name, number, address, institution string, ts *time.Time) map[string]string {
	m := map[string]string{}
	for k, v := range map[string]string{"transmitter_name": name, "transmitter_account_number": number,
		"transmitter_address": address, "transmitter_financial_institution": institution} {
		if v != "" {
			m[k] = v
		}
	}
	if ts != nil {
		m["transmitter_timestamp"] = ts.UTC().Format(time.RFC3339Nano)
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

func (e *Emulator) createJournal(w http.ResponseWriter, r *http.Request) error {
	return e.idempotent(w, r, "single", func(body []byte) (any, error) {
		var req broker.JournalCreateRequest
		if err := decodeJSON(body, &req); err != nil {
			return nil, err
		}
		if err := req.Validate(); err != nil {
			return nil, validationFrom(err)
		}
		if uuid.Validate(req.FromAccount) != nil || uuid.Validate(req.ToAccount) != nil {
			return nil, validation("from_account and to_account must be account ids")
		}
		now := e.now()
		j, err := e.newJournalLocked(&req, now)
		if err != nil {
			return nil, err
		}
		j.IdemKey = r.Header.Get("Idempotency-Key")
		if j.IdemKey != "" {
			j.IdemKeyType = "single"
		}
		e.commitJournalLocked(j, now)
		return e.journalWire(j), nil
	})
}

// newJournalLocked checks the accounts, direction and funds and builds a
// journal with its funds reserved; it does not store it.
func (e *Emulator) newJournalLocked(req *broker.JournalCreateRequest, now time.Time) (*journal, error) {
	from, to := e.st.accounts[req.FromAccount], e.st.accounts[req.ToAccount]
	if from == nil || to == nil {
		return nil, errorf(http.StatusNotFound, "account not found")
	}
	if req.EntryType == entryJNLC && from.Firm == to.Firm {
		return nil, errorf(http.StatusForbidden, "cash journals are only allowed between the firm account and a customer account")
	}
	if req.EntryType == entryJNLS && (!from.Firm || to.Firm) {
		return nil, errorf(http.StatusForbidden, "security journals are only allowed from the firm account to a customer account")
	}
	if err := journalEligible(to, "to_account"); err != nil {
		return nil, err
	}
	if from.Status != statusActive && from.Status != statusClosed {
		return nil, errorf(http.StatusForbidden, "from_account is not active")
	}
	j := &journal{ID: uuid.NewString(), EntryType: string(req.EntryType), From: from.ID, To: to.ID, Status: jnlQueued,
		Description: req.Description, Currency: req.Currency, CreatedAt: now,
		Transmitter: transmitter(req.TransmitterName, req.TransmitterAccountNumber, req.TransmitterAddress,
			req.TransmitterFinancialInstitution, req.TransmitterTimestamp)}
	if j.Currency == "" {
		j.Currency = "USD"
	}
	j.Fixture = strings.ToLower(fixtureStatus(req.Description))
	if req.EntryType == entryJNLC {
		if avail := from.Cash.Sub(from.Reserved); req.Amount.Dec().GreaterThan(avail) {
			return nil, &apiError{Status: http.StatusForbidden, Code: 40310000,
				Message: "amount " + req.Amount.String() + " not available (available: " + avail.String() + ")",
				Extra:   map[string]any{"available": avail.String()}}
		}
		j.NetAmount = req.Amount.String()
		from.Reserved = from.Reserved.Add(req.Amount.Dec())
		return j, nil
	}
	as, ok := e.prices.lookup(req.Symbol)
	if !ok {
		return nil, validation("invalid symbol %s", req.Symbol)
	}
	p := from.Positions[as.Symbol]
	avail := decimal.Zero
	if p != nil {
		avail = p.Qty.Sub(p.Held)
	}
	if req.Qty.Dec().GreaterThan(avail) {
		return nil, &apiError{Status: http.StatusForbidden, Code: 40310000,
			Message: "qty " + req.Qty.String() + " of " + as.Symbol + " not available (available: " + avail.String() + ")",
			Extra:   map[string]any{"available": avail.String(), "symbol": as.Symbol}}
	}
	p.Held = p.Held.Add(req.Qty.Dec())
	j.Symbol, j.Qty, j.Price = as.Symbol, req.Qty.String(), as.Price.String()
	return j, nil
}

// journalEligible rejects destination accounts that cannot receive.
func journalEligible(a *account, field string) error {
	if a.Status != statusActive {
		return errorf(http.StatusForbidden, "%s %s is not active (status %s)", field, a.ID, a.Status)
	}
	return nil
}

// commitJournalLocked stores j, publishes its first event and schedules it.
func (e *Emulator) commitJournalLocked(j *journal, now time.Time) {
	e.st.Journals = append(e.st.Journals, j)
	e.st.journals[j.ID] = j
	e.publishJournal(j, "", now)
	e.scheduleJournalLocked(j, now)
	e.created("journal")
}

// overLimit reports whether j needs manual approval.
func (e *Emulator) overLimit(j *journal) bool {
	if j.EntryType != entryJNLC {
		return false
	}
	amt, _ := decimal.NewFromString(j.NetAmount)
	return amt.GreaterThan(e.journalLimit)
}

// endOfDay is the next simulated end of day (16:00 New York, taken as
// 21:00 UTC) after t. It is not scaled by Speed.
func endOfDay(t time.Time) time.Time {
	eod := time.Date(t.Year(), t.Month(), t.Day(), 21, 0, 0, 0, time.UTC)
	if !eod.After(t) {
		eod = eod.Add(24 * time.Hour)
	}
	return eod
}

// scheduleJournalLocked queues the next step: queued → sent_to_clearing →
// executed, or queued → pending → executed/rejected at end of day, or
// pending forever with the pending fixture.
func (e *Emulator) scheduleJournalLocked(j *journal, now time.Time) {
	id := j.ID
	step := func(to string) func(time.Time) {
		return func(due time.Time) {
			j := e.st.journals[id]
			if j == nil || j.Status == jnlDeleted || j.Status == jnlRejected || j.Status == jnlExecuted {
				return
			}
			e.advanceJournalLocked(j, to, due)
			e.scheduleJournalLocked(j, due)
		}
	}
	switch j.Status {
	case jnlQueued:
		if j.Fixture == jnlPending || j.Fixture == jnlRejected || e.overLimit(j) {
			e.after(now, journalStepDelay, step(jnlPending))
			return
		}
		e.after(now, journalStepDelay, step(jnlSent))
	case jnlSent:
		e.after(now, journalStepDelay, step(jnlExecuted))
	case jnlPending:
		switch j.Fixture {
		case jnlPending:
			return // pending forever
		case jnlRejected:
			e.at(endOfDay(now), step(jnlRejected))
		default:
			e.at(endOfDay(now), step(jnlExecuted))
		}
	}
}

// advanceJournalLocked moves j to status to, moving cash or shares at
// executed and releasing reservations at rejected/deleted.
func (e *Emulator) advanceJournalLocked(j *journal, to string, at time.Time) {
	from, dest := e.st.accounts[j.From], e.st.accounts[j.To]
	switch to {
	case jnlExecuted:
		if j.EntryType == entryJNLC {
			amt, _ := decimal.NewFromString(j.NetAmount)
			from.Reserved = from.Reserved.Sub(amt)
			from.Cash = from.Cash.Sub(amt)
			dest.Cash = dest.Cash.Add(amt)
		} else {
			qty, _ := decimal.NewFromString(j.Qty)
			price, _ := decimal.NewFromString(j.Price)
			p := from.Positions[j.Symbol]
			p.Held = p.Held.Sub(qty)
			removeShares(from, j.Symbol, qty)
			addShares(dest, j.Symbol, qty, price)
		}
		j.SettledAt = at
		e.recordJournal(j, at)
	case jnlRejected, jnlDeleted, jnlRefused:
		e.releaseJournalLocked(j)
	}
	old := j.Status
	j.Status = to
	e.publishJournal(j, old, at)
}

func (e *Emulator) releaseJournalLocked(j *journal) {
	from := e.st.accounts[j.From]
	if j.EntryType == entryJNLC {
		amt, _ := decimal.NewFromString(j.NetAmount)
		from.Reserved = from.Reserved.Sub(amt)
		return
	}
	qty, _ := decimal.NewFromString(j.Qty)
	if p := from.Positions[j.Symbol]; p != nil {
		p.Held = p.Held.Sub(qty)
	}
}

func (e *Emulator) publishJournal(j *journal, from string, at time.Time) {
	e.hub.publish(event{Stream: streamJournals, At: at, AccountID: j.To, EntityID: j.ID, EntryType: j.EntryType,
		StatusFrom: from, StatusTo: j.Status, Description: j.Description, IdempotencyKey: j.IdemKey,
		IdemKeyType: j.IdemKeyType})
}

func (e *Emulator) getJournal(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	e.runDueLocked()
	j := e.st.journals[r.PathValue("journal_id")]
	if j == nil {
		e.mu.Unlock()
		return errorf(http.StatusNotFound, "journal not found")
	}
	out := e.journalWire(j)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (e *Emulator) deleteJournal(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runDueLocked()
	j := e.st.journals[r.PathValue("journal_id")]
	if j == nil {
		return errorf(http.StatusNotFound, "journal not found")
	}
	if j.Status != jnlPending {
		return errorf(http.StatusUnprocessableEntity, "The journal is not in the pending status.")
	}
	e.advanceJournalLocked(j, jnlDeleted, e.now())
	w.WriteHeader(http.StatusNoContent)
	return nil
}
