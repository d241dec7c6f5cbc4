package bench

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

func run(target string, threads int, qps, p50 float64) TargetRun {
	r := TargetRun{Target: target, RunResult: RunResult{Threads: threads, QPS: qps, Queries: int64(qps), Latency: Latency{P50: p50}}}
	if target == TargetProxyOff || target == TargetProxyLocal || target == TargetProxyRedis {
		r.Cache = &CacheOutcomes{Hits: 100, HitRatio: 1}
		if target == TargetProxyOff {
			r.Cache = &CacheOutcomes{Bypass: 100}
		}
	}
	return r
}

func TestEvaluateRatiosAndChecks(t *testing.T) {
	runs := []TargetRun{
		run(TargetDirect, 1, 10000, 0.050),
		run(TargetHAProxy, 1, 6000, 0.080),
		run(TargetProxyOff, 1, 4800, 0.100), // exactly 0.8x haproxy: PASS
		run(TargetProxyLocal, 1, 20000, 0.030),
		run(TargetProxyRedis, 1, 9000, 0.070),
		run(TargetDirect, 16, 30000, 0.400),
		run(TargetHAProxy, 16, 20000, 0.500),
		run(TargetProxyOff, 16, 15000, 0.600),   // 0.75x: MISS
		run(TargetProxyLocal, 16, 29000, 0.500), // 0.967x direct: MISS; p50 equal to haproxy's: PASS
		run(TargetProxyRedis, 16, 25000, 0.550),
	}
	runs[1].HopCPUPerQueryUs, runs[2].HopCPUPerQueryUs = 10, 25
	ratios, checks := Evaluate(runs)
	want := map[string]float64{
		"proxy-off / haproxy/" + MetricCPU + "@1": 2.5,
		"haproxy / direct@1":                      0.6, "proxy-off / haproxy@1": 0.8, "local-hit / direct@1": 2, "redis-hit / direct@1": 0.9,
		"local-hit p50 / haproxy p50@1": 0.375, "redis-hit p50 / haproxy p50@1": 0.875,
		"proxy-off / haproxy@16": 0.75, "local-hit / direct@16": 29000.0 / 30000, "local-hit p50 / haproxy p50@16": 1,
	}
	got := map[string]float64{}
	for _, r := range ratios {
		k := r.Name
		if r.Metric == MetricCPU {
			k += "/" + MetricCPU
		}
		got[k+"@"+strconv.Itoa(r.Threads)] = r.Value
	}
	if len(ratios) != 13 {
		t.Errorf("%d ratios, want 6 per thread count and the CPU one at 1 thread: %+v", len(ratios), ratios)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || math.Abs(g-w) > 1e-9 {
			t.Errorf("ratio %s = %v (present %v), want %v", k, g, ok, w)
		}
	}
	verdicts := map[string]bool{}
	for _, c := range checks {
		verdicts[c.Ratio+"@"+strconv.Itoa(c.Threads)] = c.Pass
	}
	wantVerdicts := map[string]bool{
		"proxy-off / haproxy@1": true, "local-hit / direct@1": true, "local-hit p50 / haproxy p50@1": true,
		"proxy-off / haproxy@16": false, "local-hit / direct@16": false, "local-hit p50 / haproxy p50@16": true,
	}
	if len(checks) != len(wantVerdicts) {
		t.Errorf("%d checks, want %d: %+v", len(checks), len(wantVerdicts), checks)
	}
	for k, w := range wantVerdicts {
		if g, ok := verdicts[k]; !ok || g != w {
			t.Errorf("check %s pass=%v (present %v), want %v", k, g, ok, w)
		}
	}
	if Problems(runs, nil) != nil {
		t.Errorf("problems in a clean run: %v", Problems(runs, nil))
	}

	// Rendering: every check appears as a PASS/MISS line.
	var b strings.Builder
	r := &Report{Runs: runs, Ratios: ratios, Checks: checks, Settings: Settings{Workload: "oltp_point_select", Tables: 1, TableSize: 10000}}
	if err := RenderMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"- PASS cache-off throughput >= 0.8x haproxy's, 1 thread: 0.80x (target >= 0.8x)",
		"- MISS cache-off throughput >= 0.8x haproxy's, 16 threads: 0.75x (target >= 0.8x)",
		"- MISS warm local-cache throughput >= 1.0x direct MariaDB's, 16 threads: 0.97x",
		"- PASS local-hit p50 <= haproxy's p50, 16 threads: 1.00x (target <= 1.0x)",
		"| psbench proxy, local cache (warm) | 16 | 29,000 | 0.500 |",
		"| proxy-off / haproxy, queries/s | 0.80 | 0.75 |",
		"| proxy-off / haproxy, hop CPU per query | 2.50 | - |",
		"| psbench proxy, cache off | 1 | 4,800 | 0.100 | 0.000 | 0.000 | 0.00 | 0 | - | 25.0 |",
		"| ratio | 1 thread | 16 threads |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
}

