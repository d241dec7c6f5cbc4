// Package compare sets two results directories side by side — a baseline
// run and the current one — and decides, metric by metric and direction
// aware, whether the current run regressed beyond a margin. It reads
// results.json only and never starts anything.
package compare

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/psbench/psbench/internal/report"
	"github.com/psbench/psbench/internal/results"
)

// DefaultMaxRegression is the margin when none is given: 10 %.
const DefaultMaxRegression = 0.10

// Direction says which way a metric improves.
type Direction int

// Directions.
const (
	LowerIsBetter Direction = iota
	HigherIsBetter
)

// Status is a metric's outcome.
type Status string

// Statuses.
const (
	StatusOK            Status = "ok"
	StatusImproved      Status = "improved"
	StatusRegression    Status = "regression"
	StatusNotComparable Status = "not comparable"
)

// Metric is one compared number.
type Metric struct {
	Group string // "product", "category", "load steady"
	Name  string // "warm backend statements", "cached p95"
	// Key names the metric as thresholds do (product.warm.backend_statements,
	// load.steady.cached.p95).
	Key    string
	Unit   string // as results.Threshold.Unit: count, ratio, s, req/s
	Better Direction
	// Baseline and Current are nil when the metric is absent on that side.
	Baseline, Current *float64
	Status            Status
	// Note says why a metric is not comparable.
	Note string
}

// Change is current - baseline.
func (m Metric) Change() float64 {
	if m.Baseline == nil || m.Current == nil {
		return math.NaN()
	}
	return *m.Current - *m.Baseline
}

// RelChange is (current - baseline) / |baseline|; NaN when baseline is 0.
func (m Metric) RelChange() float64 {
	if m.Baseline == nil || m.Current == nil || *m.Baseline == 0 {
		return math.NaN()
	}
	return (*m.Current - *m.Baseline) / math.Abs(*m.Baseline)
}

// floor is the smallest base a margin is taken of, so that a metric whose
// baseline is 0 (no errors, nothing reaching MySQL) does not regress on
// noise: 10 % of max(|baseline|, floor).
func floor(unit string) float64 {
	switch unit {
	case "ratio":
		return 0.01
	case "s":
		return 0.001
	}
	return 1 // count, req/s
}

// Options tune a comparison.
type Options struct {
	// MaxRegression is the margin, a fraction: a metric regresses when it
	// is worse than the baseline by more than MaxRegression × |baseline|
	// (0 → DefaultMaxRegression; use a tiny value for "any").
	MaxRegression float64
}

// Result is a comparison.
type Result struct {
	BaselineDir, CurrentDir string
	Baseline, Current       *results.Run
	MaxRegression           float64
	Metrics                 []Metric
	// Warnings are differences that make numbers less comparable (another
	// target, another scenario).
	Warnings []string
}

// Regressions lists the regressed metrics.
func (r *Result) Regressions() []Metric {
	var out []Metric
	for _, m := range r.Metrics {
		if m.Status == StatusRegression {
			out = append(out, m)
		}
	}
	return out
}

// Count returns how many metrics have status s.
func (r *Result) Count(s Status) int {
	n := 0
	for _, m := range r.Metrics {
		if m.Status == s {
			n++
		}
	}
	return n
}

// Groups lists the metric groups in order.
func (r *Result) Groups() []string {
	var gs []string
	for _, m := range r.Metrics {
		if !slices.Contains(gs, m.Group) {
			gs = append(gs, m.Group)
		}
	}
	return gs
}

// Dirs reads both results directories and compares them. Reading errors
// are *report.InputError (exit code 2), naming the file at fault.
func Dirs(baselineDir, currentDir string, o Options) (*Result, error) {
	base, err := report.ReadResults(baselineDir)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	cur, err := report.ReadResults(currentDir)
	if err != nil {
		return nil, fmt.Errorf("current: %w", err)
	}
	r := Compare(base, cur, o)
	r.BaselineDir, r.CurrentDir = baselineDir, currentDir
	return r, nil
}

