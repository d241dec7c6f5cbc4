package stats

import (
	"cmp"
	"slices"
	"sync/atomic"
	"time"

	"github.com/psbench/psbench/internal/proxycache/sqlclass"
)

// Snapshot is a point-in-time copy of the cumulative statistics since the
// proxy started, ready for JSON. Counters are read one by one without
// stopping the hooks, so counts of events racing the snapshot may be split
// across it (use a capture window for exact counts).
type Snapshot struct {
	TakenAt       time.Time `json:"taken_at"`
	StartedAt     time.Time `json:"started_at"`
	UptimeSeconds float64   `json:"uptime_seconds"`

	Connections ConnectionCounts `json:"connections"`
	// ClientStatements counts client commands (every StatementEvent).
	ClientStatements ClientStatementCounts `json:"client_statements"`
	// BackendCommands counts commands sent to the backend: the sum of
	// StatementEvent.BackendCommands, attributed to the client's command,
	// plus one COM_QUIT per closed client connection (the core sends one to
	// the backend when a client goes away). Cross-check against MySQL's
	// Questions status, which counts COM_QUIT as well.
	BackendCommands BackendCommandCounts `json:"backend_commands"`
	// BackendTimeNs is the sum of StatementEvent.BackendTime.
	BackendTimeNs int64 `json:"backend_time_ns"`
	// BackendIdleNs is the sum of StatementEvent.BackendIdle over the
	// client commands sent to the backend (BackendCommands > 0);
	// BackendIdleCount counts those commands, so the mean idle gap of a
	// backend session before a command is BackendIdleNs/BackendIdleCount.
	BackendIdleNs    int64  `json:"backend_idle_ns"`
	BackendIdleCount uint64 `json:"backend_idle_count"`
	// CacheTimeNs is the sum of StatementEvent.CacheTime (time inside
	// cache-store lookups, fills and invalidations), CacheCalls the sum of
	// StatementEvent.CacheCalls.
	CacheTimeNs int64  `json:"cache_time_ns"`
	CacheCalls  uint64 `json:"cache_calls"`

	// Hits, Misses and Local count statements by outcome; Stores counts
	// misses whose result was stored, NotStored the others by reason,
	// Bypass the statements passed through by reason ("none" when the core
	// gave no reason).
	Hits      uint64            `json:"hits"`
	Misses    uint64            `json:"misses"`
	Stores    uint64            `json:"stores"`
	Local     uint64            `json:"local"`
	Bypass    map[string]uint64 `json:"bypass"`
	NotStored map[string]uint64 `json:"not_stored"`
	// Flushes counts whole-cache flushes (admin API or core).
	Flushes uint64      `json:"flushes"`
	Errors  ErrorCounts `json:"errors"`

	// Invalidations counts invalidations by table ("schema.table");
	// InvalidateAll counts invalidations of every entry.
	Invalidations map[string]uint64 `json:"invalidations"`
	InvalidateAll uint64            `json:"invalidate_all"`

	// Tables counts reads per table; at most Limits.MaxTables names, the
	// rest under "other".
	Tables map[string]TableCounts `json:"tables"`
	// Digests are sorted by backend time, descending; at most
	// Limits.MaxDigests, the rest under "other".
	Digests []DigestStats `json:"digests"`

	// Latency summarises the client-visible latency of each outcome.
	Latency LatencyByOutcome `json:"latency"`

	Captures CaptureCounts `json:"captures"`
	Limits   Limits        `json:"limits"`
}

// ConnectionCounts counts client connections.
type ConnectionCounts struct {
	Active int64  `json:"active"`
	Opened uint64 `json:"opened"`
	Closed uint64 `json:"closed"`
}

// ClientStatementCounts counts client commands by command name and, for
// commands carrying SQL text, by statement kind.
type ClientStatementCounts struct {
	Total     uint64            `json:"total"`
	ByCommand map[string]uint64 `json:"by_command"`
	ByKind    map[string]uint64 `json:"by_kind"`
}

// BackendCommandCounts counts commands sent to the backend by command name.
type BackendCommandCounts struct {
	Total     uint64            `json:"total"`
	ByCommand map[string]uint64 `json:"by_command"`
}

// ErrorCounts counts error responses by MySQL error number.
type ErrorCounts struct {
	Total  uint64            `json:"total"`
	ByCode map[uint16]uint64 `json:"by_code"`
}

// LatencyByOutcome holds one latency summary per outcome.
type LatencyByOutcome struct {
	Hit    LatencySummary `json:"hit"`
	Miss   LatencySummary `json:"miss"`
	Bypass LatencySummary `json:"bypass"`
	Local  LatencySummary `json:"local"`
}

