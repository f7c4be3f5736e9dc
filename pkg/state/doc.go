// Package state is brokerctl's durable record of what it has created, so that
// a run killed at any instant (even with kill -9) can be resumed by running
// apply again without creating anything twice.
//
// # Model
//
// State is divided into workspaces. A workspace holds one Record per declared
// resource address, a map of outputs, and a random 32-byte salt that
// pkg/redact uses to hash personal data. The executor writes a Record in
// PhaseIntent (with the request and its idempotency key) before it sends a
// create, and the outcome (PhaseCreated with the remote id, or PhaseFailed)
// after. Because Workspace.Put is durable when it returns, a resumed run finds
// every create that may have been sent and can look it up by its idempotency
// key instead of sending it again.
//
// Records hold objects and requests that the caller has already redacted;
// this package stores them as given and never logs their bodies.
//
// # Backends
//
// Open chooses a backend from a DSN:
//
//   - "postgres://..." or "postgresql://..." selects PostgreSQL, for state
//     shared by a team or a CI fleet. Tables live in their own schema
//     (default "brokerctl"; set it with ?schema=NAME or ?search_path=NAME).
//     Migrations run on first use under a migration advisory lock that no
//     workspace lock shares, so creating the schema never blocks a workspace.
//   - anything else is the path of a SQLite file (pure Go driver). Missing
//     directories are created 0700 and the file 0600. The file runs in WAL
//     mode with synchronous=FULL, so every committed write survives a crash.
//
// Both backends apply ordered schema migrations recorded in a schema_version
// table, so opening an older file or schema upgrades it in place. SQLite
// openers of one file take turns through a flock on "<file>.lock".
//
// # Locking
//
// Backend.Lock takes a workspace's exclusive lock and returns a Workspace, the
// only way to write. Locks are released by the operating system or the
// database server when their holder dies: SQLite uses flock(2) on a sidecar
// file "<file>.<workspace>.lock"; PostgreSQL uses a session advisory lock
// held on one dedicated connection, keyed by a 64-bit hash of (database,
// schema, workspace) so that locks never collide across schemas or
// databases. The holder's LockInfo is written next to the data so a blocked
// user is told who holds the lock; a second Lock waits up to its timeout and
// then fails with a *LockedError. Different workspaces lock independently.
//
// Backend.Open returns a Reader that takes no lock (plan, output, state list).
// Backend.ForceUnlock breaks a lock by its ID: it clears a record left by a
// dead holder, and on PostgreSQL terminates a live holder's session.
//
// Each Lock also starts a run in a history table, finished when the
// Workspace is closed or marked interrupted when its holder died; both
// backends implement RunHistory to read it. Migrate copies a workspace
// (records, outputs and salt) from one backend to another.
//
// This package knows nothing of the Broker API or of manifests.
package state
