package broker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func sample(t testing.TB, name string) []byte { return sampleBytes(t, name) }

func sampleBytes(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOperations(t *testing.T) {
	ctx := context.Background()
	after := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	type tc struct {
		name    string
		call    func(c *Client) (any, error)
		method  string
		path    string // escaped path
		query   url.Values
		body    map[string]any // expected JSON body (subset, generic form); nil means no body
		header  map[string]string
		status  int
		respond string
		check   func(t *testing.T, got any)
	}
	tests := []tc{
		{name: "create account", call: func(c *Client) (any, error) { return c.CreateAccount(ctx, validAccountRequest()) },
			method: "POST", path: "/v1/accounts",
			body:   map[string]any{"contact": map[string]any{"email_address": "alice@example.com", "street_address": []any{"20 N San Mateo Dr"}, "city": "San Mateo"}, "identity": map[string]any{"date_of_birth": "1990-01-01", "tax_id_type": "USA_SSN", "funding_source": []any{"employment_income"}}, "agreements": []any{map[string]any{"agreement": "customer_agreement", "signed_at": "2024-01-02T03:04:05Z", "ip_address": "127.0.0.1"}}, "account_type": "trading"},
			status: 200, respond: string(sample(t, "s12_01_account_create.json")),
			check: func(t *testing.T, got any) {
				a := got.(*Account)
				if a.Status != AccountSubmitted || *a.AccountNumber != "808333970" || a.LastEquity.String() != "0" {
					t.Errorf("account: %+v", a)
				}
			}},
		{name: "get account", call: func(c *Client) (any, error) { return c.GetAccount(ctx, "acc/1") },
			method: "GET", path: "/v1/accounts/acc%2F1", status: 200, respond: string(sample(t, "s12_03_account_create_approved.json"))},
		{name: "list accounts", call: func(c *Client) (any, error) {
			return c.ListAccounts(ctx, AccountListOptions{Query: "alice doe", CreatedAfter: after, CreatedBefore: after.Add(time.Hour), Status: AccountActive, Sort: "asc", Entities: []string{"contact", "identity"}})
		},
			method: "GET", path: "/v1/accounts",
			query:  url.Values{"query": {"alice doe"}, "created_after": {"2024-05-01T12:00:00Z"}, "created_before": {"2024-05-01T13:00:00Z"}, "status": {"ACTIVE"}, "sort": {"asc"}, "entities": {"contact,identity"}},
			status: 200, respond: string(sample(t, "s12_04_account_list.json")),
			check: func(t *testing.T, got any) {
				if l := got.([]Account); len(l) != 2 || l[0].KYCResults.Summary != "pass" {
					t.Errorf("list: %+v", l)
				}
			}},
		{name: "update account", call: func(c *Client) (any, error) {
			return c.UpdateAccount(ctx, "acc-1", &AccountUpdateRequest{Contact: &Contact{EmailAddress: "new@example.com", StreetAddress: []string{"1 Main"}, City: "X"}})
		},
			method: "PATCH", path: "/v1/accounts/acc-1", body: map[string]any{"contact": map[string]any{"email_address": "new@example.com"}},
			status: 200, respond: string(sample(t, "s12_03_account_create_approved.json"))},
		{name: "close account", call: func(c *Client) (any, error) { return nil, c.CloseAccount(ctx, "acc-1") },
			method: "POST", path: "/v1/accounts/acc-1/actions/close", status: 204},
		{name: "trade account", call: func(c *Client) (any, error) { return c.GetTradeAccount(ctx, "acc-1") },
			method: "GET", path: "/v1/trading/accounts/acc-1/account", status: 200, respond: string(sample(t, "s12_05_trade_account.json")),
			check: func(t *testing.T, got any) {
				if a := got.(*TradeAccount); a.Cash.String() != "24861.91" || a.PreviousClose == nil {
					t.Errorf("trade account: %+v", a)
				}
			}},
		{name: "create ach", call: func(c *Client) (any, error) { return c.CreateACHRelationship(ctx, "acc-1", validACHRequest()) },
			method: "POST", path: "/v1/accounts/acc-1/ach_relationships",
			body:   map[string]any{"account_owner_name": "Alice Doe", "bank_account_type": "CHECKING", "bank_account_number": "32131231abc", "bank_routing_number": "121000358"},
			status: 200, respond: string(sample(t, "s12_08_ach_relationship_sandbox.json"))},
		{name: "create ach plaid", call: func(c *Client) (any, error) {
			return c.CreateACHRelationship(ctx, "acc-1", &ACHRelationshipCreateRequest{ProcessorToken: "processor-sandbox-1"})
		},
			method: "POST", path: "/v1/accounts/acc-1/ach_relationships", body: map[string]any{"processor_token": "processor-sandbox-1"},
			status: 200, respond: string(sample(t, "s12_09_ach_relationship_py.json"))},
		{name: "list ach", call: func(c *Client) (any, error) {
			return c.ListACHRelationships(ctx, "acc-1", []ACHRelationshipStatus{ACHQueued, ACHApproved})
		},
			method: "GET", path: "/v1/accounts/acc-1/ach_relationships", query: url.Values{"statuses": {"QUEUED,APPROVED"}},
			status: 200, respond: "[" + string(sample(t, "s12_07_ach_relationship.json")) + "]"},
		{name: "delete ach", call: func(c *Client) (any, error) { return nil, c.DeleteACHRelationship(ctx, "acc-1", "rel-1") },
			method: "DELETE", path: "/v1/accounts/acc-1/ach_relationships/rel-1", status: 204},
		{name: "create bank", call: func(c *Client) (any, error) { return c.CreateBank(ctx, "acc-1", validBankRequest()) },
			method: "POST", path: "/v1/accounts/acc-1/recipient_banks",
			body:   map[string]any{"name": "my bank", "bank_code_type": "ABA", "bank_code": "123456789", "account_number": "123456789abc"},
			status: 200, respond: string(sample(t, "s12_10_bank.json"))},
		{name: "list banks", call: func(c *Client) (any, error) {
			return c.ListBanks(ctx, "acc-1", BankListOptions{Status: "ACTIVE", BankName: "my bank"})
		},
			method: "GET", path: "/v1/accounts/acc-1/recipient_banks", query: url.Values{"status": {"ACTIVE"}, "bank_name": {"my bank"}},
			status: 200, respond: "[]"},
		{name: "delete bank", call: func(c *Client) (any, error) { return nil, c.DeleteBank(ctx, "acc-1", "bank-1") },
			method: "DELETE", path: "/v1/accounts/acc-1/recipient_banks/bank-1", status: 204},
		{name: "create transfer", call: func(c *Client) (any, error) { return c.CreateTransfer(ctx, "acc-1", validTransferRequest()) },
			method: "POST", path: "/v1/accounts/acc-1/transfers",
			body:   map[string]any{"transfer_type": "ach", "relationship_id": "rel-1", "amount": "1234.567", "direction": "INCOMING"},
			status: 200, respond: string(sample(t, "s12_13_transfer_queued.json")),
			check: func(t *testing.T, got any) {
				if tr := got.(*Transfer); tr.Amount.String() != "1234.567" || tr.Status != TransferQueued {
					t.Errorf("transfer: %+v", tr)
				}
			}},
		{name: "list transfers", call: func(c *Client) (any, error) {
			return c.ListTransfers(ctx, "acc-1", TransferListOptions{Direction: TransferOutgoing, Limit: 10, Offset: 20})
		},
			method: "GET", path: "/v1/accounts/acc-1/transfers", query: url.Values{"direction": {"OUTGOING"}, "limit": {"10"}, "offset": {"20"}},
			status: 200, respond: string(sample(t, "s12_14_transfer_list.json"))},
		{name: "cancel transfer 200", call: func(c *Client) (any, error) { return nil, c.CancelTransfer(ctx, "acc-1", "tr-1") },
			method: "DELETE", path: "/v1/accounts/acc-1/transfers/tr-1", status: 200, respond: string(sample(t, "s12_11_transfer_complete.json"))},
		{name: "cancel transfer 204", call: func(c *Client) (any, error) { return nil, c.CancelTransfer(ctx, "acc-1", "tr-1") },
			method: "DELETE", path: "/v1/accounts/acc-1/transfers/tr-1", status: 204},
		{name: "create journal", call: func(c *Client) (any, error) { return c.CreateJournal(ctx, validJournalRequest(), "key-1") },
			method: "POST", path: "/v1/journals", header: map[string]string{"Idempotency-Key": "key-1"},
			body:   map[string]any{"from_account": "firm", "to_account": "acct-1", "entry_type": "JNLC", "amount": "115.50"},
			status: 200, respond: string(sample(t, "s12_17_journal_create_py.json"))},
		{name: "get journal", call: func(c *Client) (any, error) { return c.GetJournal(ctx, "j-1") },
			method: "GET", path: "/v1/journals/j-1", status: 200, respond: string(sample(t, "s12_16_journal_jnls.json")),
			check: func(t *testing.T, got any) {
				if j := got.(*Journal); *j.Symbol != "AAPL" || j.Qty.String() != "0.5" || j.SettleDate.String() != "2020-12-24" {
					t.Errorf("journal: %+v", j)
				}
			}},
		{name: "list journals", call: func(c *Client) (any, error) {
			return c.ListJournals(ctx, JournalListOptions{After: Date{2020, 1, 1}, Before: Date{2020, 2, 1}, Status: JournalExecuted, EntryType: EntryTypeCash, ToAccount: "t", FromAccount: "f", Limit: 5})
		},
			method: "GET", path: "/v1/journals",
			query:  url.Values{"after": {"2020-01-01"}, "before": {"2020-02-01"}, "status": {"executed"}, "entry_type": {"JNLC"}, "to_account": {"t"}, "from_account": {"f"}, "limit": {"5"}},
			status: 200, respond: "[]"},
		{name: "cancel journal", call: func(c *Client) (any, error) { return nil, c.CancelJournal(ctx, "j-1") },
			method: "DELETE", path: "/v1/journals/j-1", status: 204},
		{name: "batch journal", call: func(c *Client) (any, error) { return c.CreateBatchJournal(ctx, validBatchRequest(), "batch-key") },
			method: "POST", path: "/v1/journals/batch", header: map[string]string{"Idempotency-Key": "batch-key"},
			body:   map[string]any{"entry_type": "JNLC", "from_account": "firm", "entries": []any{map[string]any{"to_account": "a", "amount": "10"}, map[string]any{"to_account": "b", "amount": "100"}}},
			status: 200, respond: string(sample(t, "s12_18_batch_journal.json")),
			check: func(t *testing.T, got any) {
				if r := got.([]BatchJournalResult); len(r) != 3 || r[0].Failed() || r[0].NetAmount.String() != "10" {
					t.Errorf("batch: %+v", r)
				}
			}},
		{name: "reverse batch journal", call: func(c *Client) (any, error) { return c.CreateReverseBatchJournal(ctx, validReverseBatchRequest()) },
			method: "POST", path: "/v1/journals/reverse_batch",
			body:   map[string]any{"entry_type": "JNLC", "to_account": "firm", "entries": []any{map[string]any{"from_account": "a", "amount": "10"}}},
			status: 200, respond: string(sample(t, "s12_19_reverse_batch_journal.json"))},
		{name: "create order", call: func(c *Client) (any, error) { return c.CreateOrder(ctx, "acc-1", validOrderRequest()) },
			method: "POST", path: "/v1/trading/accounts/acc-1/orders",
			body:   map[string]any{"symbol": "AAPL", "qty": "2", "side": "buy", "type": "limit", "time_in_force": "gtc", "limit_price": "150", "client_order_id": "coid-1"},
			status: 200, respond: string(sample(t, "s12_29_order_equity.json"))},
		{name: "get order", call: func(c *Client) (any, error) { return c.GetOrder(ctx, "acc-1", "o-1", true) },
			method: "GET", path: "/v1/trading/accounts/acc-1/orders/o-1", query: url.Values{"nested": {"true"}},
			status: 200, respond: string(sample(t, "s12_20_order_accepted.json"))},
		{name: "order by client id", call: func(c *Client) (any, error) { return c.GetOrderByClientOrderID(ctx, "acc-1", "coid 1") },
			method: "GET", path: "/v1/trading/accounts/acc-1/orders:by_client_order_id", query: url.Values{"client_order_id": {"coid 1"}},
			status: 200, respond: string(sample(t, "s12_21_order_notional.json")),
			check: func(t *testing.T, got any) {
				if o := got.(*Order); o.Commission.String() != "1.25" || o.Notional.String() != "500" || o.Qty != nil {
					t.Errorf("order: %+v", o)
				}
			}},
		{name: "list orders", call: func(c *Client) (any, error) {
			return c.ListOrders(ctx, "acc-1", OrderListOptions{Status: "all", Limit: 500, After: after, Until: after.Add(time.Minute), Direction: "asc", Nested: true, Symbols: []string{"AAPL", "TSLA"}})
		},
			method: "GET", path: "/v1/trading/accounts/acc-1/orders",
			query:  url.Values{"status": {"all"}, "limit": {"500"}, "after": {"2024-05-01T12:00:00Z"}, "until": {"2024-05-01T12:01:00Z"}, "direction": {"asc"}, "nested": {"true"}, "symbols": {"AAPL,TSLA"}},
			status: 200, respond: "[]"},
		{name: "cancel order", call: func(c *Client) (any, error) { return nil, c.CancelOrder(ctx, "acc-1", "o-1") },
			method: "DELETE", path: "/v1/trading/accounts/acc-1/orders/o-1", status: 204},
		{name: "cancel all orders", call: func(c *Client) (any, error) { return c.CancelAllOrders(ctx, "acc-1") },
			method: "DELETE", path: "/v1/trading/accounts/acc-1/orders", status: 207, respond: string(sample(t, "s12_24_cancel_all_orders_207.json")),
			check: func(t *testing.T, got any) {
				r := got.([]CancelOrderResult)
				if len(r) != 2 || r[0].Err() != nil || !IsNotFound(r[1].Err()) {
					t.Errorf("cancel all: %+v", r)
				}
			}},
		{name: "list positions", call: func(c *Client) (any, error) { return c.ListPositions(ctx, "acc-1") },
			method: "GET", path: "/v1/trading/accounts/acc-1/positions", status: 200, respond: "[" + string(sample(t, "s12_35_position_qty_available.json")) + "]"},
		{name: "get position", call: func(c *Client) (any, error) { return c.GetPosition(ctx, "acc-1", "BTC/USD") },
			method: "GET", path: "/v1/trading/accounts/acc-1/positions/BTC%2FUSD", status: 200, respond: string(sample(t, "s12_22_position.json"))},
		{name: "close position", call: func(c *Client) (any, error) {
			return c.ClosePosition(ctx, "acc-1", "AAPL", ClosePositionOptions{Percentage: DecimalPtr(MustDecimal("50"))})
		},
			method: "DELETE", path: "/v1/trading/accounts/acc-1/positions/AAPL", query: url.Values{"percentage": {"50"}},
			status: 200, respond: string(sample(t, "s12_20_order_accepted.json"))},
		{name: "close all positions", call: func(c *Client) (any, error) { return c.CloseAllPositions(ctx, "acc-1", true) },
			method: "DELETE", path: "/v1/trading/accounts/acc-1/positions", query: url.Values{"cancel_orders": {"true"}},
			status: 207, respond: string(sample(t, "s12_23_close_all_positions_207.json"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, func(w http.ResponseWriter, r recorded, _ int) {
				w.Header().Set("X-Request-ID", "req-123")
				if tt.status == 204 {
					w.WriteHeader(204)
					return
				}
				writeJSON(w, tt.status, tt.respond)
			})
			got, err := tt.call(env.client)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := env.rec.all()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tt.method || r.RawPath != tt.path {
				t.Errorf("request %s %s, want %s %s", r.Method, r.RawPath, tt.method, tt.path)
			}
			gotQ, _ := url.ParseQuery(r.Query)
			if tt.query == nil {
				tt.query = url.Values{}
			}
			if !reflect.DeepEqual(gotQ, tt.query) {
				t.Errorf("query %v, want %v", gotQ, tt.query)
			}
			wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(testKeyID+":"+testSecret))
			if r.Header.Get("Authorization") != wantAuth {
				t.Errorf("Authorization = %q", r.Header.Get("Authorization"))
			}
			if r.Header.Get("User-Agent") != DefaultUserAgent || r.Header.Get("Accept") != "application/json" {
				t.Errorf("headers %v", r.Header)
			}
			for k, v := range tt.header {
				if r.Header.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, r.Header.Get(k), v)
				}
			}
			if tt.body == nil {
				if len(r.Body) != 0 {
					t.Errorf("unexpected body %s", r.Body)
				}
			} else {
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
				var gotBody any
				if err := json.Unmarshal(r.Body, &gotBody); err != nil {
					t.Fatalf("body %s: %v", r.Body, err)
				}
				for _, p := range compareJSON("$", any(tt.body), gotBody) {
					if !strings.Contains(p, "unexpected field") {
						t.Errorf("body: %s", p)
					}
				}
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

// TestCreateValidatesBeforeSending checks that invalid requests never reach
// the server and that the error names the JSON field.
func TestCreateValidatesBeforeSending(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, _ int) { writeJSON(w, 200, "{}") })
	ctx := context.Background()
	c := env.client
	bad := validOrderRequest()
	bad.LimitPrice = nil
	calls := []struct {
		name, field string
		err         error
	}{
		{"order", "limit_price", func() error { _, err := c.CreateOrder(ctx, "a", bad); return err }()},
		{"transfer", "amount", func() error {
			r := validTransferRequest()
			r.Amount = MustDecimal("0")
			_, err := c.CreateTransfer(ctx, "a", r)
			return err
		}()},
		{"journal", "amount", func() error {
			r := validJournalRequest()
			r.Amount = nil
			_, err := c.CreateJournal(ctx, r, "k")
			return err
		}()},
		{"account", "contact.email_address", func() error {
			r := validAccountRequest()
			r.Contact.EmailAddress = ""
			_, err := c.CreateAccount(ctx, r)
			return err
		}()},
		{"ach", "bank_routing_number", func() error {
			r := validACHRequest()
			r.BankRoutingNumber = "12"
			_, err := c.CreateACHRelationship(ctx, "a", r)
			return err
		}()},
		{"bank", "bank_code_type", func() error {
			r := validBankRequest()
			r.BankCodeType = "IBAN"
			_, err := c.CreateBank(ctx, "a", r)
			return err
		}()},
		{"batch", "entries", func() error {
			_, err := c.CreateBatchJournal(ctx, &BatchJournalRequest{EntryType: EntryTypeCash, FromAccount: "f"}, "k")
			return err
		}()},
		{"reverse", "entry_type", func() error {
			_, err := c.CreateReverseBatchJournal(ctx, &ReverseBatchJournalRequest{EntryType: "JNLS", ToAccount: "f"})
			return err
		}()},
		{"update", "", func() error { _, err := c.UpdateAccount(ctx, "a", &AccountUpdateRequest{}); return err }()},
		{"close position", "percentage", func() error {
			_, err := c.ClosePosition(ctx, "a", "AAPL", ClosePositionOptions{Percentage: DecimalPtr(MustDecimal("101"))})
			return err
		}()},
	}
	for _, tt := range calls {
		var ve *ValidationError
		if !errorsAs(tt.err, &ve) {
			t.Errorf("%s: want *ValidationError, got %v", tt.name, tt.err)
			continue
		}
		if ve.Field != tt.field {
			t.Errorf("%s: field %q, want %q (%v)", tt.name, ve.Field, tt.field, tt.err)
		}
	}
	if n := len(env.rec.all()); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
}

func TestListAllTransfersPagesByOffset(t *testing.T) {
	page := func(n, start int) string {
		var items []string
		for i := range n {
			items = append(items, `{"id":"t`+string(rune('a'+start+i))+`","account_id":"a","type":"ach","status":"COMPLETE","amount":"1","direction":"INCOMING","created_at":"2021-05-05T07:55:31Z","reason":null,"hold_until":null}`)
		}
		return "[" + strings.Join(items, ",") + "]"
	}
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		q, _ := url.ParseQuery(r.Query)
		switch q.Get("offset") {
		case "":
			writeJSON(w, 200, page(3, 0))
		case "3":
			writeJSON(w, 200, page(3, 3))
		case "6":
			writeJSON(w, 200, page(1, 6))
		default:
			writeJSON(w, 200, "[]")
		}
	})
	all, err := env.client.ListAllTransfers(context.Background(), "a", TransferListOptions{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 7 || all[6].ID != "tg" {
		t.Fatalf("got %d transfers", len(all))
	}
	if n := len(env.rec.all()); n != 3 {
		t.Errorf("%d pages fetched, want 3 (short page ends paging)", n)
	}
}

func TestRequestIDAndHeaderOptions(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, _ int) {
		w.Header().Set("X-Request-ID", "rid-42")
		writeJSON(w, 200, sample(t, "s12_03_account_create_approved.json"))
	})
	var rid string
	var h http.Header
	if _, err := env.client.GetAccount(context.Background(), "a", WithRequestID(&rid), WithResponseHeader(&h), WithHeader("X-Trace", "t1"), WithHeader("Authorization", "evil")); err != nil {
		t.Fatal(err)
	}
	if rid != "rid-42" || h.Get("X-Request-ID") != "rid-42" {
		t.Errorf("request id %q, header %v", rid, h)
	}
	r := env.rec.all()[0]
	if r.Header.Get("X-Trace") != "t1" || !strings.HasPrefix(r.Header.Get("Authorization"), "Basic ") {
		t.Errorf("headers: %v", r.Header)
	}
}
