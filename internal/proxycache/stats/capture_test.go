package stats

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/psbench/psbench/internal/proxycache/sqlclass"
)

// checkCaptureConsistent asserts the invariants that hold when every event
// is counted whole in a capture: every event of the test carries a digest,
// reads the tables its digest implies and, unless it is a hit, sends
// backendPer[digest] backend commands.
func checkCaptureConsistent(t *testing.T, cs CaptureSnapshot, backendPer map[string]uint64, tablesPer map[string][]string) {
	t.Helper()
	var digestTotal, wantBackend uint64
	wantReads := map[string]uint64{}
	for _, d := range cs.Digests {
		digestTotal += d.Count
		want := (d.Count - d.Hits) * backendPer[d.Digest]
		wantBackend += want
		if d.BackendCount != want {
			t.Errorf("capture %s digest %s: backend_count %d for %d statements (%d hits), want %d", cs.Label, d.Digest, d.BackendCount, d.Count, d.Hits, want)
		}
		for _, tb := range tablesPer[d.Digest] {
			wantReads[tb] += d.Count
		}
	}
	wantBackend += cs.Connections.ClosedInWindow // COM_QUIT
	if cs.ClientStatements.Total != digestTotal {
		t.Errorf("capture %s: client total %d, digest total %d", cs.Label, cs.ClientStatements.Total, digestTotal)
	}
	if cs.BackendCommands.Total != wantBackend {
		t.Errorf("capture %s: backend total %d, want %d", cs.Label, cs.BackendCommands.Total, wantBackend)
	}
	for tb, n := range wantReads {
		if cs.Tables[tb].Reads != n {
			t.Errorf("capture %s: table %s reads %d, want %d", cs.Label, tb, cs.Tables[tb].Reads, n)
		}
	}
	var perConnStmts, perConnBackend, foreign uint64
	for _, c := range cs.Connections.PerConnection {
		perConnStmts += c.Statements
		perConnBackend += c.BackendCommands
		if !c.OpenedInWindow {
			foreign += c.Statements
		}
	}
	if perConnStmts != cs.ClientStatements.Total || perConnBackend != cs.BackendCommands.Total || foreign != cs.ForeignStatements {
		t.Errorf("capture %s: per-connection statements %d backend %d foreign %d; totals %d %d %d",
			cs.Label, perConnStmts, perConnBackend, foreign, cs.ClientStatements.Total, cs.BackendCommands.Total, cs.ForeignStatements)
	}
}

