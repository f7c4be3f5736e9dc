// Package executor plans and applies brokerctl manifests against the Broker
// API: it turns a resolved manifest (pkg/manifest) and the state of the last
// run (pkg/state) into a plan, walks the dependency graph (pkg/dag) with a
// bounded number of resources in flight, creates each resource exactly once
// (a durable intent record and a deterministic idempotency key before every
// create; reconciliation before any retry of an ambiguous create), waits for
// statuses using event streams with polling as the fallback, and records
// every outcome in state. It also destroys what a manifest created.
//
// It knows the Broker API only through pkg/broker and never prints: progress
// goes to a Reporter, which the CLI turns into a live display, plain lines or
// JSON events.
package executor
