package stats

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/psbench/psbench/internal/proxycache/sqlclass"
)

// Capture errors, wrapped with the capture's id or label.
var (
	// ErrCaptureNotFound: no open capture has the id (never started,
	// stopped already, or dropped after CaptureIdleTimeout unread).
	ErrCaptureNotFound = errors.New("capture not found")
	// ErrTooManyCaptures: MaxCaptures captures are open already.
	ErrTooManyCaptures = errors.New("too many open captures")
)

// CaptureRequest opens a capture window.
type CaptureRequest struct {
	// Label names the window in its snapshot (a page URL, "quiet", ...).
	Label string `json:"label,omitempty"`
	// ConnIDs, when not empty, restricts the window to events of these
	// connections (ConnInfo.ID, StatementEvent.ConnID). Invalidations and
	// flushes carry no connection and are counted whatever the filter.
	ConnIDs []uint64 `json:"conn_ids,omitempty"`
}

// CaptureSnapshot is what a capture window counted, from StartCapture to
// the snapshot (ReadCapture) or to its end (StopCapture). Every hook event
// is in a window or not, and counted once in each window it is in: an
// event whose hook call returned before StartCapture returned is not in it,
// one whose hook call began after StartCapture returned and returned before
// StopCapture was called is. Events racing a boundary fall on one side.
//
// The fields mean what they mean in Snapshot, restricted to the window.
// BackendCommands includes one COM_QUIT per connection closed in the
// window (see Stats.ConnClosed), so for a window around one page request
// it is what MySQL's Questions status grows by.
//
// ForeignStatements counts the statements of connections that were opened
// before the window started. The harness opens no SQL connection of its own
// through the proxy, and a PHP shop without persistent connections opens
// fresh ones for every request, so for a window around one page request
// every statement should come from a connection opened inside the window:
// a non-zero value reveals traffic that is not the page being measured (a
// cron job, another client, a persistent connection), and
// Connections.PerConnection tells which connections sent it. Foreign
// statements are included in every other count.
type CaptureSnapshot struct {
	ID        string    `json:"id"`
	Label     string    `json:"label"`
	ConnIDs   []uint64  `json:"conn_ids,omitempty"`
	Active    bool      `json:"active"` // false once stopped
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at,omitzero"` // zero (absent) while active
	// Duration is the window's length so far, in nanoseconds.
	Duration time.Duration `json:"duration"`

	ClientStatements ClientStatementCounts `json:"client_statements"`
	BackendCommands  BackendCommandCounts  `json:"backend_commands"`
	BackendTimeNs    int64                 `json:"backend_time_ns"`
	BackendIdleNs    int64                 `json:"backend_idle_ns"`
	BackendIdleCount uint64                `json:"backend_idle_count"`
	CacheTimeNs      int64                 `json:"cache_time_ns"`
	CacheCalls       uint64                `json:"cache_calls"`

	Hits      uint64            `json:"hits"`
	Misses    uint64            `json:"misses"`
	Stores    uint64            `json:"stores"`
	Local     uint64            `json:"local"`
	Bypass    map[string]uint64 `json:"bypass"`
	NotStored map[string]uint64 `json:"not_stored"`
	Errors    ErrorCounts       `json:"errors"`

	Tables map[string]TableCounts `json:"tables"`
	// Digests are sorted by count, descending.
	Digests []DigestCounts `json:"digests"`

	Invalidations map[string]uint64 `json:"invalidations"`
	InvalidateAll uint64            `json:"invalidate_all"`
	Flushes       uint64            `json:"flushes"`

	Connections       CaptureConnections `json:"connections"`
	ForeignStatements uint64             `json:"foreign_statements"`
}

// CaptureConnections describes the connections a window saw.
type CaptureConnections struct {
	OpenedInWindow uint64 `json:"opened_in_window"`
	ClosedInWindow uint64 `json:"closed_in_window"`
	// PerConnection lists every connection with an event in the window,
	// sorted by id.
	PerConnection []CaptureConn `json:"per_connection"`
	// Unlisted counts connections closed in the window that are missing
	// from PerConnection because Options.MaxCaptureConns were listed.
	Unlisted uint64 `json:"unlisted,omitempty"`
}

