package emulator

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/brokerctl/brokerctl/pkg/broker"
)

// TestBrokerClientAgainstEmulator drives the emulator with pkg/broker's
// client, which was written for the real API: every call must decode and
// every documented error must map to the client's predicates.
func TestBrokerClientAgainstEmulator(t *testing.T) {
	h := newHarness(t, nil)
	srv := httptest.NewServer(h.em.Handler())
	defer srv.Close()
	c, err := broker.New(broker.Config{BaseURL: srv.URL, KeyID: DefaultKeyID, Secret: DefaultSecret, RequestsPerMinute: -1, MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dob, _ := broker.ParseDate("1990-01-01")
	req := &broker.AccountCreateRequest{
		Contact: &broker.Contact{EmailAddress: "client@example.com", StreetAddress: []string{"1 Main St"}, City: "Austin", State: "TX"},
		Identity: &broker.Identity{GivenName: "Cli", FamilyName: "Ent", DateOfBirth: dob, TaxID: "666-55-4321",
			TaxIDType: "USA_SSN", CountryOfTaxResidence: "USA", FundingSource: []string{"savings"}},
		Disclosures: &broker.Disclosures{},
		Agreements:  []broker.Agreement{{Agreement: broker.AgreementCustomer, SignedAt: testStart, IPAddress: "1.2.3.4"}},
	}
	acct, err := c.CreateAccount(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Status != broker.AccountSubmitted || acct.Identity.TaxID != "" {
		t.Fatalf("create: %+v", acct)
	}
	if _, err := c.CreateAccount(ctx, req); !broker.IsConflict(err) {
		t.Fatalf("duplicate email: %v", err)
	}
	if _, err := c.GetAccount(ctx, "3f1b0c52-1f0e-4bde-9a7c-aaaaaaaaaaaa"); !broker.IsUnauthorized(err) {
		t.Fatalf("unknown account: %v", err)
	}
	h.clock.Advance(0)
	got, err := c.GetAccount(ctx, acct.ID)
	if err != nil || got.Status != broker.AccountActive || got.AccountNumber == nil {
		t.Fatalf("get: %+v %v", got, err)
	}
	list, err := c.ListAccounts(ctx, broker.AccountListOptions{Query: "client@example.com"})
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %d %v", len(list), err)
	}

	rel, err := c.CreateACHRelationship(ctx, acct.ID, &broker.ACHRelationshipCreateRequest{AccountOwnerName: "Cli Ent",
		BankAccountType: broker.BankAccountChecking, BankAccountNumber: "123456789abc", BankRoutingNumber: "121000358"})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(0)
	xfer, err := c.CreateTransfer(ctx, acct.ID, &broker.TransferCreateRequest{TransferType: broker.TransferACH,
		RelationshipID: rel.ID, Amount: broker.MustDecimal("1234.567"), Direction: broker.TransferIncoming})
	if err != nil || xfer.Amount.String() != "1234.567" {
		t.Fatalf("transfer %+v %v", xfer, err)
	}
	h.clock.Advance(0)
	xfers, err := c.ListAllTransfers(ctx, acct.ID, broker.TransferListOptions{Limit: 1})
	if err != nil || len(xfers) != 1 || xfers[0].Status != broker.TransferComplete {
		t.Fatalf("transfers %+v %v", xfers, err)
	}
	if err := c.CancelTransfer(ctx, acct.ID, xfer.ID); !broker.IsUnprocessable(err) {
		t.Fatalf("cancel complete transfer: %v", err)
	}

	amt := broker.MustDecimal("100")
	jreq := &broker.JournalCreateRequest{FromAccount: DefaultFirmAccountID, ToAccount: acct.ID, EntryType: "JNLC", Amount: &amt}
	j1, err := c.CreateJournal(ctx, jreq, "client-key-1")
	if err != nil {
		t.Fatal(err)
	}
	j2, err := c.CreateJournal(ctx, jreq, "client-key-1")
	if err != nil || j2.ID != j1.ID {
		t.Fatalf("idempotent replay: %v %v", j2, err)
	}
	h.clock.Advance(0)

	qty := broker.MustDecimal("3")
	o, err := c.CreateOrder(ctx, acct.ID, &broker.OrderCreateRequest{Symbol: "AAPL", Qty: &qty, Side: "buy",
		Type: "market", TimeInForce: "day", ClientOrderID: "client-order-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateOrder(ctx, acct.ID, &broker.OrderCreateRequest{Symbol: "AAPL", Qty: &qty, Side: "buy",
		Type: "market", TimeInForce: "day", ClientOrderID: "client-order-1"}); !broker.IsDuplicateClientOrderID(err) {
		t.Fatalf("duplicate client_order_id: %v", err)
	}
	h.clock.Advance(0)
	byCID, err := c.GetOrderByClientOrderID(ctx, acct.ID, "client-order-1")
	if err != nil || byCID.ID != o.ID || byCID.Status != broker.OrderFilled {
		t.Fatalf("by client id %+v %v", byCID, err)
	}
	pos, err := c.GetPosition(ctx, acct.ID, "AAPL")
	if err != nil || pos.Qty.String() != "3" {
		t.Fatalf("position %+v %v", pos, err)
	}
	ta, err := c.GetTradeAccount(ctx, acct.ID)
	if err != nil || !ta.Cash.Dec().Equal(broker.MustDecimal("766.067").Dec()) {
		t.Fatalf("trade account cash %v %v", ta.Cash, err)
	}
	res, err := c.CloseAllPositions(ctx, acct.ID, true)
	if err != nil || len(res) != 1 || res[0].Err() != nil {
		t.Fatalf("close all %+v %v", res, err)
	}
	if _, ok, err := res[0].Order(); !ok || err != nil {
		t.Fatal("close-all item is not an order")
	}

	// Event history through the client's SSE reader.
	h.clock.Advance(24 * time.Hour)
	var statuses []broker.JournalStatus
	err = c.SubscribeJournalStatus(ctx, broker.EventQuery{Since: "2026-03-04", Until: "2026-03-04"}, func(ev broker.JournalStatusEventV2) error {
		statuses = append(statuses, ev.StatusTo)
		return nil
	})
	if err != nil || len(statuses) != 3 || statuses[2] != broker.JournalExecuted {
		t.Fatalf("journal events %v %v", statuses, err)
	}
	var apiErr *broker.APIError
	if _, err := c.GetJournal(ctx, "3f1b0c52-1f0e-4bde-9a7c-aaaaaaaaaaaa"); !errors.As(err, &apiErr) || apiErr.RequestID == "" {
		t.Fatalf("API errors carry the request id: %v", err)
	}
	if n := h.em.Stats().Created["journal"]; n != 1 {
		t.Fatalf("journals created %d", n)
	}
}
