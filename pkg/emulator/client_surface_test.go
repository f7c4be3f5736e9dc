package emulator

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
)

// newClientHarness serves a fresh emulator over HTTP and returns a
// pkg/broker client pointed at it.
func newClientHarness(t *testing.T) (*harness, *broker.Client) {
	t.Helper()
	h := newHarness(t, nil)
	srv := httptest.NewServer(h.em.Handler())
	t.Cleanup(srv.Close)
	c, err := broker.New(broker.Config{BaseURL: srv.URL, KeyID: DefaultKeyID, Secret: DefaultSecret, RequestsPerMinute: -1, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	return h, c
}

func clientAccountRequest(email string) *broker.AccountCreateRequest {
	dob, _ := broker.ParseDate("1985-06-15")
	return &broker.AccountCreateRequest{
		Contact: &broker.Contact{EmailAddress: email, StreetAddress: []string{"1 Main St"}, City: "Austin", State: "TX"},
		Identity: &broker.Identity{GivenName: "Sur", FamilyName: "Face", DateOfBirth: dob, TaxID: "666-55-4321",
			TaxIDType: "USA_SSN", CountryOfTaxResidence: "USA", FundingSource: []string{"savings"}},
		Disclosures: &broker.Disclosures{},
		Agreements:  []broker.Agreement{{Agreement: broker.AgreementCustomer, SignedAt: testStart, IPAddress: "1.2.3.4"}},
	}
}

// TestClientSurface calls every pkg/broker client operation that
// TestBrokerClientAgainstEmulator does not, so each one is proven to decode
// the emulator's real shapes.
func TestClientSurface(t *testing.T) {
	h, c := newClientHarness(t)
	ctx := context.Background()
	acct, err := c.CreateAccount(ctx, clientAccountRequest("surface@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(0)

	// Accounts: update, close (on a second account). broker.Contact has no
	// omitempty on its required keys, so a PATCH sends the whole contact.
	contact := *acct.Contact
	contact.City = "Dallas"
	up, err := c.UpdateAccount(ctx, acct.ID, &broker.AccountUpdateRequest{Contact: &contact})
	if err != nil || up.Contact == nil || up.Contact.City != "Dallas" || up.Contact.EmailAddress != "surface@example.com" {
		t.Fatalf("update: %+v %v", up, err)
	}
	other, err := c.CreateAccount(ctx, clientAccountRequest("closing@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CloseAccount(ctx, other.ID); err != nil {
		t.Fatalf("close: %v", err)
	}
	if got, err := c.GetAccount(ctx, other.ID); err != nil || got.Status != broker.AccountClosed {
		t.Fatalf("closed account: %+v %v", got, err)
	}

	// ACH relationships: list with a status filter, delete.
	rel, err := c.CreateACHRelationship(ctx, acct.ID, &broker.ACHRelationshipCreateRequest{AccountOwnerName: "Sur Face",
		BankAccountType: broker.BankAccountChecking, BankAccountNumber: "123456789abc", BankRoutingNumber: "121000358"})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(0)
	rels, err := c.ListACHRelationships(ctx, acct.ID, []broker.ACHRelationshipStatus{"APPROVED"})
	if err != nil || len(rels) != 1 || rels[0].ID != rel.ID {
		t.Fatalf("list ach: %+v %v", rels, err)
	}

	// Banks: create, list by name, wire out, delete.
	bank, err := c.CreateBank(ctx, acct.ID, &broker.BankCreateRequest{Name: "First", BankCodeType: "ABA",
		BankCode: "121000358", AccountNumber: "123456789abc"})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(0)
	banks, err := c.ListBanks(ctx, acct.ID, broker.BankListOptions{Status: "ACTIVE", BankName: "First"})
	if err != nil || len(banks) != 1 {
		t.Fatalf("list banks: %+v %v", banks, err)
	}
	if _, err := c.CreateTransfer(ctx, acct.ID, &broker.TransferCreateRequest{TransferType: broker.TransferACH,
		RelationshipID: rel.ID, Amount: broker.MustDecimal("5000"), Direction: broker.TransferIncoming}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(0)
	h.clock.Set(time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)) // a Saturday: the wire waits for Monday
	wire, err := c.CreateTransfer(ctx, acct.ID, &broker.TransferCreateRequest{TransferType: broker.TransferWire,
		BankID: bank.ID, Amount: broker.MustDecimal("10"), Direction: broker.TransferOutgoing})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CancelTransfer(ctx, acct.ID, wire.ID); err != nil {
		t.Fatalf("cancel queued wire: %v", err)
	}
	page, err := c.ListTransfers(ctx, acct.ID, broker.TransferListOptions{Direction: broker.TransferOutgoing})
	if err != nil || len(page) != 1 || page[0].Status != broker.TransferCanceled {
		t.Fatalf("list transfers: %+v %v", page, err)
	}
	if err := c.DeleteBank(ctx, acct.ID, bank.ID); err != nil {
		t.Fatalf("delete bank: %v", err)
	}
	if err := c.DeleteACHRelationship(ctx, acct.ID, rel.ID); err != nil {
		t.Fatalf("delete ach: %v", err)
	}

	// Journals: list, cancel a pending one, batch and reverse batch.
	big := broker.MustDecimal("20000")
	pending, err := c.CreateJournal(ctx, &broker.JournalCreateRequest{FromAccount: DefaultFirmAccountID, ToAccount: acct.ID,
		EntryType: "JNLC", Amount: &big}, "")
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(0)
	if j, err := c.GetJournal(ctx, pending.ID); err != nil || j.Status != broker.JournalPending {
		t.Fatalf("over-limit journal: %+v %v", j, err)
	}
	if err := c.CancelJournal(ctx, pending.ID); err != nil {
		t.Fatalf("cancel journal: %v", err)
	}
	batch, err := c.CreateBatchJournal(ctx, &broker.BatchJournalRequest{EntryType: "JNLC", FromAccount: DefaultFirmAccountID,
		Entries: []broker.BatchJournalEntry{{ToAccount: acct.ID, Amount: broker.MustDecimal("7")}}}, "batch-key")
	if err != nil || len(batch) != 1 {
		t.Fatalf("batch: %+v %v", batch, err)
	}
	h.clock.Advance(0)
	rev, err := c.CreateReverseBatchJournal(ctx, &broker.ReverseBatchJournalRequest{EntryType: "JNLC", ToAccount: DefaultFirmAccountID,
		Entries: []broker.ReverseBatchJournalEntry{{FromAccount: acct.ID, Amount: broker.MustDecimal("2")}}})
	if err != nil || len(rev) != 1 {
		t.Fatalf("reverse batch: %+v %v", rev, err)
	}
	h.clock.Advance(0)
	js, err := c.ListJournals(ctx, broker.JournalListOptions{ToAccount: acct.ID, Status: broker.JournalExecuted})
	if err != nil || len(js) != 1 {
		t.Fatalf("list journals: %+v %v", js, err)
	}

	// Orders: get, list, cancel one, cancel all; positions: list, close part.
	qty := broker.MustDecimal("10")
	o, err := c.CreateOrder(ctx, acct.ID, &broker.OrderCreateRequest{Symbol: "AAPL", Qty: &qty, Side: "buy",
		Type: "market", TimeInForce: "day"})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(0)
	if got, err := c.GetOrder(ctx, acct.ID, o.ID, true); err != nil || got.Status != broker.OrderFilled {
		t.Fatalf("get order: %+v %v", got, err)
	}
	one := broker.MustDecimal("1")
	lim := broker.MustDecimal("1.00")
	resting := func() *broker.Order {
		t.Helper()
		r, err := c.CreateOrder(ctx, acct.ID, &broker.OrderCreateRequest{Symbol: "AAPL", Qty: &one, Side: "buy",
			Type: "limit", LimitPrice: &lim, TimeInForce: "gtc"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r1, _, _ := resting(), resting(), resting()
	h.clock.Advance(0)
	if err := c.CancelOrder(ctx, acct.ID, r1.ID); err != nil {
		t.Fatalf("cancel order: %v", err)
	}
	if err := c.CancelOrder(ctx, acct.ID, r1.ID); !broker.IsUnprocessable(err) {
		t.Fatalf("cancel canceled order: %v", err)
	}
	open, err := c.ListOrders(ctx, acct.ID, broker.OrderListOptions{Status: "open", Symbols: []string{"AAPL"}})
	if err != nil || len(open) != 2 {
		t.Fatalf("open orders: %d %v", len(open), err)
	}
	all, err := c.CancelAllOrders(ctx, acct.ID)
	if err != nil || len(all) != 2 || all[0].Err() != nil {
		t.Fatalf("cancel all: %+v %v", all, err)
	}
	ps, err := c.ListPositions(ctx, acct.ID)
	if err != nil || len(ps) != 1 || ps[0].Qty.String() != "10" {
		t.Fatalf("positions: %+v %v", ps, err)
	}
	pct := broker.MustDecimal("50")
	sell, err := c.ClosePosition(ctx, acct.ID, "AAPL", broker.ClosePositionOptions{Percentage: &pct})
	if err != nil || sell.Qty == nil || sell.Qty.String() != "5" || sell.Side != broker.SideSell {
		t.Fatalf("close half: %+v %v", sell, err)
	}
	h.clock.Advance(0)
	if p, err := c.GetPosition(ctx, acct.ID, "AAPL"); err != nil || p.Qty.String() != "5" {
		t.Fatalf("position after half close: %+v %v", p, err)
	}

	// Every event stream through the client's typed subscriptions.
	h.clock.Advance(24 * time.Hour)
	q := broker.EventQuery{Since: "2026-03-04", Until: "2026-03-07"}
	count := map[string]int{}
	check := func(name string, err error) {
		t.Helper()
		if err != nil || count[name] == 0 {
			t.Errorf("%s: %d events, %v", name, count[name], err)
		}
	}
	check("accounts", c.SubscribeAccountStatus(ctx, q, func(broker.AccountStatusEvent) error { count["accounts"]++; return nil }))
	check("funding", c.SubscribeFundingStatus(ctx, q, func(broker.StatusFundingEvent) error { count["funding"]++; return nil }))
	check("transfers", c.SubscribeTransferStatus(ctx, q, func(broker.TransferStatusEvent) error { count["transfers"]++; return nil }))
	check("journals-v1", c.SubscribeJournalStatusV1(ctx, q, func(broker.JournalStatusEvent) error { count["journals-v1"]++; return nil }))
	check("trades", c.SubscribeTradeUpdates(ctx, q, func(broker.TradeUpdateEventV2) error { count["trades"]++; return nil }))
}
