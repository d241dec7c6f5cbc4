package capacity_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/psbench/psbench/internal/capacity"
	"github.com/psbench/psbench/internal/idleprobe"
	"github.com/psbench/psbench/internal/netem"
	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/proxycache/stats"
	"github.com/psbench/psbench/internal/querycount"
	"github.com/psbench/psbench/internal/results"
	"github.com/psbench/psbench/internal/scenario"
	"github.com/psbench/psbench/internal/storefront"
	"github.com/psbench/psbench/internal/target/embedded"
	"github.com/redis/go-redis/v9"
)

// TestValidationAgainstInjectedLatency checks the model against
// measurement, the way `psbench plan --validate` does: the embedded
// storefront is profiled through the caching proxy with a shared (Redis)
// cache and latency relays between proxy and MySQL and between proxy and
// Redis. Each round is one calibration run (RTTs 0, plus the idle probes a
// run takes) and one run at each database RTT 0.5, 1, 2 ms and each cache
// RTT 0.5, 1, 2 ms; capacity.Validate predicts every point from the
// calibration alone. The median error over the rounds must be within ±15 %
// at each point.
func TestValidationAgainstInjectedLatency(t *testing.T) {
	ctx, rc, redisAddr, log := validationEnv(t, "starts the embedded storefront and profiles it at 7 RTT points (about 90 s)")
	tg := embedded.New(scenario.Embedded{Products: 12, Categories: 3}, log)
	if _, err := tg.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer tg.Stop(context.Background())
	st := stack{backendAddr: tg.Backend().Addr, backendUser: embedded.User, proxyListen: tg.ProxyListen()}
	for _, kind := range []string{"product", "category"} {
		urls, err := tg.Pages(ctx, kind, 1)
		if err != nil || len(urls) == 0 {
			t.Fatalf("discover %s pages: %v", kind, err)
		}
		for _, u := range urls {
			st.pages = append(st.pages, querycount.Page{Kind: kind, URL: u})
		}
	}
	validateStack(ctx, t, st, rc, redisAddr, log)
}

// TestValidationOnMariaDB is the same check with the storefront's catalogue
// in the machine's MariaDB, a real database: its statements take 50–100 µs,
// so the RTTs and the servers' idle cost are most of each page's SQL time.
func TestValidationOnMariaDB(t *testing.T) {
	ctx, rc, redisAddr, log := validationEnv(t, "profiles a storefront on MariaDB at 7 RTT points (about 80 s)")
	st := mariaDBStack(ctx, t, log)
	validateStack(ctx, t, st, rc, redisAddr, log)
}

// stack is what a validation profiles: the backend the proxy forwards to,
// the address the shop connects to (the proxy's), and the shop's pages.
type stack struct {
	backendAddr, backendUser string
	proxyListen              string
	pages                    []querycount.Page
}

