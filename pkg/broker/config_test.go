package broker

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveEndpoint(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"", SandboxURL, false},
		{"sandbox", SandboxURL, false},
		{"Production", ProductionURL, false},
		{"live", ProductionURL, false},
		{"https://broker-api.example.com/", "https://broker-api.example.com", false},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", false},
		{"ftp://x", "", true},
		{"staging", "", true},
		{"https://user:pass@example.com", "", true},
		{"https://example.com/?q=1", "", true},
	}
	for _, tt := range tests {
		got, err := ResolveEndpoint(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ResolveEndpoint(%q) = %q, %v", tt.in, got, err)
		}
		if err != nil && strings.Contains(err.Error(), "pass") {
			t.Errorf("error leaks URL password: %v", err)
		}
	}
}

func envFunc(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeConfig(t *testing.T, dir, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, "brokerctl", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	good := writeConfig(t, dir, "key_id: PKFILE1234\nsecret_key: filesecret\nendpoint: production\n", 0o600)

	t.Run("env wins", func(t *testing.T) {
		c, found, err := LoadCredentials(envFunc(map[string]string{EnvKeyID: "PKENV", EnvSecret: "envsecret", EnvEndpoint: "sandbox", "XDG_CONFIG_HOME": dir}), "")
		if err != nil || !found || c.KeyID != "PKENV" || c.Secret != "envsecret" || c.Endpoint != "sandbox" || c.Source != "env" {
			t.Fatalf("%v %v %v", c, found, err)
		}
	})
	t.Run("half env", func(t *testing.T) {
		_, _, err := LoadCredentials(envFunc(map[string]string{EnvKeyID: "PKENV"}), "")
		if err == nil || !strings.Contains(err.Error(), EnvSecret) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("xdg default file", func(t *testing.T) {
		c, found, err := LoadCredentials(envFunc(map[string]string{"XDG_CONFIG_HOME": dir}), "")
		if err != nil || !found || c.KeyID != "PKFILE1234" || c.Secret != "filesecret" || c.Endpoint != "production" || c.Source != good {
			t.Fatalf("%#v %v %v", c, found, err)
		}
	})
	t.Run("home default file", func(t *testing.T) {
		home := t.TempDir()
		writeConfig(t, filepath.Join(home, ".config"), "key_id: PKHOME\nsecret_key: s\n", 0o600)
		c, found, err := LoadCredentials(envFunc(map[string]string{"HOME": home}), "")
		if err != nil || !found || c.KeyID != "PKHOME" {
			t.Fatalf("%v %v %v", c, found, err)
		}
	})
	t.Run("env endpoint overrides file", func(t *testing.T) {
		c, _, _ := LoadCredentials(envFunc(map[string]string{"XDG_CONFIG_HOME": dir, EnvEndpoint: "http://localhost:9"}), "")
		if c.Endpoint != "http://localhost:9" {
			t.Errorf("endpoint %q", c.Endpoint)
		}
	})
	t.Run("nothing anywhere", func(t *testing.T) {
		_, found, err := LoadCredentials(envFunc(map[string]string{"XDG_CONFIG_HOME": t.TempDir()}), "")
		if err != nil || found {
			t.Fatalf("%v %v", found, err)
		}
	})
	t.Run("explicit missing file", func(t *testing.T) {
		_, _, err := LoadCredentials(envFunc(nil), filepath.Join(dir, "nope.yaml"))
		if err == nil {
			t.Fatal("want error for a named file that does not exist")
		}
	})
	t.Run("world readable refused", func(t *testing.T) {
		p := writeConfig(t, t.TempDir(), "key_id: PK\nsecret_key: leakysecret\n", 0o644)
		_, _, err := LoadCredentials(envFunc(nil), p)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") || strings.Contains(err.Error(), "leakysecret") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("misspelt key", func(t *testing.T) {
		p := writeConfig(t, t.TempDir(), "key: PK\nsecret_key: s\nstate: other-tool-setting\n", 0o600)
		_, _, err := LoadCredentials(envFunc(nil), p)
		if err == nil || !strings.Contains(err.Error(), "key_id") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("misspelt keys name the culprits, not the values", func(t *testing.T) {
		cases := []struct{ body, want string }{
			{"key: PK\nsecret_key: s3cr3tvalue\n", "key_id is missing (both key_id and secret_key are required) (the file has key:"},
			{"key_id: PK\nsecret: s3cr3tvalue\n", "secret_key is missing (both key_id and secret_key are required) (the file has secret:"},
			// Both misspelt used to read as "no credentials" and fall back
			// to the built-in emulator without a word about the file.
			{"apiKey: PK\napi_secret: s3cr3tvalue\nstate: other\n", "key_id and secret_key are missing (the file has apiKey, api_secret:"},
		}
		for _, tc := range cases {
			p := writeConfig(t, t.TempDir(), tc.body, 0o600)
			_, found, err := LoadCredentials(envFunc(nil), p)
			if err == nil || found || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "s3cr3tvalue") || strings.Contains(err.Error(), "state") {
				t.Errorf("%q: err %v, want it to contain %q and no secret", tc.body, err, tc.want)
			}
		}
	})
	t.Run("bad yaml", func(t *testing.T) {
		p := writeConfig(t, t.TempDir(), "key_id: [unterminated\n", 0o600)
		_, _, err := LoadCredentials(envFunc(nil), p)
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("half file", func(t *testing.T) {
		p := writeConfig(t, t.TempDir(), "key_id: PK\n", 0o600)
		_, _, err := LoadCredentials(envFunc(nil), p)
		if err == nil || !strings.Contains(err.Error(), "secret_key") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("endpoint only", func(t *testing.T) {
		p := writeConfig(t, t.TempDir(), "endpoint: sandbox\n", 0o600)
		c, found, err := LoadCredentials(envFunc(nil), p)
		if err != nil || found || c.Endpoint != "sandbox" {
			t.Fatalf("%v %v %v", c, found, err)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		p := writeConfig(t, t.TempDir(), "", 0o600)
		if _, found, err := LoadCredentials(envFunc(nil), p); err != nil || found {
			t.Fatalf("%v %v", found, err)
		}
	})
}

func TestCredentialsNeverPrintSecret(t *testing.T) {
	c := Credentials{KeyID: "PK12345678", Secret: testSecret, Endpoint: "sandbox", Source: "env"}
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("creds", "c", c)
	js, _ := json.Marshal(c)
	outputs := []string{
		fmt.Sprint(c), fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s", c),
		fmt.Sprintf("%q", c), fmt.Sprintf("%v", &c), fmt.Sprintf("%+v", []Credentials{c}), fmt.Sprintf("%#v", struct{ C Credentials }{c}),
		c.String(), c.GoString(), logs.String(), string(js),
	}
	for _, out := range outputs {
		if strings.Contains(out, testSecret) {
			t.Errorf("secret printed: %s", out)
		}
		if strings.Contains(out, "PK12345678") {
			t.Errorf("full key id printed: %s", out)
		}
	}
	if !strings.Contains(c.String(), "PK12…(redacted)") {
		t.Errorf("String() = %q", c.String())
	}
}

func TestNewRequiresCredentialsAndEndpoint(t *testing.T) {
	if _, err := New(Config{KeyID: "k", Secret: "s"}); err == nil {
		t.Error("no BaseURL accepted")
	}
	if _, err := New(Config{BaseURL: "sandbox", KeyID: "k"}); err == nil || !strings.Contains(err.Error(), EnvSecret) {
		t.Errorf("missing secret: %v", err)
	}
	c, err := New(Config{BaseURL: "sandbox", KeyID: "k", Secret: "s"})
	if err != nil || c.BaseURL() != SandboxURL {
		t.Errorf("%v %v", c, err)
	}
}