// CaptureCounts counts capture windows.
type CaptureCounts struct {
	Open    int    `json:"open"`
	Expired uint64 `json:"expired"` // dropped after CaptureIdleTimeout unread
}

// Limits reports the bounds in force and how many entries they hold.
type Limits struct {
	MaxDigests     int   `json:"max_digests"`
	DigestsTracked int64 `json:"digests_tracked"`
	MaxTables      int   `json:"max_tables"`
	TablesTracked  int64 `json:"tables_tracked"`
}

// reasonLabel returns a reason's label value: "none" for ReasonNone.
func reasonLabel(r sqlclass.Reason) string {
	if r == sqlclass.ReasonNone {
		return "none"
	}
	return string(r)
}

// Snapshot returns the cumulative statistics.
func (s *Stats) Snapshot() Snapshot {
	now := s.now()
	s.maybeExpire(now.UnixNano())
	snap := Snapshot{
		TakenAt:       now,
		StartedAt:     s.startedAt,
		UptimeSeconds: now.Sub(s.startedAt).Seconds(),
		Connections: ConnectionCounts{
			Active: s.connsActive.Load(),
			Opened: s.connsOpened.Load(),
			Closed: s.connsClosed.Load(),
		},
		BackendTimeNs:    s.backendTimeNs.Load(),
		BackendIdleNs:    s.backendIdleNs.Load(),
		BackendIdleCount: s.backendIdleCount.Load(),
		CacheTimeNs:      s.cacheTimeNs.Load(),
		CacheCalls:       s.cacheCalls.Load(),
		Hits:             s.outcomes[OutcomeHit].Load(),
		Misses:           s.outcomes[OutcomeMiss].Load(),
		Stores:           s.stores.Load(),
		Local:            s.outcomes[OutcomeLocal].Load(),
		Bypass:           s.bypass.snapshot(reasonLabel),
		NotStored:        s.notStored.snapshot(reasonLabel),
		Flushes:          s.flushes.Load(),
		Errors:           ErrorCounts{Total: s.errTotal.Load(), ByCode: make(map[uint16]uint64)},
		Invalidations:    make(map[string]uint64),
		InvalidateAll:    s.invalidateAll.Load(),
		Tables:           make(map[string]TableCounts),
		Latency: LatencyByOutcome{
			Hit:    s.latency[OutcomeHit].load().summary(),
			Miss:   s.latency[OutcomeMiss].load().summary(),
			Bypass: s.latency[OutcomeBypass].load().summary(),
			Local:  s.latency[OutcomeLocal].load().summary(),
		},
		Limits: Limits{
			MaxDigests:     s.opts.MaxDigests,
			DigestsTracked: s.digests.n.Load(),
			MaxTables:      s.opts.MaxTables,
			TablesTracked:  s.tables.n.Load(),
		},
	}
	var client, backend commandCounts
	for i := range s.clientCmds {
		client[i] = s.clientCmds[i].Load()
		backend[i] = s.backendCmds[i].Load()
	}
	snap.ClientStatements.ByCommand, snap.ClientStatements.Total = client.named()
	snap.ClientStatements.ByKind = s.kinds.snapshot(func(k sqlclass.Kind) string { return string(k) })
	snap.BackendCommands.ByCommand, snap.BackendCommands.Total = backend.named()
	s.errByCode.each(func(code uint16, n *atomic.Uint64) {
		if v := n.Load(); v != 0 {
			snap.Errors.ByCode[code] = v
		}
	})
	s.tables.each(func(t *tableEntry) {
		if c := t.counts(); c != (TableCounts{}) {
			snap.Tables[t.name] = c
		}
		if n := t.invalidations.Load(); n != 0 {
			snap.Invalidations[t.name] = n
		}
	})
	s.digests.each(func(d *digestEntry) {
		if d.count.Load() != 0 {
			snap.Digests = append(snap.Digests, d.stats())
		}
	})
	if snap.Digests == nil {
		snap.Digests = []DigestStats{}
	}
	slices.SortFunc(snap.Digests, func(a, b DigestStats) int {
		return cmp.Or(cmp.Compare(b.BackendTimeNs, a.BackendTimeNs), cmp.Compare(b.Count, a.Count), cmp.Compare(a.Digest, b.Digest))
	})
	s.capMu.Lock()
	snap.Captures = CaptureCounts{Open: len(s.capByID), Expired: s.capExpired}
	s.capMu.Unlock()
	return snap
}