// validationEnv skips a validation in -short mode (saying what it would
// take) and under the race detector, and returns the test's deadline, a
// single-connection client of the Redis the shared cache uses, its address
// and a silent logger.
func validationEnv(t *testing.T, takes string) (context.Context, *redis.Client, string, *slog.Logger) {
	t.Helper()
	if testing.Short() {
		t.Skip(takes)
	}
	if raceEnabled() {
		// Not a flaky-test escape: under the race detector the in-memory
		// MySQL's CPU per statement grows ~5× (0.7 → 3-6 ms) and varies
		// by ±50 % between rounds, far more than the 0.5-2 ms injected, so
		// a ±15 % timing check would measure the detector, not the model.
		// scripts/test runs these tests once more without -race.
		t.Skip("timing validation is meaningless under -race (see comment); scripts/test runs it without -race")
	}
	redisAddr := cmp.Or(os.Getenv("PSB_TEST_REDIS_ADDR"), "127.0.0.1:6379")
	rc := redis.NewClient(&redis.Options{Addr: redisAddr, PoolSize: 1})
	t.Cleanup(func() { rc.Close() })
	if err := rc.Ping(context.Background()).Err(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Redis at %s: %v", redisAddr, err)
		}
		t.Skipf("Redis at %s not reachable: %v", redisAddr, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	old := debug.SetGCPercent(400) // fewer GC pauses inside captures
	t.Cleanup(func() { debug.SetGCPercent(old) })
	return ctx, rc, redisAddr, slog.New(slog.NewTextHandler(io.Discard, nil))
}

// validateStack runs the rounds on st and checks every point's median
// error.
func validateStack(ctx context.Context, t *testing.T, st stack, rc *redis.Client, redisAddr string, log *slog.Logger) {
	t.Helper()
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	points := []rttPoint{{db: ms(0.5)}, {db: ms(1)}, {db: ms(2)}, {cache: ms(0.5)}, {cache: ms(1)}, {cache: ms(2)}}
	// Up to 3 rounds, as many as fit a 150 s budget (about 30 s a round on
	// the embedded storefront, 10 s on MariaDB).
	const maxRounds, budget = 3, 150 * time.Second
	// The first profile after seeding runs ~50 % slower than the next ones
	// (cold memos and heap): warm up before measuring.
	profileAt(ctx, t, st, rttPoint{}, redisAddr, log)
	began := time.Now()
	errs := make([][]float64, len(points))
	noIdle := make([][]float64, len(points)) // the model without the idle cost, for the log
	var last []results.CapacityValidation
	for round := 0; round < maxRounds; round++ {
		if round > 0 && time.Since(began)/time.Duration(round)*time.Duration(round+1) > budget {
			break
		}
		calib := profileAt(ctx, t, st, rttPoint{}, redisAddr, log)
		calib.IdleCost = probeIdle(ctx, t, st, rc, redisAddr)
		var runs []*results.Run
		var names []string
		for _, pt := range points {
			runs = append(runs, profileAt(ctx, t, st, pt, redisAddr, log))
			names = append(names, pt.String())
		}
		vs, err := capacity.Validate(calib, names, runs)
		if err != nil {
			t.Fatal(err)
		}
		without := *calib
		without.IdleCost = nil
		vsNoIdle, err := capacity.Validate(&without, names, runs)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vsNoIdle {
			if i := slices.IndexFunc(points, func(p rttPoint) bool { return p.String() == v.Source }); i >= 0 {
				noIdle[i] = append(noIdle[i], v.Error)
			}
		}
		c, err := capacity.Calibrate(calib)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: t_db %s (db gap %s), Redis call %s (cache gap %s)", round+1, c.TDB, c.DBGap(), c.TCache, c.CacheGap())
		for _, v := range vs {
			if v.Calibration {
				if math.Abs(v.Error) > 1e-3 {
					t.Errorf("the calibration point predicts %+.2f %% of itself", 100*v.Error)
				}
				continue
			}
			i := slices.IndexFunc(points, func(p rttPoint) bool { return p.String() == v.Source })
			errs[i] = append(errs[i], v.Error)
			t.Logf("  %-22s predicted %-10s measured %-10s %+.1f %%", v.Source, time.Duration(v.PredictedNs), time.Duration(v.MeasuredNs), 100*v.Error)
		}
		last = vs
	}
	if len(last) != len(points)+1 {
		t.Fatalf("%d validation points, want %d", len(last), len(points)+1)
	}
	for i, pt := range points {
		e := median(errs[i])
		if math.Abs(e) > 0.15 {
			t.Errorf("%s: predicted SQL time per page off by %+.1f %% (median of %d rounds: %s), want within ±15 %%",
				pt, 100*e, len(errs[i]), fmtPcts(errs[i]))
		} else {
			t.Logf("%s: median error %+.1f %% over %d rounds (without the idle cost: %+.1f %%)", pt, 100*e, len(errs[i]), 100*median(noIdle[i]))
		}
	}
}

// mariaDBStack seeds a fresh MariaDB database with the embedded target's
// catalogue and serves the storefront over it, connecting to a free
// loopback port where profileAt's proxies listen.
func mariaDBStack(ctx context.Context, t *testing.T, log *slog.Logger) stack {
	t.Helper()
	mc := mysql.NewConfig()
	mc.Net, mc.Addr = "tcp", cmp.Or(os.Getenv("PSB_TEST_MYSQL_ADDR"), "127.0.0.1:3306")
	mc.User, mc.Passwd = cmp.Or(os.Getenv("PSB_TEST_MYSQL_ROOT"), "root"), os.Getenv("PSB_TEST_MYSQL_ROOT_PW")
	mc.Timeout = 5 * time.Second
	root, err := sql.Open("mysql", mc.FormatDSN())
	if err == nil {
		err = root.PingContext(ctx)
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("MariaDB at %s: %v", mc.Addr, err)
		}
		t.Skipf("MariaDB at %s not reachable: %v", mc.Addr, err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "psbench_capacity_" + hex.EncodeToString(b)
	if _, err := root.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = root.ExecContext(context.Background(), "DROP DATABASE `"+name+"`")
		root.Close()
	})
	db := mc.Clone()
	db.DBName = name
	conn, err := sql.Open("mysql", db.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cat := storefront.NewCatalogue(storefront.Normalize(scenario.Embedded{Products: 12, Categories: 3}))
	if _, err := storefront.Install(ctx, conn, storefront.DefaultPrefix, cat); err != nil {
		t.Fatalf("seed the catalogue into MariaDB: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxyListen := ln.Addr().String()
	ln.Close()
	shop := db.Clone()
	shop.Addr = proxyListen
	sf, err := storefront.New(storefront.Config{DSN: shop.FormatDSN(), Catalogue: cat, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sf)
	t.Cleanup(func() { srv.Close(); sf.Close() })
	var category int
	q := "SELECT MIN(cp.id_category) FROM `ps_category_product` cp JOIN `ps_category` c ON c.id_category = cp.id_category WHERE c.active = 1 AND c.is_root_category = 0 AND c.id_parent > 1"
	if err := conn.QueryRowContext(ctx, q).Scan(&category); err != nil {
		t.Fatalf("find a category page: %v", err)
	}
	return stack{backendAddr: mc.Addr, backendUser: mc.User, proxyListen: proxyListen, pages: []querycount.Page{
		{Kind: "product", URL: srv.URL + storefront.ProductURL(1)},
		{Kind: "category", URL: srv.URL + storefront.CategoryURL(category)},
	}}
}

// rttPoint is one validation point: RTTs between proxy and MySQL (db)
// and proxy and Redis (cache).
type rttPoint struct{ db, cache time.Duration }

func (p rttPoint) String() string { return fmt.Sprintf("db %s cache %s", p.db, p.cache) }

func fmtPcts(v []float64) string {
	var parts []string
	for _, e := range v {
		parts = append(parts, fmt.Sprintf("%+.1f %%", 100*e))
	}
	return strings.Join(parts, ", ")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// probeIdle measures MySQL's and Redis's idle cost as `psbench run` does
// after its profile.
func probeIdle(ctx context.Context, t *testing.T, st stack, rc *redis.Client, redisAddr string) []results.IdleCost {
	t.Helper()
	mc := mysql.NewConfig()
	mc.Net, mc.Addr, mc.User = "tcp", st.backendAddr, st.backendUser
	mc.Passwd = os.Getenv("PSB_TEST_MYSQL_ROOT_PW")
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	my, err := idleprobe.Measure(ctx, idleprobe.MySQL(st.backendAddr, c), idleprobe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rd, err := idleprobe.Measure(ctx, idleprobe.Redis(redisAddr, rc), idleprobe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return []results.IdleCost{my, rd}
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// profileAt profiles the pages through a fresh proxy with a shared
// (Redis) cache, MySQL behind a relay adding pt.db per round trip and
// Redis behind one adding pt.cache, and returns the run as psbench run
// would record it (scenario text with the network, cache mode). Every
// point goes through both relays (zero delay at RTT 0): the points then
// differ by the injected latency alone, which is what the model predicts
// (a relay's own hop, tens of µs of goroutine hand-offs per round trip,
// is not network latency).
func profileAt(ctx context.Context, t *testing.T, st stack, pt rttPoint, redisAddr string, log *slog.Logger) *results.Run {
	t.Helper()
	relay := func(target string, rtt time.Duration) string {
		r, err := netem.Start(netem.Config{Target: target, Delay: rtt / 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r.Addr()
	}
	cfg := proxycache.DefaultConfig()
	cfg.Listen, cfg.Admin = st.proxyListen, ""
	cfg.Backend.Addr, cfg.Backend.User = relay(st.backendAddr, pt.db), st.backendUser
	cfg.Backend.Password = os.Getenv("PSB_TEST_MYSQL_ROOT_PW")
	cfg.Cache.Mode = proxycache.CacheRedis
	cfg.Cache.Redis.Addr = relay(redisAddr, pt.cache)
	cfg.Cache.Redis.KeyPrefix = fmt.Sprintf("psbench-validation-%d:", time.Now().UnixNano())
	cfg.Cache.Redis.Timeout = proxycache.Duration(time.Second) // a 2 ms RTT is not an outage
	pctx, cancel := context.WithCancel(ctx)
	p, err := proxycache.New(pctx, cfg, proxycache.WithLogger(log))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := listen(ctx, cfg.Listen)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() { defer close(served); _ = p.Serve(pctx, ln) }()
	defer func() { cancel(); <-served }()
	admin := httptest.NewServer(p.AdminHandler())
	defer admin.Close()

	prof, err := (&querycount.Profiler{
		Admin:    stats.NewClient(admin.URL, &http.Client{Timeout: 10 * time.Second}),
		Samples:  1,
		PrimeApp: true,
		Phases:   []string{results.PhaseCold, results.PhaseWarm},
		Log:      log,
		// nothing else talks to this proxy: a short quiet check will do
		QuietPeriod:   50 * time.Millisecond,
		ResponseGrace: 20 * time.Millisecond,
	}).Run(ctx, st.pages)
	if err != nil {
		t.Fatalf("profile at %s: %v", pt, err)
	}
	if !prof.Valid {
		t.Fatalf("profile at %s invalid: %v", pt, prof.Problems)
	}
	for _, pg := range prof.Pages {
		if pg.Cold == nil || pg.Cold.CacheCalls == 0 || pg.Cold.CacheTimeNs <= 0 {
			t.Fatalf("profile at %s: page %s has no cache calls or cache time: %+v", pt, pg.URL, pg.Cold)
		}
	}
	return &results.Run{
		Scenario: results.ScenarioRef{Name: "capacity-validation", Text: fmt.Sprintf("network:\n  db_rtt: %s\n  cache_rtt: %s\n", pt.db, pt.cache)},
		Cache:    results.CacheSetup{Mode: cfg.Cache.Mode},
		Profile:  prof,
	}
}

// listen retries briefly: the previous proxy may still hold the port.
func listen(ctx context.Context, addr string) (net.Listener, error) {
	var last error
	for range 50 {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln, nil
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, errors.Join(ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil, last
}
