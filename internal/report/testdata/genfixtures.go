//go:build ignore

// genfixtures writes the results.json fixtures of internal/report and
// internal/compare tests. Run from the repository root:
//
//	go run ./internal/report/testdata/genfixtures.go
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"time"

	"github.com/psbench/psbench/internal/results"
)

const scenarioText = `name: nightly
target:
  kind: embedded
  embedded:
    seed: 1
    products: 40
    categories: 8
    products_per_category_page: 12
    scale: 1
  backend:
    dsn: psbench:[REDACTED]@tcp(127.0.0.1:3306)/prestashop
cache:
  mode: local
  ttl: 10m
  blacklist:
    preset: prestashop
    tables: [ps_connections]
pages:
  product:
    discover: 3
  category:
    discover: 2
profile:
  phases: [cold, warm, warm_other]
  samples: 3
  prime_app: true
load:
  modes: [baseline, cached]
  phases:
    - name: steady
      rate: 20/s
      duration: 60s
    - name: ramp
      rate: 5/s..40/s
      duration: 60s
thresholds:
  - product.reduction >= 50%
  - category.warm.backend_statements <= 60
  - load.cached.errors < 1%
  - load.cached.p95 < 400ms
  - load.steady.cached.p95 < load.steady.baseline.p95
output:
  dir: results
`

type variant struct {
	productWarm  float64 // median warm backend statements of product pages
	categoryWarm float64
	p95Factor    float64 // cached p95 multiplier
	dropRamp     bool    // the run stopped before the ramp phase
	invalid      bool
	verdict      string
	schema       int
}

