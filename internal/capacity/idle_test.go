package capacity

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/psbench/psbench/internal/results"
)

// idle is an idle probe of kind: w(100 µs) = 20 µs, w(1 ms) = 100 µs,
// w(2 ms) = 80 µs (noise: the curve must stay at 100), w(5 ms) = 200 µs.
func idle(kind string) results.IdleCost {
	return results.IdleCost{Kind: kind, Addr: "127.0.0.1:1", HotNs: 40 * us, Samples: 150, Points: []results.IdlePoint{
		{GapNs: int64(5 * time.Millisecond), ExtraNs: 200 * us},
		{GapNs: int64(100 * time.Microsecond), ExtraNs: 20 * us},
		{GapNs: int64(time.Millisecond), ExtraNs: 100 * us},
		{GapNs: int64(2 * time.Millisecond), ExtraNs: 80 * us},
	}}
}

func TestIdleCurve(t *testing.T) {
	var none idleCurve
	near(t, "no probe: w(1ms)", none.at(1e6), 0)
	xDB, _ := wake{db: none, dbGap: 50 * us}.added(1e6, 0, false)
	near(t, "no probe: round trip 1ms", xDB, 1e6)

	c := idleCurveOf([]results.IdleCost{idle(results.IdleServerRedis), idle(results.IdleServerMySQL)}, results.IdleServerMySQL)
	if !c.measured() {
		t.Fatal("curve from a probe is not measured")
	}
	near(t, "w(0)", c.at(0), 0)
	near(t, "w(50µs), from (0,0)", c.at(50*us), 10*us)
	near(t, "w(100µs)", c.at(100*us), 20*us)
	near(t, "w(550µs), linear", c.at(550*us), 60*us)
	near(t, "w(2ms), made non-decreasing", c.at(2000*us), 100*us)
	near(t, "w(3.5ms)", c.at(3500*us), 150*us)
	near(t, "w(10ms), flat past the last gap", c.at(10000*us), 200*us)
	// a round trip of 1 ms after the shop's own 100 µs gap: the RTT and
	// w(1.1 ms) − w(100 µs) = 100 − 20 µs
	w := wake{db: c, dbGap: 100 * us}
	xDB, _ = w.added(1000*us, 0, false)
	near(t, "round trip", xDB, 1000*us+80*us)
	xDB, _ = w.added(0, 0, false)
	near(t, "no round trip", xDB, 0)
	if idleCurveOf([]results.IdleCost{idle(results.IdleServerRedis)}, results.IdleServerMySQL).measured() {
		t.Error("a Redis probe gave MySQL a curve")
	}
}

// withCache adds cache calls and page durations to the fixture's phases:
// callNs of cache time per call; a page takes its backend and cache time
// and 10 ms more; backend sessions idle 30 µs between commands.
func withCache(run *results.Run, mode string, callNs float64) *results.Run {
	run.Cache.Mode = mode
	for _, pg := range run.Profile.Pages {
		for _, ph := range phases(pg) {
			calls := ph.Hits + 2*ph.Misses
			ph.CacheCalls = calls
			ph.CacheTimeNs = int64(float64(calls) * callNs)
			ph.HTTP.TotalNs = ph.BackendTimeNs + ph.CacheTimeNs + int64(10*time.Millisecond)
			ph.BackendIdleCount = ph.BackendStatements
			ph.BackendIdleNs = int64(ph.BackendStatements) * int64(30*time.Microsecond)
		}
	}
	return run
}

