package broker

import "time"

func validAccountRequest() *AccountCreateRequest {
	return &AccountCreateRequest{
		Contact: &Contact{EmailAddress: "alice@example.com", PhoneNumber: "+15555555555", StreetAddress: []string{"20 N San Mateo Dr"}, City: "San Mateo", State: "CA", PostalCode: "94401", Country: "USA"},
		Identity: &Identity{GivenName: "Alice", FamilyName: "Doe", DateOfBirth: Date{1990, 1, 1}, TaxID: "666-55-4321", TaxIDType: "USA_SSN",
			CountryOfTaxResidence: "USA", FundingSource: []string{"employment_income"}},
		Disclosures: &Disclosures{},
		Agreements:  []Agreement{{Agreement: AgreementCustomer, SignedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), IPAddress: "127.0.0.1"}},
		AccountType: AccountTypeTrading,
	}
}

func validACHRequest() *ACHRelationshipCreateRequest {
	return &ACHRelationshipCreateRequest{AccountOwnerName: "Alice Doe", BankAccountType: BankAccountChecking, BankAccountNumber: "32131231abc", BankRoutingNumber: "121000358"}
}

func validBankRequest() *BankCreateRequest {
	return &BankCreateRequest{Name: "my bank", BankCodeType: BankCodeABA, BankCode: "123456789", AccountNumber: "123456789abc"}
}

func validTransferRequest() *TransferCreateRequest {
	return &TransferCreateRequest{TransferType: TransferACH, RelationshipID: "rel-1", Amount: MustDecimal("1234.567"), Direction: TransferIncoming}
}

func validJournalRequest() *JournalCreateRequest {
	return &JournalCreateRequest{FromAccount: "firm", ToAccount: "acct-1", EntryType: EntryTypeCash, Amount: DecimalPtr(MustDecimal("115.50"))}
}

func validBatchRequest() *BatchJournalRequest {
	return &BatchJournalRequest{EntryType: EntryTypeCash, FromAccount: "firm", Entries: []BatchJournalEntry{{ToAccount: "a", Amount: MustDecimal("10")}, {ToAccount: "b", Amount: MustDecimal("100")}}}
}

func validReverseBatchRequest() *ReverseBatchJournalRequest {
	return &ReverseBatchJournalRequest{EntryType: EntryTypeCash, ToAccount: "firm", Entries: []ReverseBatchJournalEntry{{FromAccount: "a", Amount: MustDecimal("10")}}}
}

func validOrderRequest() *OrderCreateRequest {
	return &OrderCreateRequest{Symbol: "AAPL", Qty: DecimalPtr(MustDecimal("2")), Side: SideBuy, Type: OrderTypeLimit, TimeInForce: TimeInForceGTC,
		LimitPrice: DecimalPtr(MustDecimal("150")), ClientOrderID: "coid-1"}
}
