package emulator

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Realistic account timings: the docs' event stream shows SUBMITTED →
// APPROVED → ACTIVE within a second of each other, a few seconds after
// the create.
const (
	accountReviewDelay   = 2 * time.Second
	accountActivateDelay = 300 * time.Millisecond
	accountManualDelay   = 10 * time.Second
)

// Account statuses (AccountStatus in the spec).
const (
	statusSubmitted      = "SUBMITTED"
	statusApproved       = "APPROVED"
	statusActive         = "ACTIVE"
	statusRejected       = "REJECTED"
	statusActionRequired = "ACTION_REQUIRED"
	statusApprovalPend   = "APPROVAL_PENDING"
	statusClosed         = "ACCOUNT_CLOSED"
)

// accountFixtures are the statuses the 2022 docs' fixture may force.
var accountFixtures = map[string]bool{
	"SUBMITTED": true, "ACTION_REQUIRED": true, "APPROVAL_PENDING": true, "APPROVED": true,
	"REJECTED": true, "ACTIVE": true, "DISABLED": true, "ACCOUNT_CLOSED": true,
}

var fixtureRe = regexp.MustCompile(`/fixtures/([^/]*)/fixtures`)

// fixtureStatus extracts status=X from a "/fixtures/status=X/fixtures/" marker.
func fixtureStatus(s string) string {
	m := fixtureRe.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	for _, kv := range strings.Split(m[1], ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.TrimSpace(k) == "status" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// accountFixture decides the status an application is forced to: the
// documented additional_information fixture, a family_name equal to a
// status ("Rejected", "Action_Required", "Approval_Pending"), or an email
// tag ("alice+rejected@example.com", "+action_required", "+approval_pending").
func accountFixture(additional, familyName, email string) string {
	if s := strings.ToUpper(fixtureStatus(additional)); accountFixtures[s] {
		return s
	}
	for _, cand := range []string{familyName, emailTag(email)} {
		c := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(cand), " ", "_"))
		switch c {
		case statusRejected, statusActionRequired, statusApprovalPend:
			return c
		}
	}
	return ""
}

func emailTag(email string) string {
	local, _, _ := strings.Cut(email, "@")
	_, tag, ok := strings.Cut(local, "+")
	if !ok {
		return ""
	}
	return tag
}

// accountRequest is POST /v1/accounts and PATCH /v1/accounts/{id}.
type accountRequest struct {
	Contact               json.RawMessage `json:"contact"`
	Identity              json.RawMessage `json:"identity"`
	Disclosures           json.RawMessage `json:"disclosures"`
	Agreements            json.RawMessage `json:"agreements"`
	Documents             json.RawMessage `json:"documents"`
	TrustedContact        json.RawMessage `json:"trusted_contact"`
	EnabledAssets         []string        `json:"enabled_assets"`
	AccountType           string          `json:"account_type"`
	Currency              string          `json:"currency"`
	AdditionalInformation string          `json:"additional_information"`
}

var profileKeys = []string{"contact", "identity", "disclosures", "agreements", "documents", "trusted_contact"}

func (r *accountRequest) profile() map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	for k, v := range map[string]json.RawMessage{
		"contact": r.Contact, "identity": stripTaxID(r.Identity), "disclosures": r.Disclosures,
		"agreements": r.Agreements, "documents": stripDocuments(r.Documents), "trusted_contact": r.TrustedContact,
	} {
		if len(v) > 0 && string(v) != "null" {
			m[k] = v
		}
	}
	return m
}

// stripTaxID removes identity.tax_id, which the API never echoes.
func stripTaxID(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return raw
	}
	delete(m, "tax_id")
	for _, k := range []string{"visa_type", "visa_expiration_date", "date_of_departure_from_usa", "permanent_resident"} {
		if _, ok := m[k]; !ok {
			m[k] = json.RawMessage("null")
		}
	}
	b, _ := json.Marshal(m)
	return b
}

