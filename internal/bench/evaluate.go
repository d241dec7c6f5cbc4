package bench

import (
	"fmt"
	"slices"
)

// Metrics a ratio compares.
const (
	MetricQPS = "queries_per_sec"
	MetricP50 = "latency_p50"
	MetricCPU = "hop_cpu_per_query"
)

// Ratio compares two targets at one thread count: Num's metric divided by
// Den's.
type Ratio struct {
	Name    string  `json:"name"`
	Metric  string  `json:"metric"`
	Num     string  `json:"numerator"`
	Den     string  `json:"denominator"`
	Threads int     `json:"threads"`
	Value   float64 `json:"value"`
}

// Check is one of the performance targets evaluated at one thread
// count. A miss is reported, not an error.
type Check struct {
	Name      string  `json:"name"`
	Ratio     string  `json:"ratio"`
	Threads   int     `json:"threads"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	// AtMost: the target is Value <= Threshold (else Value >= Threshold).
	AtMost bool `json:"at_most"`
	Pass   bool `json:"pass"`
}

type ratioDef struct {
	name, metric, num, den string
}

// ratioDefs are the ratios reported, in order.
var ratioDefs = []ratioDef{
	{"haproxy / direct", MetricQPS, TargetHAProxy, TargetDirect},
	{"proxy-off / haproxy", MetricQPS, TargetProxyOff, TargetHAProxy},
	{"proxy-off / haproxy", MetricCPU, TargetProxyOff, TargetHAProxy},
	{"local-hit / direct", MetricQPS, TargetProxyLocal, TargetDirect},
	{"redis-hit / direct", MetricQPS, TargetProxyRedis, TargetDirect},
	{"local-hit p50 / haproxy p50", MetricP50, TargetProxyLocal, TargetHAProxy},
	{"redis-hit p50 / haproxy p50", MetricP50, TargetProxyRedis, TargetHAProxy},
}

type checkDef struct {
	name      string
	ratio     string
	metric    string
	threshold float64
	atMost    bool
}

// checkDefs are the targets.
var checkDefs = []checkDef{
	{"cache-off throughput >= 0.8x haproxy's", "proxy-off / haproxy", MetricQPS, 0.8, false},
	{"warm local-cache throughput >= 1.0x direct MariaDB's", "local-hit / direct", MetricQPS, 1.0, false},
	{"local-hit p50 <= haproxy's p50", "local-hit p50 / haproxy p50", MetricP50, 1.0, true},
}

// Evaluate computes the ratios between the runs at each thread count and
// evaluates the targets on them. Ratios whose targets were not both run
// (or whose denominator is zero) are left out, and so are their checks.
func Evaluate(runs []TargetRun) ([]Ratio, []Check) {
	var threads []int
	byKey := map[string]TargetRun{}
	for _, r := range runs {
		if !slices.Contains(threads, r.Threads) {
			threads = append(threads, r.Threads)
		}
		byKey[fmt.Sprint(r.Target, "/", r.Threads)] = r
	}
	metric := func(r TargetRun, m string) float64 {
		switch m {
		case MetricP50:
			return r.Latency.P50
		case MetricCPU:
			return r.HopCPUPerQueryUs
		}
		return r.QPS
	}
	var ratios []Ratio
	var checks []Check
	for _, t := range threads {
		found := map[string]Ratio{}
		for _, d := range ratioDefs {
			num, ok1 := byKey[fmt.Sprint(d.num, "/", t)]
			den, ok2 := byKey[fmt.Sprint(d.den, "/", t)]
			if !ok1 || !ok2 || metric(den, d.metric) <= 0 {
				continue
			}
			r := Ratio{Name: d.name, Metric: d.metric, Num: d.num, Den: d.den, Threads: t,
				Value: metric(num, d.metric) / metric(den, d.metric)}
			ratios = append(ratios, r)
			found[d.name+"/"+d.metric] = r
		}
		for _, c := range checkDefs {
			r, ok := found[c.ratio+"/"+c.metric]
			if !ok {
				continue
			}
			pass := r.Value >= c.threshold
			if c.atMost {
				pass = r.Value <= c.threshold
			}
			checks = append(checks, Check{Name: c.name, Ratio: c.ratio, Threads: t, Value: r.Value,
				Threshold: c.threshold, AtMost: c.atMost, Pass: pass})
		}
	}
	return ratios, checks
}

// minHitRatio is the hit ratio a warm cache must reach during a measured
// run for its numbers to be those of a warm cache.
const minHitRatio = 0.99

// Problems lists what makes the measurements invalid: failed statements,
// reconnects, a target that served nothing, a warm cache that missed, a
// memory fill that was not entirely cached.
func Problems(runs []TargetRun, mem *Memory) []string {
	var ps []string
	for _, r := range runs {
		where := fmt.Sprintf("%s at %d threads", r.Target, r.Threads)
		if r.Errors > 0 || r.Reconnects > 0 {
			ps = append(ps, fmt.Sprintf("%s: sysbench saw %d errors and %d reconnects", where, r.Errors, r.Reconnects))
		}
		if r.QPS <= 0 {
			ps = append(ps, where+": no queries completed")
		}
		if r.Cache != nil && (r.Target == TargetProxyLocal || r.Target == TargetProxyRedis) && r.Cache.HitRatio < minHitRatio {
			ps = append(ps, fmt.Sprintf("%s: hit ratio %.2f%% (%d hits, %d misses, %d passed through), want >= %.0f%%: the cache was not warm",
				where, 100*r.Cache.HitRatio, r.Cache.Hits, r.Cache.Misses, r.Cache.Bypass, 100*minHitRatio))
		}
	}
	if mem != nil {
		if mem.CachedEntries != int64(mem.Entries) || mem.Stores != uint64(mem.Entries) {
			ps = append(ps, fmt.Sprintf("memory: %d distinct statements stored %d entries and the cache holds %d, want %d",
				mem.Entries, mem.Stores, mem.CachedEntries, mem.Entries))
		}
	}
	return ps
}