func TestCaptureExactnessUnderConcurrency(t *testing.T) {
	s := New(Options{MaxCaptures: 64})
	const workers, perPhase = 8, 400
	before := selectClass("before", "")
	inside := selectClass("inside", "", tref("shop", "ps_module"))
	after := selectClass("after", "")
	noise := selectClass("noise", "", tref("shop", "ps_noise_a"), tref("shop", "ps_noise_b"))
	backendPer := map[string]uint64{"before": 1, "inside": 1, "after": 1, "noise": 3}
	tablesPer := map[string][]string{"inside": {"shop.ps_module"}, "noise": {"shop.ps_noise_a", "shop.ps_noise_b"}}

	var phaseA, phaseB sync.WaitGroup
	startInside, startAfter := make(chan struct{}), make(chan struct{})
	var all sync.WaitGroup
	stopNoise := make(chan struct{})

	// Workers: one old connection each (opened before the window), one new.
	for w := range workers {
		old := uint64(100 + w)
		s.ConnOpened(conn(old, 6000+w))
		phaseA.Add(1)
		phaseB.Add(1)
		all.Add(1)
		go func() {
			defer all.Done()
			for range perPhase {
				s.Statement(missEv(old, before, true, "", us, us))
			}
			phaseA.Done()
			<-startInside
			fresh := uint64(200 + w)
			s.ConnOpened(conn(fresh, 7000+w))
			for range perPhase {
				s.Statement(hitEv(fresh, inside, us))
				ev := missEv(old, inside, true, "", us, us)
				s.Statement(ev)
				s.Statement(&StatementEvent{ConnID: fresh, Command: 0x03, Class: inside, Outcome: OutcomeBypass,
					Reason: sqlclass.ReasonNoCache, BackendCommands: 1})
			}
			s.ConnClosed(conn(fresh, 7000+w))
			phaseB.Done()
			<-startAfter
			for range perPhase {
				s.Statement(hitEv(old, after, us))
			}
		}()
	}
	// Noise: events of other connections across both boundaries.
	var noiseSent atomic.Uint64
	for n := range 3 {
		id := uint64(900 + n)
		s.ConnOpened(conn(id, 9000+n))
		all.Add(1)
		go func() {
			defer all.Done()
			for {
				select {
				case <-stopNoise:
					return
				default:
				}
				ev := missEv(id, noise, true, "", us, us)
				ev.BackendCommands = 3
				s.Statement(ev)
				noiseSent.Add(1)
			}
		}()
	}
	// Churn: short captures opened and closed all along; each must be
	// self-consistent (no event counted in part).
	churnDone := make(chan struct{})
	var churned atomic.Int64
	go func() {
		defer close(churnDone)
		for {
			select {
			case <-stopNoise:
				return
			default:
			}
			id, err := s.StartCapture(CaptureRequest{Label: "churn"})
			if err != nil {
				t.Errorf("churn start: %v", err)
				return
			}
			cs, err := s.StopCapture(id)
			if err != nil {
				t.Errorf("churn stop: %v", err)
				return
			}
			checkCaptureConsistent(t, cs, backendPer, tablesPer)
			churned.Add(1)
		}
	}()

	phaseA.Wait()
	idA, err := s.StartCapture(CaptureRequest{Label: "page"})
	if err != nil {
		t.Fatal(err)
	}
	idB, err := s.StartCapture(CaptureRequest{Label: "page-twin"})
	if err != nil {
		t.Fatal(err)
	}
	close(startInside)
	phaseB.Wait()
	mid, err := s.ReadCapture(idA)
	if err != nil {
		t.Fatal(err)
	}
	csA, err := s.StopCapture(idA)
	if err != nil {
		t.Fatal(err)
	}
	csB, err := s.StopCapture(idB)
	if err != nil {
		t.Fatal(err)
	}
	close(startAfter)
	for noiseSent.Load() < 5000 { // let noise run past the window too
		time.Sleep(time.Millisecond)
	}
	close(stopNoise)
	all.Wait()
	<-churnDone
	if churned.Load() == 0 {
		t.Fatal("no churn capture completed")
	}

	for _, cs := range []CaptureSnapshot{mid, csA, csB} {
		checkCaptureConsistent(t, cs, backendPer, tablesPer)
		counts := map[string]uint64{}
		for _, d := range cs.Digests {
			counts[d.Digest] = d.Count
		}
		if counts["inside"] != workers*perPhase*3 || counts["before"] != 0 || counts["after"] != 0 {
			t.Errorf("capture %s: digests %v, want inside=%d and no before/after", cs.Label, counts, workers*perPhase*3)
		}
		if cs.Connections.OpenedInWindow != workers || cs.Connections.ClosedInWindow != workers {
			t.Errorf("capture %s: opened %d closed %d, want %d each", cs.Label, cs.Connections.OpenedInWindow, cs.Connections.ClosedInWindow, workers)
		}
		if want := uint64(workers*perPhase) + counts["noise"]; cs.ForeignStatements != want {
			t.Errorf("capture %s: foreign %d, want %d (old connections' inside statements + noise)", cs.Label, cs.ForeignStatements, want)
		}
		if cs.Hits != workers*perPhase || cs.Bypass["sql_no_cache"] != workers*perPhase || cs.Misses != workers*perPhase+counts["noise"] {
			t.Errorf("capture %s: hits %d bypass %v misses %d", cs.Label, cs.Hits, cs.Bypass, cs.Misses)
		}
	}
	if !slices.IsSortedFunc(csA.Digests, func(a, b DigestCounts) int { return int(b.Count) - int(a.Count) }) {
		t.Errorf("digests not sorted by count, descending: %+v", csA.Digests)
	}
	if _, err := s.ReadCapture(idA); !errors.Is(err, ErrCaptureNotFound) {
		t.Errorf("read after stop: %v, want ErrCaptureNotFound", err)
	}
	// The cumulative counters saw every event exactly once too.
	snap := s.Snapshot()
	var total uint64
	for _, d := range snap.Digests {
		total += d.Count
	}
	if want := uint64(workers*perPhase*5) + noiseSent.Load(); total != want || snap.ClientStatements.Total != want {
		t.Errorf("cumulative: digest total %d client total %d, want %d", total, snap.ClientStatements.Total, want)
	}
}

