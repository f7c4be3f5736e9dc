package redact

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string // substrings that must appear
		mustNot []string // substrings that must not appear
	}{
		{
			name:    "identity",
			in:      `{"identity":{"given_name":"Jane","tax_id":"666-55-4321","date_of_birth":"1990-01-01","tax_id_type":"USA_SSN"}}`,
			want:    []string{`"given_name":"Jane"`, `"tax_id":"***"`, `"date_of_birth":"***"`, `"tax_id_type":"USA_SSN"`},
			mustNot: []string{"666-55-4321", "1990-01-01"},
		},
		{
			name:    "ach relationship keeps last four",
			in:      `{"bank_account_number":"32131231abc","bank_routing_number":"121000358"}`,
			want:    []string{`"bank_account_number":"***1abc"`, `"bank_routing_number":"121000358"`},
			mustNot: []string{"32131231abc"},
		},
		{
			name:    "bank object account_number",
			in:      `{"bank_code":"123456789","bank_code_type":"ABA","account_number":"123456789abc"}`,
			want:    []string{`"account_number":"***9abc"`},
			mustNot: []string{"123456789abc"},
		},
		{
			name: "brokerage account number stays",
			in:   `{"id":"x","account_number":"937975699","status":"ACTIVE"}`,
			want: []string{`"account_number":"937975699"`},
		},
		{
			name:    "nested arrays",
			in:      `[{"documents":[{"content":"aGVsbG8=","mime_type":"image/png"}]}]`,
			want:    []string{`"content":"***"`, `"mime_type":"image/png"`},
			mustNot: []string{"aGVsbG8="},
		},
		{
			name:    "not json",
			in:      `tax_id=666-55-4321`,
			mustNot: []string{"666-55-4321"},
		},
		{
			name: "numbers exact",
			in:   `{"amount":1234.567000}`,
			want: []string{`"amount":1234.567000`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(JSON([]byte(tt.in)))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("JSON(%s) = %s, want it to contain %s", tt.in, got, w)
				}
			}
			for _, w := range tt.mustNot {
				if strings.Contains(got, w) {
					t.Errorf("JSON(%s) = %s, leaks %s", tt.in, got, w)
				}
			}
		})
	}
}

func TestHashJSON(t *testing.T) {
	in := []byte(`{"identity":{"tax_id":"666-55-4321","given_name":"Jane"}}`)
	a := HashJSON([]byte("salt-a"), in)
	b := HashJSON([]byte("salt-a"), in)
	c := HashJSON([]byte("salt-b"), in)
	if string(a) != string(b) {
		t.Fatalf("same salt gave different hashes: %s vs %s", a, b)
	}
	if string(a) == string(c) {
		t.Fatalf("different salts gave the same hash: %s", a)
	}
	if strings.Contains(string(a), "666-55-4321") {
		t.Fatalf("hash output leaks the value: %s", a)
	}
	var v map[string]map[string]string
	if err := json.Unmarshal(a, &v); err != nil {
		t.Fatal(err)
	}
	if got := v["identity"]["tax_id"]; !strings.HasPrefix(got, "hmac-sha256:") || len(got) != len("hmac-sha256:")+32 {
		t.Fatalf("tax_id = %q, want an hmac-sha256 digest", got)
	}
	if v["identity"]["given_name"] != "Jane" {
		t.Fatalf("given_name changed: %q", v["identity"]["given_name"])
	}
}

func TestScrub(t *testing.T) {
	tests := []struct{ text, secret, want string }{
		{"auth failed for key PKTEST123 secret abcdefSECRET", "abcdefSECRET", "auth failed for key PKTEST123 secret ***"},
		{"short secrets are ignored: ab", "ab", "short secrets are ignored: ab"},
		{"nothing to do", "", "nothing to do"},
	}
	for _, tt := range tests {
		if got := Scrub(tt.text, tt.secret); got != tt.want {
			t.Errorf("Scrub(%q, %q) = %q, want %q", tt.text, tt.secret, got, tt.want)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		in    string
		last4 bool
		want  string
	}{
		{"", true, ""},
		{"123", true, "***"},
		{"123456789", true, "***6789"},
		{"123456789", false, "***"},
	}
	for _, tt := range tests {
		if got := String(tt.in, tt.last4); got != tt.want {
			t.Errorf("String(%q, %v) = %q, want %q", tt.in, tt.last4, got, tt.want)
		}
	}
}
