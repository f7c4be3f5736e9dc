package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Realistic transfer timings. The current sandbox says ACH "settle[s]
// instantly"; a second per step keeps the documented QUEUED →
// SENT_TO_CLEARING → COMPLETE sequence observable. Wires are asynchronous.
const (
	achStepDelay  = time.Second
	wireStepDelay = 30 * time.Second
	transferTTL   = 7 * 24 * time.Hour
)

// Transfer statuses.
const (
	xferQueued    = "QUEUED"
	xferPending   = "PENDING"
	xferSent      = "SENT_TO_CLEARING"
	xferComplete  = "COMPLETE"
	xferCanceled  = "CANCELED"
	xferRejected  = "REJECTED"
	xferReturned  = "RETURNED"
	xferApproved  = "APPROVED"
	xferApprPend  = "APPROVAL_PENDING"
	dirIncoming   = "INCOMING"
	dirOutgoing   = "OUTGOING"
	typeACH       = "ach"
	typeWire      = "wire"
	entityXfer    = "Transfer"
	fixtureMarker = "/fixtures/"
)

var transferFixtures = map[string]bool{xferQueued: true, xferPending: true, xferRejected: true,
	xferCanceled: true, xferReturned: true, xferApproved: true}

type transferRequest struct {
	TransferType          string      `json:"transfer_type"`
	RelationshipID        string      `json:"relationship_id"`
	BankID                string      `json:"bank_id"`
	Amount                flexDecimal `json:"amount"`
	Direction             string      `json:"direction"`
	Timing                string      `json:"timing"` // deprecated, accepted and ignored
	AdditionalInformation string      `json:"additional_information"`
	FeePaymentMethod      string      `json:"fee_payment_method"`
}

// validate applies the documented 422 matrix (messages verbatim).
func (req *transferRequest) validate() error {
	req.Direction = strings.ToUpper(req.Direction)
	switch {
	case req.TransferType != typeACH && req.TransferType != typeWire:
		return validation("transfer_type must be either ach or wire")
	case req.Direction != dirIncoming && req.Direction != dirOutgoing:
		return validation("direction must be either incoming or outgoing")
	case !req.Amount.Set || !req.Amount.Dec.IsPositive():
		return validation("amount must be greater than 0.00")
	case req.FeePaymentMethod != "" && req.FeePaymentMethod != "user" && req.FeePaymentMethod != "invoice":
		return validation("fee_payment_method must be either user or invoice")
	}
	if req.TransferType == typeACH {
		switch {
		case req.BankID != "":
			return validation("bank_id should be empty for ach transfer")
		case req.AdditionalInformation != "" && !strings.Contains(req.AdditionalInformation, fixtureMarker):
			// Sandbox fixtures are the one exception, as a test-only feature.
			return validation("only wire transfer type can provide additional information for the transfer")
		case req.RelationshipID == "":
			return validation("invalid relationship_id")
		}
		return nil
	}
	switch {
	case req.Direction == dirIncoming:
		return validation("cannot submit incoming wire transfer using this API")
	case req.RelationshipID != "":
		return validation("relationship_id should be empty for wire transfer")
	case req.BankID == "":
		return validation("bank_id required for wire transfer")
	}
	return nil
}

func (e *Emulator) createTransfer(w http.ResponseWriter, r *http.Request) error {
	var req transferRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	if err := e.checkTransferLocked(a, &req); err != nil {
		e.mu.Unlock()
		return err
	}
	now := e.clock.Now()
	fee := req.FeePaymentMethod
	if fee == "" {
		fee = "invoice"
	}
	t := &transfer{ID: uuid.NewString(), AccountID: a.ID, RelationshipID: req.RelationshipID, BankID: req.BankID,
		Type: req.TransferType, Status: xferQueued, Amount: req.Amount.Raw, Direction: req.Direction,
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(transferTTL), AdditionalInfo: req.AdditionalInformation,
		FeePaymentMethod: fee}
	if s := strings.ToUpper(fixtureStatus(req.AdditionalInformation)); transferFixtures[s] {
		t.Fixture = s
	}
	if t.Direction == dirOutgoing {
		a.Reserved = a.Reserved.Add(req.Amount.Dec)
	}
	e.st.Transfers = append(e.st.Transfers, t)
	e.st.transfers[t.ID] = t
	e.publishFunding(a.ID, t.ID, entityXfer, "", xferQueued, "", now)
	e.scheduleTransferLocked(t, now)
	out := transferWire(t)
	e.mu.Unlock()
	e.created("transfer")
	writeJSON(w, http.StatusOK, out)
	return nil
}