// CaptureConn is one connection's share of a window. BackendCommands
// includes its COM_QUIT when it was closed in the window.
type CaptureConn struct {
	ID              uint64 `json:"id"`
	ClientAddr      string `json:"client_addr"`
	User            string `json:"user"`
	OpenedInWindow  bool   `json:"opened_in_window"`
	ClosedInWindow  bool   `json:"closed_in_window"`
	Statements      uint64 `json:"statements"`
	BackendCommands uint64 `json:"backend_commands"`
}

// capture is one open window. Its counters are plain integers guarded by
// mu: each hook takes mu once per capture, which is what makes every event
// fall entirely inside or entirely outside the window.
type capture struct {
	id        string
	label     string
	connIDs   []uint64
	filter    map[uint64]struct{} // nil: every connection; read-only
	startedAt time.Time
	maxConns  int
	// lastAccess (unix ns of the start or last read) is guarded by
	// Stats.capMu.
	lastAccess int64

	mu      sync.Mutex
	stopped bool
	endedAt time.Time

	clientByCmd   commandCounts
	byKind        map[sqlclass.Kind]uint64
	backendByCmd  commandCounts
	backendTimeNs int64
	backendIdleNs int64
	backendIdles  uint64 // events with backend commands
	cacheTimeNs   int64
	cacheCalls    uint64
	outcomes      [numOutcomes]uint64
	stores        uint64
	bypass        map[sqlclass.Reason]uint64
	notStored     map[sqlclass.Reason]uint64
	errTotal      uint64
	errByCode     map[uint16]uint64
	tables        map[*tableEntry]*TableCounts
	digests       map[*digestEntry]*DigestCounts
	invalidations map[*tableEntry]uint64
	invalidateAll uint64
	flushes       uint64
	opened        uint64
	closed        uint64
	foreign       uint64
	live          map[uint64]*CaptureConn // connections with events, still open
	openedHere    map[uint64]struct{}     // live connections opened in the window
	done          []*CaptureConn          // connections closed in the window
	unlisted      uint64
}

// newCapture returns an open capture.
func newCapture(id string, req CaptureRequest, now time.Time, maxConns int) *capture {
	c := &capture{
		id:            id,
		label:         req.Label,
		startedAt:     now,
		maxConns:      maxConns,
		lastAccess:    now.UnixNano(),
		byKind:        make(map[sqlclass.Kind]uint64),
		bypass:        make(map[sqlclass.Reason]uint64),
		notStored:     make(map[sqlclass.Reason]uint64),
		errByCode:     make(map[uint16]uint64),
		tables:        make(map[*tableEntry]*TableCounts),
		digests:       make(map[*digestEntry]*DigestCounts),
		invalidations: make(map[*tableEntry]uint64),
		live:          make(map[uint64]*CaptureConn),
		openedHere:    make(map[uint64]struct{}),
	}
	if len(req.ConnIDs) > 0 {
		c.filter = make(map[uint64]struct{}, len(req.ConnIDs))
		for _, id := range req.ConnIDs {
			c.filter[id] = struct{}{}
		}
		c.connIDs = slices.Sorted(func(yield func(uint64) bool) {
			for id := range c.filter {
				if !yield(id) {
					return
				}
			}
		})
	}
	return c
}

// accepts reports whether events of connection id belong to the capture.
func (c *capture) accepts(id uint64) bool {
	if c.filter == nil {
		return true
	}
	_, ok := c.filter[id]
	return ok
}

// conn returns the capture's record of a connection, creating the record
// of a connection opened before the window (from the registry) when the
// window has not seen it yet. The caller holds c.mu.
func (c *capture) conn(id uint64, reg *connRegistry) *CaptureConn {
	cc := c.live[id]
	if cc == nil {
		l := reg.get(id)
		cc = &CaptureConn{ID: id, ClientAddr: l.addrString(), User: l.user}
		c.live[id] = cc
	}
	return cc
}

