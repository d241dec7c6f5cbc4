package stats

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/psbench/psbench/internal/proxycache/sqlclass"
)

// Option defaults.
const (
	DefaultMaxDigests         = 5000
	DefaultMaxTables          = 1000
	DefaultMaxCaptures        = 16
	DefaultCaptureIdleTimeout = 10 * time.Minute
	DefaultMaxCaptureConns    = 1000
)

// Options configures Stats. Zero fields take their defaults.
type Options struct {
	// MaxDigests bounds the number of statement digests tracked one by one;
	// statements of further digests are counted under the digest "other".
	MaxDigests int
	// MaxTables bounds the number of tables tracked one by one (reads and
	// invalidations, in JSON and in metric labels); further tables are
	// counted under the table "other".
	MaxTables int
	// MaxCaptures bounds the number of capture windows open at once.
	MaxCaptures int
	// CaptureIdleTimeout drops a capture that has been neither started nor
	// read for this long (a harness that died mid-page must not leave a
	// capture that costs every statement forever).
	CaptureIdleTimeout time.Duration
	// MaxCaptureConns bounds the number of closed connections a capture
	// describes one by one; connections past it are still counted in every
	// total but not listed (see CaptureConnections.Unlisted).
	MaxCaptureConns int
	// LatencyBuckets are the upper bounds of the latency histograms,
	// ascending; DefaultLatencyBuckets when empty.
	LatencyBuckets []time.Duration
	// Now is the clock; time.Now when nil. Tests inject a fake.
	Now func() time.Time
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.MaxDigests <= 0 {
		o.MaxDigests = DefaultMaxDigests
	}
	if o.MaxTables <= 0 {
		o.MaxTables = DefaultMaxTables
	}
	if o.MaxCaptures <= 0 {
		o.MaxCaptures = DefaultMaxCaptures
	}
	if o.CaptureIdleTimeout <= 0 {
		o.CaptureIdleTimeout = DefaultCaptureIdleTimeout
	}
	if o.MaxCaptureConns <= 0 {
		o.MaxCaptureConns = DefaultMaxCaptureConns
	}
	o.LatencyBuckets = cleanBuckets(o.LatencyBuckets)
	if len(o.LatencyBuckets) == 0 {
		o.LatencyBuckets = DefaultLatencyBuckets()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// cleanBuckets returns the positive bounds of b, sorted, without
// duplicates (a copy: the caller's slice is left alone).
func cleanBuckets(b []time.Duration) []time.Duration {
	out := make([]time.Duration, 0, len(b))
	for _, d := range b {
		if d > 0 {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// numOutcomes is the number of Outcome values (hit, miss, bypass, local).
const numOutcomes = int(OutcomeLocal) + 1

// Stats turns the proxy's hook events into cumulative statistics,
// Prometheus metrics and capture windows. Its hook methods (ConnOpened,
// ConnClosed, Statement, Invalidated) are safe for concurrent use and cheap:
// atomics and lock-free lookups, no allocation once a digest and its tables
// are known. Everything else (snapshots, captures, metrics) is for the
// admin API.
type Stats struct {
	opts      Options
	now       func() time.Time
	startedAt time.Time

	connsActive atomic.Int64
	connsOpened atomic.Uint64
	connsClosed atomic.Uint64
	conns       connRegistry

	clientCmds    [256]atomic.Uint64
	kinds         counterMap[sqlclass.Kind]
	backendCmds   [256]atomic.Uint64
	backendTimeNs atomic.Int64
	// backendIdleNs sums BackendIdle over events with backend commands,
	// backendIdleCount counts those events.
	backendIdleNs    atomic.Int64
	backendIdleCount atomic.Uint64
	cacheTimeNs      atomic.Int64
	cacheCalls       atomic.Uint64

	outcomes  [numOutcomes]atomic.Uint64
	stores    atomic.Uint64
	bypass    counterMap[sqlclass.Reason]
	notStored counterMap[sqlclass.Reason]
	flushes   atomic.Uint64

	errTotal  atomic.Uint64
	errByCode counterMap[uint16]

	invalidateAll atomic.Uint64

	tables  *tableIndex
	digests *digestIndex
	latency [numOutcomes]*histogram

	// captures is the copy-on-write list of open captures the hooks feed;
	// capMu serialises its writers and guards capByID.
	captures   atomic.Pointer[[]*capture]
	capMu      sync.Mutex
	capByID    map[string]*capture
	capExpired uint64       // captures dropped unread; guarded by capMu
	nextExpiry atomic.Int64 // unix ns when the next capture may expire

	registry *prometheus.Registry
}

// New returns a Stats configured by opts, with its Prometheus registry.
func New(opts Options) *Stats {
	opts = opts.withDefaults()
	s := &Stats{
		opts:    opts,
		now:     opts.Now,
		tables:  newTableIndex(opts.MaxTables),
		digests: newDigestIndex(opts.MaxDigests),
		capByID: make(map[string]*capture),
	}
	s.startedAt = s.now()
	for i := range s.latency {
		s.latency[i] = newHistogram(opts.LatencyBuckets)
	}
	s.nextExpiry.Store(math.MaxInt64)
	s.registry = newRegistry(s)
	return s
}

// ConnOpened records a new client connection.
func (s *Stats) ConnOpened(info ConnInfo) {
	s.connsActive.Add(1)
	s.connsOpened.Add(1)
	l := label(info)
	s.conns.add(info.ID, l)
	if caps := s.captures.Load(); caps != nil {
		for _, c := range *caps {
			c.connOpened(info.ID, l)
		}
	}
	s.maybeExpire(s.now().UnixNano())
}

// ConnClosed records the end of a client connection. The proxy core sends
// one COM_QUIT to the backend for every client connection that goes away,
// so each ConnClosed also counts one backend COM_QUIT: backend commands then
// match the backend's view (MySQL's Questions status counts a COM_QUIT too).
func (s *Stats) ConnClosed(info ConnInfo) {
	s.connsActive.Add(-1)
	s.connsClosed.Add(1)
	s.backendCmds[comQuit].Add(1)
	s.conns.remove(info.ID)
	if caps := s.captures.Load(); caps != nil {
		for _, c := range *caps {
			c.connClosed(info, s)
		}
	}
}

// Statement records one client command. ev is not retained.
//
// Backend commands are attributed to the client's command byte: a client
// COM_QUERY that made the proxy send BackendCommands commands counts that
// many backend COM_QUERYs.
func (s *Stats) Statement(ev *StatementEvent) {
	if ev == nil {
		return
	}
	var nowNs int64
	if ev.At.IsZero() {
		nowNs = s.now().UnixNano()
	} else {
		nowNs = ev.At.UnixNano()
	}
	out := ev.Outcome
	if int(out) >= numOutcomes {
		out = OutcomeBypass
	}

	s.clientCmds[ev.Command].Add(1)
	if ev.BackendCommands > 0 {
		s.backendCmds[ev.Command].Add(uint64(ev.BackendCommands))
	}
	if ev.BackendTime > 0 {
		s.backendTimeNs.Add(int64(ev.BackendTime))
	}
	if ev.BackendCommands > 0 {
		if ev.BackendIdle > 0 {
			s.backendIdleNs.Add(int64(ev.BackendIdle))
		}
		s.backendIdleCount.Add(1)
	}
	if ev.CacheCalls > 0 {
		s.cacheCalls.Add(uint64(ev.CacheCalls))
	}
	if ev.CacheTime > 0 {
		s.cacheTimeNs.Add(int64(ev.CacheTime))
	}
	s.outcomes[out].Add(1)
	switch out {
	case OutcomeBypass:
		s.bypass.add(ev.Reason, 1)
	case OutcomeMiss:
		if ev.Stored {
			s.stores.Add(1)
		} else {
			s.notStored.add(ev.Reason, 1)
		}
	}
	if ev.Err {
		s.errTotal.Add(1)
		s.errByCode.add(ev.ErrCode, 1)
	}
	s.latency[out].observe(ev.Latency)

	var d *digestEntry
	var tbuf [16]*tableEntry
	tabs := tbuf[:0]
	if c := ev.Class; c != nil {
		s.kinds.add(c.Kind, 1)
		d = s.digests.resolve(c, nowNs)
		d.record(ev, nowNs)
		for _, ref := range c.Reads {
			t := s.tables.resolve(ref)
			switch out {
			case OutcomeHit:
				t.hits.Add(1)
			case OutcomeMiss:
				t.misses.Add(1)
			case OutcomeBypass:
				t.bypass.Add(1)
			default:
				t.local.Add(1)
			}
			if ev.BackendCommands > 0 {
				t.backend.Add(uint64(ev.BackendCommands))
			}
			tabs = append(tabs, t)
		}
	}

	if caps := s.captures.Load(); caps != nil {
		for _, c := range *caps {
			c.statement(ev, out, d, tabs, s)
		}
	}
	s.maybeExpire(nowNs)
}

// Invalidated records a cache invalidation: tables are "schema.table" names
// as the cache store names them; all is true for an invalidation of every
// entry. Invalidations carry no connection, so every open capture counts
// them whatever its ConnIDs filter.
func (s *Stats) Invalidated(tables []string, all bool) {
	if all {
		s.invalidateAll.Add(1)
	}
	var tbuf [16]*tableEntry
	tabs := tbuf[:0]
	for _, name := range tables {
		t := s.tables.resolveName(name)
		t.invalidations.Add(1)
		tabs = append(tabs, t)
	}
	if caps := s.captures.Load(); caps != nil {
		for _, c := range *caps {
			c.invalidated(tabs, all)
		}
	}
}

// Flushed records a flush of the whole cache. The admin API's POST
// /cache/flush calls it; the core calls it for flushes it starts itself.
// Open captures count it too.
func (s *Stats) Flushed() {
	s.flushes.Add(1)
	if caps := s.captures.Load(); caps != nil {
		for _, c := range *caps {
			c.flushed()
		}
	}
}
