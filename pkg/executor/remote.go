package executor

import (
	"context"
	"errors"
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
	// ListStatuses returns id -> status of many objects of kind in one call
	// (scoped to accountID where the API lists per account). ok is false
	// when the kind has no list the executor can use.
	ListStatuses(ctx context.Context, kind, accountID string) (statuses map[string]string, ok bool, err error)
	// Watch streams status changes of one event family ("accounts",
	// "funding", "journals", "trades") until ctx ends, calling fn for each.
	// It returns ErrNoStreams when streams are unavailable.
	Watch(ctx context.Context, family string, fn func(StatusEvent)) error
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
	case "journals", "batch_journals":
		return "journals"
	case "orders":
		return "trades"
	}
	return ""
}