// connOpened counts a connection opened in the window.
func (c *capture) connOpened(id uint64, l connLabel) {
	if !c.accepts(id) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	c.opened++
	c.live[id] = &CaptureConn{ID: id, ClientAddr: l.addrString(), User: l.user, OpenedInWindow: true}
	c.openedHere[id] = struct{}{}
}

// connClosed counts a connection closed in the window and the COM_QUIT the
// core sends the backend for it.
func (c *capture) connClosed(info ConnInfo, s *Stats) {
	if !c.accepts(info.ID) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	c.closed++
	c.backendByCmd[comQuit]++
	cc := c.live[info.ID]
	if cc == nil {
		l := label(info)
		cc = &CaptureConn{ID: info.ID, ClientAddr: l.addrString(), User: l.user}
	}
	cc.ClosedInWindow = true
	cc.BackendCommands++
	delete(c.live, info.ID)
	delete(c.openedHere, info.ID)
	if len(c.done) < c.maxConns {
		c.done = append(c.done, cc)
	} else {
		c.unlisted++
	}
}

// statement counts one client command. d and tabs are the digest and table
// entries Stats resolved for it (nil and empty without a classification).
func (c *capture) statement(ev *StatementEvent, out Outcome, d *digestEntry, tabs []*tableEntry, s *Stats) {
	if !c.accepts(ev.ConnID) {
		return
	}
	var backend uint64
	if ev.BackendCommands > 0 {
		backend = uint64(ev.BackendCommands)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	c.clientByCmd[ev.Command]++
	if ev.Class != nil {
		c.byKind[ev.Class.Kind]++
	}
	c.backendByCmd[ev.Command] += backend
	if ev.BackendTime > 0 {
		c.backendTimeNs += int64(ev.BackendTime)
	}
	if backend > 0 {
		if ev.BackendIdle > 0 {
			c.backendIdleNs += int64(ev.BackendIdle)
		}
		c.backendIdles++
	}
	if ev.CacheCalls > 0 {
		c.cacheCalls += uint64(ev.CacheCalls)
	}
	if ev.CacheTime > 0 {
		c.cacheTimeNs += int64(ev.CacheTime)
	}
	c.outcomes[out]++
	switch out {
	case OutcomeBypass:
		c.bypass[ev.Reason]++
	case OutcomeMiss:
		if ev.Stored {
			c.stores++
		} else {
			c.notStored[ev.Reason]++
		}
	}
	if ev.Err {
		c.errTotal++
		c.errByCode[ev.ErrCode]++
	}
	if d != nil {
		dc := c.digests[d]
		if dc == nil {
			dc = &DigestCounts{}
			c.digests[d] = dc
		}
		dc.Count++
		switch out {
		case OutcomeHit:
			dc.Hits++
		case OutcomeMiss:
			dc.Misses++
		case OutcomeBypass:
			dc.Bypass++
		}
		dc.BackendCount += backend
		if ev.BackendTime > 0 {
			dc.BackendTimeNs += int64(ev.BackendTime)
		}
	}
	for _, t := range tabs {
		tc := c.tables[t]
		if tc == nil {
			tc = &TableCounts{}
			c.tables[t] = tc
		}
		tc.Reads++
		switch out {
		case OutcomeHit:
			tc.Hits++
		case OutcomeMiss:
			tc.Misses++
		case OutcomeBypass:
			tc.Bypass++
		}
		tc.Backend += backend
	}
	cc := c.conn(ev.ConnID, &s.conns)
	cc.Statements++
	cc.BackendCommands += backend
	if _, ok := c.openedHere[ev.ConnID]; !ok {
		c.foreign++
	}
}

// invalidated counts an invalidation.
func (c *capture) invalidated(tabs []*tableEntry, all bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	if all {
		c.invalidateAll++
	}
	for _, t := range tabs {
		c.invalidations[t]++
	}
}

// flushed counts a cache flush.
func (c *capture) flushed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped {
		c.flushes++
	}
}

