package proxycache_test

// What each statement cost besides its backend round trip, through a real
// proxy: time and calls in the cache store (Redis here) and how long the
// backend session sat idle before the statement, per event and in the
// proxy-wide totals of /stats and /metrics.

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/proxycache/stats"
)

// oneEvent runs f on c, waits until the proxy has reported it, and returns
// the single event it caused.
func oneEvent(t *testing.T, tp *testProxy, c querier, what string, f func()) stats.StatementEvent {
	t.Helper()
	settle(t, c)
	tp.recordEvents()
	f()
	settle(t, c)
	evs := tp.events()
	if len(evs) != 1 {
		t.Fatalf("%s: %d events, want 1: %+v", what, len(evs), evs)
	}
	return evs[0]
}

// checkCost asserts the cache calls of an event, that it spent time in the
// store exactly when it made calls, and that the time fits in its latency.
func checkCost(t *testing.T, what string, ev stats.StatementEvent, calls int) {
	t.Helper()
	t.Logf("%s: %d cache calls in %v, backend idle %v, backend time %v, latency %v",
		what, ev.CacheCalls, ev.CacheTime, ev.BackendIdle, ev.BackendTime, ev.Latency)
	if ev.CacheCalls != calls {
		t.Errorf("%s: %d cache calls, want %d (%+v)", what, ev.CacheCalls, calls, ev)
	}
	if (calls > 0) != (ev.CacheTime > 0) || ev.CacheTime > ev.Latency {
		t.Errorf("%s: cache time %v with %d calls and latency %v", what, ev.CacheTime, ev.CacheCalls, ev.Latency)
	}
	if (ev.BackendCommands > 0) != (ev.BackendIdle > 0) {
		t.Errorf("%s: backend idle %v with %d backend commands", what, ev.BackendIdle, ev.BackendCommands)
	}
}

func TestStatementCacheCostRedis(t *testing.T) {
	needRedis(t)
	db := newDB(t, "cost", productFixture...)
	tp := startProxy(t, proxycache.CacheRedis)
	c := oneConn(t, openClient(t, tp.Addr, db))
	q := "SELECT name FROM ps_product WHERE id = 1"

	miss := oneEvent(t, tp, c, "first read", func() { queryStrings(t, c, q) })
	if miss.Outcome != stats.OutcomeMiss || !miss.Stored || miss.BackendCommands != 1 {
		t.Fatalf("first read: %+v, want a stored miss", miss)
	}
	checkCost(t, "stored miss (Get + Put)", miss, 2)

	hit := oneEvent(t, tp, c, "second read", func() { queryStrings(t, c, q) })
	if hit.Outcome != stats.OutcomeHit || hit.BackendCommands != 0 {
		t.Fatalf("second read: %+v, want a hit", hit)
	}
	checkCost(t, "hit (Get)", hit, 1)
	if hit.BackendIdle != 0 || hit.BackendTime != 0 {
		t.Errorf("hit: backend idle %v, backend time %v, want 0 (nothing sent)", hit.BackendIdle, hit.BackendTime)
	}

	ins := oneEvent(t, tp, c, "insert", func() { mustExec(t, c, "INSERT INTO ps_product VALUES (4, 'four')") })
	checkCost(t, "autocommit INSERT (one invalidation)", ins, 1)

	// In a transaction a write invalidates at once and again when the
	// transaction ends: the COMMIT is charged with the second one.
	mustExec(t, c, "BEGIN")
	upd := oneEvent(t, tp, c, "update in a transaction", func() { mustExec(t, c, "UPDATE ps_product SET name = 'uno' WHERE id = 1") })
	checkCost(t, "UPDATE in a transaction", upd, 1)
	commit := oneEvent(t, tp, c, "commit", func() { mustExec(t, c, "COMMIT") })
	checkCost(t, "COMMIT ending a transaction that wrote", commit, 1)

	// A read passed through (SQL_NO_CACHE) touches no store.
	nc := oneEvent(t, tp, c, "SQL_NO_CACHE read", func() { queryStrings(t, c, "SELECT SQL_NO_CACHE name FROM ps_product WHERE id = 2") })
	if nc.Outcome != stats.OutcomeBypass {
		t.Fatalf("SQL_NO_CACHE read: %+v, want a bypass", nc)
	}
	checkCost(t, "bypassed read", nc, 0)

	// After the write the entry is refilled: a miss stored again.
	refill := oneEvent(t, tp, c, "read after the write", func() { queryStrings(t, c, q) })
	if refill.Outcome != stats.OutcomeMiss || !refill.Stored {
		t.Fatalf("read after the write: %+v, want a stored miss", refill)
	}
	checkCost(t, "refill", refill, 2)
}

