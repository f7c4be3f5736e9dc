package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// testStart is a fixed Wednesday morning (UTC) so end-of-day is predictable.
var testStart = time.Date(2026, 3, 4, 14, 30, 0, 0, time.UTC)

type harness struct {
	t     *testing.T
	em    *Emulator
	clock *FakeClock
}

func newHarness(t *testing.T, mod func(*Options)) *harness {
	t.Helper()
	clock := NewFakeClock(testStart)
	opts := Options{Clock: clock, RequestsPerMinute: Unlimited}
	if mod != nil {
		mod(&opts)
	}
	em, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = em.Close() })
	return &harness{t: t, em: em, clock: clock}
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	return m
}

func (r resp) list(t *testing.T) []map[string]any {
	t.Helper()
	var m []map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
	return m
}

func (h *harness) do(method, path string, body any, hdr ...string) resp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	req.SetBasicAuth(DefaultKeyID, DefaultSecret)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.em.Handler().ServeHTTP(rec, req)
	return resp{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// must asserts the status and returns the response.
func (h *harness) must(status int, method, path string, body any, hdr ...string) resp {
	h.t.Helper()
	r := h.do(method, path, body, hdr...)
	if r.Status != status {
		h.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.Status, status, r.Body)
	}
	return r
}

var emailSeq int

func accountBody(email, family string) map[string]any {
	if email == "" {
		emailSeq++
		email = fmt.Sprintf("user%d@example.com", emailSeq)
	}
	if family == "" {
		family = "Doe"
	}
	return map[string]any{
		"contact": map[string]any{"email_address": email, "phone_number": "555-666-7788",
			"street_address": []string{"20 N San Mateo Dr"}, "city": "San Mateo", "state": "CA", "postal_code": "94401"},
		"identity": map[string]any{"given_name": "John", "family_name": family, "date_of_birth": "1990-01-01",
			"tax_id": "666-55-4321", "tax_id_type": "USA_SSN", "country_of_citizenship": "USA",
			"country_of_birth": "USA", "country_of_tax_residence": "USA", "funding_source": []string{"employment_income"}},
		"disclosures": map[string]any{"is_control_person": false, "is_affiliated_exchange_or_finra": false,
			"is_politically_exposed": false, "immediate_family_exposed": false},
		"agreements": []map[string]any{{"agreement": "customer_agreement", "signed_at": "2020-09-11T18:13:44Z",
			"ip_address": "185.13.21.99"}},
	}
}

// activeAccount creates an account and lets it reach ACTIVE.
func (h *harness) activeAccount() string {
	h.t.Helper()
	id := h.must(200, "POST", "/v1/accounts", accountBody("", ""))
	acct := id.json(h.t)["id"].(string)
	h.clock.Advance(0)
	if st := h.must(200, "GET", "/v1/accounts/"+acct, nil).json(h.t)["status"]; st != "ACTIVE" {
		h.t.Fatalf("account status %v, want ACTIVE", st)
	}
	return acct
}

// fund journals amount from the firm to acct and waits for execution.
func (h *harness) fund(acct, amount string) {
	h.t.Helper()
	j := h.must(200, "POST", "/v1/journals", map[string]any{"from_account": DefaultFirmAccountID,
		"to_account": acct, "entry_type": "JNLC", "amount": amount}).json(h.t)
	h.clock.Advance(0)
	if st := h.must(200, "GET", "/v1/journals/"+j["id"].(string), nil).json(h.t)["status"]; st != "executed" {
		h.t.Fatalf("journal status %v, want executed", st)
	}
}

func (h *harness) cash(acct string) string {
	h.t.Helper()
	return h.must(200, "GET", "/v1/trading/accounts/"+acct+"/account", nil).json(h.t)["cash"].(string)
}