// ParseMargin reads a margin: "10%" or a fraction such as "0.1".
func ParseMargin(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	t = strings.TrimSpace(strings.TrimSuffix(t, "%"))
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("--max-regression: %q is not a margin; write a percentage such as 10%% or a fraction such as 0.1", s)
	}
	if pct {
		f /= 100
	} else if f > 1 {
		return 0, fmt.Errorf("--max-regression: %q: a plain number is a fraction (0.1 = 10%%); write %s%% for a percentage", s, t)
	}
	if f < 0 {
		return 0, fmt.Errorf("--max-regression: %q: the margin cannot be negative", s)
	}
	return f, nil
}

// Compare sets base and cur side by side.
func Compare(base, cur *results.Run, o Options) *Result {
	margin := o.MaxRegression
	if margin == 0 {
		margin = DefaultMaxRegression
	}
	r := &Result{Baseline: base, Current: cur, MaxRegression: margin}
	if a, b := report.TargetLabel(base.Target), report.TargetLabel(cur.Target); a != b {
		r.Warnings = append(r.Warnings, fmt.Sprintf("baseline measured a %s, current a %s: the numbers are not measuring the same shop", a, b))
	}
	if base.Scenario.Name != cur.Scenario.Name {
		r.Warnings = append(r.Warnings, fmt.Sprintf("different scenarios: baseline %q, current %q", base.Scenario.Name, cur.Scenario.Name))
	}
	r.Metrics = append(r.Metrics, profileMetrics(base, cur)...)
	r.Metrics = append(r.Metrics, loadMetrics(base, cur)...)
	for i := range r.Metrics {
		decide(&r.Metrics[i], margin)
	}
	return r
}

func decide(m *Metric, margin float64) {
	if m.Status == StatusNotComparable {
		return
	}
	if m.Baseline == nil || m.Current == nil {
		m.Status = StatusNotComparable
		switch {
		case m.Baseline == nil && m.Current == nil:
			m.Note = "absent in both runs"
		case m.Baseline == nil:
			m.Note = "absent in the baseline"
		default:
			m.Note = "absent in the current run"
		}
		return
	}
	worse := *m.Current - *m.Baseline
	if m.Better == HigherIsBetter {
		worse = -worse
	}
	allowed := margin * math.Max(math.Abs(*m.Baseline), floor(m.Unit))
	const eps = 1e-12
	switch {
	case worse > allowed+eps:
		m.Status = StatusRegression
	case -worse > allowed+eps:
		m.Status = StatusImproved
	default:
		m.Status = StatusOK
	}
}

func ptr(f float64) *float64 { return &f }

type kindSide struct {
	k       *results.KindProfile
	p       *results.Profile
	invalid bool
}

func kindOf(run *results.Run, kind string) kindSide {
	p := run.Profile
	if p == nil {
		return kindSide{}
	}
	s := kindSide{p: p, invalid: !p.Valid || len(p.Problems) > 0}
	for i := range p.Kinds {
		if p.Kinds[i].Kind == kind {
			s.k = &p.Kinds[i]
		}
	}
	return s
}

func kinds(runs ...*results.Run) []string {
	var out []string
	for _, r := range runs {
		if r.Profile == nil {
			continue
		}
		for _, k := range r.Profile.Kinds {
			if !slices.Contains(out, k.Kind) {
				out = append(out, k.Kind)
			}
		}
	}
	return out
}

