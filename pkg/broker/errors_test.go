package broker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAPIErrorDecoding(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantCode int64
		wantMsg  string
	}{
		{"json", 401, `{"code": 40110000, "message": "request is not authorized"}`, 40110000, "request is not authorized"},
		{"json with extra keys", 403, `{"available":"0","code":40310000,"existing_qty":"1000","message":"insufficient qty available for order (requested: 1000, available: 0)","symbol":"SQQQ"}`, 40310000, "insufficient qty available for order (requested: 1000, available: 0)"},
		{"code as float", 422, `{"code": 4.0010001e7, "message": "x"}`, 40010001, "x"},
		{"plain text", 502, "Bad Gateway\n", 0, "Bad Gateway"},
		{"html", 503, "<html><body>down</body></html>", 0, "<html><body>down</body></html>"},
		{"empty", 500, "", 0, ""},
		{"json without fields", 500, `{"error":"boom"}`, 0, `{"error":"boom"}`},
		{"huge text is bounded", 500, strings.Repeat("x", 5000), 0, strings.Repeat("x", maxErrorText) + "…"},
		// 511 bytes of "x" then two-byte runes: byte 512 is mid-rune, so the
		// cut moves back to 511 instead of leaving half an "é".
		{"bounded at a rune boundary", 502, strings.Repeat("x", maxErrorText-1) + strings.Repeat("é", 100), 0, strings.Repeat("x", maxErrorText-1) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("X-Request-ID", "rid-1")
			e := NewAPIError("GET", "/v1/accounts/x", tt.status, h, []byte(tt.body))
			if e.Code != tt.wantCode || e.Message != tt.wantMsg || e.RequestID != "rid-1" || string(e.Body) != tt.body {
				t.Errorf("got %+v", e)
			}
		})
	}
}

func TestAPIErrorText(t *testing.T) {
	e := NewAPIError("POST", "/v1/accounts", 409, http.Header{"X-Request-Id": {"abc"}},
		[]byte(`{"code":40910000,"message":"There is already an existing account registered with the same email address."}`))
	want := "POST /v1/accounts: 409 Conflict (code 40910000): There is already an existing account registered with the same email address. [request id abc]"
	if e.Error() != want {
		t.Errorf("got  %q\nwant %q", e.Error(), want)
	}
	if got := NewAPIError("", "", 502, nil, []byte("oops")).Error(); got != `502 Bad Gateway: non-JSON body, not the Broker API?: "oops"` {
		t.Errorf("got %q", got)
	}
}

// A body that is not the API's JSON error (a proxy's HTML page, another
// server) is summarised by its first line of text and where it came from;
// no "(code 0)" is printed when there is no Alpaca code.
func TestAPIErrorNonJSONText(t *testing.T) {
	nginx := "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n"
	long := strings.Repeat("é", maxDetailText) // 2 bytes each: the cut falls mid-rune
	tests := []struct {
		name, endpoint, body, want string
	}{
		{"proxy page", "http://127.0.0.1:18090", "<html><body><h1>502 Bad Gateway</h1>" + strings.Repeat("x", 5000) + "</body></html>",
			`POST /v1/accounts: 400 Bad Request: non-JSON body from http://127.0.0.1:18090, not the Broker API?: "502 Bad Gateway"`},
		{"nginx page", "https://proxy.internal", nginx,
			`POST /v1/accounts: 400 Bad Request: non-JSON body from https://proxy.internal, not the Broker API?: "502 Bad Gateway"`},
		{"doctype, style, script and entities", "", "<!DOCTYPE html><!-- x --><style>body{}</style><script>var a = 1 < 2;</script>\n<p>  Access   &amp; denied </p>",
			`POST /v1/accounts: 400 Bad Request: non-JSON body, not the Broker API?: "Access & denied"`},
		{"plain text from another server", "http://localhost:8080", "404 page not found\n",
			`POST /v1/accounts: 400 Bad Request: non-JSON body from http://localhost:8080, not the Broker API?: "404 page not found"`},
		{"first non-blank line", "", "\n\n   \nfirst\nsecond",
			`POST /v1/accounts: 400 Bad Request: non-JSON body, not the Broker API?: "first"`},
		{"long line bounded at a rune", "", long,
			`POST /v1/accounts: 400 Bad Request: non-JSON body, not the Broker API?: "` + strings.Repeat("é", maxDetailText/2) + `…"`},
		{"json error without code", "http://x", `{"message":"bad thing"}`, `POST /v1/accounts: 400 Bad Request: bad thing`},
		{"json that is not the error object", "http://x", `{"error":"boom"}`, `POST /v1/accounts: 400 Bad Request: {"error":"boom"}`},
		{"empty body", "http://x", "", `POST /v1/accounts: 400 Bad Request`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := NewAPIError("POST", "/v1/accounts", 400, nil, []byte(tt.body))
			e.Endpoint = tt.endpoint
			got := e.Error()
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if strings.Contains(got, "(code 0)") || !utf8.ValidString(got) || len(got) > 300 {
				t.Errorf("bad text %q", got)
			}
		})
	}
}

