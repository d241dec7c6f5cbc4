package stats

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/psbench/psbench/internal/proxycache/sqlclass"
)

const us = time.Microsecond

// knownSequence feeds s a fixed sequence of events, advancing clk by one
// second before each, and returns the classification of the product SELECT.
func knownSequence(s *Stats, clk *fakeClock) {
	prod := selectClass("d-prod", "SELECT * FROM ps_product WHERE id = ?", tref("shop", "ps_product"), tref("shop", "ps_product_lang"))
	guest := selectClass("d-guest", "SELECT SQL_NO_CACHE * FROM ps_guest", tref("shop", "ps_guest"))
	conf := selectClass("d-conf", "SELECT * FROM ps_configuration", tref("shop", "ps_configuration"))
	set := classOf(sqlclass.KindSet, "d-set")
	ins := classOf(sqlclass.KindInsert, "d-ins")
	local := classOf(sqlclass.KindOther, "d-local")
	step := func(f func()) { clk.Advance(time.Second); f() }

	step(func() { s.ConnOpened(conn(1, 5001)) })
	step(func() { s.ConnOpened(conn(2, 5002)) })
	step(func() { s.Statement(bypassEv(1, 0x03, set, sqlclass.ReasonNotSelect, 100*us, 150*us)) })
	step(func() { s.Statement(missEv(1, prod, true, "", 300*us, 400*us)) })
	step(func() { s.Statement(hitEv(1, prod, 20*us)) })
	step(func() { s.Statement(hitEv(2, prod, 30*us)) })
	step(func() { s.Statement(bypassEv(2, 0x03, guest, sqlclass.ReasonNoCache, 200*us, 250*us)) })
	step(func() { s.Statement(missEv(2, conf, false, sqlclass.ReasonTooLarge, 2000*us, 3000*us)) })
	step(func() {
		ev := bypassEv(2, 0x03, ins, sqlclass.ReasonNotSelect, 500*us, 600*us)
		ev.Err, ev.ErrCode = true, 1062
		s.Statement(ev)
	})
	step(func() { s.Statement(bypassEv(1, 0x0e, nil, sqlclass.ReasonNone, 50*us, 60*us)) })
	step(func() {
		ev := bypassEv(1, 0x17, nil, sqlclass.ReasonPrepared, 1000*us, 1100*us)
		ev.BackendCommands = 2
		s.Statement(ev)
	})
	step(func() {
		s.Statement(&StatementEvent{ConnID: 2, Command: 0x03, Class: local, Outcome: OutcomeLocal, Latency: 5 * us})
	})
	step(func() { s.Invalidated([]string{"shop.ps_connections"}, false) })
	step(func() { s.Invalidated(nil, true) })
	step(func() { s.ConnClosed(conn(1, 5001)) })
	step(func() { s.Flushed() })
}

