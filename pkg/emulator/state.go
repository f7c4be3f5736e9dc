package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
	"github.com/shopspring/decimal"
)

// state is everything the emulator remembers; it is also the persistence
// format (see persist.go), so every field is exported to encoding/json.
type state struct {
	Accounts  []*account  `json:"accounts"`
	ACH       []*achRel   `json:"ach_relationships"`
	Banks     []*bank     `json:"recipient_banks"`
	Transfers []*transfer `json:"transfers"`
	Journals  []*journal  `json:"journals"`
	Orders    []*order    `json:"orders"`
	// Activities is the account activity log (FILL, JNLC, JNLS, CSD, CSW).
	Activities []*activity `json:"activities"`
	// Idempotency maps an Idempotency-Key to the response it produced.
	Idempotency map[string]*idemEntry `json:"idempotency"`
	// NextAccountNumber numbers ACTIVE accounts.
	NextAccountNumber int64 `json:"next_account_number"`

	accounts  map[string]*account
	emails    map[string]string
	ach       map[string]*achRel
	banks     map[string]*bank
	transfers map[string]*transfer
	journals  map[string]*journal
	orders    map[string]*order
}

func newState() *state {
	s := &state{Idempotency: map[string]*idemEntry{}, NextAccountNumber: 920000001}
	s.index()
	return s
}

// index rebuilds the lookup maps from the slices (after a load).
func (s *state) index() {
	s.accounts = make(map[string]*account, len(s.Accounts))
	s.emails = make(map[string]string, len(s.Accounts))
	for _, a := range s.Accounts {
		s.accounts[a.ID] = a
		if a.Email != "" {
			s.emails[a.Email] = a.ID
		}
		a.clientOrderIDs = map[string]*order{}
	}
	s.ach = map[string]*achRel{}
	for _, x := range s.ACH {
		s.ach[x.ID] = x
	}
	s.banks = map[string]*bank{}
	for _, x := range s.Banks {
		s.banks[x.ID] = x
	}
	s.transfers = map[string]*transfer{}
	for _, x := range s.Transfers {
		s.transfers[x.ID] = x
	}
	s.journals = map[string]*journal{}
	for _, x := range s.Journals {
		s.journals[x.ID] = x
	}
	s.orders = map[string]*order{}
	for _, x := range s.Orders {
		s.orders[x.ID] = x
		if a := s.accounts[x.AccountID]; a != nil {
			a.clientOrderIDs[x.ClientOrderID] = x
		}
	}
	if s.Idempotency == nil {
		s.Idempotency = map[string]*idemEntry{}
	}
}

// account is a brokerage account with its balances.
type account struct {
	ID            string    `json:"id"`
	AccountNumber string    `json:"account_number,omitempty"`
	Status        string    `json:"status"`
	CryptoStatus  string    `json:"crypto_status"`
	Currency      string    `json:"currency"`
	AccountType   string    `json:"account_type"`
	CreatedAt     time.Time `json:"created_at"`
	Email         string    `json:"email"`
	// Fixture is the status a test input asked for ("" = the normal path).
	Fixture string `json:"fixture,omitempty"`
	Firm    bool   `json:"firm,omitempty"`
	// The KYC objects as the client sent them (identity without tax_id,
	// documents without their content).
	Contact        *broker.Contact        `json:"contact,omitempty"`
	Identity       *broker.Identity       `json:"identity,omitempty"`
	Disclosures    *broker.Disclosures    `json:"disclosures,omitempty"`
	Agreements     []broker.Agreement     `json:"agreements,omitempty"`
	Documents      []broker.Document      `json:"documents,omitempty"`
	TrustedContact *broker.TrustedContact `json:"trusted_contact,omitempty"`
	EnabledAssets  []string               `json:"enabled_assets,omitempty"`
	Cash           decimal.Decimal        `json:"cash"`
	// Reserved is cash promised to open buy orders, outgoing transfers and
	// outgoing journals; available cash is Cash - Reserved.
	Reserved decimal.Decimal `json:"reserved"`
	// Positions by symbol; absent when flat.
	Positions map[string]*position `json:"positions,omitempty"`

	clientOrderIDs map[string]*order
}

