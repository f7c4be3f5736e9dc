package manifest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// fuzzCSV is a data file the fuzzed manifests may name in for_each.
const fuzzCSV = "email,first,deposit\na@example.com,A,100\nb@example.com,B,200\n"

// seedManifests adds every example and invalid-corpus manifest to f.
func seedManifests(f *testing.F) {
	var files []string
	for _, pat := range []string{
		filepath.Join("..", "..", "examples", "manifests", "*", "*.yaml"),
		filepath.Join("testdata", "invalid", "*.yaml"),
		filepath.Join("testdata", "invalid", "*.json"),
	} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzParse loads arbitrary bytes as a manifest (with a CSV file next to
// it): Load must never panic, and returns a Config exactly when it reports
// no error, every diagnostic located in a file.
func FuzzParse(f *testing.F) {
	seedManifests(f)
	f.Add([]byte("accounts:\n  a:\n    for_each: {file: data.csv, key: email}\n    contact: {email_address: ${each.key}}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{
			"m.yaml":   {Data: data},
			"data.csv": {Data: []byte(fuzzCSV)},
		}
		// A mutated "count: 3" easily becomes "count: 999999": keep each
		// input fast so 5 s of fuzzing explores more than a few of them.
		start := time.Now()
		cfg, diags := Load([]string{"m.yaml"}, Options{FS: fsys, Getenv: unsetEnv, maxInstances: 1000})
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Load took %v on %d bytes", d, len(data))
		}
		if (cfg == nil) != diags.HasErrors() {
			t.Fatalf("config %v with diagnostics %v", cfg != nil, diags)
		}
		for _, d := range diags {
			if d.Pos.File == "" || d.Summary == "" {
				t.Fatalf("diagnostic without file or summary: %#v", d)
			}
		}
		if cfg == nil {
			return
		}
		for _, r := range cfg.Resources {
			a, err := ParseAddress(r.Addr.String())
			if err != nil || a != r.Addr {
				t.Fatalf("address %s does not round-trip: %v %v", r.Addr, a, err)
			}
			if h := r.SpecHash(); len(h) != 64 {
				t.Fatalf("%s: spec hash %q", r.Addr, h)
			}
			// Rendering with nothing created must fail cleanly or succeed.
			_, _, _ = r.Render(func(Address) (map[string]any, bool) { return nil, false })
		}
	})
}

// FuzzReferences parses arbitrary template strings, renders them against a
// fixed object, and loads them as a field value and an output of a
// manifest: nothing may panic, and every reference found must print as an
// address that parses back to itself.
func FuzzReferences(f *testing.F) {
	for _, s := range []string{
		"${accounts.alice.id}", "x ${accounts.alice.contact.email_address} y",
		`${accounts.customer["a@example.com"].id}`, "${accounts.customer[each.key].id}",
		"${batch_journals.b.entries[0].id}", "${data.accounts.firm.id}", "${var.x}",
		"${env.HOME:-/root}", "$${literal}", "${count.index}", "${each.value.first}",
		"${accounts.alice[0]}", "${", "${}", `${accounts.a["\"]}`, "${accounts.a[-1]}",
	} {
		f.Add(s)
	}
	lookup := func(a Address) (map[string]any, bool) {
		return map[string]any{"id": "0f0e0d0c-0000-4000-8000-000000000001", "status": "ACTIVE",
			"contact": map[string]any{"email_address": "a@example.com"},
			"entries": []any{map[string]any{"id": "x"}}}, true
	}
	f.Fuzz(func(t *testing.T, s string) {
		tmpl, err := ParseTemplate(s, Pos{File: "f.yaml", Line: 1, Col: 1})
		if err == nil {
			for _, r := range tmpl.Refs() {
				if !r.Addr.Kind.Valid() || !validName(r.Addr.Name) {
					continue
				}
				a, err := ParseAddress(r.Addr.String())
				if err != nil || a != r.Addr {
					t.Fatalf("%q: address %s does not round-trip: %v %v", s, r.Addr, a, err)
				}
			}
			_, _ = tmpl.Render(lookup)
		}
		doc := "variables:\n  x: {default: \"1\"}\naccounts:\n  alice:\n    count: 2\n    contact:\n      email_address: " +
			strconv.Quote(s) + "\noutputs:\n  o:\n    value: " + strconv.Quote(s) + "\n"
		if strings.ContainsAny(s, "\x00") {
			return
		}
		fsys := fstest.MapFS{"m.yaml": {Data: []byte(doc)}}
		cfg, diags := Load([]string{"m.yaml"}, Options{FS: fsys, Getenv: unsetEnv})
		if (cfg == nil) != diags.HasErrors() {
			t.Fatalf("config %v with diagnostics %v", cfg != nil, diags)
		}
		if cfg != nil {
			for _, o := range cfg.Outputs {
				_, _ = o.Render(lookup)
			}
		}
	})
}
