package manifest

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// testAccount is the body of a valid account, indented under a name.
const testAccount = `    contact:
      email_address: a@example.com
      street_address: ["1 Main St"]
      city: Austin
      state: TX
      postal_code: "78701"
      country: USA
    identity:
      given_name: A
      family_name: B
      date_of_birth: "1990-01-01"
      tax_id: 666-55-1234
      tax_id_type: USA_SSN
      country_of_tax_residence: USA
      funding_source: [savings]
    disclosures:
      is_control_person: false
      is_affiliated_exchange_or_finra: false
      is_politically_exposed: false
      immediate_family_exposed: false
    agreements:
      - agreement: customer_agreement
        signed_at: "2026-01-15T10:00:00Z"
        ip_address: 127.0.0.1
`

// load loads m.yaml (and any other files) from memory.
func load(files map[string]string, opts *Options) (*Config, Diagnostics) {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	o := Options{}
	if opts != nil {
		o = *opts
	}
	o.FS = fsys
	if o.Getenv == nil {
		o.Getenv = unsetEnv
	}
	return Load([]string{"m.yaml"}, o)
}

func mustLoad(t *testing.T, files map[string]string, opts *Options) *Config {
	t.Helper()
	cfg, diags := load(files, opts)
	if diags.HasErrors() {
		t.Fatalf("load:\n%v", diags)
	}
	return cfg
}

func resource(t *testing.T, cfg *Config, addr string) *Resource {
	t.Helper()
	a, err := ParseAddress(addr)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := cfg.Resource(a)
	if !ok {
		var have []string
		for _, r := range cfg.Resources {
			have = append(have, r.Addr.String())
		}
		t.Fatalf("no resource %s; have %v", addr, have)
	}
	return r
}

// field returns a body field by dotted path.
func field(t *testing.T, r *Resource, path string) any {
	t.Helper()
	var cur any = r.Body
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s: %s is not an object", r.Addr, path)
		}
		cur = m[p]
	}
	return cur
}

// withGiven is testAccount with given_name set to expr.
func withGiven(expr string) string {
	return strings.Replace(testAccount, "given_name: A", "given_name: "+expr, 1)
}

func TestVariables(t *testing.T) {
	manifest := `variables:
  name: {default: Default}
  n: {type: number, default: 2}
  flag: {type: bool, default: false}
accounts:
  alice:
` + withGiven("${var.name}") + `outputs:
  n: {value: "${var.n}"}
  flag: {value: "${var.flag}"}
`
	tests := []struct {
		name      string
		opts      Options
		varFile   string
		wantGiven string
		wantN     any
		wantFlag  any
	}{
		{"defaults", Options{}, "", "Default", "2", false},
		{"--var overrides", Options{Vars: map[string]string{"name": "Flag", "n": "7", "flag": "true"}}, "", "Flag", "7", true},
		{"var file", Options{VarFiles: []string{"vars.yaml"}}, "name: File\nn: 3\n", "File", "3", false},
		{"--var beats var file", Options{Vars: map[string]string{"name": "Flag"}, VarFiles: []string{"vars.yaml"}}, "name: File\n", "Flag", "2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"m.yaml": manifest}
			if tt.varFile != "" {
				files["vars.yaml"] = tt.varFile
			}
			cfg := mustLoad(t, files, &tt.opts)
			if got := field(t, resource(t, cfg, "accounts.alice"), "identity.given_name"); got != tt.wantGiven {
				t.Errorf("given_name = %v, want %v", got, tt.wantGiven)
			}
			outs := map[string]any{}
			for _, o := range cfg.Outputs {
				v, err := o.Render(renderLookup)
				if err != nil {
					t.Fatal(err)
				}
				outs[o.Name] = v
			}
			if n, _ := outs["n"]; n != nil && fmtAny(n) != tt.wantN {
				t.Errorf("n = %#v, want %v", n, tt.wantN)
			}
			if outs["flag"] != tt.wantFlag {
				t.Errorf("flag = %#v, want %v", outs["flag"], tt.wantFlag)
			}
		})
	}
}