func profileMetrics(base, cur *results.Run) []Metric {
	type spec struct {
		name, key, unit string
		better          Direction
		get             func(kindSide) *float64
	}
	phase := func(ph string, stat func(*results.KindProfile) *results.Stat) func(kindSide) *float64 {
		return func(s kindSide) *float64 {
			if s.k == nil || !report.HasPhase(s.p, ph) {
				return nil
			}
			st := stat(s.k)
			if st == nil {
				return nil
			}
			return ptr(st.Median)
		}
	}
	specs := []spec{
		{"cold backend statements", "cold.backend_statements", "count", LowerIsBetter,
			phase(results.PhaseCold, func(k *results.KindProfile) *results.Stat { return &k.Cold })},
		{"warm backend statements", "warm.backend_statements", "count", LowerIsBetter,
			phase(results.PhaseWarm, func(k *results.KindProfile) *results.Stat { return &k.Warm })},
		{"reduction (cold → warm)", "reduction", "ratio", HigherIsBetter, func(s kindSide) *float64 {
			if s.k == nil || !report.HasPhase(s.p, results.PhaseCold) || !report.HasPhase(s.p, results.PhaseWarm) || s.k.Cold.Median == 0 {
				return nil
			}
			return ptr(s.k.Reduction)
		}},
		{"warm-other backend statements", "warm_other.backend_statements", "count", LowerIsBetter,
			phase(results.PhaseWarmOther, func(k *results.KindProfile) *results.Stat { return k.WarmOther })},
	}
	var out []Metric
	for _, kind := range kinds(base, cur) {
		b, c := kindOf(base, kind), kindOf(cur, kind)
		for _, sp := range specs {
			m := Metric{Group: kind, Name: sp.name, Key: kind + "." + sp.key, Unit: sp.unit, Better: sp.better,
				Baseline: sp.get(b), Current: sp.get(c)}
			switch {
			case b.invalid && c.invalid:
				m.Status, m.Note = StatusNotComparable, "both profiles invalid"
			case b.invalid:
				m.Status, m.Note = StatusNotComparable, "baseline profile invalid"
			case c.invalid:
				m.Status, m.Note = StatusNotComparable, "current profile invalid"
			}
			out = append(out, m)
		}
	}
	return out
}

func findPhase(run *results.Run, name, mode string) *results.LoadPhase {
	if run.Load == nil {
		return nil
	}
	for i := range run.Load.Phases {
		if ph := &run.Load.Phases[i]; ph.Name == name && ph.Mode == mode {
			return ph
		}
	}
	return nil
}

func loadMetrics(base, cur *results.Run) []Metric {
	type key struct{ name, mode string }
	var keys []key
	for _, r := range []*results.Run{base, cur} {
		if r.Load == nil {
			continue
		}
		for _, ph := range r.Load.Phases {
			if k := (key{ph.Name, ph.Mode}); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	// Phases in run order; within a phase, cached first (it is what the
	// cache is for), then baseline.
	var names []string
	for _, k := range keys {
		if !slices.Contains(names, k.name) {
			names = append(names, k.name)
		}
	}
	var ordered []key
	for _, n := range names {
		for _, k := range keys {
			if k.name == n && k.mode == results.ModeCached {
				ordered = append(ordered, k)
			}
		}
		for _, k := range keys {
			if k.name == n && k.mode != results.ModeCached {
				ordered = append(ordered, k)
			}
		}
	}
	keys = ordered
	type spec struct {
		stat, unit string
		better     Direction
		get        func(*results.LoadPhase) float64
	}
	specs := []spec{
		{"p95", "s", LowerIsBetter, func(p *results.LoadPhase) float64 { return float64(p.Latency.P95) / 1e9 }},
		{"rps", "req/s", HigherIsBetter, func(p *results.LoadPhase) float64 { return p.Throughput }},
		{"errors", "ratio", LowerIsBetter, func(p *results.LoadPhase) float64 { return p.ErrorRate }},
	}
	statNames := map[string]string{"p95": "p95 latency", "rps": "throughput", "errors": "error rate"}
	var out []Metric
	for _, k := range keys {
		b, c := findPhase(base, k.name, k.mode), findPhase(cur, k.name, k.mode)
		for _, sp := range specs {
			m := Metric{Group: "load " + k.name, Name: k.mode + " " + statNames[sp.stat], Key: "load." + k.name + "." + k.mode + "." + sp.stat,
				Unit: sp.unit, Better: sp.better}
			if b != nil {
				m.Baseline = ptr(sp.get(b))
			}
			if c != nil {
				m.Current = ptr(sp.get(c))
			}
			switch {
			case b != nil && b.Interrupted && c != nil && c.Interrupted:
				m.Status, m.Note = StatusNotComparable, "interrupted in both runs"
			case b != nil && b.Interrupted:
				m.Status, m.Note = StatusNotComparable, "interrupted in the baseline"
			case c != nil && c.Interrupted:
				m.Status, m.Note = StatusNotComparable, "interrupted in the current run"
			}
			out = append(out, m)
		}
	}
	return out
}
