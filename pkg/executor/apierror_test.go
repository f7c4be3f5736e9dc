package executor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/brokerctl/brokerctl/pkg/broker"
)

// A proxy's HTML error page reaches the user as one line naming where it
// came from, without "(code 0)" or the page's markup.
func TestAPIErrorFromHTMLPage(t *testing.T) {
	page := "<html><body><h1>502 Bad Gateway</h1>" + strings.Repeat("x", 5000) + "</body></html>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(page))
	}))
	defer srv.Close()
	c, err := broker.New(broker.Config{BaseURL: srv.URL, KeyID: "k", Secret: "s", RequestsPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewBrokerRemote(c).Create(context.Background(), "accounts", "", Object{"contact": Object{}}, "key")
	if err == nil {
		t.Fatal("no error")
	}
	want := `HTTP 400: non-JSON body from ` + srv.URL + `, not the Broker API?: "502 Bad Gateway"`
	if got := err.Error(); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestExecutorAPIErrorText(t *testing.T) {
	tests := []struct {
		err  APIError
		want string
	}{
		{APIError{Status: 409, Code: 40910000, Message: "email taken"}, "HTTP 409: email taken (code 40910000)"},
		{APIError{Status: 400, Message: "bad"}, "HTTP 400: bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
