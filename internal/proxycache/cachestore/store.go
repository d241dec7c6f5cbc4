// Package cachestore holds the caching proxy's result-cache tiers: an
// in-process cache bounded in bytes, a local Redis, and the two stacked. Every
// tier validates entries against per-table versions, so invalidation is O(1)
// per written table and a fill racing an invalidation is never served.
package cachestore

import (
	"context"
	"errors"
	"time"
)

// Key identifies a cache entry: a SHA-256 over the backend user, the current
// database, the handshake collation, the session fingerprint (every SET of a
// system variable so far), the protocol format bits and the exact statement
// text. Two users, databases or sql_modes never share an entry.
type Key [32]byte

// Fill is handed out by Store.Get on a miss and passed back to Store.Put
// with the result. It carries the table versions observed before the
// statement was sent to the backend: an entry is valid only while every
// table it read still has those versions, so a result that was being filled
// while one of its tables was invalidated is never served (no stale-fill
// race), whichever order Put and the invalidation happen in.
type Fill struct {
	Key    Key
	Tables []string // version keys ("schema.table", lower-case) the entry depends on
	// Local holds the in-process versions, Remote the Redis versions, each
	// aligned with Tables and followed by one more element, the tier's global
	// epoch (bumped by InvalidateAll), so len is len(Tables)+1. A tier fills
	// only its own; nil means that tier took no snapshot and Put skips it.
	Local  []uint64
	Remote []uint64
	// Ready is false when the tier could not take a snapshot (unavailable);
	// Put must then not store anything.
	Ready bool
}

// ErrUnavailable is returned (wrapped) by a Store whose tier cannot answer
// right now: Redis down, stalled past its timeout, or recovering. The proxy
// then passes the statement through with reason cache_unavailable.
var ErrUnavailable = errors.New("cache tier unavailable")

// Store is one cache tier, or a stack of tiers. Implementations must be safe
// for concurrent use and must never block a statement longer than their
// configured timeout.
type Store interface {
	// Get returns the payload cached under key when it is present and every
	// table in tables still has the version the entry was filled under. On a
	// miss it returns a nil payload and the Fill to pass to Put. The payload
	// must be treated as read-only.
	Get(ctx context.Context, key Key, tables []string) (payload []byte, fill Fill, err error)
	// Put stores payload for the fill with the given time to live. A Fill
	// with Ready false is ignored.
	Put(ctx context.Context, fill Fill, payload []byte, ttl time.Duration) error
	// Invalidate makes every entry that read one of tables invalid, in every
	// tier. If a tier is unreachable the invalidation is remembered and
	// applied before that tier serves again.
	Invalidate(ctx context.Context, tables []string) error
	// InvalidateAll makes every entry invalid (writes the proxy cannot
	// attribute to tables).
	InvalidateAll(ctx context.Context) error
	// Flush removes every entry (admin API, profiling's cold phase).
	Flush(ctx context.Context) error
	// Usage reports the tier's current size for statistics.
	Usage() StoreUsage
	// Close releases the tier's resources.
	Close() error
}

// StoreUsage is a point-in-time view of a Store's size and health.
type StoreUsage struct {
	Mode      string `json:"mode"`
	Entries   int64  `json:"entries"`
	Bytes     int64  `json:"bytes"`
	MaxBytes  int64  `json:"max_bytes,omitempty"`
	Available bool   `json:"available"`
	// PendingInvalidations counts tables whose invalidation is waiting for
	// an unavailable tier to come back.
	PendingInvalidations int `json:"pending_invalidations,omitempty"`
	// Tiers holds the usage of each tier of a stacked store, top first.
	Tiers []StoreUsage `json:"tiers,omitempty"`
}
