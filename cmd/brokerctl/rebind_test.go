package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/brokerctl/brokerctl/pkg/emulator"
)

// rotatingProxy stands for one endpoint URL whose key was rotated: it
// accepts any key and forwards to the backend emulator it currently points
// at (with that emulator's key).
func rotatingProxy(t *testing.T, backend *atomic.Pointer[emulator.Server]) *httptest.Server {
	t.Helper()
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := backend.Load()
		u, _ := url.Parse(b.URL)
		key, secret := b.Emulator.Credentials()
		r.SetBasicAuth(key, secret)
		httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// QA Q8: --rebind-target records a new key for the SAME endpoint only, and
// only when the new key sees the workspace's accounts.
func TestRebindTarget(t *testing.T) {
	home, _ := standalone(t)
	other, err := emulator.Start(context.Background(), "127.0.0.1:0", emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	var backend atomic.Pointer[emulator.Server]
	backend.Store(home)
	proxy := rotatingProxy(t, &backend)

	c := newCLIEnv(t)
	c.creds("QASECRETxyz123")
	if code, out, errs := c.run("--endpoint", proxy.URL, "apply", "-f", "solo.yaml"); code != 0 {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errs)
	}

	// Another endpoint, or the built-in emulator: refused, exit 2.
	for _, tc := range []struct {
		name string
		args []string
		env  func()
	}{
		{"other endpoint", []string{"--endpoint", other.URL, "apply", "-f", "solo.yaml", "--rebind-target"}, func() {}},
		{"built-in emulator", []string{"apply", "-f", "solo.yaml", "--rebind-target"}, func() {
			delete(c.env, "APCA_API_KEY_ID")
			delete(c.env, "APCA_API_SECRET_KEY")
		}},
	} {
		c.creds("QASECRETxyz123")
		if tc.name == "other endpoint" {
			k, s := other.Emulator.Credentials()
			c.env["APCA_API_KEY_ID"], c.env["APCA_API_SECRET_KEY"] = k, s
		}
		tc.env()
		code, _, errs := c.run(tc.args...)
		if code != 2 || !strings.Contains(errs, "--rebind-target only records a new key for the same endpoint URL") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and the same-endpoint rule", tc.name, code, errs)
		}
	}

	// Same URL, new key that sees other objects (another broker account):
	// refused, exit 1, nothing recorded.
	backend.Store(other)
	c.env["APCA_API_KEY_ID"], c.env["APCA_API_SECRET_KEY"] = "ROTATED0001", "rotated-secret"
	code, _, errs := c.run("--endpoint", proxy.URL, "apply", "-f", "solo.yaml", "--rebind-target")
	if code != 1 || !strings.Contains(errs, "the new key cannot see accounts.solo") {
		t.Errorf("key of another broker account: exit %d, stderr %q; want exit 1 and cannot see accounts.solo", code, errs)
	}
	backend.Store(home)
	code, _, errs = c.run("--endpoint", proxy.URL, "plan", "-f", "solo.yaml")
	if code != 2 || !strings.Contains(errs, "(key QAKE…#") {
		t.Errorf("a refused rebind recorded the new key: plan exit %d, stderr %q", code, errs)
	}

	// Same URL, rotated key of the same account: recorded.
	if code, out, errs := c.run("--endpoint", proxy.URL, "apply", "-f", "solo.yaml", "--rebind-target"); code != 0 || !strings.Contains(out, "1 unchanged") {
		t.Fatalf("rotated key: exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := c.run("--endpoint", proxy.URL, "plan", "-f", "solo.yaml"); code != 0 {
		t.Errorf("plan with the rebound key: exit %d\n%s\n%s", code, out, errs)
	}
}
