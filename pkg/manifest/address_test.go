package manifest

import (
	"strings"
	"testing"
)

func TestParseAddressRoundTrip(t *testing.T) {
	tests := []struct {
		in   string
		want Address
	}{
		{"accounts.alice", Address{Kind: KindAccounts, Name: "alice"}},
		{"data.accounts.firm", Address{Data: true, Kind: KindAccounts, Name: "firm"}},
		{"orders.buy[0]", Address{Kind: KindOrders, Name: "buy", Key: "0", Keyed: true}},
		{"orders.buy[12]", Address{Kind: KindOrders, Name: "buy", Key: "12", Keyed: true}},
		{`accounts.customer["jane@example.com"]`, Address{Kind: KindAccounts, Name: "customer", Key: "jane@example.com", Keyed: true}},
		{`transfers.deposit["a \"quoted\" key"]`, Address{Kind: KindTransfers, Name: "deposit", Key: `a "quoted" key`, Keyed: true}},
		{`journals.j["007"]`, Address{Kind: KindJournals, Name: "j", Key: "007", Keyed: true}}, // not an index: leading zero
		{`batch_journals.b[""]`, Address{Kind: KindBatchJournals, Name: "b", Key: "", Keyed: true}},
		{"ach_relationships.my-bank_2", Address{Kind: KindACHRelationships, Name: "my-bank_2"}},
		{`bank_relationships.w["ü"]`, Address{Kind: KindBankRelationships, Name: "w", Key: "ü", Keyed: true}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAddress(tt.in)
			if err != nil {
				t.Fatalf("ParseAddress(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseAddress(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.in {
				t.Fatalf("String() = %q, want %q", s, tt.in)
			}
			if b := got.Block(); b.Keyed || b.Key != "" || b.Name != tt.want.Name {
				t.Fatalf("Block() = %#v", b)
			}
		})
	}
}

func TestParseAddressErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "want kind.name"},
		{"account.alice", `unknown kind "account"`},
		{"data.batch", "want kind.name"},
		{"accounts.", `invalid name ""`},
		{"accounts.9lives", `invalid name "9lives"`},
		{"accounts.a[", "want name[key]"},
		{"accounts.a[]", "want name[key]"},
		{"accounts.a[-1]", "quoted string or an index"},
		{"accounts.a[x]", "quoted string or an index"},
		{`accounts.a["x]`, "bad key"},
		{"accounts.a b", `invalid name "a b"`},
	}
	for _, tt := range tests {
		_, err := ParseAddress(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseAddress(%q) error = %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}
