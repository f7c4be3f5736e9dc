// Package broker is a typed Go client for the Alpaca Broker API and the
// home of its wire types.
//
// It offers three things:
//
//   - Wire types (Account, Transfer, Journal, Order, events, ...) whose JSON
//     shape is the real API's shape: money and quantities are exact Decimal
//     values that travel as JSON strings and remember their original text,
//     fields the API always sends are encoded even when null, optional fields
//     are omitted when empty, and enums are open sets of named strings. The
//     local emulator marshals these same structs as its responses, and reuses
//     the request types' Validate methods for its 422 answers.
//   - A Client built on go-retryablehttp with HTTP Basic auth, a client-side
//     token-bucket rate limiter (one shared quota plus one per account for
//     account-scoped paths, as the API counts) that also listens to
//     X-RateLimit-* headers,
//     and a retry policy that only replays a request when doing so cannot
//     create something twice (see CheckRetry and OutcomeUnknownError).
//   - Typed Server-Sent Events subscriptions for the status streams.
//
// The package knows nothing about manifests, dependency graphs or durable
// state: it speaks HTTP to one Broker API endpoint and nothing else. Callers
// that need reconciliation after an ambiguous failure (the executor) branch on
// the typed errors this package returns.
package broker
