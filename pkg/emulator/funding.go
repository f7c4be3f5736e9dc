package emulator

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

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

var routingRe = regexp.MustCompile(`^[0-9]{9}$`)

type achRequest struct {
	AccountOwnerName  string `json:"account_owner_name"`
	BankAccountType   string `json:"bank_account_type"`
	BankAccountNumber string `json:"bank_account_number"`
	BankRoutingNumber string `json:"bank_routing_number"`
	Nickname          string `json:"nickname"`
	ProcessorToken    string `json:"processor_token"`
	Instant           bool   `json:"instant"`
}

func (req *achRequest) validate() error {
	if req.ProcessorToken != "" {
		return nil
	}
	switch {
	case strings.TrimSpace(req.AccountOwnerName) == "":
		return validation("account_owner_name is required")
	case req.BankAccountType != "CHECKING" && req.BankAccountType != "SAVINGS":
		return validation("bank_account_type must be CHECKING or SAVINGS")
	case strings.TrimSpace(req.BankAccountNumber) == "":
		return validation("bank_account_number is required")
	case !routingRe.MatchString(req.BankRoutingNumber):
		return validation("bank_routing_number must be a 9-digit ABA routing number")
	}
	return nil
}

// activeRelationship reports whether status still counts as the account's
// one relationship.
func activeRelationship(status string) bool {
	return status != relCanceled && status != relRejected
}

func (e *Emulator) createACH(w http.ResponseWriter, r *http.Request) error {
	var req achRequest
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
	for _, x := range e.st.ACH {
		if x.AccountID == a.ID && activeRelationship(x.Status) {
			e.mu.Unlock()
			return errorf(http.StatusConflict, "The account already has an active relationship.")
		}
	}
	now := e.clock.Now()
	rel := &achRel{ID: uuid.NewString(), AccountID: a.ID, Status: relQueued, CreatedAt: now, UpdatedAt: now,
		OwnerName: req.AccountOwnerName, Type: req.BankAccountType, Number: req.BankAccountNumber,
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

type achOut struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	Status    string `json:"status"`
	OwnerName string `json:"account_owner_name"`
	Type      string `json:"bank_account_type"`
	Number    string `json:"bank_account_number"`
	Routing   string `json:"bank_routing_number"`
	Nickname  string `json:"nickname,omitempty"`
	Processor string `json:"processor_token,omitempty"`
}

func achWire(x *achRel) achOut {
	return achOut{ID: x.ID, AccountID: x.AccountID, CreatedAt: rfc3339(x.CreatedAt), UpdatedAt: rfc3339(x.UpdatedAt),
		Status: x.Status, OwnerName: x.OwnerName, Type: x.Type, Number: x.Number, Routing: x.Routing,
		Nickname: x.Nickname, Processor: x.Processor}
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
	out := []achOut{}
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
	e.setRelStatus(&rel.Status, &rel.UpdatedAt, a.ID, rel.ID, "BankRelationship", relCanceled, "", e.clock.Now())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type bankRequest struct {
	Name          string `json:"name"`
	BankCodeType  string `json:"bank_code_type"`
	BankCode      string `json:"bank_code"`
	AccountNumber string `json:"account_number"`
	Country       string `json:"country"`
	StateProvince string `json:"state_province"`
	PostalCode    string `json:"postal_code"`
	City          string `json:"city"`
	StreetAddress string `json:"street_address"`
}

func (req *bankRequest) validate() error {
	switch {
	case strings.TrimSpace(req.Name) == "":
		return validation("name is required")
	case req.BankCodeType != "ABA" && req.BankCodeType != "BIC":
		return validation("bank_code_type must be ABA or BIC")
	case req.BankCode == "":
		return validation("bank_code is required")
	case req.BankCodeType == "ABA" && !routingRe.MatchString(req.BankCode):
		return validation("bank_code must be a 9-digit ABA routing number")
	case req.AccountNumber == "":
		return validation("account_number is required")
	}
	if req.BankCodeType == "BIC" {
		for k, v := range map[string]string{"country": req.Country, "state_province": req.StateProvince,
			"postal_code": req.PostalCode, "city": req.City, "street_address": req.StreetAddress} {
			if strings.TrimSpace(v) == "" {
				return validation("%s is required for an international (BIC) bank", k)
			}
		}
	}
	return nil
}

func (e *Emulator) createBank(w http.ResponseWriter, r *http.Request) error {
	var req bankRequest
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
	for _, x := range e.st.Banks {
		if x.AccountID == a.ID && activeRelationship(x.Status) {
			e.mu.Unlock()
			return errorf(http.StatusConflict, "A Bank relationship already exists for this account")
		}
	}
	now := e.clock.Now()
	b := &bank{ID: uuid.NewString(), AccountID: a.ID, Name: req.Name, Status: relQueued, Country: req.Country,
		StateProvince: req.StateProvince, PostalCode: req.PostalCode, City: req.City, StreetAddress: req.StreetAddress,
		AccountNumber: req.AccountNumber, BankCode: req.BankCode, BankCodeType: req.BankCodeType, CreatedAt: now, UpdatedAt: now}
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

type bankOut struct {
	ID            string `json:"id"`
	AccountID     string `json:"account_id"`
	Name          string `json:"name"`
	Status        string `json:"status"`
	Country       string `json:"country"`
	StateProvince string `json:"state_province"`
	PostalCode    string `json:"postal_code"`
	City          string `json:"city"`
	StreetAddress string `json:"street_address"`
	AccountNumber string `json:"account_number"`
	BankCode      string `json:"bank_code"`
	BankCodeType  string `json:"bank_code_type"`
	CreatedAt     string `json:"created_at"`
	UpdatedAt     string `json:"updated_at"`
}

func bankWire(b *bank) bankOut {
	return bankOut{ID: b.ID, AccountID: b.AccountID, Name: b.Name, Status: b.Status, Country: b.Country,
		StateProvince: b.StateProvince, PostalCode: b.PostalCode, City: b.City, StreetAddress: b.StreetAddress,
		AccountNumber: b.AccountNumber, BankCode: b.BankCode, BankCodeType: b.BankCodeType,
		CreatedAt: rfc3339(b.CreatedAt), UpdatedAt: rfc3339(b.UpdatedAt)}
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
	out := []bankOut{}
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
	e.setRelStatus(&b.Status, &b.UpdatedAt, a.ID, b.ID, "WireBank", relCanceled, "", e.clock.Now())
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