func TestSnapshotAfterKnownSequence(t *testing.T) {
	s, clk := newTestStats(t, Options{})
	start := clk.Now()
	knownSequence(s, clk)
	snap := s.Snapshot()

	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %+v, want %+v", name, got, want)
		}
	}
	check("taken_at", snap.TakenAt, start.Add(16*time.Second))
	check("started_at", snap.StartedAt, start)
	check("uptime", snap.UptimeSeconds, 16.0)
	check("connections", snap.Connections, ConnectionCounts{Active: 1, Opened: 2, Closed: 1})
	check("client_statements", snap.ClientStatements, ClientStatementCounts{
		Total:     10,
		ByCommand: map[string]uint64{"COM_QUERY": 8, "COM_PING": 1, "COM_STMT_EXECUTE": 1},
		ByKind:    map[string]uint64{"set": 1, "select": 5, "insert": 1, "other": 1},
	})
	check("backend_commands", snap.BackendCommands, BackendCommandCounts{
		Total:     9,
		ByCommand: map[string]uint64{"COM_QUERY": 5, "COM_PING": 1, "COM_STMT_EXECUTE": 2, "COM_QUIT": 1},
	})
	check("backend_time_ns", snap.BackendTimeNs, int64(4150*us))
	check("hits", snap.Hits, uint64(2))
	check("misses", snap.Misses, uint64(2))
	check("stores", snap.Stores, uint64(1))
	check("local", snap.Local, uint64(1))
	check("bypass", snap.Bypass, map[string]uint64{"not_select": 2, "sql_no_cache": 1, "none": 1, "prepared": 1})
	check("not_stored", snap.NotStored, map[string]uint64{"too_large": 1})
	check("flushes", snap.Flushes, uint64(1))
	check("errors", snap.Errors, ErrorCounts{Total: 1, ByCode: map[uint16]uint64{1062: 1}})
	check("invalidations", snap.Invalidations, map[string]uint64{"shop.ps_connections": 1})
	check("invalidate_all", snap.InvalidateAll, uint64(1))
	check("tables", snap.Tables, map[string]TableCounts{
		"shop.ps_product":       {Reads: 3, Hits: 2, Misses: 1, Backend: 1},
		"shop.ps_product_lang":  {Reads: 3, Hits: 2, Misses: 1, Backend: 1},
		"shop.ps_guest":         {Reads: 1, Bypass: 1, Backend: 1},
		"shop.ps_configuration": {Reads: 1, Misses: 1, Backend: 1},
	})

	var order []string
	for _, d := range snap.Digests {
		order = append(order, d.Digest)
	}
	check("digest order", order, []string{"d-conf", "d-ins", "d-prod", "d-guest", "d-set", "d-local"})
	check("d-prod", snap.Digests[2], DigestStats{
		DigestCounts: DigestCounts{
			Digest: "d-prod", Normalized: "SELECT * FROM ps_product WHERE id = ?", Kind: "select",
			Count: 3, Hits: 2, Misses: 1, BackendCount: 1, BackendTimeNs: int64(300 * us),
		},
		FirstSeen: start.Add(4 * time.Second),
		LastSeen:  start.Add(6 * time.Second),
	})

	// Percentiles by linear interpolation inside the bucket holding the rank.
	check("latency.hit", snap.Latency.Hit, LatencySummary{Count: 2, SumNs: int64(50 * us),
		P50Ns: int64(25 * us), P95Ns: int64(47500), P99Ns: int64(49500)})
	check("latency.miss", snap.Latency.Miss, LatencySummary{Count: 2, SumNs: int64(3400 * us),
		P50Ns: int64(500 * us), P95Ns: int64(4750 * us), P99Ns: int64(4950 * us)})
	check("latency.bypass count/sum", [2]int64{int64(snap.Latency.Bypass.Count), snap.Latency.Bypass.SumNs}, [2]int64{5, int64(2160 * us)})
	check("latency.local", snap.Latency.Local, LatencySummary{Count: 1, SumNs: int64(5 * us),
		P50Ns: int64(2500), P95Ns: int64(4750), P99Ns: int64(4950)})
	check("limits", snap.Limits, Limits{MaxDigests: DefaultMaxDigests, DigestsTracked: 6, MaxTables: DefaultMaxTables, TablesTracked: 5})
	check("captures", snap.Captures, CaptureCounts{})
}

func TestSnapshotJSONShape(t *testing.T) {
	s, clk := newTestStats(t, Options{})
	knownSequence(s, clk)
	raw, err := json.Marshal(s.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	want := []string{"backend_commands", "backend_idle_count", "backend_idle_ns", "backend_time_ns", "bypass", "cache_calls",
		"cache_time_ns", "captures", "client_statements", "connections", "digests", "errors", "flushes", "hits",
		"invalidate_all", "invalidations", "latency", "limits", "local", "misses", "not_stored", "started_at", "stores",
		"tables", "taken_at", "uptime_seconds"}
	if got := slices.Sorted(maps.Keys(top)); !slices.Equal(got, want) {
		t.Errorf("snapshot keys = %v, want %v", got, want)
	}
	var digests []map[string]any
	if err := json.Unmarshal(top["digests"], &digests); err != nil {
		t.Fatal(err)
	}
	wantDigest := []string{"backend_count", "backend_time_ns", "bypass", "count", "digest", "first_seen", "hits", "kind", "last_seen", "misses", "normalized"}
	if got := slices.Sorted(maps.Keys(digests[0])); !slices.Equal(got, wantDigest) {
		t.Errorf("digest keys = %v, want %v", got, wantDigest)
	}
	var errs ErrorCounts
	if err := json.Unmarshal(top["errors"], &errs); err != nil || errs.ByCode[1062] != 1 {
		t.Errorf("errors round trip = %+v, %v; want by_code 1062:1", errs, err)
	}
}

func TestEmptySnapshotHasNoNullCollections(t *testing.T) {
	s, _ := newTestStats(t, Options{})
	raw, err := json.Marshal(s.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]any
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"bypass", "not_stored", "tables", "digests", "invalidations"} {
		if top[k] == nil {
			t.Errorf("%s is null in an empty snapshot: %s", k, raw)
		}
	}
}

