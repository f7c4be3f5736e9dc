package executor

import (
	"context"
	"time"
)

// Node is one declared resource as the executor needs it. FromManifest
// builds nodes from a resolved manifest; tests build them by hand.
type Node struct {
	Addr string
	Kind string
	// Data marks a data source: read, never created or destroyed.
	Data bool
	// Deps are the addresses this node references or depends on.
	Deps []string
	// WaitFor lists the statuses to wait for after the create (empty: none).
	WaitFor     []string
	WaitTimeout time.Duration
	// Needs are statuses other resources must reach before this one starts.
	Needs []Need
	// Lifecycle options.
	Protect, RetainOnDestroy bool
	IgnoreChanges            []string
	ImportID                 string
	// Hash is the spec hash: a different hash means a changed resource.
	Hash string
	// Render resolves references and returns the request body and, for
	// account-scoped kinds, the account id in the path.
	Render func(lookup LookupFunc) (body Object, accountID string, err error)
}

// Need is a status another resource must reach first.
type Need struct {
	Addr     string
	Statuses []string
}

// LookupFunc returns the object of a resource already applied.
type LookupFunc func(addr string) (Object, bool)

// OutputSpec is one declared output.
type OutputSpec struct {
	Name      string
	Sensitive bool
	Render    func(lookup LookupFunc) (any, error)
}

// Phase is where a resource's create stands in state.
type Phase string

// Phases, mirrored from pkg/state.
const (
	PhaseIntent   Phase = "intent"
	PhaseCreated  Phase = "created"
	PhaseFailed   Phase = "failed"
	PhaseDeleting Phase = "deleting"
	PhaseDeleted  Phase = "deleted"
)

// Record is the executor's view of one state record.
type Record struct {
	Address   string
	Kind      string
	Phase     Phase
	RemoteID  string
	AccountID string
	Key       string
	SpecHash  string
	Status    string
	// Object is the last object seen, redacted.
	Object Object
	// Request is the create request with sensitive values replaced by
	// salted hashes (so changes are detectable, values unreadable).
	Request  Object
	Deps     []string
	Error    string
	IntentAt time.Time
}

// Store is the part of a state workspace the executor uses. Put must be
// durable when it returns: the create protocol relies on it.
type Store interface {
	Salt() []byte
	List(ctx context.Context) ([]Record, error)
	Get(ctx context.Context, addr string) (Record, bool, error)
	Put(ctx context.Context, r Record) error
	SetOutputs(ctx context.Context, outputs map[string]OutputValue) error
}
