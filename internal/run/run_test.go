package run

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/psbench/psbench/internal/idleprobe"
	"github.com/psbench/psbench/internal/results"
	"github.com/psbench/psbench/internal/scenario"
	"github.com/psbench/psbench/internal/storefront"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func parseScenario(t *testing.T, text string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("test.yaml", []byte(text))
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	return sc
}

func execute(t *testing.T, ctx context.Context, sc *scenario.Scenario) (*Outcome, error, string) {
	t.Helper()
	return executeIn(t, ctx, sc, t.TempDir())
}

func executeIn(t *testing.T, ctx context.Context, sc *scenario.Scenario, dir string) (*Outcome, error, string) {
	t.Helper()
	var term bytes.Buffer
	out, err := Execute(ctx, Options{Scenario: sc, File: "test.yaml", OutDir: dir, Log: quiet(), Term: &term, Version: "test"})
	if out != nil {
		WriteSummary(&term, out.Run, out.Dir)
	}
	return out, err, term.String()
}

// checkResultsDir asserts what every results directory holds.
func checkResultsDir(t *testing.T, out *Outcome) *results.Run {
	t.Helper()
	run, err := ReadResults(out.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if run.SchemaVersion != results.SchemaVersion || run.Scenario.Text == "" || run.Machine.CPUs == 0 {
		t.Errorf("results header incomplete: %+v", run)
	}
	if _, err := os.Stat(filepath.Join(out.Dir, "run.log")); err != nil {
		t.Errorf("run.log: %v", err)
	}
	latest, err := os.Readlink(filepath.Join(filepath.Dir(out.Dir), "latest"))
	if err != nil || latest != filepath.Base(out.Dir) {
		t.Errorf("latest -> %q (%v), want %q", latest, err, filepath.Base(out.Dir))
	}
	for _, f := range []string{"report.html", "junit.xml"} {
		if _, err := os.Stat(filepath.Join(out.Dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, p := range run.LoadPhases() {
		if _, err := os.Stat(filepath.Join(out.Dir, p.ResultsFile)); err != nil {
			t.Errorf("vegeta results of %s/%s: %v", p.Name, p.Mode, err)
		}
	}
	return run
}

func TestRunEmbeddedQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	sc := parseScenario(t, `
name: e2e
target:
  kind: embedded
  embedded: {products: 12, categories: 4, seed: 7}
pages:
  product: {discover: 2}
  category: {discover: 2}
profile: {samples: 1, prime_app: true}
load:
  phases:
    - {name: steady, rate: 8/s, duration: 3s, max_concurrency: 4, warmup: 1s}
thresholds:
  - product.reduction >= 0.3
  - category.warm.backend_statements < category.cold.backend_statements
  - load.cached.errors < 1%
  - load.cached.p95 < 30s
  - product.cold.backend_statements < 1
`)
	out, err, term := execute(t, context.Background(), sc)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, term)
	}
	run := checkResultsDir(t, out)
	if !run.Complete || !run.Target.Simulated || run.Target.Label != results.LabelSimulated {
		t.Errorf("run complete=%v target=%+v", run.Complete, run.Target)
	}
	if !strings.Contains(term, "SIMULATED STOREFRONT") {
		t.Errorf("the terminal summary must say the numbers are simulated:\n%s", term)
	}
	p := run.Profile
	if p == nil || !p.Valid || !p.AppPrimed {
		t.Fatalf("profile: %+v", p)
	}
	for _, k := range p.Kinds {
		if !(k.Cold.Median > k.Warm.Median) || k.Reduction <= 0 {
			t.Errorf("%s: cold %v warm %v reduction %v: a warm cache must send fewer statements", k.Kind, k.Cold.Median, k.Warm.Median, k.Reduction)
		}
	}
	if p.CounterCheck.Available && p.CounterCheck.Agreed != p.CounterCheck.Checked {
		t.Errorf("counter cross-check: %d of %d agree (%s)", p.CounterCheck.Agreed, p.CounterCheck.Checked, p.CounterCheck.Note)
	}
	checkIdleCost(t, run, results.IdleServerMySQL)
	for _, pg := range p.Pages {
		ph := pg.Cold
		if ph == nil {
			t.Fatalf("%s: no cold phase", pg.URL)
		}
		if ph.CacheCalls == 0 || ph.BackendIdleCount != ph.BackendStatements {
			t.Errorf("%s cold: cache calls %d, backend idle count %d for %d backend statements: the plan's inputs are missing",
				pg.URL, ph.CacheCalls, ph.BackendIdleCount, ph.BackendStatements)
		}
	}
	if run.Load == nil || len(run.Load.Phases) != 2 {
		t.Fatalf("load phases: %+v", run.Load)
	}
	base, cached := run.Load.Phases[0], run.Load.Phases[1]
	if base.Mode != results.ModeBaseline || cached.Mode != results.ModeCached || base.Requests == 0 || cached.Requests == 0 {
		t.Fatalf("phases: %+v / %+v", base, cached)
	}
	if base.HitRatio != 0 || cached.HitRatio <= 0 {
		t.Errorf("hit ratio baseline %.2f cached %.2f: the baseline runs with the cache off", base.HitRatio, cached.HitRatio)
	}
	if !(cached.BackendStatementsPerRequest < base.BackendStatementsPerRequest) {
		t.Errorf("backend statements per request: baseline %.1f, cached %.1f", base.BackendStatementsPerRequest, cached.BackendStatementsPerRequest)
	}
	if len(run.Thresholds) != 5 {
		t.Fatalf("thresholds: %+v", run.Thresholds)
	}
	for i, th := range run.Thresholds[:4] {
		if !th.Pass {
			t.Errorf("threshold %d %q failed: %+v", i, th.Expr, th)
		}
	}
	if last := run.Thresholds[4]; last.Pass || last.Measured < 1 {
		t.Errorf("a threshold that cannot hold must fail with its measured value: %+v", last)
	}
	if run.Verdict != results.VerdictFail {
		t.Errorf("verdict %q, want fail (one threshold is designed to fail)", run.Verdict)
	}
}

// TestRunExternalTarget drives the external target end to end: a real HTTP
// shop (the storefront's handlers) whose database settings point at the
// proxy, over the machine's MariaDB.
func TestRunExternalTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	root, err := sql.Open("mysql", "root:@tcp(127.0.0.1:3306)/")
	if err != nil {
		t.Fatal(err)
	}
	// closed by the cleanup that drops the database: a deferred Close would
	// run first and leave the database behind
	t.Cleanup(func() { root.Close() })
	if err := root.Ping(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("MariaDB at 127.0.0.1:3306: %v", err)
		}
		t.Skipf("MariaDB at 127.0.0.1:3306 not reachable: %v", err)
	}
	dbName := fmt.Sprintf("psbench_run_ext_%d", time.Now().UnixNano()%1e9)
	if _, err := root.Exec("CREATE DATABASE " + dbName); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := root.Exec("DROP DATABASE IF EXISTS " + dbName); err != nil {
			t.Errorf("drop the test database %s: %v", dbName, err)
		}
	})
	db, err := sql.Open("mysql", "root:@tcp(127.0.0.1:3306)/"+dbName)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat := storefront.NewCatalogue(scenario.Embedded{Products: 8, Categories: 3, Seed: 3})
	if _, err := storefront.Install(context.Background(), db, "ps_", cat); err != nil {
		t.Fatal(err)
	}
	// The shop's database settings point at a free port where the run
	// starts its proxy.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr := ln.Addr().String()
	ln.Close()
	sf, err := storefront.New(storefront.Config{DSN: "root@tcp(" + proxyAddr + ")/" + dbName, Catalogue: cat})
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	shop := httptest.NewServer(sf)
	defer shop.Close()

	sc := parseScenario(t, fmt.Sprintf(`
name: ext
target:
  kind: external
  external:
    base_url: %s
    backend: {addr: 127.0.0.1:3306, user: root}
    proxy_listen: %s
    database: %s
    table_prefix: ps_
pages:
  product: {discover: 2}
  category: {discover: 1}
profile: {samples: 1, prime_app: true, phases: [cold, warm]}
load:
  phases:
    - {name: short, rate: 5/s, duration: 2s, max_concurrency: 2}
thresholds:
  - product.reduction > 0
`, shop.URL, proxyAddr, dbName))
	out, err, term := execute(t, context.Background(), sc)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, term)
	}
	run := checkResultsDir(t, out)
	if run.Target.Simulated || run.Target.Label != results.LabelRealShop || run.Target.DBVersion == "" {
		t.Errorf("target = %+v", run.Target)
	}
	if run.Profile == nil || !run.Profile.Valid || len(run.Profile.Pages) != 3 {
		t.Fatalf("profile: %+v", run.Profile)
	}
	if !run.Profile.CounterCheck.Available || run.Profile.CounterCheck.Checked == 0 {
		t.Errorf("the external target's MariaDB counter cross-check must run: %+v", run.Profile.CounterCheck)
	}
	checkIdleCost(t, run, results.IdleServerMySQL)
	if run.Verdict != results.VerdictPass {
		t.Errorf("verdict %q\n%s", run.Verdict, term)
	}
}

