// Package run orchestrates `psbench run scenario.yaml`: start the target,
// put the caching proxy in front of its database, profile exact statement
// counts cold versus warm, run the load phases with the cache off and on,
// evaluate thresholds, and write the results directory. What was measured
// is written even when the run is interrupted or a phase fails.
package run

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/psbench/psbench/internal/load"
	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/querycount"
	"github.com/psbench/psbench/internal/report"
	"github.com/psbench/psbench/internal/results"
	"github.com/psbench/psbench/internal/scenario"
	"github.com/psbench/psbench/internal/target"
	"github.com/psbench/psbench/internal/threshold"
)

// Options configure one run.
type Options struct {
	Scenario *scenario.Scenario
	// File is the scenario's path, recorded in the results.
	File string
	// OutDir overrides the scenario's output.dir.
	OutDir string
	// Log receives the run's log; it is also written to run.log.
	Log *slog.Logger
	// Term receives progress and the summary; TTY selects live bars.
	Term io.Writer
	TTY  bool
	// Version is psbench's version for the results.
	Version string
}

// StackError means the stack could not be started or reached (exit 3).
type StackError struct{ Err error }

func (e *StackError) Error() string { return e.Err.Error() }
func (e *StackError) Unwrap() error { return e.Err }

// Outcome is a finished (or interrupted) run.
type Outcome struct {
	Run *results.Run
	Dir string
	// Report and JUnit are the rendered files ("" when rendering failed).
	Report, JUnit string
}

// Execute runs the scenario. The returned Outcome is non-nil whenever a
// results directory was created, also alongside an error.
func Execute(ctx context.Context, o Options) (*Outcome, error) {
	sc := o.Scenario
	parent := sc.Output.Dir
	if o.OutDir != "" {
		parent = o.OutDir
	}
	started := time.Now().UTC()
	dir, err := makeRunDir(parent, sc.Name, started)
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "run.log"))
	if err != nil {
		return nil, fmt.Errorf("create run log: %w", err)
	}
	defer logf.Close()
	log := slog.New(slog.NewMultiHandler(o.Log.Handler(), slog.NewTextHandler(logf, &slog.HandlerOptions{Level: slog.LevelDebug})))

	run := &results.Run{
		SchemaVersion: results.SchemaVersion,
		Psbench:       o.Version,
		Scenario:      results.ScenarioRef{Name: sc.Name, File: o.File, Text: sc.Redacted()},
		StartedAt:     started,
		Machine:       machine(),
		Cache: results.CacheSetup{Mode: sc.Cache.Mode, TTL: sc.Cache.TTL.String(), Preset: sc.Cache.Blacklist.Preset,
			ExtraTables: sc.Cache.Blacklist.Tables, TablePrefix: sc.Cache.TablePrefix, MaxResultBytes: int64(sc.Cache.MaxResultBytes)},
		Verdict: results.VerdictIncomplete,
	}
	out := &Outcome{Run: run, Dir: dir}
	pr := newProgress(o.Term, o.TTY)
	r := &runner{sc: sc, log: log, pr: pr, run: run, dir: dir}
	runErr := r.execute(ctx)
	pr.done()

	run.EndedAt = time.Now().UTC()
	switch {
	case runErr != nil:
		run.Complete = false
		run.Incomplete = runErr.Error()
	case ctx.Err() != nil:
		run.Complete = false
		run.Incomplete = "interrupted (Ctrl-C): the results hold what was measured until then"
	default:
		run.Complete = true
	}
	r.evaluate()
	if err := writeResults(dir, run); err != nil {
		return out, errors.Join(runErr, err)
	}
	if err := pointLatest(parent, dir); err != nil {
		log.Warn("could not update the latest link", "err", err)
	}
	out.Report, out.JUnit = writeReports(dir, sc.Output.OfflineReport, log)
	return out, runErr
}

