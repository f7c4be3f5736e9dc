package broker_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/brokerctl/brokerctl/pkg/broker"
)

// Example shows the usual set-up: credentials from the environment or the
// config file, a client, a journal with an idempotency key, and what to do
// when a create's outcome is unknown.
func Example() {
	creds, found, err := broker.LoadCredentials(os.Getenv, "")
	if err != nil || !found {
		log.Fatalf("no credentials: %v", err)
	}
	base, err := broker.ResolveEndpoint(creds.Endpoint)
	if err != nil {
		log.Fatal(err)
	}
	c, err := broker.New(broker.Config{BaseURL: base, KeyID: creds.KeyID, Secret: creds.Secret})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	amount := broker.MustDecimal("25.00")
	j, err := c.CreateJournal(ctx, &broker.JournalCreateRequest{
		FromAccount: "firm-account-id", ToAccount: "customer-account-id",
		EntryType: broker.EntryTypeCash, Amount: &amount,
	}, "6f1c9a2e-1b7d-4c1e-9d55-0b3f7a1f2c11")
	switch {
	case errors.Is(err, broker.ErrOutcomeUnknown):
		log.Printf("unknown outcome, reconcile before retrying: %v", err)
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println(j.ID, j.Status)
	}
	fmt.Println(c.Stats().Requests)
}

// ExampleClient_SubscribeFundingStatus follows transfer and relationship
// status changes until the context ends.
func ExampleClient_SubscribeFundingStatus() {
	c, err := broker.New(broker.Config{BaseURL: "sandbox", KeyID: "PK...", Secret: "..."})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = c.SubscribeFundingStatus(ctx, broker.EventQuery{}, func(e broker.StatusFundingEvent) error {
		fmt.Println(e.EntityType, e.EntityID, e.StatusTo)
		if e.StatusTo == string(broker.TransferComplete) {
			return broker.ErrStopStream
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}
