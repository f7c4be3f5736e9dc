// Package manifest parses, validates and resolves brokerctl manifests: YAML
// or JSON files declaring Alpaca Broker API resources (accounts, ACH and
// bank relationships, transfers, journals, batch journals, orders) with
// references between them.
//
// Load reads files and directories, checks them against the embedded JSON
// Schema (schemas.Manifest, generated from the Broker API OpenAPI spec),
// substitutes variables, ${env.NAME} and for_each/count, checks every
// reference, and returns a resolved Config or every problem at once as
// Diagnostics, each with file:line:column and field path.
//
// The resolved model, consumed by pkg/executor:
//
//   - Config: Resources (data sources first, then by Kinds order, name and
//     instance order), Outputs, Graph (a *dag.Graph whose vertices are
//     Address strings and whose edges follow Resource.DependsOn), Files.
//   - Resource: Addr (Address), Body (the request body with ${...}
//     references left in string leaves; numbers as json.Number; money as
//     strings; account_id removed), AccountRef (the account_id Template of
//     account-scoped kinds), Lookup (non-nil for data sources: ID or Email
//     Template), DependsOn (explicit and implied, sorted), Wait (explicit
//     wait_for or implied by a dependent's Needs, with DefaultWaitTimeout
//     filled in), Needs (readiness a dependency must reach first, e.g. a
//     transfer needs its ACH relationship APPROVED, an order or a journal
//     needs its account ACTIVE), Lifecycle, Pos.
//   - Resource.Render(lookup) turns Body and AccountRef into the final
//     request once the referenced objects exist: lookup returns the object
//     recorded for an address (decoded JSON). A string that is exactly one
//     reference becomes the referenced value with its JSON type; a
//     reference inside a longer string is inserted as text.
//   - Resource.SpecHash() is a stable hash of the unresolved spec (kind,
//     body, account reference) ignoring lifecycle.ignore_changes paths.
//   - Output.Render(lookup) evaluates an output value.
//   - A created batch journal is recorded by the executor as
//     {"entries": [...]} (one BatchJournalResponse per entry), so it is
//     referenced as ${batch_journals.NAME.entries[0].id}.
//
// The package knows the Broker API only through the generated schema and
// field tables in package schemas: it does not import the API client.
package manifest
