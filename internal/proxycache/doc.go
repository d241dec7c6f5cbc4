// Package proxycache is psbench's caching MySQL proxy: a MySQL wire-protocol
// proxy that relays every client connection to its own backend connection and
// serves repeatable SELECT results from a table-aware cache (in-process, a
// local Redis, or both).
//
// The package depends on no other psbench package: it is deployed on its own
// as a per-node sidecar (`psbench proxy`). Its admin API (see Admin) is its
// only face toward the rest of the harness.
//
// The core is small: a session loop per client connection (session.go) that
// classifies each statement (classify.go), consults the cache (Store), relays
// the backend's response byte for byte (relay.go) and reports what happened
// through Hooks. Statistics, Prometheus metrics and capture windows are built
// on those hooks.
package proxycache