// stop closes the window at now (unless it is closed already); it counts
// nothing afterwards. It returns the final snapshot, taken in the same
// critical section.
func (c *capture) stop(now time.Time) CaptureSnapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.stopped {
		c.stopped = true
		c.endedAt = now
	}
	return c.snapshotLocked(now)
}

// snapshot returns the window's counts; now is the end of an open window.
func (c *capture) snapshot(now time.Time) CaptureSnapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snapshotLocked(now)
}

// snapshotLocked returns the window's counts. The caller holds c.mu.
func (c *capture) snapshotLocked(now time.Time) CaptureSnapshot {
	cs := CaptureSnapshot{
		ID:               c.id,
		Label:            c.label,
		ConnIDs:          slices.Clone(c.connIDs),
		Active:           !c.stopped,
		StartedAt:        c.startedAt,
		BackendTimeNs:    c.backendTimeNs,
		BackendIdleNs:    c.backendIdleNs,
		BackendIdleCount: c.backendIdles,
		CacheTimeNs:      c.cacheTimeNs,
		CacheCalls:       c.cacheCalls,
		Hits:             c.outcomes[OutcomeHit],
		Misses:           c.outcomes[OutcomeMiss],
		Stores:           c.stores,
		Local:            c.outcomes[OutcomeLocal],
		Bypass:           reasonCounts(c.bypass),
		NotStored:        reasonCounts(c.notStored),
		Errors:           ErrorCounts{Total: c.errTotal, ByCode: maps.Clone(c.errByCode)},
		Tables:           make(map[string]TableCounts, len(c.tables)),
		Digests:          make([]DigestCounts, 0, len(c.digests)),
		Invalidations:    make(map[string]uint64, len(c.invalidations)),
		InvalidateAll:    c.invalidateAll,
		Flushes:          c.flushes,
		Connections: CaptureConnections{
			OpenedInWindow: c.opened,
			ClosedInWindow: c.closed,
			PerConnection:  make([]CaptureConn, 0, len(c.done)+len(c.live)),
			Unlisted:       c.unlisted,
		},
		ForeignStatements: c.foreign,
	}
	end := now
	if c.stopped {
		end = c.endedAt
		cs.EndedAt = c.endedAt
	}
	cs.Duration = end.Sub(c.startedAt)
	cs.ClientStatements.ByCommand, cs.ClientStatements.Total = c.clientByCmd.named()
	cs.ClientStatements.ByKind = make(map[string]uint64, len(c.byKind))
	for k, n := range c.byKind {
		cs.ClientStatements.ByKind[string(k)] += n
	}
	cs.BackendCommands.ByCommand, cs.BackendCommands.Total = c.backendByCmd.named()
	for t, tc := range c.tables {
		sum := cs.Tables[t.name] // several tables may share "other"
		sum.Reads += tc.Reads
		sum.Hits += tc.Hits
		sum.Misses += tc.Misses
		sum.Bypass += tc.Bypass
		sum.Backend += tc.Backend
		cs.Tables[t.name] = sum
	}
	for d, dc := range c.digests {
		out := *dc
		out.Digest, out.Normalized, out.Kind = d.digest, d.normalized, string(d.kind)
		cs.Digests = append(cs.Digests, out)
	}
	slices.SortFunc(cs.Digests, func(a, b DigestCounts) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(b.BackendTimeNs, a.BackendTimeNs), cmp.Compare(a.Digest, b.Digest))
	})
	for t, n := range c.invalidations {
		cs.Invalidations[t.name] += n
	}
	for _, cc := range c.done {
		cs.Connections.PerConnection = append(cs.Connections.PerConnection, *cc)
	}
	for _, cc := range c.live {
		cs.Connections.PerConnection = append(cs.Connections.PerConnection, *cc)
	}
	slices.SortFunc(cs.Connections.PerConnection, func(a, b CaptureConn) int { return cmp.Compare(a.ID, b.ID) })
	return cs
}

// reasonCounts returns per-reason counts keyed by label.
func reasonCounts(m map[sqlclass.Reason]uint64) map[string]uint64 {
	out := make(map[string]uint64, len(m))
	for r, n := range m {
		out[reasonLabel(r)] += n
	}
	return out
}