func TestStatementCacheCostOff(t *testing.T) {
	db := newDB(t, "costoff", productFixture...)
	tp := startProxy(t, proxycache.CacheOff)
	c := oneConn(t, openClient(t, tp.Addr, db))
	for _, st := range []struct {
		what string
		f    func()
	}{
		{"read", func() { queryStrings(t, c, "SELECT name FROM ps_product WHERE id = 1") }},
		{"write", func() { mustExec(t, c, "INSERT INTO ps_product VALUES (5, 'five')") }},
	} {
		ev := oneEvent(t, tp, c, st.what, st.f)
		if ev.CacheCalls != 0 || ev.CacheTime != 0 || ev.BackendCommands != 1 || ev.BackendIdle <= 0 {
			t.Errorf("cache off, %s: cache calls %d time %v, backend commands %d idle %v; want 0, 0, 1, > 0",
				st.what, ev.CacheCalls, ev.CacheTime, ev.BackendCommands, ev.BackendIdle)
		}
	}
	st := tp.adminStats(t)
	if n, ok := statNumber(st, "cache_calls"); !ok || n != 0 {
		t.Errorf("GET /stats cache_calls = %v (found %v), want 0 with the cache off", n, ok)
	}
	if n, ok := statNumber(st, "cache_time_ns"); !ok || n != 0 {
		t.Errorf("GET /stats cache_time_ns = %v (found %v), want 0 with the cache off", n, ok)
	}
}

func TestBackendIdle(t *testing.T) {
	db := newDB(t, "idle", productFixture...)
	tp := startProxy(t, proxycache.CacheOff)
	c := oneConn(t, openClient(t, tp.Addr, db))
	q := "SELECT name FROM ps_product WHERE id = 1"

	// The first command is idle since the backend login, moments ago.
	tp.recordEvents()
	queryStrings(t, c, q)
	settle(t, c)
	if evs := tp.events(); len(evs) != 1 || evs[0].BackendIdle <= 0 || evs[0].BackendIdle >= time.Second {
		t.Fatalf("first command after login: %+v, want one event idle in (0, 1s)", evs)
	}

	const pause = 20 * time.Millisecond
	tp.recordEvents()
	queryStrings(t, c, q)
	time.Sleep(pause)
	queryStrings(t, c, q)
	settle(t, c)
	evs := tp.events()
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	if idle := evs[1].BackendIdle; idle < pause || idle >= time.Second {
		t.Errorf("statement after a %v pause: backend idle %v, want in [%v, 1s)", pause, idle, pause)
	}

	// Back to back, the gap is the client's and the proxy's own turnaround.
	tp.recordEvents()
	for range 11 {
		queryStrings(t, c, q)
	}
	settle(t, c)
	evs = tp.events()
	if len(evs) != 11 {
		t.Fatalf("%d events, want 11", len(evs))
	}
	var idles []time.Duration
	for _, ev := range evs {
		if ev.BackendIdle <= 0 {
			t.Errorf("back-to-back statement with backend idle %v, want > 0", ev.BackendIdle)
		}
		idles = append(idles, ev.BackendIdle)
	}
	slices.Sort(idles)
	if med := idles[len(idles)/2]; med >= 5*time.Millisecond {
		t.Errorf("back-to-back statements: median backend idle %v (all %v), want < 5ms", med, idles)
	}

	// A hit sends nothing: the backend stays idle through it, and the next
	// statement sent reports the whole gap.
	tpc := startProxy(t, proxycache.CacheLocal)
	cc := oneConn(t, openClient(t, tpc.Addr, db))
	queryStrings(t, cc, q) // miss, stored
	settle(t, cc)
	tpc.recordEvents()
	time.Sleep(pause)
	queryStrings(t, cc, q) // hit
	time.Sleep(pause)
	queryStrings(t, cc, "SELECT SQL_NO_CACHE name FROM ps_product WHERE id = 1")
	settle(t, cc)
	evs = tpc.events()
	if len(evs) != 2 || evs[0].Outcome != stats.OutcomeHit || evs[1].Outcome != stats.OutcomeBypass {
		t.Fatalf("events %+v, want a hit then a bypass", evs)
	}
	if evs[0].BackendIdle != 0 {
		t.Errorf("hit: backend idle %v, want 0", evs[0].BackendIdle)
	}
	if idle := evs[1].BackendIdle; idle < 2*pause || idle >= time.Second {
		t.Errorf("statement sent after a hit: backend idle %v, want in [%v, 1s) (both pauses)", idle, 2*pause)
	}
}

