package broker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"
)

// ErrorBody is the Broker API error body {"code": 40010000, "message": "..."}.
// The emulator writes it; the client decodes it into an APIError.
type ErrorBody struct {
	Code    int64  `json:"code"`
	Message string `json:"message"`
}

// APIError is a non-2xx answer from the Broker API.
type APIError struct {
	StatusCode int    // HTTP status
	Code       int64  // Alpaca error code from the body, 0 if absent
	Message    string // message from the body, or the raw text of a non-JSON body
	RequestID  string // X-Request-ID response header, if any
	Body       []byte // raw body; may carry extra keys such as available/symbol
	Method     string // request method
	Path       string // request path (no host, no query)
	// Endpoint is the scheme://host[:port] that answered, when known (the
	// client sets it): a body that is not the API's names where it came from.
	Endpoint string
}

// Error reads well in a terminal:
// "POST /v1/accounts: 409 Conflict (code 40910000): ... [request id X]", or
// for a body that is not JSON (a proxy's HTML page, a server that is not
// the Broker API): "POST /v1/accounts: 502 Bad Gateway: non-JSON body from
// http://127.0.0.1:8080, not the Broker API?: "502 Bad Gateway"".
func (e *APIError) Error() string {
	var b strings.Builder
	if e.Method != "" || e.Path != "" {
		b.WriteString(strings.TrimSpace(e.Method + " " + e.Path))
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != 0 {
		fmt.Fprintf(&b, " (code %d)", e.Code)
	}
	if d := e.Detail(); d != "" {
		b.WriteString(": ")
		b.WriteString(d)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request id %s]", e.RequestID)
	}
	return b.String()
}

// Detail is the explanation part of Error: the API's message, or, for a
// body that is not JSON, a note saying so and naming Endpoint, with the
// body's first line of text (HTML tags dropped, bounded).
func (e *APIError) Detail() string {
	if !e.nonJSON() {
		return e.Message
	}
	from := ""
	if e.Endpoint != "" {
		from = " from " + e.Endpoint
	}
	return fmt.Sprintf("non-JSON body%s, not the Broker API?: %q", from, firstTextLine(e.Body))
}

// nonJSON reports whether the body is something other than JSON: the
// Broker API always answers errors with a JSON object.
func (e *APIError) nonJSON() bool {
	body := bytes.TrimSpace(e.Body)
	return len(body) > 0 && !json.Valid(body)
}

// maxDetailText bounds the line of a non-JSON body Detail quotes.
const maxDetailText = 160

var (
	scriptOrStyle = regexp.MustCompile(`(?is)<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->`)
	htmlTag       = regexp.MustCompile(`(?s)<[^>]*>`)
	spaces        = regexp.MustCompile(`[ \t\r\f\v]+`)
)

// firstTextLine returns the first non-blank line of text in body: HTML
// markup, scripts and comments removed and entities decoded (so a proxy's
// error page gives its title), spaces collapsed, cut at a rune boundary.
func firstTextLine(body []byte) string {
	text := string(body)
	if strings.Contains(text, "<") {
		text = scriptOrStyle.ReplaceAllString(text, "\n")
		text = htmlTag.ReplaceAllString(text, "\n")
		text = html.UnescapeString(text)
	}
	line := ""
	for l := range strings.SplitSeq(text, "\n") {
		if l = strings.TrimSpace(spaces.ReplaceAllString(l, " ")); l != "" {
			line = l
			break
		}
	}
	line = strings.ToValidUTF8(line, "\uFFFD")
	if len(line) > maxDetailText {
		cut := maxDetailText
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		line = line[:cut] + "…"
	}
	return line
}

// maxErrorText bounds how much of a non-JSON body ends up in Message.
const maxErrorText = 512

