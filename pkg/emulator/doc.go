// Package emulator is a faithful, stateful local Broker API: the same
// paths, JSON shapes, status codes, error bodies, pagination, rate-limit
// headers and SSE streams as Alpaca's sandbox, with accounts, funding,
// journals and orders moving through their documented lifecycles on timers
// driven by an injectable Clock.
//
// It serves in-process (New, then Handler) or standalone (Start), and can
// inject faults (5xx, 429, latency, connections dropped after commit) to
// prove that clients retry safely. Responses are encoded with the wire types
// of pkg/broker; the emulator knows nothing about the HTTP client in that
// package, the manifest format or the executor.
//
// Behaviour the real sandbox does not document (cancel windows, the
// over-balance withdrawal error, rate-limit windows) is chosen deliberately
// and listed in docs/emulator.md.
package emulator