func TestDigestOverflowToOther(t *testing.T) {
	s, _ := newTestStats(t, Options{MaxDigests: 2})
	classes := make([]*sqlclass.Classification, 5)
	for i := range classes {
		classes[i] = selectClass(fmt.Sprintf("d%d", i), fmt.Sprintf("SELECT %d", i))
	}
	for round := 0; round < 3; round++ {
		for _, c := range classes {
			s.Statement(missEv(1, c, true, "", 10*us, 20*us))
		}
	}
	snap := s.Snapshot()
	got := map[string]uint64{}
	for _, d := range snap.Digests {
		got[d.Digest] = d.Count
	}
	want := map[string]uint64{"d0": 3, "d1": 3, OtherLabel: 9}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("digest counts = %v, want %v", got, want)
	}
	if snap.Limits.DigestsTracked != 2 {
		t.Errorf("digests tracked = %d, want 2", snap.Limits.DigestsTracked)
	}
	// The "other" entry is sorted with the rest (by backend time: 9×10µs).
	if snap.Digests[0].Digest != OtherLabel || snap.Digests[0].BackendTimeNs != int64(90*us) {
		t.Errorf("first digest = %+v, want other with 90µs backend time", snap.Digests[0])
	}
}

func TestDigestCapHoldsUnderConcurrentInserts(t *testing.T) {
	s, _ := newTestStats(t, Options{MaxDigests: 50})
	const workers, perWorker = 8, 40
	done := make(chan struct{})
	for w := 0; w < workers; w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < perWorker; i++ {
				s.Statement(hitEv(1, selectClass(fmt.Sprintf("w%d-%d", w, i), ""), us))
			}
		}()
	}
	for w := 0; w < workers; w++ {
		<-done
	}
	snap := s.Snapshot()
	var total uint64
	for _, d := range snap.Digests {
		total += d.Count
	}
	if len(snap.Digests) != 51 || snap.Limits.DigestsTracked != 50 || total != workers*perWorker {
		t.Errorf("digests = %d entries (tracked %d), total %d; want 51 (50 + other), total %d",
			len(snap.Digests), snap.Limits.DigestsTracked, total, workers*perWorker)
	}
}

func TestTableOverflowToOther(t *testing.T) {
	s, _ := newTestStats(t, Options{MaxTables: 2})
	c := selectClass("d", "SELECT ...", tref("shop", "a"), tref("shop", "b"), tref("shop", "c"), tref("shop", "d"))
	s.Statement(hitEv(1, c, us))
	s.Invalidated([]string{"shop.a", "shop.zzz"}, false)
	snap := s.Snapshot()
	wantTables := map[string]TableCounts{
		"shop.a":   {Reads: 1, Hits: 1},
		"shop.b":   {Reads: 1, Hits: 1},
		OtherLabel: {Reads: 2, Hits: 2},
	}
	if !reflect.DeepEqual(snap.Tables, wantTables) {
		t.Errorf("tables = %v, want %v", snap.Tables, wantTables)
	}
	wantInv := map[string]uint64{"shop.a": 1, OtherLabel: 1}
	if !reflect.DeepEqual(snap.Invalidations, wantInv) {
		t.Errorf("invalidations = %v, want %v", snap.Invalidations, wantInv)
	}
}

func TestInvalidationNamesMatchReadRefs(t *testing.T) {
	s, _ := newTestStats(t, Options{})
	s.Invalidated([]string{"shop.ps_cart", "ps_cart"}, false)
	s.Statement(hitEv(1, selectClass("d", "", tref("shop", "ps_cart"), tref("", "ps_cart")), us))
	snap := s.Snapshot()
	if snap.Limits.TablesTracked != 2 {
		t.Errorf("tables tracked = %d, want 2 (shop.ps_cart and ps_cart)", snap.Limits.TablesTracked)
	}
	if snap.Invalidations["shop.ps_cart"] != 1 || snap.Tables["shop.ps_cart"].Hits != 1 ||
		snap.Invalidations["ps_cart"] != 1 || snap.Tables["ps_cart"].Hits != 1 {
		t.Errorf("invalidations %v tables %v: want both names once each", snap.Invalidations, snap.Tables)
	}
}

