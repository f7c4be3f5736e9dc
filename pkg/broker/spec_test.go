package broker

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestTypesCoverSpec checks that every property the current OpenAPI spec
// declares for a schema has a field with that JSON name in the matching Go
// type, so a response field can never be dropped silently.
//
// testdata/spec_properties.json is extracted from
// shared/reference/alpaca-broker-api.openapi.yaml: for each schema below,
// the property names of the schema and of its allOf/oneOf parts.
func TestTypesCoverSpec(t *testing.T) {
	raw, err := os.ReadFile("testdata/spec_properties.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	types := map[string]any{
		"Account":                            Account{},
		"AccountExtended":                    Account{},
		"Contact":                            Contact{},
		"Identity":                           Identity{},
		"Disclosures":                        Disclosures{},
		"TrustedContact":                     TrustedContact{},
		"KYCResults":                         KYCResults{},
		"Agreement":                          Agreement{},
		"DisclosureContextAnnotation":        DisclosureContext{},
		"AccountCreationRequest":             AccountCreateRequest{},
		"AccountUpdateRequest":               AccountUpdateRequest{},
		"TradeAccount":                       TradeAccount{},
		"ACHRelationship":                    ACHRelationship{},
		"CreateACHRelationshipRequest":       ACHRelationshipCreateRequest{},
		"Bank":                               Bank{},
		"CreateBankRequest":                  BankCreateRequest{},
		"Transfer":                           Transfer{},
		"CreateTransferRequest":              TransferCreateRequest{},
		"Journal":                            Journal{},
		"CreateJournalRequest":               JournalCreateRequest{},
		"BatchJournalRequest":                BatchJournalRequest{},
		"BatchJournalResponse":               BatchJournalResult{},
		"ReverseBatchJournalRequest":         ReverseBatchJournalRequest{},
		"CreateOrderRequest":                 OrderCreateRequest{},
		"CreateOrderRequest.take_profit":     TakeProfit{},
		"CreateOrderRequest.stop_loss":       StopLoss{},
		"Order":                              Order{},
		"Position":                           Position{},
		"AccountStatusEvent":                 AccountStatusEvent{},
		"TransferStatusEvent":                TransferStatusEvent{},
		"StatusFundingEvent":                 StatusFundingEvent{},
		"JournalStatusEvent":                 JournalStatusEvent{},
		"JournalStatusEventV2":               JournalStatusEventV2{},
		"TradeUpdateEventV2":                 TradeUpdateEventV2{},
		"Error":                              ErrorBody{},
		"BatchJournalRequest.entries":        BatchJournalEntry{},
		"ReverseBatchJournalRequest.entries": ReverseBatchJournalEntry{},
	}
	// Deliberate omissions, with the reason.
	skip := map[string]string{
		"BatchJournalRequest.entries.symbol": "batch journals are JNLC only (cash), so entries carry no securities",
		"BatchJournalRequest.entries.qty":    "batch journals are JNLC only (cash), so entries carry no securities",
	}
	for schema, v := range spec {
		if strings.HasPrefix(schema, "_") {
			continue
		}
		goType, ok := types[schema]
		if !ok {
			t.Errorf("schema %s has no Go type mapped", schema)
			continue
		}
		have := jsonNames(reflect.TypeOf(goType))
		var missing []string
		for _, p := range v.([]any) {
			name := p.(string)
			if !have[name] && skip[schema+"."+name] == "" {
				missing = append(missing, name)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s (%T) lacks spec properties: %s", schema, goType, strings.Join(missing, ", "))
		}
	}
}

// jsonNames lists the JSON field names of a struct, following embedded
// structs as encoding/json does.
func jsonNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			for n := range jsonNames(f.Type) {
				names[n] = true
			}
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		if name != "-" {
			names[name] = true
		}
	}
	return names
}
