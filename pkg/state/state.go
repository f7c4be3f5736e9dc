package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"
)

// Phase is where a resource's lifecycle stands in state.
type Phase string

// The phases a Record moves through.
const (
	// PhaseIntent: a create is about to be sent, or may have been sent. A
	// resumed run must look the resource up by its idempotency key before
	// sending the create again.
	PhaseIntent Phase = "intent"
	// PhaseCreated: the create succeeded; RemoteID is set.
	PhaseCreated Phase = "created"
	// PhaseFailed: the create was answered with an error; Error says why.
	PhaseFailed Phase = "failed"
	// PhaseDeleting: a delete (or cancel) is about to be sent or may have been.
	PhaseDeleting Phase = "deleting"
	// PhaseDeleted: the remote object is gone (or cancelled).
	PhaseDeleted Phase = "deleted"
)

// Valid reports whether p is one of the defined phases.
func (p Phase) Valid() bool {
	switch p {
	case PhaseIntent, PhaseCreated, PhaseFailed, PhaseDeleting, PhaseDeleted:
		return true
	}
	return false
}

// Record is the state of one declared resource. Object, Request and Error
// must already be redacted by the caller: they are stored as given.
type Record struct {
	// Address is the resource's manifest address, e.g. "accounts.alice".
	Address string `json:"address"`
	// Kind is the resource kind, e.g. "account" or "order".
	Kind  string `json:"kind"`
	Phase Phase  `json:"phase"`
	// RemoteID is the id the Broker API gave the object (empty until created).
	RemoteID string `json:"remote_id,omitempty"`
	// AccountID is the owning account for account-scoped kinds (transfers,
	// ACH relationships, orders); empty otherwise.
	AccountID string `json:"account_id,omitempty"`
	// IdempotencyKey is the deterministic key sent with the create; for
	// orders it is also the client_order_id.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// SpecHash identifies the declared spec; a different hash is a change.
	SpecHash string `json:"spec_hash,omitempty"`
	// Status is the last known remote status.
	Status string `json:"status,omitempty"`
	// Object is the last known remote object, already redacted.
	Object json.RawMessage `json:"object,omitempty"`
	// Request is the create request as sent, already redacted.
	Request json.RawMessage `json:"request,omitempty"`
	// Dependencies are the addresses this resource depends on.
	Dependencies []string `json:"dependencies,omitempty"`
	// Error is the last error text, already redacted.
	Error string `json:"error,omitempty"`
	// IntentAt is when the create intent was first recorded.
	IntentAt time.Time `json:"intent_at"`
	// UpdatedAt is when the record was last written; Put sets it when zero.
	UpdatedAt time.Time `json:"updated_at"`
}

// LockInfo identifies the holder of a workspace lock. NewLockInfo fills it
// for the current process.
type LockInfo struct {
	// ID identifies this lock; `brokerctl state unlock ID` names it.
	ID string `json:"id"`
	// Operation is what the holder is doing: "apply", "destroy", "migrate"...
	Operation string `json:"operation"`
	// Who is the user name of the holder.
	Who string `json:"who"`
	// Host is the holder's host name.
	Host string `json:"host"`
	// PID is the holder's process id.
	PID int `json:"pid"`
	// Version is the holder's brokerctl version.
	Version string `json:"version"`
	// Created is when the lock was taken.
	Created time.Time `json:"created"`
}

// NewLockInfo describes a lock taken by the current process for operation.
func NewLockInfo(operation, version string) LockInfo {
	who := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		who = u.Username
	}
	if who == "" {
		who = "unknown"
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return LockInfo{
		ID:        strings.ToLower(ulid.Make().String()),
		Operation: operation,
		Who:       who,
		Host:      host,
		PID:       os.Getpid(),
		Version:   version,
		Created:   time.Now().UTC().Truncate(time.Microsecond),
	}
}

// LockedError is returned by Backend.Lock when the workspace stays locked by
// someone else for the whole timeout.
type LockedError struct {
	Workspace string
	// Holder is who holds the lock; nil when the holder left no record.
	Holder *LockInfo
}

func (e *LockedError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("workspace %s is locked by another process", e.Workspace)
	}
	h := e.Holder
	return fmt.Sprintf("workspace %s is locked by %s@%s (pid %d, operation %s) since %s",
		e.Workspace, h.Who, h.Host, h.PID, h.Operation, h.Created.UTC().Format(time.RFC3339))
}

// ErrNoLock is returned by ForceUnlock when the workspace has no lock with
// the given ID.
var ErrNoLock = errors.New("no such lock")

// Backend is a store of workspaces: a SQLite file or a PostgreSQL schema.
type Backend interface {
	// Lock takes the workspace's exclusive lock, waiting up to timeout; on
	// timeout the error is a *LockedError whose text is "workspace X is
	// locked by who@host (pid N, operation apply) since T". The lock is
	// released by Workspace.Close, or by the system if the process dies.
	Lock(ctx context.Context, workspace string, info LockInfo, timeout time.Duration) (Workspace, error)
	// Open returns a read-only view without locking (plan, output, state list/show).
	Open(ctx context.Context, workspace string) (Reader, error)
	// LockHolder returns who holds the workspace's lock, nil if it is unlocked
	// (a record left by a holder that died does not count).
	LockHolder(ctx context.Context, workspace string) (*LockInfo, error)
	// ForceUnlock breaks the workspace's lock if its ID is lockID: a record
	// left by a dead holder is cleared; PostgreSQL terminates a live holder's
	// session; SQLite refuses to break a lock whose holder is alive.
	ForceUnlock(ctx context.Context, workspace, lockID string) error
	// Workspaces lists the workspaces that have state, sorted.
	Workspaces(ctx context.Context) ([]string, error)
	Close() error
}