func TestWakeCouplesTheServers(t *testing.T) {
	// w(g) = 0.1·g on both servers up to 10 ms, one cache call between two
	// statements and the other way round, no gaps of their own
	lin := idleCurve{gaps: []float64{0, 10e6}, extra: []float64{0, 1e6}}
	w := wake{db: lin, cache: lin, callsPerStmt: 1, stmtsPerCall: 1}
	// cache RTT 1 ms: xC = 1 ms + 0.1·(xDB + 1 ms), xDB = 0.1·xC
	xDB, xC := w.added(0, 1e6, true)
	near(t, "xC", xC, 1.1e6/0.99)
	near(t, "xDB", xDB, 0.1*1.1e6/0.99)
	// a local cache: no hop, no coupling
	xDB, xC = w.added(1e6, 1e6, false)
	near(t, "local xC", xC, 0)
	near(t, "local xDB", xDB, 1.1e6)
	// gaps measured at (0, 1 ms) give back the gaps at RTT 0
	w.dbGap, w.cacheGap = 200e3, 300e3
	xDB, xC = w.added(0, 1e6, true)
	measured := w
	measured.dbGap += w.callsPerStmt * xC
	measured.cacheGap += w.stmtsPerCall * xDB
	base := measured.baseGaps(0, 1e6, true)
	near(t, "base db gap", base.dbGap, 200e3)
	near(t, "base cache gap", base.cacheGap, 300e3)
}

func TestCalibrateRemovesRTTAndIdleCost(t *testing.T) {
	// measured at db RTT 1 ms: 100 µs of MySQL, 1 ms of network, and the
	// wake-up after 1.03 ms instead of 30 µs of idle
	mysqlIdle := idle(results.IdleServerMySQL)
	cw := idleCurveOf([]results.IdleCost{mysqlIdle}, results.IdleServerMySQL)
	perStmt := 100*us + 1000*us + cw.at(1030*us) - cw.at(30*us)
	run := withCache(fixture(time.Duration(perStmt), "network: {db_rtt: 1ms, cache_rtt: 0s}\n"), "redis", 60*us)
	run.IdleCost = []results.IdleCost{mysqlIdle}
	c, err := Calibrate(run)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "db gap", float64(c.DBGap()), 30*us)
	near(t, "t_db", float64(c.TDB), 100*us)
	xDB, xC := c.Added(time.Millisecond, 0)
	near(t, "statement at 1ms", float64(c.TDB)+xDB, perStmt)
	near(t, "cache call at 1ms db RTT (no Redis probe: no idle cost)", xC, 0)
	xDB, _ = c.Added(0, 0)
	near(t, "statement at 0", float64(c.TDB)+xDB, 100*us)
	near(t, "redis call", float64(c.TCache), 60*us)
	if !c.DBIdleMeasured() || c.CacheIdleMeasured() {
		t.Errorf("idle measured: db %v cache %v, want true false", c.DBIdleMeasured(), c.CacheIdleMeasured())
	}
	// cache gap: (page time − cache time) per call over every phase, less
	// what the 1 ms database RTT added between two calls
	var calls, cacheNs, pageNs float64
	for _, pg := range run.Profile.Pages {
		for _, ph := range phases(pg) {
			calls += float64(ph.CacheCalls)
			cacheNs += float64(ph.CacheTimeNs)
			pageNs += float64(ph.HTTP.TotalNs)
		}
	}
	xDB, _ = c.Added(time.Millisecond, 0)
	measuredGap := float64(int64(pageNs-cacheNs) / int64(calls))
	near(t, "cache gap at RTT 0", float64(c.CacheGap()), math.Round(measuredGap-float64(c.Statements)/calls*xDB))

	m, err := MeasuredSQLTime(run.Profile)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "measured = predicted at the calibration's own RTTs", PredictSQLTime(m.Statements, m.CacheCalls, c, time.Millisecond, 0), m.Ns)
}