// writeReports renders report.html and junit.xml from the results just
// written. A report problem is logged, never a reason to lose the run: the
// results directory can be re-rendered with `psbench report`.
func writeReports(dir string, offline bool, log *slog.Logger) (html, junit string) {
	html, err := report.Render(dir, report.Options{Offline: offline})
	if offline && errors.Is(err, report.ErrNoEcharts) {
		log.Warn("offline report needs ECharts; writing the online report instead", "err", err)
		html, err = report.Render(dir, report.Options{})
	}
	if err != nil {
		log.Warn("render report", "err", err)
		html = ""
	}
	junit, err = report.WriteJUnit(dir)
	if err != nil {
		log.Warn("write junit.xml", "err", err)
		junit = ""
	}
	return html, junit
}

// runner holds one run's state.
type runner struct {
	sc  *scenario.Scenario
	log *slog.Logger
	pr  *progress
	run *results.Run
	dir string

	tg    target.Target
	proxy *runningProxy
}

func (r *runner) execute(ctx context.Context) error {
	tg, err := newTarget(r.sc, r.log)
	if err != nil {
		return &StackError{err}
	}
	r.tg = tg
	r.pr.step("starting %s target", r.sc.Target.Kind)
	info, err := tg.Start(ctx)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := tg.Stop(sctx); err != nil {
			r.log.Warn("stop target", "err", err)
		}
	}()
	if err != nil {
		return &StackError{fmt.Errorf("start %s target: %w", r.sc.Target.Kind, err)}
	}
	r.run.Target = results.Target{Kind: info.Kind, Simulated: info.Simulated, Label: info.Label, BaseURL: tg.BaseURL(),
		ShopVersion: info.ShopVersion, DBVersion: info.DBVersion, Nodes: max(info.Nodes, 1)}
	if info.Simulated {
		r.pr.step("target: %s at %s (every number of this run comes from the simulated storefront)", info.Label, tg.BaseURL())
	} else {
		r.pr.step("target: %s at %s", info.Label, tg.BaseURL())
	}

	if err := r.useProxy(ctx, r.sc.Cache); err != nil {
		return &StackError{err}
	}
	defer func() {
		if r.proxy != nil {
			r.proxy.stop()
		}
	}()
	if err := checkShop(ctx, tg.BaseURL()); err != nil {
		return &StackError{err}
	}
	// The check's own database connections may still be closing; the
	// profile's quiet-period check must not mistake them for foreign traffic.
	r.proxy.waitIdle(ctx, 5*time.Second)
	pages, err := resolvePages(ctx, r.sc, tg)
	if err != nil {
		return &StackError{err}
	}

	if r.sc.Profile.Enabled == nil || *r.sc.Profile.Enabled {
		if err := r.profile(ctx, pages); err != nil {
			return err
		}
		if ctx.Err() == nil {
			r.probeIdle(ctx)
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	if len(r.sc.Load.Phases) > 0 {
		if err := r.load(ctx, pages); err != nil {
			return err
		}
	}
	return nil
}

// useProxy (re)starts the proxy with the given cache configuration.
func (r *runner) useProxy(ctx context.Context, cache proxycache.CacheConfig) error {
	if r.proxy != nil {
		if r.proxy.mode == cache.Mode {
			return nil
		}
		r.proxy.stop()
		r.proxy = nil
	}
	rp, err := startProxy(ctx, cache, r.tg, r.log, withNetwork(r.sc.Network))
	if err != nil {
		return err
	}
	r.proxy = rp
	r.log.Info("proxy ready", "listen", r.tg.ProxyListen(), "cache", cache.Mode, "admin", rp.adminURL)
	return nil
}

// checkShop requests the storefront's base URL once.
func checkShop(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
	if err != nil {
		return fmt.Errorf("shop base URL %q: %w", base, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("shop at %s does not answer: %w", base, err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("shop at %s answers %s", base, resp.Status)
	}
	return nil
}

// profile runs the exact serial cold/warm measurement.
func (r *runner) profile(ctx context.Context, pages map[string][]string) error {
	p := r.sc.Profile
	r.pr.step("profiling statements per page (%d samples, app %s)", p.Samples, map[bool]string{true: "primed", false: "not primed"}[p.PrimeApp])
	var list []querycount.Page
	for _, kind := range r.sc.Kinds() {
		for _, u := range pages[kind] {
			list = append(list, querycount.Page{Kind: kind, URL: u})
		}
	}
	db, closeDB := r.backendDB()
	defer closeDB()
	prof := &querycount.Profiler{
		Admin:      r.proxy.admin,
		HTTP:       &http.Client{Timeout: 60 * time.Second},
		Backend:    db,
		Samples:    p.Samples,
		PrimeApp:   p.PrimeApp,
		Phases:     p.Phases,
		TopDigests: p.TopDigests,
		Log:        r.log,
		Progress:   r.pr.detail,
	}
	res, err := prof.Run(ctx, list)
	r.run.Profile = res
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("profile: %w", err)
	}
	return nil
}

// backendDB opens a read-only status connection to the backend for the
// Questions cross-check (nil when it cannot be opened: the profile then
// says the cross-check was unavailable).
func (r *runner) backendDB() (*sql.DB, func()) {
	b := r.tg.Backend()
	mc := mysql.NewConfig()
	mc.Net, mc.Addr, mc.User, mc.Passwd = "tcp", b.Addr, b.User, b.Password
	mc.Timeout = 5 * time.Second
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, func() {}
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	return db, func() { db.Close() }
}

// load runs every load phase in every mode.
func (r *runner) load(ctx context.Context, pages map[string][]string) error {
	r.run.Load = &results.Load{}
	modes := r.sc.Load.Modes
	for _, ph := range r.sc.Load.Phases {
		pacer, err := ph.Pacer()
		if err != nil {
			return fmt.Errorf("load phase %s: %w", ph.Name, err)
		}
		rate := ph.Rate
		if ph.Ramp != nil {
			rate = ph.Ramp.From + ".." + ph.Ramp.To
		}
		for _, mode := range modes {
			if ctx.Err() != nil {
				return nil
			}
			cache := r.sc.Cache
			if mode == results.ModeBaseline {
				cache.Mode = proxycache.CacheOff
			}
			if err := r.useProxy(ctx, cache); err != nil {
				return &StackError{err}
			}
			r.pr.step("load phase %s, %s (cache %s): %s for %s", ph.Name, mode, cache.Mode, rate, ph.Duration)
			file := fmt.Sprintf("load-%s-%s.bin", ph.Name, mode)
			lp, err := load.Run(ctx, load.Phase{
				Name: ph.Name, Mode: mode, Rate: rate, Pacer: pacer,
				Duration: ph.Duration.D(), Warmup: ph.Warmup.D(), MaxConcurrency: uint64(ph.MaxConcurrency),
				Timeout: r.sc.Load.Timeout.D(), Mix: load.Mix{Pages: pages, Weights: ph.Weights},
				ResultsPath: filepath.Join(r.dir, file), ResultsFile: file,
				Sampler: r.proxy.sampler(), Progress: r.pr.load,
			})
			r.run.Load.Phases = append(r.run.Load.Phases, lp)
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// evaluate checks thresholds and sets the verdict.
func (r *runner) evaluate() {
	run := r.run
	failed := false
	for _, src := range r.sc.Thresholds {
		expr, err := threshold.Parse(src)
		if err != nil {
			run.Thresholds = append(run.Thresholds, results.Threshold{Expr: src, Error: err.Error()})
			failed = true
			continue
		}
		t, err := expr.Eval(run)
		if err != nil && t.Error == "" {
			t.Error = err.Error()
		}
		t.Expr = src
		run.Thresholds = append(run.Thresholds, t)
		failed = failed || !t.Pass
	}
	switch {
	case !run.Complete:
		run.Verdict = results.VerdictIncomplete
	case run.Profile != nil && !run.Profile.Valid:
		run.Verdict = results.VerdictInvalid
	case failed:
		run.Verdict = results.VerdictFail
	default:
		run.Verdict = results.VerdictPass
	}
}