func TestUnknownCommandAndOutcome(t *testing.T) {
	s, _ := newTestStats(t, Options{})
	s.Statement(&StatementEvent{ConnID: 1, Command: 0xee, Outcome: Outcome(9), BackendCommands: 1})
	s.Statement(nil)
	snap := s.Snapshot()
	if snap.ClientStatements.ByCommand["COM_UNKNOWN_0xee"] != 1 || snap.Bypass["none"] != 1 || snap.ClientStatements.Total != 1 {
		t.Errorf("client %v bypass %v: want one COM_UNKNOWN_0xee counted as bypass", snap.ClientStatements, snap.Bypass)
	}
}

func TestCommandName(t *testing.T) {
	for b, want := range map[byte]string{0x01: "COM_QUIT", 0x03: "COM_QUERY", 0x0e: "COM_PING", 0x17: "COM_STMT_EXECUTE", 0x1f: "COM_RESET_CONNECTION", 0x99: "COM_UNKNOWN_0x99"} {
		if got := CommandName(b); got != want {
			t.Errorf("CommandName(%#x) = %q, want %q", b, got, want)
		}
	}
}

func TestStatementAllocations(t *testing.T) {
	s, _ := newTestStats(t, Options{})
	c := selectClass("d-prod", "SELECT ...", tref("shop", "ps_product"), tref("shop", "ps_product_lang"), tref("", "ps_stock"))
	ev := missEv(1, c, true, "", 300*us, 400*us)
	byp := bypassEv(1, 0x03, c, sqlclass.ReasonBlacklisted, us, us)
	s.ConnOpened(conn(1, 5001))
	s.Statement(ev)
	s.Statement(byp)
	if n := testing.AllocsPerRun(1000, func() { s.Statement(ev); s.Statement(byp) }); n != 0 {
		t.Errorf("Statement without capture: %.1f allocations per run, want 0", n)
	}
	id, err := s.StartCapture(CaptureRequest{Label: "page"})
	if err != nil {
		t.Fatal(err)
	}
	s.Statement(ev)
	s.Statement(byp)
	if n := testing.AllocsPerRun(1000, func() { s.Statement(ev); s.Statement(byp) }); n != 0 {
		t.Errorf("Statement with capture: %.1f allocations per run, want 0", n)
	}
	if _, err := s.StopCapture(id); err != nil {
		t.Fatal(err)
	}
}

// benchEvents returns a page-like mix of events on known digests.
func benchEvents() []*StatementEvent {
	prod := selectClass("d-prod", "SELECT ...", tref("shop", "ps_product"), tref("shop", "ps_product_shop"))
	mod := selectClass("d-mod", "SELECT ...", tref("shop", "ps_module"))
	guest := selectClass("d-guest", "SELECT ...", tref("shop", "ps_guest"))
	return []*StatementEvent{
		hitEv(1, prod, 20*us),
		hitEv(1, mod, 15*us),
		missEv(1, prod, true, "", 300*us, 350*us),
		bypassEv(1, 0x03, guest, sqlclass.ReasonNoCache, 200*us, 220*us),
	}
}

func benchmarkStatement(b *testing.B, captures int) {
	s := New(Options{})
	evs := benchEvents()
	s.ConnOpened(conn(1, 5001))
	for i := 0; i < captures; i++ {
		if _, err := s.StartCapture(CaptureRequest{Label: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	for _, ev := range evs {
		s.Statement(ev)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Statement(evs[i%len(evs)])
			i++
		}
	})
}

func BenchmarkStatementNoCapture(b *testing.B) { benchmarkStatement(b, 0) }

func BenchmarkStatementWithCapture(b *testing.B) { benchmarkStatement(b, 1) }

func BenchmarkStatementNoCaptureSerial(b *testing.B) {
	s := New(Options{})
	evs := benchEvents()
	b.Run("clock", func(b *testing.B) { benchSerial(b, s, evs) })
	at := time.Now()
	for _, ev := range evs {
		ev.At = at
	}
	b.Run("event-time", func(b *testing.B) { benchSerial(b, s, evs) })
}

// benchSerial feeds evs to s from one goroutine.
func benchSerial(b *testing.B, s *Stats, evs []*StatementEvent) {
	for _, ev := range evs {
		s.Statement(ev)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Statement(evs[i%len(evs)])
	}
}