// position is a long holding.
type position struct {
	Symbol   string          `json:"symbol"`
	Qty      decimal.Decimal `json:"qty"`
	CostBase decimal.Decimal `json:"cost_basis"`
	// Held is quantity promised to open sell orders and outgoing JNLS.
	Held decimal.Decimal `json:"held"`
}

type achRel struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	OwnerName string    `json:"account_owner_name"`
	Type      string    `json:"bank_account_type"`
	Number    string    `json:"bank_account_number"`
	Routing   string    `json:"bank_routing_number"`
	Nickname  string    `json:"nickname,omitempty"`
	Processor string    `json:"processor_token,omitempty"`
}

type bank struct {
	ID            string    `json:"id"`
	AccountID     string    `json:"account_id"`
	Name          string    `json:"name"`
	Status        string    `json:"status"`
	Country       string    `json:"country"`
	StateProvince string    `json:"state_province"`
	PostalCode    string    `json:"postal_code"`
	City          string    `json:"city"`
	StreetAddress string    `json:"street_address"`
	AccountNumber string    `json:"account_number"`
	BankCode      string    `json:"bank_code"`
	BankCodeType  string    `json:"bank_code_type"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

type transfer struct {
	ID               string    `json:"id"`
	AccountID        string    `json:"account_id"`
	RelationshipID   string    `json:"relationship_id,omitempty"`
	BankID           string    `json:"bank_id,omitempty"`
	Type             string    `json:"type"`
	Status           string    `json:"status"`
	Reason           string    `json:"reason,omitempty"`
	Amount           string    `json:"amount"`
	Direction        string    `json:"direction"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	ExpiresAt        time.Time `json:"expires_at"`
	AdditionalInfo   string    `json:"additional_information,omitempty"`
	FeePaymentMethod string    `json:"fee_payment_method,omitempty"`
	Fixture          string    `json:"fixture,omitempty"`
}

type journal struct {
	ID          string    `json:"id"`
	EntryType   string    `json:"entry_type"`
	From        string    `json:"from_account"`
	To          string    `json:"to_account"`
	Status      string    `json:"status"`
	NetAmount   string    `json:"net_amount,omitempty"`
	Symbol      string    `json:"symbol,omitempty"`
	Qty         string    `json:"qty,omitempty"`
	Price       string    `json:"price,omitempty"`
	Description string    `json:"description"`
	Currency    string    `json:"currency,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	SettledAt   time.Time `json:"settled_at"`
	// Batch marks a journal created by a batch (it shows error_message).
	Batch bool `json:"batch,omitempty"`
	// Transmitter holds the transmitter_* fields as sent.
	Transmitter map[string]string `json:"transmitter,omitempty"`
	Fixture     string            `json:"fixture,omitempty"`
	IdemKey     string            `json:"idempotency_key,omitempty"`
	IdemKeyType string            `json:"idempotency_key_type,omitempty"`
}

type order struct {
	ID             string    `json:"id"`
	AccountID      string    `json:"account_id"`
	ClientOrderID  string    `json:"client_order_id"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	SubmittedAt    time.Time `json:"submitted_at"`
	FilledAt       time.Time `json:"filled_at"`
	CanceledAt     time.Time `json:"canceled_at"`
	ExpiredAt      time.Time `json:"expired_at"`
	ReplacedAt     time.Time `json:"replaced_at"`
	ReplacedBy     string    `json:"replaced_by,omitempty"`
	Replaces       string    `json:"replaces,omitempty"`
	AssetID        string    `json:"asset_id"`
	Symbol         string    `json:"symbol"`
	Notional       string    `json:"notional,omitempty"`
	Qty            string    `json:"qty,omitempty"`
	FilledQty      string    `json:"filled_qty"`
	FilledAvgPrice string    `json:"filled_avg_price,omitempty"`
	Type           string    `json:"type"`
	Side           string    `json:"side"`
	TimeInForce    string    `json:"time_in_force"`
	LimitPrice     string    `json:"limit_price,omitempty"`
	StopPrice      string    `json:"stop_price,omitempty"`
	Status         string    `json:"status"`
	ExtendedHours  bool      `json:"extended_hours"`
	Commission     string    `json:"commission,omitempty"`
	CommissionType string    `json:"commission_type,omitempty"`
	PositionIntent string    `json:"position_intent,omitempty"`
	// OrderClass is "" or simple for single orders, else bracket, oco or oto.
	OrderClass   string `json:"order_class,omitempty"`
	TrailPrice   string `json:"trail_price,omitempty"`
	TrailPercent string `json:"trail_percent,omitempty"`
	// HWM is a trailing stop's high (sell) or low (buy) water mark.
	HWM string `json:"hwm,omitempty"`
	// ParentID links a leg to the order of its group that owns it; LegIDs
	// lists a parent's legs (take-profit first).
	ParentID string   `json:"parent_id,omitempty"`
	LegIDs   []string `json:"leg_ids,omitempty"`
	// Hold is the cash reserved by an open buy order, or the shares held
	// by an open sell order (one order of a group holds for all of it).
	Hold decimal.Decimal `json:"hold"`
}