// NewAPIError builds an APIError from a status, headers and raw body. A body
// that is not the JSON error object becomes the message verbatim (trimmed and
// bounded), as the official Go SDK does.
func NewAPIError(method, path string, status int, header http.Header, body []byte) *APIError {
	e := &APIError{StatusCode: status, Method: method, Path: path, Body: body}
	if header != nil {
		e.RequestID = RequestIDFromHeader(header)
	}
	var eb struct {
		Code    json.Number `json:"code"`
		Message *string     `json:"message"`
	}
	if err := json.Unmarshal(body, &eb); err == nil && (eb.Message != nil || eb.Code != "") {
		if eb.Message != nil {
			e.Message = *eb.Message
		}
		if n, err := eb.Code.Int64(); err == nil {
			e.Code = n
		} else if f, err := eb.Code.Float64(); err == nil {
			e.Code = int64(f)
		}
		return e
	}
	text := strings.TrimSpace(string(body))
	if len(text) > maxErrorText {
		// Cut at a rune boundary: half a UTF-8 sequence would reach the
		// terminal and the --json events as U+FFFD.
		cut := maxErrorText
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	e.Message = text
	return e
}

// RequestIDFromHeader returns the X-Request-ID header value.
func RequestIDFromHeader(h http.Header) string { return h.Get("X-Request-ID") }

func statusOf(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is a 404 APIError.
func IsNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// IsConflict reports whether err is a 409 APIError.
func IsConflict(err error) bool { return statusOf(err) == http.StatusConflict }

// IsUnauthorized reports whether err is a 401 APIError. Note that GET
// /v1/accounts/{id} answers 401, not 404, for an account that is not yours.
func IsUnauthorized(err error) bool { return statusOf(err) == http.StatusUnauthorized }

// IsForbidden reports whether err is a 403 APIError.
func IsForbidden(err error) bool { return statusOf(err) == http.StatusForbidden }

// IsUnprocessable reports whether err is a 422 APIError.
func IsUnprocessable(err error) bool { return statusOf(err) == http.StatusUnprocessableEntity }

// IsRateLimited reports whether err is a 429 APIError.
func IsRateLimited(err error) bool { return statusOf(err) == http.StatusTooManyRequests }

var dupClientOrderID = regexp.MustCompile(`(?i)client[ _-]?order[ _-]?id.*unique`)

// IsDuplicateClientOrderID reports whether err is the API's rejection of a
// reused client_order_id: any 409 or 422 whose message matches
// /client[ _-]?order[ _-]?id.*unique/i (the exact status is undocumented).
func IsDuplicateClientOrderID(err error) bool {
	var e *APIError
	if !errors.As(err, &e) {
		return false
	}
	if e.StatusCode != http.StatusConflict && e.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	return dupClientOrderID.MatchString(e.Message)
}

// ValidationError is a request that fails the API's documented rules, found
// before sending. Field is the JSON field path ("take_profit.limit_price").
type ValidationError struct {
	Field   string
	Message string
}

// Error returns "field: message".
func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

func invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// prefixField nests a validation error under a parent path ("entries[2]").
func prefixField(parent string, err error) error {
	var ve *ValidationError
	if errors.As(err, &ve) {
		f := parent
		if ve.Field != "" {
			f = parent + "." + ve.Field
		}
		return &ValidationError{Field: f, Message: ve.Message}
	}
	return err
}

// ErrOutcomeUnknown is matched (errors.Is) by OutcomeUnknownError.
var ErrOutcomeUnknown = errors.New("outcome unknown: the request may or may not have been processed")

// OutcomeUnknownError reports a create request that was sent but whose answer
// was lost or ambiguous (timeout, connection reset after sending, 5xx) and
// that cannot safely be replayed because it carries no idempotency key. The
// caller must look the object up (reconcile) before trying again.
type OutcomeUnknownError struct {
	Method string
	Path   string
	Err    error // the underlying transport error or *APIError
}

// Error describes the request and the cause.
func (e *OutcomeUnknownError) Error() string {
	return fmt.Sprintf("%s %s: outcome unknown (not retried because replay could create a duplicate; reconcile before retrying): %v", e.Method, e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// Is matches ErrOutcomeUnknown.
func (e *OutcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }
