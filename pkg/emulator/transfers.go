package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
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

// validateTransfer applies the documented 422 matrix with the API's
// verbatim messages, then the request type's own Validate. Sandbox
// fixtures in additional_information are accepted on ach transfers as a
// test-only feature (the 2022 docs' fixtures; the current API refuses
// additional_information on ach).
func validateTransfer(req *broker.TransferCreateRequest) error {
	req.Direction = broker.TransferDirection(strings.ToUpper(string(req.Direction)))
	info := ""
	if req.AdditionalInformation != nil {
		info = *req.AdditionalInformation
	}
	switch {
	case req.TransferType != typeACH && req.TransferType != typeWire:
		return validation("transfer_type must be either ach or wire")
	case req.Direction != dirIncoming && req.Direction != dirOutgoing:
		return validation("direction must be either incoming or outgoing")
	case !req.Amount.IsPositive():
		return validation("amount must be greater than 0.00")
	}
	if req.TransferType == typeACH {
		switch {
		case req.BankID != "":
			return validation("bank_id should be empty for ach transfer")
		case info != "" && !strings.Contains(info, fixtureMarker):
			return validation("only wire transfer type can provide additional information for the transfer")
		case req.RelationshipID == "":
			return validation("invalid relationship_id")
		}
	} else {
		switch {
		case req.Direction == dirIncoming:
			return validation("cannot submit incoming wire transfer using this API")
		case req.RelationshipID != "":
			return validation("relationship_id should be empty for wire transfer")
		case req.BankID == "":
			return validation("bank_id required for wire transfer")
		}
	}
	check := *req
	if req.TransferType == typeACH {
		check.AdditionalInformation = nil
	}
	if err := check.Validate(); err != nil {
		return validationFrom(err)
	}
	return nil
}

func (e *Emulator) createTransfer(w http.ResponseWriter, r *http.Request) error {
	var req broker.TransferCreateRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := validateTransfer(&req); err != nil {
		return err
	}
	info := ""
	if req.AdditionalInformation != nil {
		info = *req.AdditionalInformation
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
	now := e.now()
	fee := string(req.FeePaymentMethod)
	if fee == "" {
		fee = "invoice"
	}
	t := &transfer{ID: uuid.NewString(), AccountID: a.ID, RelationshipID: req.RelationshipID, BankID: req.BankID,
		Type: string(req.TransferType), Status: xferQueued, Amount: req.Amount.String(), Direction: string(req.Direction),
		CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(transferTTL), AdditionalInfo: info,
		FeePaymentMethod: fee}
	if s := strings.ToUpper(fixtureStatus(info)); transferFixtures[s] {
		t.Fixture = s
	}
	if t.Direction == dirOutgoing {
		a.Reserved = a.Reserved.Add(req.Amount.Dec())
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
func (e *Emulator) checkTransferLocked(a *account, req *broker.TransferCreateRequest) error {
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
		if avail := a.Cash.Sub(a.Reserved); req.Amount.Dec().GreaterThan(avail) {
			return &apiError{Status: http.StatusForbidden, Code: 40310000,
				Message: "insufficient funds: withdrawal amount " + req.Amount.String() + " exceeds available cash " + avail.String(),
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
	due := now.Add(e.opts.Speed.scale(step))
	if t.Type == typeWire {
		due = nextBusinessTime(due) // wires wait for a Fedwire business day
	}
	e.at(due, func(due time.Time) {
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
			e.recordTransfer(t, at)
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
	e.advanceTransferLocked(t, xferCanceled, e.now())
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
	out := []broker.Transfer{}
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

// wireDecimal keeps a stored decimal's text.
func wireDecimal(s string) broker.Decimal {
	d, err := broker.ParseDecimal(s)
	if err != nil {
		return broker.Decimal{}
	}
	return d
}

func transferWire(t *transfer) broker.Transfer {
	updated, expires := t.UpdatedAt.UTC(), t.ExpiresAt.UTC()
	amt := wireDecimal(t.Amount)
	zero := broker.MustDecimal("0")
	out := broker.Transfer{ID: t.ID, RelationshipID: t.RelationshipID, BankID: t.BankID, AccountID: t.AccountID,
		Type: broker.TransferType(t.Type), Status: broker.TransferStatus(t.Status), Currency: "USD", Amount: amt,
		InstantAmount: &zero, Direction: broker.TransferDirection(t.Direction), CreatedAt: t.CreatedAt.UTC(),
		UpdatedAt: &updated, ExpiresAt: &expires, RequestedAmount: &amt, Fee: &zero,
		FeePaymentMethod: broker.FeePaymentMethod(t.FeePaymentMethod)}
	if t.Reason != "" {
		out.Reason = strPtr(t.Reason)
	}
	if t.AdditionalInfo != "" {
		out.AdditionalInformation = strPtr(t.AdditionalInfo)
	}
	return out
}
