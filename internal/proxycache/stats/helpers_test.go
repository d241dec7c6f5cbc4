package stats

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/psbench/psbench/internal/proxycache/sqlclass"
)

// fakeClock is an injectable clock for tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// newFakeClock returns a clock at a fixed instant.
func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newTestStats returns a Stats on a fake clock.
func newTestStats(t testing.TB, opts Options) (*Stats, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	opts.Now = clk.Now
	return New(opts), clk
}

// tref returns a table reference.
func tref(schema, name string) sqlclass.TableRef {
	return sqlclass.TableRef{Schema: schema, Name: name}
}

// selectClass returns a cacheable SELECT classification reading tables.
func selectClass(digest, normalized string, reads ...sqlclass.TableRef) *sqlclass.Classification {
	return &sqlclass.Classification{
		Kind: sqlclass.KindSelect, Statements: 1, Cacheable: true,
		Reads: reads, Digest: digest, Normalized: normalized,
	}
}

// classOf returns a classification of the given kind.
func classOf(kind sqlclass.Kind, digest string, reads ...sqlclass.TableRef) *sqlclass.Classification {
	return &sqlclass.Classification{Kind: kind, Statements: 1, Reads: reads, Digest: digest, Normalized: string(kind) + " ..."}
}

// tcpAddr returns a client address.
func tcpAddr(port int) net.Addr {
	return &net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: port}
}

// conn returns a ConnInfo.
func conn(id uint64, port int) ConnInfo {
	return ConnInfo{ID: id, ClientAddr: tcpAddr(port), User: "shop", BackendUser: "shop_rw"}
}

// hitEv, missEv and bypassEv build events.
func hitEv(connID uint64, c *sqlclass.Classification, lat time.Duration) *StatementEvent {
	return &StatementEvent{ConnID: connID, Command: 0x03, Class: c, Outcome: OutcomeHit, Latency: lat}
}

func missEv(connID uint64, c *sqlclass.Classification, stored bool, reason sqlclass.Reason, backend time.Duration, lat time.Duration) *StatementEvent {
	return &StatementEvent{ConnID: connID, Command: 0x03, Class: c, Outcome: OutcomeMiss, Stored: stored, Reason: reason,
		BackendCommands: 1, BackendTime: backend, Latency: lat}
}

func bypassEv(connID uint64, cmd byte, c *sqlclass.Classification, reason sqlclass.Reason, backend time.Duration, lat time.Duration) *StatementEvent {
	return &StatementEvent{ConnID: connID, Command: cmd, Class: c, Outcome: OutcomeBypass, Reason: reason,
		BackendCommands: 1, BackendTime: backend, Latency: lat}
}