// newCaptureID returns a random capture id.
func newCaptureID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// StartCapture opens a capture window and returns its id. The window
// counts every event from the moment StartCapture returns (see
// CaptureSnapshot). It fails with ErrTooManyCaptures when MaxCaptures are
// open.
func (s *Stats) StartCapture(req CaptureRequest) (string, error) {
	now := s.now()
	s.capMu.Lock()
	defer s.capMu.Unlock()
	s.expireLocked(now.UnixNano())
	if len(s.capByID) >= s.opts.MaxCaptures {
		return "", fmt.Errorf("start capture %q: %w (%d open)", req.Label, ErrTooManyCaptures, len(s.capByID))
	}
	id := newCaptureID()
	for s.capByID[id] != nil {
		id = newCaptureID()
	}
	c := newCapture(id, req, now, s.opts.MaxCaptureConns)
	s.capByID[id] = c
	s.publishLocked()
	return id, nil
}

// ReadCapture returns what the capture counted so far without stopping it;
// reading it resets its idle timeout.
func (s *Stats) ReadCapture(id string) (CaptureSnapshot, error) {
	now := s.now()
	s.capMu.Lock()
	s.expireLocked(now.UnixNano())
	c := s.capByID[id]
	if c != nil {
		c.lastAccess = now.UnixNano()
		s.updateExpiryLocked()
	}
	s.capMu.Unlock()
	if c == nil {
		return CaptureSnapshot{}, fmt.Errorf("read capture %q: %w", id, ErrCaptureNotFound)
	}
	return c.snapshot(now), nil
}

// StopCapture closes the capture and returns its final counts; the id is
// unknown afterwards.
func (s *Stats) StopCapture(id string) (CaptureSnapshot, error) {
	s.capMu.Lock()
	s.expireLocked(s.now().UnixNano())
	c := s.capByID[id]
	if c != nil {
		delete(s.capByID, id)
		s.publishLocked()
	}
	s.capMu.Unlock()
	if c == nil {
		return CaptureSnapshot{}, fmt.Errorf("stop capture %q: %w", id, ErrCaptureNotFound)
	}
	return c.stop(s.now()), nil
}

// publishLocked publishes the open captures to the hooks and recomputes
// the next expiry. The caller holds s.capMu.
func (s *Stats) publishLocked() {
	list := make([]*capture, 0, len(s.capByID))
	for _, c := range s.capByID {
		list = append(list, c)
	}
	if len(list) == 0 {
		s.captures.Store(nil)
	} else {
		s.captures.Store(&list)
	}
	s.updateExpiryLocked()
}

// updateExpiryLocked recomputes when the next capture may expire. The
// caller holds s.capMu.
func (s *Stats) updateExpiryLocked() {
	next := int64(math.MaxInt64)
	for _, c := range s.capByID {
		next = min(next, c.lastAccess+int64(s.opts.CaptureIdleTimeout))
	}
	s.nextExpiry.Store(next)
}

// expireLocked drops the captures idle for CaptureIdleTimeout at nowNs.
// The caller holds s.capMu.
func (s *Stats) expireLocked(nowNs int64) {
	if nowNs < s.nextExpiry.Load() {
		return
	}
	dropped := false
	for id, c := range s.capByID {
		if nowNs-c.lastAccess >= int64(s.opts.CaptureIdleTimeout) {
			delete(s.capByID, id)
			c.mu.Lock()
			c.stopped, c.endedAt = true, time.Unix(0, nowNs)
			c.mu.Unlock()
			s.capExpired++
			dropped = true
		}
	}
	if dropped {
		s.publishLocked()
	} else {
		s.updateExpiryLocked()
	}
}

// maybeExpire drops idle captures when one may be due; hooks call it with
// the time they already read, so it costs one atomic load.
func (s *Stats) maybeExpire(nowNs int64) {
	if nowNs < s.nextExpiry.Load() {
		return
	}
	s.capMu.Lock()
	s.expireLocked(nowNs)
	s.capMu.Unlock()
}