// Reader is a read-only view of one workspace.
type Reader interface {
	// Name is the workspace name.
	Name() string
	// Salt is the workspace's random 32-byte salt for redact.Hash, created
	// on first use and stable afterwards.
	Salt(ctx context.Context) ([]byte, error)
	// List returns every record, sorted by address.
	List(ctx context.Context) ([]Record, error)
	// Get returns the record at addr; false if there is none.
	Get(ctx context.Context, addr string) (Record, bool, error)
	// Outputs returns the outputs of the last apply.
	Outputs(ctx context.Context) (map[string]json.RawMessage, error)
	// Metadata returns the workspace's metadata (key -> value), such as
	// the target it was applied against; empty when none was set.
	Metadata(ctx context.Context) (map[string]string, error)
	Close() error
}

// Workspace is a locked workspace: the only way to write state.
type Workspace interface {
	Reader
	// Put inserts or replaces the record at r.Address. It is durable when it
	// returns. A zero UpdatedAt is set to now, a zero IntentAt to UpdatedAt.
	Put(ctx context.Context, r Record) error
	// Delete removes the record at addr (no error if there is none).
	Delete(ctx context.Context, addr string) error
	// SetOutputs replaces all outputs.
	SetOutputs(ctx context.Context, outputs map[string]json.RawMessage) error
	// SetMetadata sets one metadata key (see ValidateMetaKey); an empty
	// value removes it. It is durable when it returns.
	SetMetadata(ctx context.Context, key, value string) error
	// Close releases the lock.
	Close() error
}

// SaltImporter is implemented by both backends' Workspaces: it replaces the
// workspace's salt, so that migrated hashes stay comparable. Migrate uses it.
type SaltImporter interface {
	ImportSalt(ctx context.Context, salt []byte) error
}

// SaltSize is the length of a workspace salt in bytes.
const SaltSize = 32

// DefaultWorkspace is the workspace used when none is named.
const DefaultWorkspace = "default"

// DefaultPath is the SQLite state file used for workspace when neither
// --state nor BROKERCTL_STATE is set: .brokerctl/<workspace>.db in the
// current directory.
func DefaultPath(workspace string) string {
	if workspace == "" {
		workspace = DefaultWorkspace
	}
	return filepath.Join(".brokerctl", workspace+".db")
}

// IsPostgres reports whether dsn selects the PostgreSQL backend.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the backend dsn names: "postgres://..." or "postgresql://..."
// is PostgreSQL, anything else the path of a SQLite file (created with its
// directories if missing). Migrations are applied before it returns.
func Open(ctx context.Context, dsn string) (Backend, error) {
	if dsn == "" {
		return nil, errors.New("open state: empty path")
	}
	if IsPostgres(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

var workspaceRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// ValidateWorkspace checks a workspace name: 1-128 letters, digits, '_', '.'
// or '-', not starting with '.' or '-'.
func ValidateWorkspace(name string) error {
	if !workspaceRE.MatchString(name) {
		return fmt.Errorf("invalid workspace name %q: use 1-128 letters, digits, '_', '.' or '-', starting with a letter, digit or '_'", name)
	}
	return nil
}

// MetaTarget is the metadata key under which brokerctl records the target
// (API endpoint and key fingerprint, or the built-in emulator) a workspace
// was applied against.
const MetaTarget = "target"

var metaKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)

// ValidateMetaKey checks a metadata key: 1-64 lower-case letters, digits,
// '_', '.' or '-', starting with a letter.
func ValidateMetaKey(key string) error {
	if !metaKeyRE.MatchString(key) {
		return fmt.Errorf("invalid metadata key %q: use 1-64 lower-case letters, digits, '_', '.' or '-', starting with a letter", key)
	}
	return nil
}

// prepare validates r and fills its timestamps before a Put.
func prepare(r *Record, now time.Time) error {
	if r.Address == "" {
		return errors.New("record has no address")
	}
	if !r.Phase.Valid() {
		return fmt.Errorf("record %s: invalid phase %q", r.Address, r.Phase)
	}
	for _, raw := range []json.RawMessage{r.Object, r.Request} {
		if len(raw) > 0 && !json.Valid(raw) {
			return fmt.Errorf("record %s: object or request is not valid JSON", r.Address)
		}
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = now
	}
	if r.IntentAt.IsZero() {
		r.IntentAt = r.UpdatedAt
	}
	r.UpdatedAt = r.UpdatedAt.UTC().Truncate(time.Microsecond)
	r.IntentAt = r.IntentAt.UTC().Truncate(time.Microsecond)
	return nil
}

// validateOutputs checks every output is valid JSON.
func validateOutputs(outputs map[string]json.RawMessage) error {
	for k, v := range outputs {
		if !json.Valid(v) {
			return fmt.Errorf("output %q is not valid JSON", k)
		}
	}
	return nil
}

// encodeDeps stores dependencies as a JSON array.
func encodeDeps(deps []string) string {
	if len(deps) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(deps)
	return string(b)
}

func decodeDeps(s string) ([]string, error) {
	var deps []string
	if s == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &deps); err != nil {
		return nil, fmt.Errorf("decode dependencies: %w", err)
	}
	if len(deps) == 0 {
		return nil, nil
	}
	return deps, nil
}

// nullJSON turns an empty raw message into SQL NULL.
func nullJSON(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return []byte(raw)
}

// RedactDSN hides the password of a PostgreSQL URL so that it can be shown
// or logged; other DSNs (file paths) are returned as they are.
func RedactDSN(dsn string) string {
	if !IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return u.Redacted()
}
