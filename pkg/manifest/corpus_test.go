package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusFiles lists the invalid manifests of testdata/invalid.
func corpusFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.yaml", "*.json"} {
		m, err := filepath.Glob(filepath.Join("testdata", "invalid", pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	return files
}

// corpusWants returns the expected diagnostics of an invalid manifest: its
// "# want: " header lines, or the lines of a sibling .golden file.
func corpusWants(t *testing.T, file string, data []byte) []string {
	t.Helper()
	var wants []string
	for _, line := range strings.Split(string(data), "\n") {
		if w, ok := strings.CutPrefix(line, "# want: "); ok {
			wants = append(wants, w)
		}
	}
	golden := strings.TrimSuffix(file, filepath.Ext(file)) + ".golden"
	if g, err := os.ReadFile(golden); err == nil {
		wants = append(wants, strings.Split(strings.TrimSpace(string(g)), "\n")...)
	}
	return wants
}

// unsetEnv is a Getenv that finds nothing, so tests do not depend on the
// developer's environment.
func unsetEnv(string) (string, bool) { return "", false }

// TestInvalidCorpus loads every manifest in testdata/invalid: each must
// fail with exactly its expected diagnostics, in order, each located as
// file:line:col (the want is the whole diagnostic: a changed message or
// position fails the test).
func TestInvalidCorpus(t *testing.T) {
	files := corpusFiles(t)
	if len(files) < 40 {
		t.Fatalf("%d invalid manifests, want at least 40", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			wants := corpusWants(t, f, data)
			if len(wants) == 0 {
				t.Fatalf("%s has no '# want: ' line and no .golden file", f)
			}
			// Load through an FS rooted at testdata/invalid so that every
			// position, including those inside messages, is relative to it.
			cfg, diags := Load([]string{filepath.Base(f)}, Options{Getenv: unsetEnv, FS: os.DirFS(filepath.Dir(f))})
			if cfg != nil || !diags.HasErrors() {
				t.Fatalf("%s loaded without errors", f)
			}
			if len(diags) != len(wants) {
				t.Errorf("%d diagnostics, want %d:\n%v", len(diags), len(wants), diags)
			}
			for i, w := range wants {
				if !strings.Contains(w, ":") || !strings.Contains(w, ": ") {
					t.Errorf("want %q has no file:line:col", w)
				}
				if i < len(diags) && diags[i].Error() != w {
					t.Errorf("diagnostic %d:\n got: %s\nwant: ...%s", i, diags[i].Error(), w)
				}
			}
		})
	}
}
