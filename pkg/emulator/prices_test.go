package emulator

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPriceFiles(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, body, sym, price, err string
	}{
		{"map.json", `{"AAPL": "200.5", "zzz": 3}`, "ZZZ", "3", ""},
		{"list.json", `[{"symbol":"NEWCO","price":"12.34","exchange":"NYSE"}]`, "NEWCO", "12.34", ""},
		{"p.csv", "symbol,price,exchange\nAAPL,201\nXYZ,5.5,NYSE\n", "XYZ", "5.5", ""},
		{"bad.csv", "AAPL,abc\n", "", "", "positive price"},
		{"neg.json", `{"AAPL": "-1"}`, "", "", "positive price"},
		{"broken.json", `{"AAPL": `, "", "", "price file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := filepath.Join(dir, c.name)
			if err := os.WriteFile(f, []byte(c.body), 0o600); err != nil {
				t.Fatal(err)
			}
			p, err := loadPrices(f)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a, ok := p.lookup(c.sym)
			if !ok || a.Price.String() != c.price {
				t.Fatalf("%s: %v %v", c.sym, a, ok)
			}
			if _, ok := p.lookup("MSFT"); !ok {
				t.Fatal("built-in symbols must remain")
			}
			if byID, ok := p.lookup(a.ID); !ok || byID != a {
				t.Fatal("lookup by asset id")
			}
		})
	}
	if _, err := loadPrices(filepath.Join(dir, "missing.csv")); err == nil {
		t.Fatal("missing file accepted")
	}
}

// FuzzCreateBodies sends arbitrary bodies to every create endpoint: the
// emulator must answer with a JSON error or success, never a 5xx or panic.
func FuzzCreateBodies(f *testing.F) {
	for _, seed := range []string{`{}`, `null`, `[]`, `{"amount": 1e400}`, `{"qty":"-0"}`,
		`{"entry_type":"JNLC","amount":"1","from_account":"` + DefaultFirmAccountID + `","to_account":"x"}`,
		`{"contact":{"email_address":"a@b"},"identity":{"date_of_birth":"2020-13-40"}}`,
		`{"symbol":"AAPL","qty":"1","side":"buy","type":"market","time_in_force":"day"}`,
		`{"transfer_type":"ach","amount":"1","direction":"INCOMING","relationship_id":"r"}`} {
		f.Add(seed)
	}
	em, err := New(Options{Clock: NewFakeClock(testStart), RequestsPerMinute: Unlimited})
	if err != nil {
		f.Fatal(err)
	}
	firm := DefaultFirmAccountID
	paths := []string{"/v1/accounts", "/v1/accounts/" + firm + "/ach_relationships", "/v1/accounts/" + firm + "/recipient_banks",
		"/v1/accounts/" + firm + "/transfers", "/v1/journals", "/v1/journals/batch", "/v1/journals/reverse_batch",
		"/v1/trading/accounts/" + firm + "/orders"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range paths {
			req := httptest.NewRequest("POST", p, strings.NewReader(body))
			req.SetBasicAuth(DefaultKeyID, DefaultSecret)
			rec := httptest.NewRecorder()
			em.Handler().ServeHTTP(rec, req)
			if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("POST %s %q: %d %s", p, body, rec.Code, rec.Body)
			}
		}
	})
}

func TestHugeNumbersRejected(t *testing.T) {
	h := newHarness(t, nil)
	acct := h.activeAccount()
	for _, amount := range []any{"1e999999999", json.Number("1e999999999"), strings.Repeat("9", 100)} {
		body := map[string]any{"from_account": DefaultFirmAccountID, "to_account": acct, "entry_type": "JNLC", "amount": amount}
		if r := h.do("POST", "/v1/journals", body); r.Status != 422 {
			t.Fatalf("amount %v: %d %s", amount, r.Status, r.Body)
		}
	}
	h.must(200, "POST", "/v1/journals", map[string]any{"from_account": DefaultFirmAccountID, "to_account": acct,
		"entry_type": "JNLC", "amount": "1.5e2"})
}