func TestPlanUsesMeasuredCacheCallsAndIdleCost(t *testing.T) {
	run := withCache(fixture(100*time.Microsecond, ""), "redis", 60*us)
	run.IdleCost = []results.IdleCost{idle(results.IdleServerMySQL), idle(results.IdleServerRedis)}
	c, err := Plan(run, Options{TargetRPS: 1e6, Nodes: 1, TTL: time.Hour, CacheRTTs: []time.Duration{time.Millisecond}, DBRTT: ptr(time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "redis call (measured)", c.RedisNs, 60*us)
	near(t, "local hit (constant)", c.LocalHitNs, float64(LocalHitTime))
	mysql := idleCurveOf(run.IdleCost, results.IdleServerMySQL)
	near(t, "db idle at 1ms", c.DBIdleNs, mysql.at(1030*us)-mysql.at(30*us))
	k := c.Kinds[0]
	dbStmt := 100*us + 1000*us + c.DBIdleNs
	near(t, "no cache", k.NoCacheNs, 200*dbStmt)
	// uncoupled, a Redis call at 1 ms would cost this (same curve for
	// Redis); coupled, MySQL idles longer too and the page costs more
	g := float64(c.CacheGapNs)
	call := 60*us + 1000*us + mysql.at(g+1000*us) - mysql.at(g)
	if got := SharedKindNs(c, &k, time.Millisecond); got <= 150*call+50*dbStmt {
		t.Errorf("shared@1ms = %s, want more than the uncoupled %s", time.Duration(got), time.Duration(150*call+50*dbStmt))
	}
	// at the break-even the shared cache costs exactly what no cache does
	calib, err := Calibrate(run)
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := modelTimes(calib, time.Millisecond)
	m := kindModel{c: k.Client, k: k.Cacheable}
	near(t, "shared at break-even = no cache", tm.shared(m, k.HitsShared, *k.BreakEvenRTTNs), k.NoCacheNs)
	if *k.BreakEvenRTTNs >= 150*dbStmt/150-60*us {
		t.Errorf("break-even %s: the idle cost must pull it below the no-idle value", time.Duration(*k.BreakEvenRTTNs))
	}
	joined := strings.Join(c.Assumptions, "\n")
	for _, want := range []string{"Redis call 60µs (measured", "MySQL idle cost (probed)", "Redis idle cost (probed)"} {
		if !strings.Contains(joined, want) {
			t.Errorf("assumptions lack %q:\n%s", want, joined)
		}
	}

	// a local-cache run measures the local call; no Redis probe: MySQL's
	// idle cost stands in, said so
	run = withCache(fixture(100*time.Microsecond, ""), "local", 2*us)
	run.IdleCost = []results.IdleCost{idle(results.IdleServerMySQL)}
	c, err = Plan(run, Options{TargetRPS: 1})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "local hit (measured)", c.LocalHitNs, 2*us)
	near(t, "redis (constant)", c.RedisNs, float64(RedisServiceTime))
	if joined := strings.Join(c.Assumptions, "\n"); !strings.Contains(joined, "MySQL's idle cost stands in") {
		t.Errorf("assumptions do not say MySQL's idle cost stands in for Redis's:\n%s", joined)
	}

	// results without probes or cache timing: constants, said so
	c, err = Plan(fixture(100*time.Microsecond, ""), Options{TargetRPS: 1})
	if err != nil {
		t.Fatal(err)
	}
	if joined := strings.Join(c.Assumptions, "\n"); !strings.Contains(joined, "are constants") || !strings.Contains(joined, "idle cost not probed") {
		t.Errorf("assumptions do not say what was not measured:\n%s", joined)
	}
}

func TestValidateCacheRTTPoints(t *testing.T) {
	calib := withCache(fixture(100*time.Microsecond, ""), "redis", 60*us)
	at := withCache(fixture(100*time.Microsecond, "network: {cache_rtt: 1ms}\n"), "redis", 1060*us)
	vs, err := Validate(calib, []string{"cache1ms"}, []*results.Run{at})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[1].CacheRTTNs != int64(time.Millisecond) || vs[1].CacheMode != "redis" {
		t.Fatalf("points %+v", vs)
	}
	near(t, "cache RTT point error (no idle probe: exact)", vs[1].Error, 0)
	local := withCache(fixture(100*time.Microsecond, ""), "local", 2*us)
	if _, err := Validate(calib, []string{"local"}, []*results.Run{local}); err == nil || !strings.Contains(err.Error(), "cache mode local") {
		t.Errorf("validating a redis calibration with a local run: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