func TestEvaluateSubsetOfTargets(t *testing.T) {
	// Without haproxy there is nothing to compare the proxy with: only the
	// direct comparisons remain, and only their check.
	ratios, checks := Evaluate([]TargetRun{run(TargetDirect, 4, 1000, 0.1), run(TargetProxyLocal, 4, 1500, 0.05), run(TargetProxyOff, 4, 700, 0.2)})
	if len(ratios) != 1 || ratios[0].Name != "local-hit / direct" || ratios[0].Value != 1.5 {
		t.Errorf("ratios %+v", ratios)
	}
	if len(checks) != 1 || !checks[0].Pass || checks[0].Threads != 4 {
		t.Errorf("checks %+v", checks)
	}
	// A zero denominator yields no ratio rather than +Inf.
	if ratios, _ := Evaluate([]TargetRun{run(TargetDirect, 1, 0, 0), run(TargetProxyLocal, 1, 10, 0.1)}); len(ratios) != 0 {
		t.Errorf("ratios over a zero rate: %+v", ratios)
	}
}

func TestProblems(t *testing.T) {
	cold := run(TargetProxyLocal, 16, 5000, 0.1)
	cold.Cache = &CacheOutcomes{Hits: 90, Misses: 10, HitRatio: 0.9}
	failing := run(TargetHAProxy, 1, 100, 0.1)
	failing.Errors = 3
	idle := run(TargetDirect, 1, 0, 0)
	offBypass := run(TargetProxyOff, 1, 100, 0.1) // hit ratio 0 is expected with the cache off
	mem := &Memory{Entries: 100, Stores: 100, CachedEntries: 97}
	ps := Problems([]TargetRun{cold, failing, idle, offBypass}, mem)
	joined := strings.Join(ps, "\n")
	for _, want := range []string{"proxy-local at 16 threads: hit ratio 90.00%", "haproxy at 1 threads: sysbench saw 3 errors",
		"direct at 1 threads: no queries completed", "the cache holds 97, want 100"} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems lack %q:\n%s", want, joined)
		}
	}
	if len(ps) != 4 {
		t.Errorf("%d problems, want 4:\n%s", len(ps), joined)
	}
}

func TestParseProcStatCPU(t *testing.T) {
	// A real haproxy line: utime 1234 and stime 566 ticks.
	line := "24903 (haproxy) S 1 24903 24903 0 -1 4194560 1234 0 0 0 1234 566 0 0 20 0 2 0 123 12345 678 18446744073709551615"
	d, err := parseProcStatCPU(line)
	if err != nil || d.Seconds() != 18 {
		t.Errorf("parseProcStatCPU = %v, %v; want 18s", d, err)
	}
	if d, err := parseProcStatCPU("1 (a) b) S 1 2 3 4 5 6 7 8 9 10 200 100 0"); err != nil || d.Seconds() != 3 {
		t.Errorf("comm with ')' : %v, %v; want 3s", d, err)
	}
	if _, err := parseProcStatCPU("garbage"); err == nil {
		t.Error("parseProcStatCPU accepted garbage")
	}
	if c, err := processCPU(os.Getpid())(); err != nil || c < 0 {
		t.Errorf("processCPU(self) = %v, %v", c, err)
	}
	if c, err := selfCPU(); err != nil || c <= 0 {
		t.Errorf("selfCPU = %v, %v", c, err)
	}
}