func fmtAny(v any) any {
	if s, ok := v.(interface{ String() string }); ok {
		return s.String()
	}
	return v
}

func TestVariableErrors(t *testing.T) {
	manifest := "variables:\n  n: {type: number}\naccounts:\n  alice:\n" + testAccount
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no value", Options{}, `m.yaml:2:3: variables.n: variable "n" has no value`},
		{"not a number", Options{Vars: map[string]string{"n": "x"}}, `--var n: variables.n: want a number, got "x"`},
		{"undeclared --var", Options{Vars: map[string]string{"n": "1", "m": "1"}}, `--var m: variables.m: no variable "m" is declared in the manifests (did you mean n?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := load(map[string]string{"m.yaml": manifest}, &tt.opts)
			if !strings.Contains(diags.Error(), tt.want) {
				t.Errorf("diagnostics:\n%v\nwant %q", diags, tt.want)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	manifest := "accounts:\n  alice:\n" + strings.Replace(withGiven("${env.GIVEN:-Fallback}"), "family_name: B", "family_name: ${env.FAMILY}", 1)
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	cfg := mustLoad(t, map[string]string{"m.yaml": manifest}, &Options{Getenv: env(map[string]string{"FAMILY": "Fam"})})
	r := resource(t, cfg, "accounts.alice")
	if g, f := field(t, r, "identity.given_name"), field(t, r, "identity.family_name"); g != "Fallback" || f != "Fam" {
		t.Errorf("given %v family %v, want Fallback Fam", g, f)
	}
	cfg = mustLoad(t, map[string]string{"m.yaml": manifest}, &Options{Getenv: env(map[string]string{"FAMILY": "Fam", "GIVEN": "Set"})})
	if g := field(t, resource(t, cfg, "accounts.alice"), "identity.given_name"); g != "Set" {
		t.Errorf("given %v, want Set", g)
	}
	// As in the shell, :- also replaces an empty value.
	cfg = mustLoad(t, map[string]string{"m.yaml": manifest}, &Options{Getenv: env(map[string]string{"FAMILY": "Fam", "GIVEN": ""})})
	if g := field(t, resource(t, cfg, "accounts.alice"), "identity.given_name"); g != "Fallback" {
		t.Errorf("given %q, want Fallback", g)
	}
	_, diags := load(map[string]string{"m.yaml": manifest}, nil)
	if !strings.Contains(diags.Error(), "environment variable FAMILY is not set") {
		t.Errorf("missing env: %v", diags)
	}
}

func TestForEachAndCount(t *testing.T) {
	account := func(forEach, given string) string {
		return "accounts:\n  c:\n    for_each: " + forEach + "\n" + strings.Replace(withGiven(given), "email_address: a@example.com", "email_address: ${each.key}", 1)
	}
	tests := []struct {
		name   string
		files  map[string]string
		keys   []string
		givens []string
	}{
		{"list", map[string]string{"m.yaml": account("[x@e.com, y@e.com]", "${each.value}")},
			[]string{"x@e.com", "y@e.com"}, []string{"x@e.com", "y@e.com"}},
		{"map", map[string]string{"m.yaml": account("{y@e.com: {first: Y}, x@e.com: {first: X}}", "${each.value.first}")},
			[]string{"y@e.com", "x@e.com"}, []string{"Y", "X"}},
		{"variable list", map[string]string{"m.yaml": "variables:\n  people: {default: [p@e.com, q@e.com]}\n" + account("${var.people}", "${each.key}")},
			[]string{"p@e.com", "q@e.com"}, []string{"p@e.com", "q@e.com"}},
		{"csv", map[string]string{"m.yaml": account("{file: people.csv, key: email}", "${each.value.first}"),
			"people.csv": "\ufeffemail,first\nx@e.com,\"X, Jr\"\ny@e.com,Y\n"},
			[]string{"x@e.com", "y@e.com"}, []string{"X, Jr", "Y"}},
		{"json array", map[string]string{"m.yaml": account("{file: people.json, key: email}", "${each.value.first}"),
			"people.json": `[{"email": "x@e.com", "first": "X"}, {"email": "y@e.com", "first": "Y"}]`},
			[]string{"x@e.com", "y@e.com"}, []string{"X", "Y"}},
		{"json object", map[string]string{"m.yaml": account("{file: people.json}", "${each.value.first}"),
			"people.json": `{"x@e.com": {"first": "X"}, "y@e.com": {"first": "Y"}}`},
			[]string{"x@e.com", "y@e.com"}, []string{"X", "Y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustLoad(t, tt.files, nil)
			if len(cfg.Resources) != len(tt.keys) {
				t.Fatalf("%d resources, want %d", len(cfg.Resources), len(tt.keys))
			}
			for i, k := range tt.keys {
				r := resource(t, cfg, `accounts.c["`+k+`"]`)
				if got := field(t, r, "contact.email_address"); got != k {
					t.Errorf("%s: email %v", r.Addr, got)
				}
				if got := field(t, r, "identity.given_name"); got != tt.givens[i] {
					t.Errorf("%s: given_name %v, want %v", r.Addr, got, tt.givens[i])
				}
			}
		})
	}

	t.Run("count", func(t *testing.T) {
		cfg := mustLoad(t, map[string]string{"m.yaml": "variables:\n  n: {default: 3}\naccounts:\n  t:\n    count: ${var.n}\n" +
			strings.Replace(withGiven("T${count.index}"), "a@example.com", "t${count.index}@example.com", 1)}, nil)
		if len(cfg.Resources) != 3 {
			t.Fatalf("%d resources", len(cfg.Resources))
		}
		for i, want := range []string{"T0", "T1", "T2"} {
			r := cfg.Resources[i]
			if r.Addr.String() != "accounts.t["+want[1:]+"]" || field(t, r, "identity.given_name") != want {
				t.Errorf("resource %d: %s %v", i, r.Addr, field(t, r, "identity.given_name"))
			}
		}
	})
	t.Run("instance limit", func(t *testing.T) {
		_, diags := load(map[string]string{"m.yaml": "accounts:\n  t:\n    count: 11\n" + testAccount,
			"c.csv": "k\n1\n2\n3\n"}, &Options{maxInstances: 10})
		if !strings.Contains(diags.Error(), "m.yaml:3:12: accounts.t.count: count 11 is above the limit of 10") {
			t.Errorf("count above the limit: %v", diags)
		}
		_, diags = load(map[string]string{"m.yaml": "accounts:\n  t:\n    for_each: {file: c.csv, key: k}\n" + testAccount,
			"c.csv": "k\n1\n2\n3\n"}, &Options{maxInstances: 2})
		if !strings.Contains(diags.Error(), "c.csv: accounts.t.for_each: more than 2 rows") {
			t.Errorf("rows above the limit: %v", diags)
		}
	})
	t.Run("two blocks share one CSV", func(t *testing.T) {
		acct := "accounts:\n  c:\n    for_each: {file: c.csv, key: email}\n" + strings.Replace(testAccount, "a@example.com", "${each.key}", 1)
		bank := `ach_relationships:
  b:
    for_each: {file: c.csv, key: email}
    account_id: ${accounts.c[each.key].id}
    account_owner_name: ${each.value.name}
    bank_account_type: CHECKING
    bank_account_number: "32131231abc"
    bank_routing_number: "121000358"
`
		csv := "email,name\nx@e.com,X\ny@e.com,Y\n"
		cfg := mustLoad(t, map[string]string{"m.yaml": acct + bank, "c.csv": csv}, nil)
		r := resource(t, cfg, `ach_relationships.b["y@e.com"]`)
		if field(t, r, "account_owner_name") != "Y" || r.AccountRef.Raw != `${accounts.c["y@e.com"].id}` {
			t.Errorf("shared rows: %v %v", r.Body, r.AccountRef.Raw)
		}
		// A problem in the shared file is reported once, at the file.
		_, diags := load(map[string]string{"m.yaml": acct + bank, "c.csv": csv + "x@e.com,X2\n"}, nil)
		if len(diags) != 1 || !strings.HasPrefix(diags.Error(), `c.csv:4:1: accounts.c["x@e.com"]: duplicate for_each key "x@e.com" (first at c.csv:2:1)`) {
			t.Errorf("diagnostics: %v", diags)
		}
	})
	t.Run("csv cells fill boolean fields", func(t *testing.T) {
		m := "accounts:\n  c:\n    for_each: {file: c.csv, key: email}\n" +
			strings.NewReplacer("a@example.com", "${each.key}", "is_control_person: false", "is_control_person: ${each.value.control}",
				"family_name: B", "family_name: ${each.value.control}").Replace(testAccount)
		cfg := mustLoad(t, map[string]string{"m.yaml": m, "c.csv": "email,control\nx@e.com,TRUE\ny@e.com,false\n"}, nil)
		if got := field(t, resource(t, cfg, `accounts.c["x@e.com"]`), "disclosures.is_control_person"); got != true {
			t.Errorf("x: is_control_person = %#v, want true", got)
		}
		if got := field(t, resource(t, cfg, `accounts.c["y@e.com"]`), "disclosures.is_control_person"); got != false {
			t.Errorf("y: is_control_person = %#v, want false", got)
		}
		// A string field keeps the cell as written.
		if got := field(t, resource(t, cfg, `accounts.c["x@e.com"]`), "identity.family_name"); got != "TRUE" {
			t.Errorf("family_name = %#v", got)
		}
		_, diags := load(map[string]string{"m.yaml": m, "c.csv": "email,control\nx@e.com,no\n"}, nil)
		if !strings.Contains(diags.Error(), `c.csv:2:9: accounts.c["x@e.com"].disclosures.is_control_person: expected boolean, got string`) {
			t.Errorf("a cell that is not a boolean: %v", diags)
		}
	})
	t.Run("count zero", func(t *testing.T) {
		cfg := mustLoad(t, map[string]string{"m.yaml": "accounts:\n  t:\n    count: 0\n" + testAccount}, nil)
		if len(cfg.Resources) != 0 {
			t.Fatalf("%d resources", len(cfg.Resources))
		}
	})
}

func TestReferencesDependsAndWaits(t *testing.T) {
	cfg := mustLoad(t, map[string]string{"m.yaml": `
accounts:
  alice:
` + testAccount + `
ach_relationships:
  bank:
    account_id: ${accounts.alice.id}
    account_owner_name: A B
    bank_account_type: CHECKING
    bank_account_number: "32131231abc"
    bank_routing_number: "121000358"
transfers:
  deposit:
    account_id: ${accounts.alice.id}
    transfer_type: ach
    relationship_id: ${ach_relationships.bank.id}
    amount: "100"
    direction: ${var.dir}
    wait_for: {status: COMPLETE, timeout: 90s}
orders:
  buy:
    account_id: ${accounts.alice.id}
    symbol: AAPL
    qty: "1"
    side: buy
    type: market
    time_in_force: day
    depends_on: [transfers.deposit]
    lifecycle: {protect: true, ignore_changes: [qty]}
variables:
  dir: {default: INCOMING}
`}, nil)
	dep := resource(t, cfg, "transfers.deposit")
	if got := addrs(dep.DependsOn); !reflect.DeepEqual(got, []string{"accounts.alice", "ach_relationships.bank"}) {
		t.Errorf("deposit depends on %v", got)
	}
	if dep.Wait == nil || dep.Wait.Implied || dep.Wait.Timeout != 90*time.Second || !slices.Equal(dep.Wait.Statuses, []string{"COMPLETE"}) {
		t.Errorf("deposit wait %+v", dep.Wait)
	}
	if field(t, dep, "direction") != "INCOMING" {
		t.Errorf("an enum from a variable: direction %v", field(t, dep, "direction"))
	}
	bank := resource(t, cfg, "ach_relationships.bank")
	if bank.Wait == nil || !bank.Wait.Implied || !slices.Contains(bank.Wait.Statuses, "APPROVED") || bank.Wait.Timeout != DefaultWaitTimeout {
		t.Errorf("bank: implied wait for APPROVED, got %+v", bank.Wait)
	}
	buy := resource(t, cfg, "orders.buy")
	if got := addrs(buy.DependsOn); !reflect.DeepEqual(got, []string{"accounts.alice", "transfers.deposit"}) {
		t.Errorf("buy depends on %v", got)
	}
	if !buy.Lifecycle.Protect || !slices.Equal(buy.Lifecycle.IgnoreChanges, []string{"qty"}) {
		t.Errorf("lifecycle %+v", buy.Lifecycle)
	}
	if buy.AccountRef == nil || buy.AccountRef.Raw != "${accounts.alice.id}" {
		t.Errorf("account ref %v", buy.AccountRef)
	}
	if got := cfg.Graph.Len(); got != 4 {
		t.Errorf("graph has %d vertices", got)
	}
}

func addrs(as []Address) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.String())
	}
	return out
}

func TestOutputs(t *testing.T) {
	cfg := mustLoad(t, map[string]string{"m.yaml": "accounts:\n  alice:\n" + testAccount + `outputs:
  id: {value: "${accounts.alice.id}", description: The id}
  both: {value: "${accounts.alice.account_number}/${accounts.alice.last_equity}", sensitive: true}
  number: {value: 42}
`}, nil)
	if len(cfg.Outputs) != 3 {
		t.Fatalf("%d outputs", len(cfg.Outputs))
	}
	want := map[string]any{"id": "11111111-1111-4111-8111-111111111111", "both": "920000001/1000.50"}
	for _, o := range cfg.Outputs {
		v, err := o.Render(renderLookup)
		if err != nil {
			t.Fatal(err)
		}
		switch o.Name {
		case "number":
			if fmtAny(v) != "42" {
				t.Errorf("number = %#v", v)
			}
		default:
			if v != want[o.Name] {
				t.Errorf("%s = %#v, want %#v", o.Name, v, want[o.Name])
			}
		}
		if o.Name == "both" && !o.Sensitive || o.Name == "id" && o.Description != "The id" {
			t.Errorf("%s: %+v", o.Name, o)
		}
	}
}

func TestSpecHash(t *testing.T) {
	base := "accounts:\n  alice:\n" + testAccount
	hash := func(t *testing.T, manifest string) string {
		t.Helper()
		return resource(t, mustLoad(t, map[string]string{"m.yaml": manifest}, nil), "accounts.alice").SpecHash()
	}
	h := hash(t, base)
	if len(h) != 64 {
		t.Fatalf("hash %q", h)
	}
	if h2 := hash(t, base); h2 != h {
		t.Error("same spec, two loads: different hashes")
	}
	// Field order does not matter.
	reordered := "accounts:\n  alice:\n" + strings.Replace(testAccount, "      city: Austin\n      state: TX\n", "      state: TX\n      city: Austin\n", 1)
	if hash(t, reordered) != h {
		t.Error("reordered fields change the hash")
	}
	// Meta-arguments are not part of the spec.
	if hash(t, base+"    wait_for: ACTIVE\n    lifecycle: {protect: true}\n") != h {
		t.Error("wait_for or lifecycle changes the hash")
	}
	changed := strings.Replace(base, "city: Austin", "city: Dallas", 1)
	if hash(t, changed) == h {
		t.Error("a changed field keeps the hash")
	}
	// ignore_changes: the ignored field does not count, others still do.
	ign := "    lifecycle: {ignore_changes: [contact.city]}\n"
	hi := hash(t, base+ign)
	if hash(t, changed+ign) != hi {
		t.Error("an ignored field changes the hash")
	}
	if hash(t, strings.Replace(base, "state: TX", "state: CA", 1)+ign) == hi {
		t.Error("a field that is not ignored keeps the hash")
	}
	// The hash covers references as written, not their values.
	ref := func(name string) string {
		return base + "  bob:\n" + strings.Replace(testAccount, "a@example.com", "b@example.com", 1) +
			"orders:\n  o:\n    account_id: ${accounts." + name + ".id}\n    symbol: AAPL\n    qty: \"1\"\n    side: buy\n    type: market\n    time_in_force: day\n"
	}
	ha := resource(t, mustLoad(t, map[string]string{"m.yaml": ref("alice")}, nil), "orders.o").SpecHash()
	hb := resource(t, mustLoad(t, map[string]string{"m.yaml": ref("bob")}, nil), "orders.o").SpecHash()
	if ha == hb {
		t.Error("a different account reference keeps the hash")
	}
}

func TestDiagnosticFormat(t *testing.T) {
	d := Diagnostic{Pos: Pos{File: "m.yaml", Line: 3, Col: 5}, Path: "accounts.a.contact", Summary: `unknown field "x"`, Suggestion: "y"}
	if got, want := d.Error(), `m.yaml:3:5: accounts.a.contact: unknown field "x" (did you mean y?)`; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	w := Diagnostic{Severity: SeverityWarning, Pos: Pos{File: "m.yaml"}, Summary: "s"}
	if got := w.Error(); got != "m.yaml: warning: s" {
		t.Errorf("%q", got)
	}
	ds := Diagnostics{w}
	if ds.HasErrors() || ds.Err() != nil || len(ds.Errors()) != 0 {
		t.Error("warnings are not errors")
	}
	ds = append(ds, d)
	if !ds.HasErrors() || ds.Err() == nil || len(ds.Errors()) != 1 {
		t.Error("an error is an error")
	}
}

// TestForEachFileWithoutRows: a CSV with only its header (or an empty JSON
// array) is valid but warned about, naming the file and the block, since
// apply --prune would then destroy every instance recorded for it.
func TestForEachFileWithoutRows(t *testing.T) {
	for _, tc := range []struct{ file, data, want string }{
		{"c.csv", "email,name\n", "c.csv:1:1: warning: transfers.t.for_each: c.csv has a header and no data rows: 0 instances of transfers.t (apply --prune would destroy every instance recorded for it)"},
		{"c.json", "[]", "c.json:1:1: warning: transfers.t.for_each: c.json has no elements: 0 instances of transfers.t (apply --prune would destroy every instance recorded for it)"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m := "transfers:\n  t:\n    for_each: {file: " + tc.file + ", key: email}\n" +
				"    account_id: 8f8c8cee-2591-4f83-be12-82c659b5e748\n    transfer_type: ach\n" +
				"    relationship_id: 0d9f2a3c-5b1e-4c4f-9a6e-2f1b7c8d9e0a\n    amount: \"1.00\"\n    direction: INCOMING\n"
			cfg, diags := load(map[string]string{"m.yaml": m, tc.file: tc.data}, nil)
			if cfg == nil || diags.HasErrors() {
				t.Fatalf("load failed:\n%v", diags)
			}
			var got []string
			for _, d := range diags {
				got = append(got, d.Error())
			}
			if !slices.Contains(got, tc.want) {
				t.Errorf("diagnostics %q, want %q among them", got, tc.want)
			}
		})
	}
}
