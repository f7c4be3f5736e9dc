// Package e2e holds end-to-end tests of the real brokerctl binary.
//
// TestMain builds cmd/brokerctl once; every test then drives that binary as
// a subprocess against a standalone emulator process ("brokerctl emulator
// serve") on a loopback port chosen by the kernel, with credentials in the
// environment and state in SQLite files (and in PostgreSQL when
// BROKERCTL_TEST_POSTGRES is set, as scripts/with-postgres.sh does). Runs
// are killed with SIGKILL at random instants, resumed, run concurrently and
// destroyed, and the results are counted through the emulator's HTTP API.
// See README.md in this directory for what each test proves.
package e2e
