package executor

import (
	"errors"
	"net/http"
	"testing"

	"github.com/brokerctl/brokerctl/pkg/broker"
)

// TestClassifyCreate: what the engine may do after a create's final error
// from the client — send again (not sent), reconcile first (ambiguous), or
// fail the resource (a definite API answer).
func TestClassifyCreate(t *testing.T) {
	apiErr := func(status int) error {
		return broker.NewAPIError(http.MethodPost, "/v1/journals", status, nil, []byte(`{"code":1,"message":"x"}`))
	}
	tests := []struct {
		name string
		kind string
		err  error
		want string // "not sent", "ambiguous" or "api"
	}{
		{"429 after the client's retries", "journals", apiErr(http.StatusTooManyRequests), "not sent"},
		{"429 on an unkeyed create", "accounts", apiErr(http.StatusTooManyRequests), "not sent"},
		{"503 after the client's retries", "journals", apiErr(http.StatusServiceUnavailable), "ambiguous"},
		{"outcome unknown", "accounts", &broker.OutcomeUnknownError{Err: errors.New("EOF")}, "ambiguous"},
		{"422", "journals", apiErr(http.StatusUnprocessableEntity), "api"},
		{"409", "accounts", apiErr(http.StatusConflict), "api"},
	}
	for _, tt := range tests {
		got := classifyCreate(tt.kind, tt.err)
		var kind string
		var ae *APIError
		switch {
		case IsNotSent(got):
			kind = "not sent"
		case IsAmbiguous(got):
			kind = "ambiguous"
		case errors.As(got, &ae):
			kind = "api"
		}
		if kind != tt.want {
			t.Errorf("%s: classified as %q (%v), want %q", tt.name, kind, got, tt.want)
		}
	}
}