// checkTransferLocked applies the account-dependent rules.
func (e *Emulator) checkTransferLocked(a *account, req *transferRequest) error {
	if a.Status != statusActive && a.Status != statusApproved {
		if req.Direction == dirIncoming {
			return errorf(http.StatusForbidden, "deposits are not permitted for this account")
		}
		return errorf(http.StatusForbidden, "withdrawals are not permitted for this account")
	}
	if req.TransferType == typeACH {
		rel := e.st.ach[req.RelationshipID]
		if rel == nil || rel.AccountID != a.ID || !activeRelationship(rel.Status) {
			return validation("invalid relationship_id")
		}
	} else {
		b := e.st.banks[req.BankID]
		if b == nil || b.AccountID != a.ID || !activeRelationship(b.Status) {
			return validation("invalid bank_id")
		}
	}
	if req.Direction == dirOutgoing {
		if avail := a.Cash.Sub(a.Reserved); req.Amount.Dec.GreaterThan(avail) {
			return &apiError{Status: http.StatusForbidden, Code: 40310000,
				Message: "insufficient funds: withdrawal amount " + req.Amount.Raw + " exceeds available cash " + avail.String(),
				Extra:   map[string]any{"available": avail.String()}}
		}
	}
	return nil
}

// relationshipReady reports whether the transfer's relationship or bank
// is APPROVED; until then the transfer stays QUEUED.
func (e *Emulator) relationshipReady(t *transfer) bool {
	if t.Type == typeACH {
		rel := e.st.ach[t.RelationshipID]
		return rel != nil && rel.Status == relApproved
	}
	b := e.st.banks[t.BankID]
	return b != nil && b.Status == relApproved
}

// releaseTransfersLocked restarts transfers that waited on relationship id.
func (e *Emulator) releaseTransfersLocked(id string, now time.Time) {
	for _, t := range e.st.Transfers {
		if t.Status == xferQueued && (t.RelationshipID == id || t.BankID == id) {
			e.scheduleTransferLocked(t, now)
		}
	}
}

// scheduleTransferLocked queues the transfer's next step.
func (e *Emulator) scheduleTransferLocked(t *transfer, now time.Time) {
	step := achStepDelay
	if t.Type == typeWire {
		step = wireStepDelay
	}
	next := ""
	switch t.Status {
	case xferQueued:
		switch t.Fixture {
		case xferQueued:
			return
		case xferPending, xferRejected, xferCanceled, xferApproved:
			next = t.Fixture
		default:
			if !e.relationshipReady(t) {
				return // released when the relationship is approved
			}
			next = xferSent
		}
	case xferSent:
		next = xferComplete
	case xferComplete:
		if t.Fixture != xferReturned {
			return
		}
		next = xferReturned
	default:
		return
	}
	id := t.ID
	e.after(now, step, func(due time.Time) {
		t := e.st.transfers[id]
		if t == nil || t.Status == xferCanceled {
			return
		}
		e.advanceTransferLocked(t, next, due)
		e.scheduleTransferLocked(t, due)
	})
}