// stripDocuments keeps document metadata but not the base64 content.
func stripDocuments(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	var docs []map[string]json.RawMessage
	if json.Unmarshal(raw, &docs) != nil {
		return raw
	}
	for _, d := range docs {
		delete(d, "content")
		delete(d, "content_data")
	}
	b, _ := json.Marshal(docs)
	return b
}

func (e *Emulator) createAccount(w http.ResponseWriter, r *http.Request) error {
	var req accountRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	fields, err := validateAccountCreate(&req)
	if err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(fields.email))
	e.mu.Lock()
	e.runDueLocked()
	if _, dup := e.st.emails[email]; dup {
		e.mu.Unlock()
		return errorf(http.StatusConflict, "There is already an existing account registered with the same email address.")
	}
	now := e.clock.Now()
	a := &account{
		ID: uuid.NewString(), Status: statusSubmitted, CryptoStatus: statusSubmitted, Currency: "USD",
		AccountType: "trading", CreatedAt: now, Email: email, Profile: req.profile(),
		Fixture: accountFixture(req.AdditionalInformation, fields.familyName, email),
		Cash:    decimal.Zero, clientOrderIDs: map[string]*order{},
	}
	if req.AccountType != "" {
		a.AccountType = req.AccountType
	}
	if req.Currency != "" {
		a.Currency = req.Currency
	}
	if len(req.EnabledAssets) > 0 {
		b, _ := json.Marshal(req.EnabledAssets)
		a.Profile["enabled_assets"] = b
	}
	e.st.Accounts = append(e.st.Accounts, a)
	e.st.accounts[a.ID] = a
	e.st.emails[email] = a.ID
	e.publishAccount(a, "", now)
	e.scheduleAccountLocked(a, now)
	out := e.accountWire(a, nil)
	e.mu.Unlock()
	e.created("account")
	writeJSON(w, http.StatusOK, out)
	return nil
}

// scheduleAccountLocked queues the account's next automatic transition.
func (e *Emulator) scheduleAccountLocked(a *account, now time.Time) {
	var next string
	delay := accountReviewDelay
	switch a.Status {
	case statusSubmitted:
		switch a.Fixture {
		case "", statusActive, statusApproved:
			next = statusApproved
		case statusSubmitted:
			return
		default:
			next = a.Fixture
		}
	case statusApprovalPend:
		next, delay = statusApproved, accountManualDelay
	case statusApproved:
		if a.Fixture == statusApproved {
			return
		}
		next, delay = statusActive, accountActivateDelay
	default:
		return
	}
	id := a.ID
	e.after(now, delay, func(due time.Time) {
		a := e.st.accounts[id]
		if a == nil || a.Status == statusClosed {
			return
		}
		e.setAccountStatus(a, next, due)
		e.scheduleAccountLocked(a, due)
	})
}

func (e *Emulator) setAccountStatus(a *account, to string, at time.Time) {
	from := a.Status
	if to == statusActive && a.AccountNumber == "" {
		a.AccountNumber = e.nextAccountNumber()
	}
	a.Status, a.CryptoStatus = to, to
	e.publishAccount(a, from, at)
}

func (e *Emulator) nextAccountNumber() string {
	n := e.st.NextAccountNumber
	e.st.NextAccountNumber++
	return decimal.NewFromInt(n).String()
}

func (e *Emulator) publishAccount(a *account, from string, at time.Time) {
	ev := event{Stream: streamAccounts, At: at, AccountID: a.ID, AccountNumber: a.AccountNumber,
		StatusFrom: from, StatusTo: a.Status, KYCFail: a.Status == statusActionRequired || a.Status == statusRejected}
	e.hub.publish(ev)
}

// accountFor returns the account named by the path, or errAccountNotFound.
// e.mu must be held.
func (e *Emulator) accountFor(r *http.Request) (*account, error) {
	a := e.st.accounts[r.PathValue("account_id")]
	if a == nil {
		return nil, errAccountNotFound
	}
	return a, nil
}