// idemEntry remembers the response to an Idempotency-Key.
type idemEntry struct {
	Route  string          `json:"route"`
	Hash   string          `json:"hash"`
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// decodeBody reads a JSON request body into v, answering 400 on malformed
// input the way the API does.
func decodeBody(r *http.Request, v any) error {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return badRequest("failed to read request body")
	}
	return decodeJSON(raw, v)
}

func decodeJSON(raw []byte, v any) error {
	if err := checkNumbers(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if ok := asTypeError(err, &te); ok && te.Field != "" {
			return validation("%s: invalid type %s", te.Field, te.Value)
		}
		return badRequest("failed to decode request body")
	}
	return nil
}

func asTypeError(err error, te **json.UnmarshalTypeError) bool {
	t, ok := err.(*json.UnmarshalTypeError)
	if ok {
		*te = t
	}
	return ok
}

// maxExponent and maxDigits bound the decimals a request may carry: an
// amount such as "1e999999999" would otherwise make exact arithmetic
// allocate gigabytes.
const (
	maxExponent = 30
	maxDigits   = 64
)

var exponentRe = regexp.MustCompile(`^[+-]?[0-9]*\.?[0-9]*[eE]([+-]?[0-9]+)$`)

// checkNumbers rejects numbers (or numeric strings) that are absurdly large
// or long before anything does arithmetic on them.
func checkNumbers(raw []byte) error {
	if !suspiciousNumbers(raw) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // malformed JSON is reported by the real decode
		}
		var s string
		switch t := tok.(type) {
		case json.Number:
			s = string(t)
		case string:
			if len(t) == 0 || len(t) > 400 || !strings.ContainsAny(t[:1], "0123456789+-.") {
				continue
			}
			s = t
		default:
			continue
		}
		if m := exponentRe.FindStringSubmatch(s); m != nil {
			if e, err := strconv.Atoi(strings.TrimPrefix(m[1], "+")); err != nil || e > maxExponent || e < -maxExponent {
				return validation("number %.40s is out of range", s)
			}
		}
		if _, err := strconv.ParseFloat(s, 64); err == nil && len(s) > maxDigits {
			return validation("number %.40s... has too many digits", s)
		}
	}
}

// suspiciousNumbers is a fast pre-check: does raw hold a digit followed by
// an exponent marker, or a run of more than maxDigits digits?
func suspiciousNumbers(raw []byte) bool {
	run := 0
	for i, c := range raw {
		switch {
		case c >= '0' && c <= '9':
			run++
			if run > maxDigits {
				return true
			}
		case (c == 'e' || c == 'E') && i > 0 && (raw[i-1] >= '0' && raw[i-1] <= '9' || raw[i-1] == '.'):
			return true
		case c == '.':
		default:
			run = 0
		}
	}
	return false
}
