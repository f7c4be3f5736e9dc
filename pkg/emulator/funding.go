package emulator

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/google/uuid"
)

// Realistic relationship timings: the sandbox walkthrough says an ACH
// relationship is APPROVED "after ~1 minute"; banks are undocumented and
// use the same delay.
const relationshipApproveDelay = time.Minute

// Relationship statuses.
const (
	relQueued   = "QUEUED"
	relApproved = "APPROVED"
	relRejected = "REJECTED"
	relCanceled = "CANCELED"
)

// activeRelationship reports whether status still counts as the account's
// one relationship.
func activeRelationship(status string) bool {
	return status != relCanceled && status != relRejected
}

func (e *Emulator) createACH(w http.ResponseWriter, r *http.Request) error {
	var req broker.ACHRelationshipCreateRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return validationFrom(err)
	}
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	for _, x := range e.st.ACH {
		if x.AccountID == a.ID && activeRelationship(x.Status) {
			e.mu.Unlock()
			return errorf(http.StatusConflict, "The account already has an active relationship.")
		}
	}
	now := e.now()
	rel := &achRel{ID: uuid.NewString(), AccountID: a.ID, Status: relQueued, CreatedAt: now, UpdatedAt: now,
		OwnerName: req.AccountOwnerName, Type: string(req.BankAccountType), Number: req.BankAccountNumber,
		Routing: req.BankRoutingNumber, Nickname: req.Nickname, Processor: req.ProcessorToken}
	if rel.Processor != "" && rel.OwnerName == "" {
		rel.OwnerName = "Plaid Account Owner"
	}
	e.st.ACH = append(e.st.ACH, rel)
	e.st.ach[rel.ID] = rel
	e.publishFunding(a.ID, rel.ID, "BankRelationship", "", relQueued, "", now)
	fixture := strings.ToUpper(fixtureStatus(req.Nickname))
	e.scheduleRelationshipLocked(rel.ID, fixture, now)
	out := achWire(rel)
	e.mu.Unlock()
	e.created("ach_relationship")
	writeJSON(w, http.StatusOK, out)
	return nil
}

// scheduleRelationshipLocked approves (or, with a REJECTED fixture in the
// nickname, rejects) a queued ACH relationship, then releases transfers
// waiting on it.
func (e *Emulator) scheduleRelationshipLocked(id, fixture string, now time.Time) {
	e.after(now, relationshipApproveDelay, func(due time.Time) {
		rel := e.st.ach[id]
		if rel == nil || rel.Status != relQueued {
			return
		}
		to, reason := relApproved, ""
		if fixture == relRejected {
			to, reason = relRejected, "bank account owner name does not match brokerage account name"
		}
		e.setRelStatus(&rel.Status, &rel.UpdatedAt, rel.AccountID, rel.ID, "BankRelationship", to, reason, due)
		e.releaseTransfersLocked(rel.ID, due)
	})
}

func (e *Emulator) setRelStatus(status *string, updated *time.Time, accountID, id, kind, to, reason string, at time.Time) {
	from := *status
	*status, *updated = to, at
	e.publishFunding(accountID, id, kind, from, to, reason, at)
}

func (e *Emulator) publishFunding(accountID, id, kind, from, to, reason string, at time.Time) {
	e.hub.publish(event{Stream: streamFunding, At: at, AccountID: accountID, EntityID: id, EntityType: kind,
		StatusFrom: from, StatusTo: to, Reason: reason})
}

func achWire(x *achRel) broker.ACHRelationship {
	out := broker.ACHRelationship{ID: x.ID, AccountID: x.AccountID, CreatedAt: x.CreatedAt.UTC(), UpdatedAt: x.UpdatedAt.UTC(),
		Status: broker.ACHRelationshipStatus(x.Status), AccountOwnerName: x.OwnerName,
		BankAccountType: broker.BankAccountType(x.Type), BankAccountNumber: x.Number, BankRoutingNumber: x.Routing,
		Nickname: x.Nickname}
	if x.Processor != "" {
		p := x.Processor
		out.ProcessorToken = &p
	}
	return out
}