// checkIdleCost checks that the run probed kind's idle cost after its
// profile, at every default gap, straight at the backend.
func checkIdleCost(t *testing.T, run *results.Run, kind string) {
	t.Helper()
	i := slices.IndexFunc(run.IdleCost, func(c results.IdleCost) bool { return c.Kind == kind })
	if i < 0 {
		t.Fatalf("no %s idle cost in the results: %+v", kind, run.IdleCost)
	}
	ic := run.IdleCost[i]
	if ic.HotNs <= 0 || len(ic.Points) != len(idleprobe.DefaultGaps) || ic.Request != idleprobe.MySQLRequest || ic.Addr == "" {
		t.Errorf("%s idle cost: %+v", kind, ic)
	}
}

// TestRunCancelMidLoad: Ctrl-C during a load phase stops cleanly and still
// writes what was measured, marked incomplete.
func TestRunCancelMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	sc := parseScenario(t, `
name: cancel
target: {kind: embedded, embedded: {products: 6, categories: 3}}
pages:
  product: {discover: 2}
profile: {samples: 1, phases: [cold, warm]}
load:
  phases:
    - {name: long, rate: 5/s, duration: 10m, max_concurrency: 2}
`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	// Cancel two seconds into the load phase, whenever it starts.
	go func() {
		for ctx.Err() == nil {
			if m, _ := filepath.Glob(filepath.Join(dir, "cancel-*", "load-long-baseline.bin")); len(m) > 0 {
				time.Sleep(2 * time.Second)
				cancel()
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	time.AfterFunc(3*time.Minute, cancel) // bound the test whatever happens
	start := time.Now()
	out, err, term := executeIn(t, ctx, sc, dir)
	if err != nil {
		t.Fatalf("a cancelled run is not an error: %v\n%s", err, term)
	}
	if time.Since(start) > 2*time.Minute {
		t.Fatalf("cancellation took %v", time.Since(start))
	}
	run := checkResultsDir(t, out)
	if run.Complete || run.Verdict != results.VerdictIncomplete || run.Incomplete == "" {
		t.Errorf("complete=%v verdict=%q incomplete=%q", run.Complete, run.Verdict, run.Incomplete)
	}
	if run.Profile == nil || run.Load == nil || len(run.Load.Phases) == 0 || !run.Load.Phases[len(run.Load.Phases)-1].Interrupted {
		t.Fatalf("what was measured must be kept: profile=%v load=%+v", run.Profile != nil, run.Load)
	}
	b, _ := json.Marshal(run)
	if !bytes.Contains(b, []byte(`"interrupted":true`)) {
		t.Error("results.json must mark the interrupted phase")
	}
}
