package manifest

import (
	"strings"
	"testing"
	"time"
)

// TestAliasBomb: nested YAML aliases that expand to millions of values
// are refused at once instead of being expanded (found by FuzzParse: it
// stalled on such inputs).
func TestAliasBomb(t *testing.T) {
	doc := `a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
accounts:
  x:
    contact:
      street_address: *h
`
	start := time.Now()
	_, diags := load(map[string]string{"m.yaml": doc}, nil)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if len(diags) != 1 || !strings.HasPrefix(diags.Error(), "m.yaml:1:1: YAML aliases expand this document to more than 1000330 values (from 33 written)") {
		t.Errorf("diagnostics: %v", diags)
	}
}

func TestSharedAliasesStillWork(t *testing.T) {
	doc := "accounts:\n  a:\n" + strings.Replace(testAccount, "    agreements:\n", "    agreements: &agr\n", 1) +
		"  b:\n" + strings.Replace(strings.Split(testAccount, "    agreements:\n")[0], "a@example.com", "b@example.com", 1) + "    agreements: *agr\n"
	cfg := mustLoad(t, map[string]string{"m.yaml": doc}, nil)
	if len(cfg.Resources) != 2 {
		t.Fatalf("%d resources", len(cfg.Resources))
	}
}
