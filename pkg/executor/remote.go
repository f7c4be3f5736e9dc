package executor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Object is a Broker API object as decoded JSON.
type Object = map[string]any

// Remote is the Broker API as the executor sees it: operations by resource
// kind on JSON objects. NewBrokerRemote implements it with pkg/broker; tests
// may use it directly against the emulator.
//
// Every method counts against the client's rate limiter.
type Remote interface {
	// Create sends one create. key is the idempotency key: sent as the
	// Idempotency-Key header for journals and batch journals; for orders the
	// caller has already put it in client_order_id.
	Create(ctx context.Context, kind, accountID string, body Object, key string) (Object, error)
	// Get reads one object.
	Get(ctx context.Context, kind, accountID, id string) (Object, error)
	// Reconcile looks for the object an ambiguous create may have made. It
	// returns found=false when nothing matches, and must not return an
	// object for which claimed(id) is true (another resource owns it).
	Reconcile(ctx context.Context, q ReconcileQuery) (obj Object, found bool, err error)
	// Update patches an updatable object (accounts).
	Update(ctx context.Context, kind, accountID, id string, patch Object) (Object, error)
	// Remove cancels, deletes or closes an object; a missing object is not an error.
	Remove(ctx context.Context, kind, accountID, id string) error
	// Lookup reads a data source, such as the firm account.
	Lookup(ctx context.Context, kind string, query Object) (Object, error)
	// List returns id -> object (at least id and status) of many objects of
	// kind in one call (scoped to accountID where the API lists per
	// account). ok is false when the kind has no list the executor can use.
	List(ctx context.Context, kind, accountID string) (objects map[string]Object, ok bool, err error)
	// Watch streams status changes of one event family ("accounts",
	// "funding", "journals", "trades") until ctx ends, calling fn for each:
	// first the history from since, then live events. It returns
	// ErrNoStreams when streams are unavailable.
	Watch(ctx context.Context, family string, since time.Time, fn func(StatusEvent)) error
	// Requests is the number of HTTP requests sent so far.
	Requests() int64
}

// ReconcileQuery describes a create whose outcome is unknown.
type ReconcileQuery struct {
	Kind      string
	AccountID string
	Body      Object
	Key       string
	// Since is the intent time minus clock skew; objects created before it
	// cannot be the one we sent.
	Since   time.Time
	Claimed func(id string) bool
}

// StatusEvent is one status change from an event stream.
type StatusEvent struct {
	Kind   string
	ID     string
	Status string
	// Fields are other properties the event carries (account_number...).
	Fields Object
	// At is when the change happened (the event's "at"); zero if unknown.
	At time.Time
	// Whole marks Fields as the whole object (trade updates carry the order).
	Whole bool
}

// ErrNoStreams reports that the API (or client) offers no event streams.
var ErrNoStreams = errors.New("event streams unavailable")

// ErrGone reports that an object no longer exists remotely.
var ErrGone = errors.New("object not found")

// familyOf maps a resource kind to the event stream that reports its status.
func familyOf(kind string) string {
	switch kind {
	case "accounts":
		return "accounts"
	case "ach_relationships", "bank_relationships", "transfers":
		return "funding"
	case "journals":
		return "journals"
	case "orders":
		return "trades"
	}
	return ""
}

// APIError is a definitive answer from the API: the request was processed
// (or refused) and resending it unchanged gives the same answer.
type APIError struct {
	Status  int
	Code    int
	Message string
}

func (e *APIError) Error() string {
	if e.Code == 0 {
		return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("HTTP %d: %s (code %d)", e.Status, e.Message, e.Code)
}

// AmbiguousError wraps a failure after which the API may or may not have
// acted: a lost response, a timeout, a 5xx after the request was sent.
type AmbiguousError struct{ Err error }

func (e *AmbiguousError) Error() string {
	msg := e.Err.Error()
	if strings.Contains(msg, "outcome unknown") {
		return msg // the client's error says so already
	}
	return "outcome unknown: " + msg
}
func (e *AmbiguousError) Unwrap() error { return e.Err }

// NotSentError wraps a failure that proves a create never reached the API
// (cancelled while waiting for the rate limiter, connection refused): it
// can be sent again without reconciling first.
type NotSentError struct{ Err error }

func (e *NotSentError) Error() string { return "not sent: " + e.Err.Error() }
func (e *NotSentError) Unwrap() error { return e.Err }

// IsNotSent reports whether err proves a create was never sent.
func IsNotSent(err error) bool {
	var ns *NotSentError
	return errors.As(err, &ns)
}

// IsAmbiguous reports whether err leaves a create's outcome unknown.
func IsAmbiguous(err error) bool {
	var ae *AmbiguousError
	return errors.As(err, &ae)
}

// statusOf returns the HTTP status of a definitive API error, or 0.
func statusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}