func TestCaptureConnIDsFilter(t *testing.T) {
	s, _ := newTestStats(t, Options{})
	c := selectClass("d", "SELECT 1", tref("shop", "t"))
	id, err := s.StartCapture(CaptureRequest{Label: "only-2", ConnIDs: []uint64{2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	for _, cid := range []uint64{1, 2, 3} {
		s.ConnOpened(conn(cid, 5000+int(cid)))
		s.Statement(hitEv(cid, c, us))
		s.Statement(missEv(cid, c, true, "", us, us))
		s.ConnClosed(conn(cid, 5000+int(cid)))
	}
	s.Invalidated([]string{"shop.t"}, false)
	cs, err := s.StopCapture(id)
	if err != nil {
		t.Fatal(err)
	}
	want := CaptureConnections{OpenedInWindow: 1, ClosedInWindow: 1, PerConnection: []CaptureConn{{
		ID: 2, ClientAddr: "10.0.0.7:5002", User: "shop", OpenedInWindow: true, ClosedInWindow: true, Statements: 2, BackendCommands: 2,
	}}}
	if !reflect.DeepEqual(cs.Connections, want) {
		t.Errorf("connections = %+v, want %+v", cs.Connections, want)
	}
	if cs.ClientStatements.Total != 2 || cs.Hits != 1 || cs.Misses != 1 || cs.BackendCommands.Total != 2 || cs.ForeignStatements != 0 {
		t.Errorf("capture = %+v; want conn 2's two statements only", cs)
	}
	if !slices.Equal(cs.ConnIDs, []uint64{2}) {
		t.Errorf("conn_ids = %v, want [2]", cs.ConnIDs)
	}
	if cs.Invalidations["shop.t"] != 1 {
		t.Errorf("invalidations = %v; invalidations carry no connection and count in every capture", cs.Invalidations)
	}
}

func TestCaptureForeignStatements(t *testing.T) {
	s, clk := newTestStats(t, Options{})
	sel := selectClass("d-sel", "SELECT ?", tref("shop", "ps_product"))
	set := classOf(sqlclass.KindSet, "d-set")
	s.ConnOpened(conn(1, 5001)) // a persistent connection, or another client
	s.Statement(hitEv(1, sel, us))
	start := clk.Now()
	id, err := s.StartCapture(CaptureRequest{Label: "/product/1"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(250 * time.Millisecond)
	s.ConnOpened(conn(2, 5002))
	s.Statement(bypassEv(2, 0x03, set, sqlclass.ReasonNotSelect, 10*us, 20*us))
	s.Statement(missEv(2, sel, true, "", 30*us, 40*us))
	s.Statement(hitEv(2, sel, us))
	s.Statement(hitEv(1, sel, us))
	s.Statement(bypassEv(1, 0x0e, nil, "", us, us))
	s.ConnClosed(conn(1, 5001))
	clk.Advance(250 * time.Millisecond)
	cs, err := s.StopCapture(id)
	if err != nil {
		t.Fatal(err)
	}
	if cs.ForeignStatements != 2 {
		t.Errorf("foreign_statements = %d, want 2", cs.ForeignStatements)
	}
	want := CaptureConnections{OpenedInWindow: 1, ClosedInWindow: 1, PerConnection: []CaptureConn{
		{ID: 1, ClientAddr: "10.0.0.7:5001", User: "shop", OpenedInWindow: false, ClosedInWindow: true, Statements: 2, BackendCommands: 2},
		{ID: 2, ClientAddr: "10.0.0.7:5002", User: "shop", OpenedInWindow: true, ClosedInWindow: false, Statements: 3, BackendCommands: 2},
	}}
	if !reflect.DeepEqual(cs.Connections, want) {
		t.Errorf("connections = %+v, want %+v", cs.Connections, want)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"started_at", cs.StartedAt, start},
		{"ended_at", cs.EndedAt, start.Add(500 * time.Millisecond)},
		{"duration", cs.Duration, 500 * time.Millisecond},
		{"active", cs.Active, false},
		{"client", cs.ClientStatements, ClientStatementCounts{Total: 5,
			ByCommand: map[string]uint64{"COM_QUERY": 4, "COM_PING": 1}, ByKind: map[string]uint64{"set": 1, "select": 3}}},
		{"backend", cs.BackendCommands, BackendCommandCounts{Total: 4,
			ByCommand: map[string]uint64{"COM_QUERY": 2, "COM_PING": 1, "COM_QUIT": 1}}},
		{"backend_time", cs.BackendTimeNs, int64(41 * us)},
		{"tables", cs.Tables, map[string]TableCounts{"shop.ps_product": {Reads: 3, Hits: 2, Misses: 1, Backend: 1}}},
		{"digests", cs.Digests, []DigestCounts{
			{Digest: "d-sel", Normalized: "SELECT ?", Kind: "select", Count: 3, Hits: 2, Misses: 1, BackendCount: 1, BackendTimeNs: int64(30 * us)},
			{Digest: "d-set", Normalized: "set ...", Kind: "set", Count: 1, Bypass: 1, BackendCount: 1, BackendTimeNs: int64(10 * us)},
		}},
		{"bypass", cs.Bypass, map[string]uint64{"not_select": 1, "none": 1}},
		{"stores", cs.Stores, uint64(1)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %+v, want %+v", c.name, c.got, c.want)
		}
	}
}

func TestCaptureSnapshotJSONShape(t *testing.T) {
	s, _ := newTestStats(t, Options{})
	id, err := s.StartCapture(CaptureRequest{Label: "x"})
	if err != nil {
		t.Fatal(err)
	}
	s.ConnOpened(conn(1, 5001))
	s.Statement(hitEv(1, selectClass("d", "SELECT 1", tref("shop", "t")), us))
	read, err := s.ReadCapture(id)
	if err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return slices.Sorted(maps.Keys(m))
	}
	wantActive := []string{"active", "backend_commands", "backend_idle_count", "backend_idle_ns", "backend_time_ns", "bypass",
		"cache_calls", "cache_time_ns", "client_statements", "connections", "digests", "duration", "errors", "flushes",
		"foreign_statements", "hits", "id", "invalidate_all", "invalidations", "label", "local", "misses", "not_stored",
		"started_at", "stores", "tables"}
	if got := keys(read); !slices.Equal(got, wantActive) {
		t.Errorf("open capture keys = %v, want %v", got, wantActive)
	}
	if got := keys(read.Connections); !slices.Equal(got, []string{"closed_in_window", "opened_in_window", "per_connection"}) {
		t.Errorf("connections keys = %v", got)
	}
	if got := keys(read.Connections.PerConnection[0]); !slices.Equal(got, []string{"backend_commands", "client_addr", "closed_in_window", "id", "opened_in_window", "statements", "user"}) {
		t.Errorf("per-connection keys = %v", got)
	}
	if got := keys(read.Tables["shop.t"]); !slices.Equal(got, []string{"backend", "bypass", "hits", "misses", "reads"}) {
		t.Errorf("table keys = %v", got)
	}
	stopped, err := s.StopCapture(id)
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(stopped); !slices.Contains(got, "ended_at") {
		t.Errorf("stopped capture keys = %v, want ended_at", got)
	}
}

func TestCaptureReadKeepsCountingStopEnds(t *testing.T) {
	s, clk := newTestStats(t, Options{})
	c := selectClass("d", "SELECT 1")
	id, err := s.StartCapture(CaptureRequest{})
	if err != nil {
		t.Fatal(err)
	}
	s.Statement(hitEv(1, c, us))
	clk.Advance(time.Second)
	r1, err := s.ReadCapture(id)
	if err != nil {
		t.Fatal(err)
	}
	s.Statement(hitEv(1, c, us))
	final, err := s.StopCapture(id)
	if err != nil {
		t.Fatal(err)
	}
	s.Statement(hitEv(1, c, us))
	if r1.Hits != 1 || !r1.Active || !r1.EndedAt.IsZero() || r1.Duration != time.Second {
		t.Errorf("read = hits %d active %v ended %v duration %v; want 1, true, zero, 1s", r1.Hits, r1.Active, r1.EndedAt, r1.Duration)
	}
	if final.Hits != 2 || final.Active {
		t.Errorf("final = hits %d active %v; want 2, false", final.Hits, final.Active)
	}
	if _, err := s.StopCapture(id); !errors.Is(err, ErrCaptureNotFound) {
		t.Errorf("second stop: %v, want ErrCaptureNotFound", err)
	}
	if s.captures.Load() != nil {
		t.Error("stopped capture still fed by the hooks")
	}
}

func TestCaptureIdleExpiry(t *testing.T) {
	s, clk := newTestStats(t, Options{CaptureIdleTimeout: time.Minute})
	c := selectClass("d", "SELECT 1")
	kept, err := s.StartCapture(CaptureRequest{Label: "kept"})
	if err != nil {
		t.Fatal(err)
	}
	dropped, err := s.StartCapture(CaptureRequest{Label: "dropped"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(40 * time.Second)
	if _, err := s.ReadCapture(kept); err != nil { // resets kept's idle timer
		t.Fatal(err)
	}
	clk.Advance(20 * time.Second) // dropped idle for 60s, kept for 20s
	s.Statement(hitEv(1, c, us))  // the hook notices the expiry
	if caps := s.captures.Load(); caps == nil || len(*caps) != 1 || (*caps)[0].id != kept {
		t.Fatalf("hooks feed %v, want only %s", caps, kept)
	}
	if _, err := s.ReadCapture(dropped); !errors.Is(err, ErrCaptureNotFound) {
		t.Errorf("read expired capture: %v, want ErrCaptureNotFound", err)
	}
	cs, err := s.ReadCapture(kept)
	if err != nil || cs.Hits != 1 {
		t.Fatalf("read kept = %+v, %v; want 1 hit", cs, err)
	}
	if got := s.Snapshot().Captures; got != (CaptureCounts{Open: 1, Expired: 1}) {
		t.Errorf("captures = %+v, want 1 open, 1 expired", got)
	}
	clk.Advance(59 * time.Second)
	if _, err := s.ReadCapture(kept); err != nil {
		t.Errorf("read just before the timeout: %v", err)
	}
	clk.Advance(time.Minute)
	if _, err := s.StopCapture(kept); !errors.Is(err, ErrCaptureNotFound) {
		t.Errorf("stop after the timeout: %v, want ErrCaptureNotFound", err)
	}
	if got := s.nextExpiry.Load(); got != 1<<63-1 {
		t.Errorf("next expiry = %d with no capture open, want max", got)
	}
}

func TestTooManyCaptures(t *testing.T) {
	s, _ := newTestStats(t, Options{MaxCaptures: 2})
	a, err := s.StartCapture(CaptureRequest{Label: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartCapture(CaptureRequest{Label: "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartCapture(CaptureRequest{Label: "c"}); !errors.Is(err, ErrTooManyCaptures) {
		t.Fatalf("third capture: %v, want ErrTooManyCaptures", err)
	}
	if _, err := s.StopCapture(a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartCapture(CaptureRequest{Label: "c"}); err != nil {
		t.Errorf("capture after a stop: %v", err)
	}
}

func TestCaptureUnlistedConnections(t *testing.T) {
	s, _ := newTestStats(t, Options{MaxCaptureConns: 2})
	id, err := s.StartCapture(CaptureRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(1); i <= 4; i++ {
		s.ConnOpened(conn(i, 5000))
		s.ConnClosed(conn(i, 5000))
	}
	cs, err := s.StopCapture(id)
	if err != nil {
		t.Fatal(err)
	}
	c := cs.Connections
	if c.OpenedInWindow != 4 || c.ClosedInWindow != 4 || len(c.PerConnection) != 2 || c.Unlisted != 2 || cs.BackendCommands.ByCommand["COM_QUIT"] != 4 {
		t.Errorf("connections = %+v, COM_QUIT %d; want 4 opened/closed, 2 listed, 2 unlisted, 4 COM_QUIT", c, cs.BackendCommands.ByCommand["COM_QUIT"])
	}
}

func TestCaptureInvalidationsFlushesErrors(t *testing.T) {
	s, _ := newTestStats(t, Options{})
	s.Invalidated([]string{"shop.ps_cart"}, false)
	id, err := s.StartCapture(CaptureRequest{Label: "writes"})
	if err != nil {
		t.Fatal(err)
	}
	s.Invalidated([]string{"shop.ps_guest", "shop.ps_connections"}, false)
	s.Invalidated([]string{"shop.ps_guest"}, true)
	s.Flushed()
	ev := bypassEv(1, 0x03, classOf(sqlclass.KindInsert, "d-ins"), sqlclass.ReasonNotSelect, us, us)
	ev.Err, ev.ErrCode = true, 1213
	s.Statement(ev)
	s.Statement(missEv(1, selectClass("d", ""), false, sqlclass.ReasonWarnings, us, us))
	cs, err := s.StopCapture(id)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]uint64{"shop.ps_guest": 2, "shop.ps_connections": 1}; !reflect.DeepEqual(cs.Invalidations, want) {
		t.Errorf("invalidations = %v, want %v", cs.Invalidations, want)
	}
	if cs.InvalidateAll != 1 || cs.Flushes != 1 {
		t.Errorf("invalidate_all %d flushes %d, want 1, 1", cs.InvalidateAll, cs.Flushes)
	}
	if !reflect.DeepEqual(cs.Errors, ErrorCounts{Total: 1, ByCode: map[uint16]uint64{1213: 1}}) {
		t.Errorf("errors = %+v", cs.Errors)
	}
	if !reflect.DeepEqual(cs.NotStored, map[string]uint64{"warnings": 1}) || cs.Stores != 0 {
		t.Errorf("not_stored = %v stores %d", cs.NotStored, cs.Stores)
	}
}
