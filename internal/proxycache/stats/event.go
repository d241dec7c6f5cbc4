// Package stats observes the caching proxy through its hooks: counters,
// per-table and per-digest breakdowns, latency histograms, Prometheus
// metrics, capture windows for exact per-page attribution, and the admin
// HTTP API that exposes them.
package stats

import (
	"net"
	"time"

	"github.com/psbench/psbench/internal/proxycache/sqlclass"
)

// Outcome is what the proxy did with one client statement.
type Outcome uint8

// Statement outcomes.
const (
	OutcomeBypass Outcome = iota // passed through to the backend without consulting the cache
	OutcomeHit                   // served from the cache; the backend saw nothing
	OutcomeMiss                  // looked up, not found, sent to the backend (and maybe stored)
	OutcomeLocal                 // answered by the proxy itself (a refused command)
)

// String returns the outcome's label value.
func (o Outcome) String() string {
	switch o {
	case OutcomeHit:
		return "hit"
	case OutcomeMiss:
		return "miss"
	case OutcomeLocal:
		return "local"
	default:
		return "bypass"
	}
}

// ConnInfo describes a client connection for hooks.
type ConnInfo struct {
	ID          uint64 // proxy-wide connection number, starting at 1
	ClientAddr  net.Addr
	User        string // client user name
	BackendUser string
	Opened      time.Time
}

// StatementEvent reports one client command that is a statement (COM_QUERY,
// COM_STMT_EXECUTE) or another command sent to the backend (COM_PING,
// COM_INIT_DB, ...). Hooks receive a pointer they must not retain.
type StatementEvent struct {
	ConnID  uint64
	Command byte // the MySQL command byte (COM_QUERY = 0x03, ...)
	// Class is the parser's classification of the statement text; nil for
	// commands that carry no SQL text (COM_PING, COM_STMT_CLOSE, ...).
	Class   *sqlclass.Classification
	Outcome Outcome
	// Reason says why the statement was passed through (OutcomeBypass), or
	// why a miss was not stored (OutcomeMiss with Stored false).
	Reason sqlclass.Reason
	Stored bool
	// BackendCommands is the number of commands the proxy sent to the
	// backend for this client command (0 on a hit).
	BackendCommands int
	// BackendTime is the time from sending the command to the backend until
	// the last packet of its response; Latency is the time from reading the
	// client's command until its response was written.
	BackendTime time.Duration
	Latency     time.Duration
	// BackendIdle is, when the command was sent to the backend
	// (BackendCommands > 0), how long that backend session had been idle
	// before it: from the end of the last response relayed on the backend
	// connection (or, for its first command, from the end of the backend
	// login) until this command was written to it. It includes everything
	// the session did meanwhile (waiting for the client, serving hits,
	// classifying and looking this statement up in the cache); it excludes
	// BackendTime. 0 when nothing was sent to the backend (hits, refused
	// commands).
	BackendIdle time.Duration
	// CacheTime is the wall time this command spent inside cache-store
	// calls: the lookup of a cacheable COM_QUERY read (Store.Get), the fill
	// of its miss (Store.Put, timed from the end of the backend response, a
	// few instructions earlier), and the invalidations the command caused
	// (Store.Invalidate or InvalidateAll after a write, and again when the
	// command ended a transaction that wrote). It excludes classification,
	// key hashing, relaying, statistics and hooks. 0 when no store call was
	// made: cache off, or a command passed through that neither reads
	// through the cache nor invalidates.
	CacheTime time.Duration
	// CacheCalls counts the store calls CacheTime covers: one per lookup,
	// one per fill attempted (whether or not the store accepted it) and one
	// per invalidation, whatever the number of tiers a call consults. A hit
	// is 1, a stored miss 2, a miss not stored 1, an autocommitted write 1,
	// a COMMIT of a transaction that wrote 1, a pass-through that writes
	// nothing 0.
	CacheCalls int
	// ResponseBytes is the size of the response written to the client.
	ResponseBytes int
	// Err is true when the response was a MySQL error packet.
	Err bool
	// ErrCode is the error number when Err is true.
	ErrCode uint16
	// At is when the response was written (the end of Latency), which the
	// core knows already; statistics use it for digests' first/last seen.
	// Optional: when zero the hook reads its own clock (one more clock read
	// on the hot path).
	At time.Time
}
