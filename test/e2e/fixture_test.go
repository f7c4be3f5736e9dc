package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// customer is one CSV row. TaxID, DOB and BankAccount are the personal data
// the PII checks look for.
type customer struct {
	Email, First, Last      string
	TaxID, DOB, BankAccount string
	Deposit, Bonus          string
}

// firmAccountID is the emulator's default firm (sweep) account.
const firmAccountID = "8f8c8cee-2591-4f83-be12-82c659b5e748"

// customers returns n customers whose emails start with prefix. Every
// sensitive value is distinct, so a leak of any row is found.
func customers(prefix string, n int) []customer {
	cs := make([]customer, n)
	for i := range cs {
		cs[i] = customer{
			Email:       fmt.Sprintf("%s.cust%02d@example.com", prefix, i),
			First:       "Cust",
			Last:        fmt.Sprintf("Number%02d", i),
			TaxID:       fmt.Sprintf("666-%02d-%04d", 40+i, 7100+i*37),
			DOB:         fmt.Sprintf("19%02d-%02d-%02d", 50+i, 1+i%12, 10+i%18),
			BankAccount: fmt.Sprintf("90817%02d%04d8", i, 3344+i*11),
			Deposit:     fmt.Sprintf("%d.00", 500+i),
			Bonus:       fmt.Sprintf("%d.00", 10+i%5),
		}
	}
	return cs
}

// sensitive lists the values that must never leave the API: every row's
// tax id, date of birth and bank account number.
func sensitive(cs []customer) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.TaxID, c.DOB, c.BankAccount)
	}
	return out
}

// onboardingManifest is an onboarding from customers.csv: per row an
// account (waited to ACTIVE), an ACH relationship, a deposit (waited to
// COMPLETE), a welcome journal from the firm account (waited to executed)
// and a $50 market order once the deposit settled. With open, the first
// customer also gets objects that stay open until destroy: a resting limit
// order, a transfer parked in PENDING and a journal parked in pending.
const onboardingManifest = `
data:
  accounts:
    firm:
      id: ` + firmAccountID + `
accounts:
  customer:
    for_each: {file: customers.csv, key: email}
    contact:
      email_address: ${each.key}
      street_address: ["1 Main St"]
      city: Austin
      state: TX
      postal_code: "78701"
      country: USA
    identity:
      given_name: ${each.value.first_name}
      family_name: ${each.value.last_name}
      date_of_birth: ${each.value.dob}
      tax_id: ${each.value.tax_id}
      tax_id_type: USA_SSN
      country_of_tax_residence: USA
      funding_source: [employment_income]
    disclosures:
      is_control_person: false
      is_affiliated_exchange_or_finra: false
      is_politically_exposed: false
      immediate_family_exposed: false
    agreements:
      - agreement: customer_agreement
        signed_at: "2026-01-15T10:00:00Z"
        ip_address: 127.0.0.1
    wait_for: ACTIVE
ach_relationships:
  bank:
    for_each: {file: customers.csv, key: email}
    account_id: ${accounts.customer[each.key].id}
    account_owner_name: ${each.value.first_name} ${each.value.last_name}
    bank_account_type: CHECKING
    bank_account_number: ${each.value.bank_account}
    bank_routing_number: "121000358"
transfers:
  deposit:
    for_each: {file: customers.csv, key: email}
    account_id: ${accounts.customer[each.key].id}
    transfer_type: ach
    relationship_id: ${ach_relationships.bank[each.key].id}
    amount: ${each.value.deposit}
    direction: INCOMING
    wait_for: COMPLETE
journals:
  welcome:
    for_each: {file: customers.csv, key: email}
    entry_type: JNLC
    from_account: ${data.accounts.firm.id}
    to_account: ${accounts.customer[each.key].id}
    amount: ${each.value.bonus}
    description: Welcome
    wait_for: executed
orders:
  first_trade:
    for_each: {file: customers.csv, key: email}
    account_id: ${accounts.customer[each.key].id}
    symbol: SPY
    notional: "50.00"
    side: buy
    type: market
    time_in_force: day
    depends_on: ["transfers.deposit[each.key]"]
`

// openManifest adds, for the customer with email first, objects that stay
// open until destroy.
const openManifest = `
orders:
  resting:
    account_id: ${accounts.customer["FIRST"].id}
    symbol: SPY
    qty: "1"
    side: buy
    type: limit
    limit_price: "1.00"
    time_in_force: gtc
    depends_on: ["transfers.deposit[\"FIRST\"]"]
transfers:
  parked:
    account_id: ${accounts.customer["FIRST"].id}
    transfer_type: ach
    relationship_id: ${ach_relationships.bank["FIRST"].id}
    amount: "7.00"
    direction: INCOMING
    additional_information: /fixtures/status=PENDING/fixtures/
journals:
  parked:
    entry_type: JNLC
    from_account: ${data.accounts.firm.id}
    to_account: ${accounts.customer["FIRST"].id}
    amount: "1.00"
    description: /fixtures/status=pending/fixtures/
`

// workdir writes customers.csv and onboard.yaml (plus open.yaml when open)
// into a new directory and returns it with the -f flags to pass.
func workdir(t *testing.T, dir string, cs []customer, open bool) []string {
	t.Helper()
	var b strings.Builder
	b.WriteString("email,first_name,last_name,tax_id,dob,bank_account,deposit,bonus\n")
	for _, c := range cs {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,%s\n", c.Email, c.First, c.Last, c.TaxID, c.DOB, c.BankAccount, c.Deposit, c.Bonus)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("customers.csv", b.String())
	write("onboard.yaml", onboardingManifest)
	files := []string{"-f", "onboard.yaml"}
	if open {
		write("open.yaml", strings.ReplaceAll(openManifest, "FIRST", cs[0].Email))
		files = append(files, "-f", "open.yaml")
	}
	return files
}
