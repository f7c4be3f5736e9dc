package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/brokerctl/brokerctl/pkg/broker"
)

// apiError is an error answered as the Broker API's {"code","message"} body.
type apiError struct {
	Status  int
	Code    int
	Message string
	// Extra keys that ride along in the body (e.g. "available" on a 403).
	Extra map[string]any
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %d %s", e.Status, e.Code, e.Message) }

// errorf builds an apiError with the HTTP×100000 code convention.
func errorf(status int, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: status*100000 + 10000, Message: fmt.Sprintf(format, args...)}
}

// Canonical errors.
var (
	errUnauthorized    = &apiError{Status: http.StatusUnauthorized, Code: 40110000, Message: "request is not authorized"}
	errRateLimited     = &apiError{Status: http.StatusTooManyRequests, Code: 42910000, Message: "rate limit exceeded"}
	errAccountNotFound = &apiError{Status: http.StatusNotFound, Code: 40410000, Message: "account not found"}
)

// validation is the 422 used for field validation; Alpaca itself returns
// code 40010001 on such 422s.
func validation(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: 40010001, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, format, args...)
}

func (e *apiError) body() any {
	if len(e.Extra) == 0 {
		return broker.ErrorBody{Code: int64(e.Code), Message: e.Message}
	}
	m := make(map[string]any, len(e.Extra)+2)
	for k, v := range e.Extra {
		m[k] = v
	}
	m["code"] = e.Code
	m["message"] = e.Message
	return m
}

// writeJSON answers status with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"code":50010000,"message":"internal server error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError answers err as an API error body.
func writeError(w http.ResponseWriter, err error) {
	ae, ok := err.(*apiError)
	if !ok {
		ae = &apiError{Status: http.StatusInternalServerError, Code: 50010000, Message: "internal server error"}
	}
	writeJSON(w, ae.Status, ae.body())
}