func main() {
	root := "."
	write := func(dir string, v any) {
		p := filepath.Join(root, dir, "results.json")
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		b, err := json.MarshalIndent(v, "", "  ")
		must(err)
		must(os.WriteFile(p, append(b, '\n'), 0o644))
		fmt.Println("wrote", p)
	}
	base := variant{productWarm: 34, categoryWarm: 41, p95Factor: 1, verdict: results.VerdictPass, schema: results.SchemaVersion}
	write("internal/report/testdata/pass", build(base))
	inv := base
	inv.invalid, inv.dropRamp, inv.verdict = true, true, results.VerdictInvalid
	write("internal/report/testdata/invalid", build(inv))

	write("internal/compare/testdata/baseline", build(base))
	ok := base
	ok.productWarm, ok.categoryWarm, ok.p95Factor = 35, 40, 1.04
	write("internal/compare/testdata/current-ok", build(ok))
	reg := base
	reg.productWarm, reg.p95Factor, reg.dropRamp, reg.verdict = 52, 1.4, true, results.VerdictFail
	write("internal/compare/testdata/current-regressed", build(reg))
	s2 := base
	s2.schema = 2
	write("internal/compare/testdata/schema2", build(s2))
	must(os.MkdirAll(filepath.Join(root, "internal/compare/testdata/corrupt"), 0o755))
	must(os.WriteFile(filepath.Join(root, "internal/compare/testdata/corrupt/results.json"),
		[]byte("{\"schema_version\": 1, \"psbench_version\": \"0.4.0\", \"profile\": {\"kinds\": [\n"), 0o644))
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func build(v variant) *results.Run {
	start := time.Date(2026, 11, 20, 2, 0, 3, 0, time.UTC)
	run := &results.Run{
		SchemaVersion: v.schema,
		Psbench:       "0.4.0",
		Scenario:      results.ScenarioRef{Name: "nightly", File: "scenarios/nightly.yaml", Text: scenarioText},
		StartedAt:     start,
		EndedAt:       start.Add(6*time.Minute + 41*time.Second),
		Complete:      true,
		Machine: results.Machine{Hostname: "bench-01", OS: "linux", Arch: "amd64", CPUs: 2,
			CPUModel: "AMD EPYC 7B13", MemoryBytes: 24 << 30, GoVersion: "go1.26.8"},
		Target: results.Target{Kind: "embedded", Simulated: true, Label: results.LabelSimulated,
			BaseURL: "http://127.0.0.1:38211", ShopVersion: "PrestaShop 8.1 (simulated)", DBVersion: "10.11.19-MariaDB", Nodes: 1},
		Cache: results.CacheSetup{Mode: "local", TTL: "10m", Preset: "prestashop", ExtraTables: []string{"ps_connections"},
			TablePrefix: "ps_", MaxResultBytes: 1 << 20},
		Verdict: v.verdict,
	}
	run.Profile = profile(v)
	run.Load = load(v)
	if v.dropRamp {
		run.Complete = false
		run.Incomplete = "interrupted (Ctrl-C) before load phase ramp"
		run.EndedAt = start.Add(4*time.Minute + 2*time.Second)
	}
	run.Thresholds = thresholds(run, v)
	return run
}

func profile(v variant) *results.Profile {
	p := &results.Profile{AppPrimed: true, Samples: 3, Valid: !v.invalid, CacheMode: "local",
		Phases: []string{results.PhaseCold, results.PhaseWarm, results.PhaseWarmOther},
		CounterCheck: results.CounterCheck{Available: true, Checked: 45, Agreed: 45,
			Formula: "Questions delta = backend commands - COM_QUIT"}}
	if v.invalid {
		p.Problems = []string{
			"product /index.php?id_product=7&controller=product warm sample 2: 3 statements from another client reached MySQL during the capture",
			"MySQL Questions counter disagrees with the capture on 2 of 45 phases",
		}
		p.CounterCheck.Agreed = 43
	}
	p.Warnings = []string{"category /index.php?id_category=5&controller=category: redirect followed to /5-accessories"}
	kinds := []struct {
		kind              string
		urls              []string
		cold, warm, other float64
		client            float64
	}{
		{"product", []string{"/index.php?id_product=1&controller=product", "/index.php?id_product=7&controller=product", "/index.php?id_product=19&controller=product"}, 198, v.productWarm, v.productWarm + 7, 236},
		{"category", []string{"/index.php?id_category=3&controller=category", "/index.php?id_category=5&controller=category"}, 204, v.categoryWarm, v.categoryWarm + 11, 251},
	}
	for _, k := range kinds {
		for i, u := range k.urls {
			d := float64(i%2) * 2
			p.Pages = append(p.Pages, results.PageProfile{Kind: k.kind, URL: u, AppPrimed: true,
				Cold:      phase(k.cold+d, k.client, 0),
				Warm:      phase(k.warm+d/2, k.client, k.client-k.warm),
				WarmOther: phase(k.other+d, k.client, k.client-k.other)})
		}
		if v.invalid && k.kind == "product" {
			p.Pages[1].Warm.Problems = []string{"sample 2: 3 statements from another client reached MySQL during the capture"}
		}
		n := float64(len(k.urls))
		warm := int(k.warm * n)
		red := 1 - k.warm/k.cold
		redo := 1 - k.other/k.cold
		kp := results.KindProfile{Kind: k.kind, Pages: len(k.urls),
			Cold:       results.Stat{Median: k.cold, Min: k.cold - 2, Max: k.cold + 3},
			Warm:       results.Stat{Median: k.warm, Min: k.warm, Max: k.warm + 1},
			WarmOther:  &results.Stat{Median: k.other, Min: k.other - 1, Max: k.other + 2},
			ClientCold: results.Stat{Median: k.client, Min: k.client, Max: k.client},
			Reduction:  red, ReductionWarmOther: &redo,
			StillReaching: stillReaching(warm),
		}
		p.Kinds = append(p.Kinds, kp)
	}
	return p
}

func phase(backend, client, hits float64) *results.Phase {
	b := int(backend)
	return &results.Phase{ClientStatements: int(client), BackendStatements: b, BackendCommands: b + 1,
		Hits: int(hits), Misses: int(client-hits) - 20, Stores: int(client-hits) - 22,
		Bypass:        map[string]int{"blacklisted": 12, "not_select": 8},
		BackendTimeNs: int64(b) * 180_000, Connections: 1,
		HTTP:    results.HTTP{Status: 200, Bytes: 48213, TTFBNs: 61_000_000, TotalNs: 64_000_000},
		Samples: []int{b, b + 1, b}, ClientSamples: []int{int(client), int(client), int(client)},
		Check:            &results.PhaseCheck{QuestionsDelta: b, Expected: b, Agree: true},
		BackendByCommand: map[string]int{"COM_QUERY": b, "COM_QUIT": 1}}
}

func stillReaching(total int) results.StillReaching {
	reasons := []struct {
		k string
		f float64
	}{{"blacklisted", .42}, {"not_select", .24}, {"nondeterministic", .14}, {"miss_stored", .12}, {"sql_no_cache", .08}}
	tables := []struct {
		k string
		f float64
	}{{"ps_cart", .22}, {"ps_connections", .17}, {"ps_guest", .14}, {"ps_customer", .11}, {"ps_specific_price", .09},
		{"ps_configuration", .08}, {"ps_hook", .07}, {"ps_product", .05}, {"ps_category_lang", .04}, {"ps_currency", .03}}
	sr := results.StillReaching{Backend: total, ByReason: map[string]int{}, ByTable: map[string]int{}}
	left := total
	for i, r := range reasons {
		n := int(math.Round(r.f * float64(total)))
		if i == len(reasons)-1 {
			n = left
		}
		sr.ByReason[r.k] = n
		left -= n
	}
	for _, t := range tables {
		sr.ByTable[t.k] = int(math.Round(t.f * float64(total)))
	}
	digests := []results.Digest{
		{Digest: "a41f09c2", Normalized: "SELECT `id_cart` , `id_guest` FROM `ps_cart` WHERE `id_customer` = ? ORDER BY `date_upd` DESC LIMIT ?", Kind: "select"},
		{Digest: "5be2d7a0", Normalized: "INSERT INTO `ps_connections` ( `id_guest` , `id_shop` , `date_add` , `http_referer` ) VALUES ( ... )", Kind: "insert"},
		{Digest: "0c9a11fe", Normalized: "SELECT * FROM `ps_guest` WHERE `id_guest` = ?", Kind: "select"},
		{Digest: "d3317b55", Normalized: "SELECT `reduction` , `from` , `to` FROM `ps_specific_price` WHERE `id_product` = ? AND ( `from` <= NOW() ) AND ( `to` >= NOW() )", Kind: "select"},
		{Digest: "77e0c4a9", Normalized: "UPDATE `ps_guest` SET `date_upd` = ? WHERE `id_guest` = ?", Kind: "update"},
	}
	shares := []float64{.2, .16, .13, .1, .07}
	for i, d := range digests {
		n := int(math.Round(shares[i] * float64(total)))
		d.Count, d.BackendCount, d.Bypass = n, n, n
		d.BackendTimeNs = int64(n) * int64(150_000+40_000*i)
		sr.TopDigests = append(sr.TopDigests, d)
	}
	return sr
}

func load(v variant) *results.Load {
	l := &results.Load{}
	type ph struct {
		name, rate string
		from, to   float64
	}
	phases := []ph{{"steady", "20/s", 20, 20}, {"ramp", "5/s..40/s", 5, 40}}
	if v.dropRamp {
		phases = phases[:1]
	}
	for pi, p := range phases {
		for _, mode := range []string{results.ModeBaseline, results.ModeCached} {
			rng := rand.New(rand.NewSource(int64(pi*10 + len(mode))))
			cached := mode == results.ModeCached
			base := 178.0 // ms, baseline p50 at low load
			if cached {
				base = 96 * v.p95Factor
			}
			lp := results.LoadPhase{Name: p.name, Mode: mode, Rate: p.rate, Duration: int64(60 * time.Second),
				ResultsFile: fmt.Sprintf("load/%s-%s.bin", p.name, mode),
				Status:      map[string]int{"200": 0}}
			var reqs, errs int
			var hitSum, bprSum, p50Sum float64
			for s := 0; s < 60; s++ {
				rate := p.from + (p.to-p.from)*float64(s)/59
				pressure := 1 + math.Max(0, rate-22)/18 // latency grows past ~22 req/s on 2 cores
				if cached {
					pressure = 1 + math.Max(0, rate-30)/40
				}
				p50 := base * pressure * (1 + 0.05*rng.Float64())
				p95 := p50 * 1.7 * (1 + 0.1*rng.Float64())
				e := 0
				if !cached && rate > 34 {
					e = rng.Intn(3)
				}
				hit := 0.0
				bpr := 201 + 6*rng.Float64()
				if cached {
					hit = 0.55 + 0.3*(1-math.Exp(-float64(s)/6)) + 0.01*rng.Float64()
					bpr = 38 + 70*math.Exp(-float64(s)/6) + 2*rng.Float64()
				}
				n := int(math.Round(rate))
				reqs += n
				errs += e
				hitSum += hit
				p50Sum += p50
				bprSum += bpr
				lp.Timeline = append(lp.Timeline, results.TimelinePoint{OffsetMs: int64(s) * 1000,
					RPS: float64(n-e) * (1 - 0.01*rng.Float64()), P50Ns: ms(p50), P95Ns: ms(p95), Errors: e,
					HitRatio: hit, BackendPerRequest: bpr})
			}
			lp.Requests, lp.Success = reqs, reqs-errs
			lp.Status["200"] = reqs - errs
			if errs > 0 {
				lp.Errors = map[string]int{"503 Service Unavailable": errs * 4 / 5,
					"Get \"http://127.0.0.1:38211/index.php?id_category=3&controller=category\": context deadline exceeded": errs - errs*4/5}
				lp.Status["503"] = errs * 4 / 5
				lp.Status["0"] = errs - errs*4/5
			}
			lp.ErrorRate = float64(errs) / float64(reqs)
			lp.Throughput = float64(reqs-errs) / 60 * 0.995
			p50 := p50Sum / 60
			lp.Latency = results.Latency{Mean: ms(p50 * 1.15), P50: ms(p50), P90: ms(p50 * 1.45), P95: ms(p50 * 1.72),
				P99: ms(p50 * 2.4), Max: ms(p50 * 4.6)}
			lp.HitRatio = hitSum / 60
			lp.BackendStatementsPerRequest = bprSum / 60
			lp.PerKind = map[string]results.KindLoad{
				"product":  {Requests: reqs / 2, Throughput: lp.Throughput / 2, Latency: lp.Latency, ErrorRate: lp.ErrorRate},
				"category": {Requests: reqs - reqs/2, Throughput: lp.Throughput / 2, Latency: lp.Latency, ErrorRate: lp.ErrorRate},
			}
			l.Phases = append(l.Phases, lp)
		}
	}
	return l
}

func ms(f float64) int64 { return int64(f * float64(time.Millisecond)) }

func thresholds(run *results.Run, v variant) []results.Threshold {
	var kinds = map[string]results.KindProfile{}
	for _, k := range run.Profile.Kinds {
		kinds[k.Kind] = k
	}
	last := map[string]results.LoadPhase{}
	var steady = map[string]results.LoadPhase{}
	for _, p := range run.Load.Phases {
		last[p.Mode] = p
		if p.Name == "steady" {
			steady[p.Mode] = p
		}
	}
	sec := func(ns int64) float64 { return float64(ns) / 1e9 }
	ts := []results.Threshold{
		{Expr: "product.reduction >= 50%", Metric: "product.reduction", Op: ">=", Limit: 0.5, Measured: kinds["product"].Reduction, Unit: "ratio"},
		{Expr: "category.warm.backend_statements <= 60", Metric: "category.warm.backend_statements", Op: "<=", Limit: 60, Measured: kinds["category"].Warm.Median, Unit: "count"},
		{Expr: "load.cached.errors < 1%", Metric: "load.cached.errors", Op: "<", Limit: 0.01, Measured: last["cached"].ErrorRate, Unit: "ratio"},
		{Expr: "load.cached.p95 < 400ms", Metric: "load.cached.p95", Op: "<", Limit: 0.4, Measured: sec(last["cached"].Latency.P95), Unit: "s"},
		{Expr: "load.steady.cached.p95 < load.steady.baseline.p95", Metric: "load.steady.cached.p95", Op: "<",
			Limit: sec(steady["baseline"].Latency.P95), Measured: sec(steady["cached"].Latency.P95), Unit: "s"},
	}
	for i := range ts {
		t := &ts[i]
		switch t.Op {
		case ">=":
			t.Pass = t.Measured >= t.Limit
		case "<=":
			t.Pass = t.Measured <= t.Limit
		case "<":
			t.Pass = t.Measured < t.Limit
		}
	}
	if v.productWarm > 50 {
		ts = append(ts, results.Threshold{Expr: "product.warm.backend_statements <= 40", Metric: "product.warm.backend_statements",
			Op: "<=", Limit: 40, Measured: v.productWarm, Unit: "count"})
	}
	if v.dropRamp {
		ts = append(ts, results.Threshold{Expr: "load.ramp.cached.rps >= 30", Metric: "load.ramp.cached.rps", Op: ">=", Limit: 30,
			Unit: "req/s", Error: "load phase ramp (cached) was not run"})
	}
	return ts
}