func (e *Emulator) getAccount(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	e.runDueLocked()
	a := e.st.accounts[r.PathValue("account_id")]
	if a == nil {
		e.mu.Unlock()
		// Documented: an id that is not yours answers 401, not 404.
		return errUnauthorized
	}
	out := e.accountWire(a, nil)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (e *Emulator) listAccounts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var after, before time.Time
	var err error
	if s := q.Get("created_after"); s != "" {
		if after, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return badRequest("invalid created_after: %s", s)
		}
	}
	if s := q.Get("created_before"); s != "" {
		if before, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return badRequest("invalid created_before: %s", s)
		}
	}
	sortDir := strings.ToLower(q.Get("sort"))
	if sortDir != "" && sortDir != "asc" && sortDir != "desc" {
		return badRequest("sort must be asc or desc")
	}
	var entities []string
	if s := q.Get("entities"); s != "" {
		entities = strings.Split(s, ",")
	}
	tokens := strings.Fields(strings.ToLower(q.Get("query")))
	status := q.Get("status")
	e.mu.Lock()
	e.runDueLocked()
	n := len(e.st.Accounts)
	out := make([]any, 0, min(n, 1000))
	for i := range n {
		idx := n - 1 - i // desc by default
		if sortDir == "asc" {
			idx = i
		}
		a := e.st.Accounts[idx]
		if (!after.IsZero() && a.CreatedAt.Before(after)) || (!before.IsZero() && a.CreatedAt.After(before)) ||
			(status != "" && a.Status != status) || !matchesQuery(a, tokens) {
			continue
		}
		out = append(out, e.accountWire(a, entities))
		if len(out) == 1000 {
			break
		}
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

// matchesQuery: every token must match the account number, email, phone
// or a name.
func matchesQuery(a *account, tokens []string) bool {
	if len(tokens) == 0 {
		return true
	}
	var contact struct {
		Phone string `json:"phone_number"`
	}
	var ident struct {
		Given  string `json:"given_name"`
		Family string `json:"family_name"`
		Middle string `json:"middle_name"`
	}
	_ = json.Unmarshal(a.Profile["contact"], &contact)
	_ = json.Unmarshal(a.Profile["identity"], &ident)
	hay := []string{a.AccountNumber, a.Email, strings.ToLower(contact.Phone),
		strings.ToLower(ident.Given), strings.ToLower(ident.Family), strings.ToLower(ident.Middle)}
	for _, t := range tokens {
		if !slices.ContainsFunc(hay, func(h string) bool { return h != "" && strings.Contains(h, t) }) {
			return false
		}
	}
	return true
}

func (e *Emulator) closeAccount(w http.ResponseWriter, r *http.Request) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runDueLocked()
	a, err := e.accountFor(r)
	if err != nil {
		return err
	}
	if a.Firm {
		return errorf(http.StatusForbidden, "the firm account cannot be closed")
	}
	if a.Status != statusClosed {
		e.setAccountStatus(a, statusClosed, e.clock.Now())
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ensureFirmLocked creates the pre-funded firm (sweep) account once.
func (e *Emulator) ensureFirmLocked() {
	if e.st.accounts[e.opts.FirmAccountID] != nil {
		return
	}
	now := e.clock.Now()
	contact, _ := json.Marshal(map[string]any{"email_address": "firm@emulator.brokerctl.invalid",
		"street_address": []string{"20 N San Mateo Dr"}, "city": "San Mateo", "state": "CA", "postal_code": "94401"})
	a := &account{ID: e.opts.FirmAccountID, AccountNumber: DefaultFirmAccountNumber, Status: statusActive,
		CryptoStatus: statusActive, Currency: "USD", AccountType: "trading", CreatedAt: now,
		Email: "firm@emulator.brokerctl.invalid", Firm: true, Cash: e.firmCash,
		Profile: map[string]json.RawMessage{"contact": contact}, clientOrderIDs: map[string]*order{}}
	e.st.Accounts = append(e.st.Accounts, a)
	e.st.accounts[a.ID] = a
	e.st.emails[a.Email] = a.ID
}
