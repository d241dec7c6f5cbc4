package stats

import (
	"hash/maphash"
	"sync/atomic"
	"time"

	"github.com/psbench/psbench/internal/proxycache/sqlclass"
)

// noDigestLabel is the digest under which statements whose classification
// carries no digest are counted.
const noDigestLabel = "none"

// digestShards is the number of shards of the digest index (a power of 2).
const digestShards = 16

// digestEntry holds the cumulative counters of one statement digest (or of
// "other"). Captures key their own per-digest counts by the entry's pointer.
type digestEntry struct {
	digest     string
	normalized string
	kind       sqlclass.Kind

	firstSeen     atomic.Int64 // unix ns; set on the first statement
	count         atomic.Uint64
	hits          atomic.Uint64
	misses        atomic.Uint64
	bypass        atomic.Uint64
	backendCount  atomic.Uint64
	backendTimeNs atomic.Int64
	lastSeen      atomic.Int64 // unix ns
}

// digestIndex resolves classifications to digest entries. At most max
// distinct digests get their own entry; later ones share "other". It is
// sharded so that inserting a new digest copies only a slice of the index.
type digestIndex struct {
	seed   maphash.Seed
	shards [digestShards]cowMap[string, digestEntry]
	n      atomic.Int64
	max    int64
	other  *digestEntry
}

// newDigestIndex returns an index holding at most max digests.
func newDigestIndex(max int) *digestIndex {
	return &digestIndex{
		seed:  maphash.MakeSeed(),
		max:   int64(max),
		other: &digestEntry{digest: OtherLabel},
	}
}

// resolve returns the entry of c's digest, creating it when there is room.
func (x *digestIndex) resolve(c *sqlclass.Classification, nowNs int64) *digestEntry {
	key := c.Digest
	if key == "" {
		key = noDigestLabel
	}
	sh := &x.shards[maphash.String(x.seed, key)&(digestShards-1)]
	if e := sh.load(key); e != nil {
		return e
	}
	if x.n.Load() >= x.max {
		return x.other
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e := sh.load(key); e != nil {
		return e
	}
	if x.n.Add(1) > x.max { // another shard took the last slot
		x.n.Add(-1)
		return x.other
	}
	e := &digestEntry{digest: key, normalized: c.Normalized, kind: c.Kind}
	e.firstSeen.Store(nowNs)
	sh.putLocked(key, e)
	return e
}

// each calls f for every entry, "other" last when it has counts.
func (x *digestIndex) each(f func(*digestEntry)) {
	for i := range x.shards {
		x.shards[i].each(func(_ string, e *digestEntry) { f(e) })
	}
	if x.other.count.Load() != 0 {
		f(x.other)
	}
}

// record adds one statement to the entry.
func (e *digestEntry) record(ev *StatementEvent, nowNs int64) {
	e.count.Add(1)
	switch ev.Outcome {
	case OutcomeHit:
		e.hits.Add(1)
	case OutcomeMiss:
		e.misses.Add(1)
	case OutcomeBypass:
		e.bypass.Add(1)
	}
	if ev.BackendCommands > 0 {
		e.backendCount.Add(uint64(ev.BackendCommands))
	}
	if ev.BackendTime > 0 {
		e.backendTimeNs.Add(int64(ev.BackendTime))
	}
	if e.firstSeen.Load() == 0 {
		e.firstSeen.CompareAndSwap(0, nowNs)
	}
	e.lastSeen.Store(nowNs)
}

// DigestCounts counts the client statements of one digest (statement
// shape). Digest is the parser's digest, "none" for statements without one,
// or "other" for digests beyond MaxDigests. Count includes statements
// answered locally, so it may exceed Hits+Misses+Bypass.
type DigestCounts struct {
	Digest        string `json:"digest"`
	Normalized    string `json:"normalized"`
	Kind          string `json:"kind"`
	Count         uint64 `json:"count"`
	Hits          uint64 `json:"hits"`
	Misses        uint64 `json:"misses"`
	Bypass        uint64 `json:"bypass"`
	BackendCount  uint64 `json:"backend_count"`
	BackendTimeNs int64  `json:"backend_time_ns"`
}

// DigestStats is a digest's cumulative counts with the time it was first
// and last seen.
type DigestStats struct {
	DigestCounts
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// stats returns the entry's DigestStats.
func (e *digestEntry) stats() DigestStats {
	return DigestStats{
		DigestCounts: DigestCounts{
			Digest:        e.digest,
			Normalized:    e.normalized,
			Kind:          string(e.kind),
			Count:         e.count.Load(),
			Hits:          e.hits.Load(),
			Misses:        e.misses.Load(),
			Bypass:        e.bypass.Load(),
			BackendCount:  e.backendCount.Load(),
			BackendTimeNs: e.backendTimeNs.Load(),
		},
		FirstSeen: time.Unix(0, e.firstSeen.Load()).UTC(),
		LastSeen:  time.Unix(0, e.lastSeen.Load()).UTC(),
	}
}