func TestErrorPredicates(t *testing.T) {
	mk := func(status int, msg string) error {
		return fmt.Errorf("wrapped: %w", NewAPIError("POST", "/p", status, nil, []byte(fmt.Sprintf(`{"code":1,"message":%q}`, msg))))
	}
	tests := []struct {
		name string
		err  error
		pred func(error) bool
		want bool
	}{
		{"404", mk(404, "order not found"), IsNotFound, true},
		{"409", mk(409, "dup"), IsConflict, true},
		{"401", mk(401, "request is not authorized"), IsUnauthorized, true},
		{"429", mk(429, "too many"), IsRateLimited, true},
		{"410", mk(410, "gone"), IsGone, true},
		{"403", mk(403, "forbidden"), IsForbidden, true},
		{"422", mk(422, "bad"), IsUnprocessable, true},
		{"404 not conflict", mk(404, "x"), IsConflict, false},
		{"plain error", errors.New("x"), IsNotFound, false},
		{"nil", nil, IsNotFound, false},
		{"dup 422", mk(422, "client_order_id must be unique"), IsDuplicateClientOrderID, true},
		{"dup 409 spaced", mk(409, "client order id must be unique"), IsDuplicateClientOrderID, true},
		{"dup 422 camel", mk(422, "Client-Order-ID is not unique"), IsDuplicateClientOrderID, true},
		{"dup wrong status", mk(400, "client_order_id must be unique"), IsDuplicateClientOrderID, false},
		{"dup other message", mk(422, "duplicate client order id"), IsDuplicateClientOrderID, false},
	}
	for _, tt := range tests {
		if got := tt.pred(tt.err); got != tt.want {
			t.Errorf("%s: got %v", tt.name, got)
		}
	}
}

func TestOutcomeUnknownError(t *testing.T) {
	cause := context.DeadlineExceeded
	var err error = &OutcomeUnknownError{Method: "POST", Path: "/v1/accounts/a/transfers", Err: cause}
	err = fmt.Errorf("create transfer t1: %w", err)
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, context.DeadlineExceeded) {
		t.Error("errors.Is chain broken")
	}
	if !strings.Contains(err.Error(), "POST /v1/accounts/a/transfers: outcome unknown") {
		t.Errorf("text: %s", err)
	}
}

func TestValidationErrorText(t *testing.T) {
	e := &ValidationError{Field: "limit_price", Message: "required for limit orders"}
	if e.Error() != "limit_price: required for limit orders" {
		t.Error(e.Error())
	}
	nested := prefixField("entries[2]", invalid("amount", "must be > 0"))
	if nested.Error() != "entries[2].amount: must be > 0" {
		t.Error(nested.Error())
	}
}