// metricsCounters fetches GET /metrics from the proxy's admin handler and
// returns the value of each unlabelled counter.
func (tp *testProxy) metricsCounters(t *testing.T) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain")
	tp.P.AdminHandler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body.String())
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := map[string]float64{}
	for name, fam := range fams {
		if ms := fam.GetMetric(); len(ms) == 1 && len(ms[0].GetLabel()) == 0 && ms[0].GetCounter() != nil {
			out[name] = ms[0].GetCounter().GetValue()
		}
	}
	return out
}

// TestStatementCostTotals: /stats and /metrics expose the sums of the
// events' costs.
func TestStatementCostTotals(t *testing.T) {
	needRedis(t)
	db := newDB(t, "costtot", productFixture...)
	tp := startProxy(t, proxycache.CacheRedis)
	c := oneConn(t, openClient(t, tp.Addr, db))
	settle(t, c)
	before := tp.adminStats(t)
	tp.recordEvents()
	for range 3 {
		queryStrings(t, c, "SELECT name FROM ps_product WHERE id = 2") // miss stored, then hits
	}
	mustExec(t, c, "UPDATE ps_product SET name = 'dos' WHERE id = 2")
	time.Sleep(10 * time.Millisecond)
	queryStrings(t, c, "SELECT SQL_NO_CACHE name FROM ps_product WHERE id = 2")
	settle(t, c)
	evs := tp.events()
	after := tp.adminStats(t)

	var calls, idleCount int
	var cacheNs, idleNs int64
	for _, ev := range evs {
		calls += ev.CacheCalls
		cacheNs += int64(ev.CacheTime)
		if ev.BackendCommands > 0 {
			idleCount++
			idleNs += int64(ev.BackendIdle)
		}
	}
	if calls != 2+1+1+1 || idleCount != 3 || idleNs < int64(10*time.Millisecond) {
		t.Fatalf("events: %d cache calls, %d backend commands idle %v in all; want 5 calls, 3 commands, idle >= 10ms: %+v",
			calls, idleCount, time.Duration(idleNs), evs)
	}
	// The totals also count the barriers (one cached read and one backend
	// command each at most) that settle ran between the two snapshots.
	delta := func(name string) float64 {
		a, okA := statNumber(after, name)
		b, okB := statNumber(before, name)
		if !okA || !okB {
			t.Fatalf("GET /stats lacks %s: %v", name, after)
		}
		return a - b
	}
	const barriers = 1
	if d := delta("cache_calls"); d < float64(calls) || d > float64(calls+barriers) {
		t.Errorf("/stats cache_calls grew by %v, want %d (+%d barrier)", d, calls, barriers)
	}
	if d := delta("cache_time_ns"); d < float64(cacheNs) {
		t.Errorf("/stats cache_time_ns grew by %v, want at least the events' %d", d, cacheNs)
	}
	if d := delta("backend_idle_count"); d < float64(idleCount) || d > float64(idleCount+barriers) {
		t.Errorf("/stats backend_idle_count grew by %v, want %d (+%d barrier)", d, idleCount, barriers)
	}
	if d := delta("backend_idle_ns"); d < float64(idleNs) {
		t.Errorf("/stats backend_idle_ns grew by %v, want at least the events' %d", d, idleNs)
	}

	// /metrics reads the same counters (no traffic in between).
	m := tp.metricsCounters(t)
	st := tp.adminStats(t)
	for metric, key := range map[string]string{
		"psbench_proxy_cache_calls_total":          "cache_calls",
		"psbench_proxy_cache_seconds_total":        "cache_time_ns",
		"psbench_proxy_backend_idle_seconds_total": "backend_idle_ns",
	} {
		want, _ := statNumber(st, key)
		if key != "cache_calls" {
			want /= 1e9
		}
		got, ok := m[metric]
		if !ok || got != want || got <= 0 {
			t.Errorf("/metrics %s = %v (found %v), want /stats %s = %v, > 0", metric, got, ok, key, want)
		}
	}
}
