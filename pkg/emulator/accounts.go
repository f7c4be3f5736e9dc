package emulator

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
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

// stripSecrets clears what the API never echoes: identity.tax_id and the
// base64 content of documents.
func stripSecrets(id *broker.Identity, docs []broker.Document) []broker.Document {
	if id != nil {
		id.TaxID = ""
	}
	out := make([]broker.Document, len(docs))
	for i, d := range docs {
		d.Content, d.ContentData = "", nil
		out[i] = d
	}
	return out
}

func (e *Emulator) createAccount(w http.ResponseWriter, r *http.Request) error {
	var req broker.AccountCreateRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return validationFrom(err)
	}
	if req.Contact == nil || req.Identity == nil {
		return validation("primary_account_holder_id: multi-live accounts are not supported by the emulator")
	}
	if err := checkIdentityData(req.Contact, req.Identity, e.now(), e.opts.StrictTaxID); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(req.Contact.EmailAddress))
	e.mu.Lock()
	e.runDueLocked()
	if _, dup := e.st.emails[email]; dup {
		e.mu.Unlock()
		return errorf(http.StatusConflict, "There is already an existing account registered with the same email address.")
	}
	now := e.now()
	a := &account{
		ID: uuid.NewString(), Status: statusSubmitted, CryptoStatus: statusSubmitted, Currency: "USD",
		AccountType: "trading", CreatedAt: now, Email: email,
		Fixture: accountFixture(req.AdditionalInformation, req.Identity.FamilyName, email),
		Contact: req.Contact, Identity: req.Identity, Disclosures: req.Disclosures, Agreements: req.Agreements,
		TrustedContact: req.TrustedContact, EnabledAssets: req.EnabledAssets,
		Cash: decimal.Zero, clientOrderIDs: map[string]*order{},
	}
	a.Documents = stripSecrets(a.Identity, req.Documents)
	if req.AccountType != "" {
		a.AccountType = string(req.AccountType)
	}
	if req.Currency != "" {
		a.Currency = req.Currency
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
	hay := []string{a.AccountNumber, a.Email}
	if a.Contact != nil {
		hay = append(hay, strings.ToLower(a.Contact.PhoneNumber))
	}
	if id := a.Identity; id != nil {
		hay = append(hay, strings.ToLower(id.GivenName), strings.ToLower(id.FamilyName), strings.ToLower(id.MiddleName))
	}
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
		e.setAccountStatus(a, statusClosed, e.now())
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ensureFirmLocked creates the pre-funded firm (sweep) account once.
func (e *Emulator) ensureFirmLocked() {
	if e.st.accounts[e.opts.FirmAccountID] != nil {
		return
	}
	now := e.now()
	contact := &broker.Contact{EmailAddress: "firm@emulator.brokerctl.invalid",
		StreetAddress: []string{"20 N San Mateo Dr"}, City: "San Mateo", State: "CA", PostalCode: "94401"}
	a := &account{ID: e.opts.FirmAccountID, AccountNumber: DefaultFirmAccountNumber, Status: statusActive,
		CryptoStatus: statusActive, Currency: "USD", AccountType: "trading", CreatedAt: now,
		Email: "firm@emulator.brokerctl.invalid", Firm: true, Cash: e.firmCash,
		Contact: contact, clientOrderIDs: map[string]*order{}}
	e.st.Accounts = append(e.st.Accounts, a)
	e.st.accounts[a.ID] = a
	e.st.emails[a.Email] = a.ID
}
