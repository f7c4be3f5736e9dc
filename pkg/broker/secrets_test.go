package broker

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestNoSecretsOrPIIInLogsOrErrors drives the client through successes,
// client errors, retries, ambiguous failures, connection errors and a
// stream with debug logging on, then greps every log line and error string
// for the secret, the Authorization value and the personal data it sent.
func TestNoSecretsOrPIIInLogsOrErrors(t *testing.T) {
	env := newTestEnv(t, func(w http.ResponseWriter, r recorded, n int) {
		switch {
		case strings.HasPrefix(r.Path, "/v1/events"):
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = fmt.Fprint(w, "data: {\"account_id\":\"a\",\"at\":\"2021-06-14T09:59:15Z\",\"event_ulid\":\"x\"}\n\n")
		case r.Method == "POST" && r.Path == "/v1/accounts":
			writeJSON(w, 503, `{"code":50310000,"message":"unavailable"}`)
		case r.Method == "POST":
			writeJSON(w, 422, `{"code":42210000,"message":"invalid"}`)
		case n%2 == 0:
			writeJSON(w, 429, `{"code":42910000,"message":"slow down"}`)
		default:
			writeJSON(w, 200, "[]")
		}
	})
	ctx := context.Background()
	c := env.client
	acct := validAccountRequest()
	var errs []error
	add := func(_ any, err error) { errs = append(errs, err) }
	add(c.CreateAccount(ctx, acct))
	add(c.CreateACHRelationship(ctx, "a", validACHRequest()))
	add(c.CreateBank(ctx, "a", validBankRequest()))
	add(c.ListAccounts(ctx, AccountListOptions{Query: "alice@example.com"}))
	add(c.ListAccounts(ctx, AccountListOptions{Query: "alice@example.com"}))
	add(nil, c.SubscribeAccountStatus(ctx, EventQuery{}, func(AccountStatusEvent) error { return nil }))

	// Connection failures against a closed port, with PII in the query.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	_ = l.Close()
	logs2 := &syncBuffer{}
	dead, err := New(Config{BaseURL: "http://" + addr, KeyID: testKeyID, Secret: testSecret, RequestsPerMinute: -1, MaxRetries: 1,
		RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond,
		Logger: slog.New(slog.NewJSONHandler(logs2, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	add(dead.ListAccounts(ctx, AccountListOptions{Query: "alice@example.com 666-55-4321"}))
	add(dead.CreateAccount(ctx, acct))

	auth := base64.StdEncoding.EncodeToString([]byte(testKeyID + ":" + testSecret))
	forbidden := []string{testSecret, auth, testKeyID, "alice@example.com", "alice%40example.com", "666-55-4321", "32131231abc", "1990-01-01"}
	texts := []string{env.logs.String(), logs2.String(), fmt.Sprintf("%v %+v %#v", c, c, c)}
	for _, e := range errs {
		if e != nil {
			texts = append(texts, e.Error(), fmt.Sprintf("%+v", e))
		}
	}
	if !strings.Contains(env.logs.String(), "broker: response") {
		t.Fatalf("debug logging did not run:\n%s", env.logs)
	}
	for _, text := range texts {
		for _, f := range forbidden {
			if strings.Contains(text, f) {
				t.Errorf("%q leaked in:\n%s", f, text)
			}
		}
	}
}