// advanceTransferLocked moves t to status to, moving cash at COMPLETE
// (and back at RETURNED).
func (e *Emulator) advanceTransferLocked(t *transfer, to string, at time.Time) {
	a := e.st.accounts[t.AccountID]
	amt, _ := decimal.NewFromString(t.Amount)
	reason := ""
	if a != nil {
		switch to {
		case xferComplete:
			if t.Direction == dirIncoming {
				a.Cash = a.Cash.Add(amt)
			} else {
				a.Reserved = a.Reserved.Sub(amt)
				a.Cash = a.Cash.Sub(amt)
			}
		case xferReturned:
			if t.Direction == dirIncoming {
				a.Cash = a.Cash.Sub(amt)
			} else {
				a.Cash = a.Cash.Add(amt)
			}
			reason = "R01 insufficient funds at the bank"
		case xferRejected, xferCanceled:
			if t.Direction == dirOutgoing {
				a.Reserved = a.Reserved.Sub(amt)
			}
			if to == xferRejected {
				reason = "rejected by a sandbox fixture"
			}
		}
	}
	from := t.Status
	t.Status, t.UpdatedAt, t.Reason = to, at, reason
	e.publishFunding(t.AccountID, t.ID, entityXfer, from, to, reason, at)
}

func (e *Emulator) cancelTransfer(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		return err
	}
	t := e.st.transfers[r.PathValue("transfer_id")]
	if t == nil || t.AccountID != a.ID {
		return errorf(http.StatusNotFound, "transfer not found")
	}
	switch t.Status {
	case xferQueued, xferPending, xferApprPend:
	default:
		return validation("transfer is not cancelable in status %s", t.Status)
	}
	e.advanceTransferLocked(t, xferCanceled, e.clock.Now())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (e *Emulator) listTransfers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	dir := strings.ToUpper(q.Get("direction"))
	if dir != "" && dir != dirIncoming && dir != dirOutgoing {
		return badRequest("direction must be either INCOMING or OUTGOING")
	}
	limit, offset, err := limitOffset(q.Get("limit"), q.Get("offset"))
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	out := []transferOut{}
	skipped := 0
	for i := len(e.st.Transfers) - 1; i >= 0 && (limit == 0 || len(out) < limit); i-- {
		t := e.st.Transfers[i]
		if t.AccountID != a.ID || (dir != "" && t.Direction != dir) {
			continue
		}
		if skipped < offset {
			skipped++
			continue
		}
		out = append(out, transferWire(t))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

func limitOffset(ls, os string) (limit, offset int, err error) {
	if ls != "" {
		if limit, err = strconv.Atoi(ls); err != nil || limit < 0 {
			return 0, 0, badRequest("invalid limit: %s", ls)
		}
	}
	if os != "" {
		if offset, err = strconv.Atoi(os); err != nil || offset < 0 {
			return 0, 0, badRequest("invalid offset: %s", os)
		}
	}
	return limit, offset, nil
}

type transferOut struct {
	ID                    string  `json:"id"`
	RelationshipID        string  `json:"relationship_id,omitempty"`
	BankID                string  `json:"bank_id,omitempty"`
	AccountID             string  `json:"account_id"`
	Type                  string  `json:"type"`
	Status                string  `json:"status"`
	Currency              string  `json:"currency"`
	Reason                *string `json:"reason"`
	Amount                string  `json:"amount"`
	InstantAmount         string  `json:"instant_amount"`
	Direction             string  `json:"direction"`
	CreatedAt             string  `json:"created_at"`
	UpdatedAt             string  `json:"updated_at"`
	ExpiresAt             string  `json:"expires_at"`
	RequestedAmount       string  `json:"requested_amount"`
	Fee                   string  `json:"fee"`
	FeePaymentMethod      string  `json:"fee_payment_method"`
	AdditionalInformation *string `json:"additional_information"`
}

func transferWire(t *transfer) transferOut {
	out := transferOut{ID: t.ID, RelationshipID: t.RelationshipID, BankID: t.BankID, AccountID: t.AccountID,
		Type: t.Type, Status: t.Status, Currency: "USD", Amount: t.Amount, InstantAmount: "0", Direction: t.Direction,
		CreatedAt: rfc3339(t.CreatedAt), UpdatedAt: rfc3339(t.UpdatedAt), ExpiresAt: rfc3339(t.ExpiresAt),
		RequestedAmount: t.Amount, Fee: "0", FeePaymentMethod: t.FeePaymentMethod}
	if t.Reason != "" {
		reason := t.Reason
		out.Reason = &reason
	}
	if t.AdditionalInfo != "" {
		ai := t.AdditionalInfo
		out.AdditionalInformation = &ai
	}
	return out
}
