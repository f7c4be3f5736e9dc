package manifest

import (
	"io/fs"
	"time"

	"github.com/brokerctl/brokerctl/pkg/dag"
)

// Kind is a resource kind: the top-level section of a manifest that holds
// resources of one Broker API type.
type Kind string

// The resource kinds, in the order they are listed in a plan.
const (
	KindAccounts          Kind = "accounts"
	KindACHRelationships  Kind = "ach_relationships"
	KindBankRelationships Kind = "bank_relationships"
	KindTransfers         Kind = "transfers"
	KindJournals          Kind = "journals"
	KindBatchJournals     Kind = "batch_journals"
	KindOrders            Kind = "orders"
)

// Kinds lists every kind in plan order.
var Kinds = []Kind{KindAccounts, KindACHRelationships, KindBankRelationships, KindTransfers, KindJournals, KindBatchJournals, KindOrders}

// AccountScoped reports whether resources of the kind live under an account
// (POST /v1/accounts/{account_id}/...): they take account_id, which is the
// path parameter and not part of the request body.
func (k Kind) AccountScoped() bool {
	switch k {
	case KindACHRelationships, KindBankRelationships, KindTransfers, KindOrders:
		return true
	}
	return false
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Pos is a position in a manifest or data file. Line and Col are 1-based;
// a zero Pos means "no position" (for example a --var flag).
type Pos struct {
	File      string
	Line, Col int
}

// Resource is one resolved resource instance: a resource block without
// for_each/count, or one instance of such a block.
type Resource struct {
	// Addr is the unique address, e.g. accounts.customer["jane@example.com"].
	Addr Address
	// Body is the request body with variables, env, each and count already
	// substituted. References to other resources are left as ${...}
	// templates in string leaves (see Render). account_id of account-scoped
	// kinds is not in Body (see AccountRef). Numbers are json.Number and
	// money stays a string. Body subtrees may be shared between instances of
	// one block: treat Body as read-only.
	Body map[string]any
	// AccountRef is the account_id expression of account-scoped kinds (and
	// of data sources of those kinds); nil otherwise.
	AccountRef *Template
	// Lookup is non-nil for data sources: how to find the existing object.
	Lookup *Lookup
	// DependsOn lists every address this resource needs first: explicit
	// depends_on plus every reference, deduplicated and sorted.
	DependsOn []Address
	// Wait is the status to wait for after creating the resource: wait_for
	// from the manifest, or implied by a dependent's Needs. nil = no wait.
	Wait *Wait
	// Needs are readiness requirements on dependencies implied by the API,
	// e.g. a transfer needs its ACH relationship APPROVED.
	Needs []Need
	// Lifecycle holds the lifecycle meta-argument.
	Lifecycle Lifecycle
	// Pos is where the resource block (or the data row it came from) starts.
	Pos Pos

	ignorePaths [][]string
}

// IsData reports whether the resource is a data source (looked up, never
// created or destroyed).
func (r *Resource) IsData() bool { return r.Addr.Data }

// Lookup says how a data source finds its existing object: by ID, or for
// accounts by contact Email. Exactly one is set. AccountRef on the Resource
// carries the account of account-scoped kinds.
type Lookup struct {
	ID    *Template
	Email *Template
}

// Wait is a wait for a resource's status after it was created. A status at
// or past one of Statuses in the kind's lifecycle also meets the wait.
type Wait struct {
	Statuses []string
	Timeout  time.Duration
	// Implied is true when no wait_for was written and the wait comes from
	// the Needs of a dependent.
	Implied bool
	Pos     Pos
}

// DefaultWaitTimeout is the timeout of a wait_for without one, and of
// implied waits.
const DefaultWaitTimeout = 10 * time.Minute

// Need is a readiness requirement on a dependency: Addr must have reached
// one of Statuses before the dependent is created.
type Need struct {
	Addr     Address
	Statuses []string
}

// Lifecycle holds the lifecycle meta-argument of a resource.
type Lifecycle struct {
	// Protect refuses to destroy the resource.
	Protect bool
	// RetainOnDestroy forgets the resource on destroy but leaves it in the API.
	RetainOnDestroy bool
	// IgnoreChanges are body field paths (dot-separated) ignored for drift
	// and by SpecHash.
	IgnoreChanges []string
	// ImportID adopts an existing object with this id instead of creating one.
	ImportID string
}

// Output is a named value printed after apply.
type Output struct {
	Name        string
	Value       *Template
	Sensitive   bool
	Description string
	Pos         Pos
}

// Config is a loaded, validated and resolved set of manifests.
type Config struct {
	// Resources holds data sources first, then resources by kind (Kinds
	// order), block name and instance order.
	Resources []*Resource
	// Outputs in name order.
	Outputs []Output
	// Graph has one vertex per resource (Address.String()); an edge from a
	// resource to each address in its DependsOn.
	Graph *dag.Graph
	// Files are the manifest files read, in order.
	Files []string

	byAddr map[string]*Resource
}

// Resource returns the resource with the given address.
func (c *Config) Resource(a Address) (*Resource, bool) {
	r, ok := c.byAddr[a.String()]
	return r, ok
}

// Options configures Load.
type Options struct {
	// Vars are values from --var name=value.
	Vars map[string]string
	// VarFiles are YAML or JSON files of name: value pairs (--var-file).
	VarFiles []string
	// Getenv looks up ${env.NAME}; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// FS reads manifests and data files; nil means the OS file system.
	// Paths given to Load are then relative to FS's root.
	FS fs.FS

	// maxInstances lowers the for_each/count limit (tests and fuzzing).
	maxInstances int
}