func (e *Emulator) listACH(w http.ResponseWriter, r *http.Request) error {
	var statuses []string
	if s := r.URL.Query().Get("statuses"); s != "" {
		statuses = strings.Split(strings.ToUpper(s), ",")
	}
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	out := []broker.ACHRelationship{}
	for _, x := range e.st.ACH {
		if x.AccountID == a.ID && (statuses == nil || slices.Contains(statuses, x.Status)) {
			out = append(out, achWire(x))
		}
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (e *Emulator) deleteACH(w http.ResponseWriter, r *http.Request) error {
	if uuid.Validate(r.PathValue("relationship_id")) != nil {
		return badRequest("invalid relationship_id")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		return err
	}
	rel := e.st.ach[r.PathValue("relationship_id")]
	if rel == nil || rel.AccountID != a.ID || rel.Status == relCanceled {
		return errorf(http.StatusNotFound, "relationship not found")
	}
	e.setRelStatus(&rel.Status, &rel.UpdatedAt, a.ID, rel.ID, "BankRelationship", relCanceled, "", e.now())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (e *Emulator) createBank(w http.ResponseWriter, r *http.Request) error {
	var req broker.BankCreateRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return validationFrom(err)
	}
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	for _, x := range e.st.Banks {
		if x.AccountID == a.ID && activeRelationship(x.Status) {
			e.mu.Unlock()
			return errorf(http.StatusConflict, "A Bank relationship already exists for this account")
		}
	}
	now := e.now()
	b := &bank{ID: uuid.NewString(), AccountID: a.ID, Name: req.Name, Status: relQueued, Country: req.Country,
		StateProvince: req.StateProvince, PostalCode: req.PostalCode, City: req.City, StreetAddress: req.StreetAddress,
		AccountNumber: req.AccountNumber, BankCode: req.BankCode, BankCodeType: string(req.BankCodeType), CreatedAt: now, UpdatedAt: now}
	e.st.Banks = append(e.st.Banks, b)
	e.st.banks[b.ID] = b
	e.publishFunding(a.ID, b.ID, "WireBank", "", relQueued, "", now)
	e.scheduleBankLocked(b.ID, now)
	out := *b
	e.mu.Unlock()
	e.created("bank")
	writeJSON(w, http.StatusOK, bankWire(&out))
	return nil
}

func bankWire(b *bank) broker.Bank {
	return broker.Bank{ID: b.ID, AccountID: b.AccountID, Name: b.Name, Status: broker.BankStatus(b.Status),
		Country: b.Country, StateProvince: b.StateProvince, PostalCode: b.PostalCode, City: b.City,
		StreetAddress: b.StreetAddress, AccountNumber: b.AccountNumber, BankCode: b.BankCode,
		BankCodeType: broker.BankCodeType(b.BankCodeType), CreatedAt: b.CreatedAt.UTC(), UpdatedAt: b.UpdatedAt.UTC()}
}

func (e *Emulator) listBanks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	status, name := strings.ToUpper(q.Get("status")), q.Get("bank_name")
	if status != "" && status != "ACTIVE" && status != "INACTIVE" {
		return badRequest("status must be ACTIVE or INACTIVE")
	}
	e.mu.Lock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	out := []broker.Bank{}
	for _, b := range e.st.Banks {
		active := activeRelationship(b.Status)
		if b.AccountID != a.ID || (status == "ACTIVE" && !active) || (status == "INACTIVE" && active) ||
			(name != "" && !strings.EqualFold(b.Name, name)) {
			continue
		}
		out = append(out, bankWire(b))
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (e *Emulator) deleteBank(w http.ResponseWriter, r *http.Request) error {
	if uuid.Validate(r.PathValue("bank_id")) != nil {
		return badRequest("invalid bank_id")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		return err
	}
	b := e.st.banks[r.PathValue("bank_id")]
	if b == nil || b.AccountID != a.ID || b.Status == relCanceled {
		return errorf(http.StatusNotFound, "bank not found")
	}
	e.setRelStatus(&b.Status, &b.UpdatedAt, a.ID, b.ID, "WireBank", relCanceled, "", e.now())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// scheduleBankLocked approves a queued recipient bank after the delay and
// releases wires waiting on it.
func (e *Emulator) scheduleBankLocked(id string, now time.Time) {
	e.after(now, relationshipApproveDelay, func(due time.Time) {
		b := e.st.banks[id]
		if b == nil || b.Status != relQueued {
			return
		}
		e.setRelStatus(&b.Status, &b.UpdatedAt, b.AccountID, b.ID, "WireBank", relApproved, "", due)
		e.releaseTransfersLocked(b.ID, due)
	})
}
