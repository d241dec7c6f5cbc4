package threshold

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/psbench/psbench/internal/results"
)

// Eval evaluates the threshold on a run: the left side is the measured
// value, the right side the limit. The returned Threshold is always usable:
// when a metric is missing from the run (the phase did not run, the profile
// is invalid or absent, a division by zero) it fails with Error set, and
// the same error is returned. Durations are in seconds.
func (e *Expr) Eval(run *results.Run) (results.Threshold, error) {
	th := results.Threshold{Expr: e.src, Op: e.op, Metric: e.left.format(0), Unit: string(e.Unit())}
	fail := func(err error) (results.Threshold, error) {
		th.Pass = false
		th.Error = err.Error()
		return th, err
	}
	if run == nil {
		return fail(errors.New("no run to evaluate"))
	}
	c := &checker{e: e, known: grammarUnit}
	c.check()
	if len(c.errs) > 0 {
		return fail(c.errs)
	}
	ev := &evaluator{run: run}
	l, err := ev.eval(e.left)
	if err != nil {
		return fail(err)
	}
	th.Measured = l
	r, err := ev.eval(e.right)
	if err != nil {
		return fail(err)
	}
	th.Limit = r
	if math.IsNaN(l) || math.IsNaN(r) || math.IsInf(l, 0) || math.IsInf(r, 0) {
		return fail(fmt.Errorf("not a finite number (measured %v, limit %v)", l, r))
	}
	switch e.op {
	case "<":
		th.Pass = l < r
	case "<=":
		th.Pass = l <= r
	case ">":
		th.Pass = l > r
	case ">=":
		th.Pass = l >= r
	case "==":
		th.Pass = l == r
	case "!=":
		th.Pass = l != r
	}
	return th, nil
}

type evaluator struct {
	run *results.Run
}

func (ev *evaluator) eval(n node) (float64, error) {
	switch n := n.(type) {
	case *numNode:
		return n.v, nil
	case *metricNode:
		return Value(ev.run, n.name)
	case *negNode:
		v, err := ev.eval(n.x)
		return -v, err
	case *binNode:
		x, err := ev.eval(n.x)
		if err != nil {
			return 0, err
		}
		y, err := ev.eval(n.y)
		if err != nil {
			return 0, err
		}
		switch n.op {
		case '+':
			return x + y, nil
		case '-':
			return x - y, nil
		case '*':
			return x * y, nil
		case '/':
			if y == 0 {
				return 0, fmt.Errorf("division by zero: %s is 0", n.y.format(0))
			}
			return x / y, nil
		}
	}
	return 0, fmt.Errorf("cannot evaluate %T", n)
}

// Value reads one metric from a run (durations in seconds). It fails
// when the run does not hold the metric.
func Value(run *results.Run, name string) (float64, error) {
	m, ok := parseMetric(name)
	if !ok {
		return 0, fmt.Errorf("unknown metric %q", name)
	}
	if m.load {
		return loadValue(run, m, name)
	}
	return profileValue(run, m, name)
}

func profileValue(run *results.Run, m metricRef, name string) (float64, error) {
	p := run.Profile
	if p == nil {
		return 0, fmt.Errorf("%s: the run has no profile (profiling was disabled or did not run)", name)
	}
	if !p.Valid {
		why := "no reason recorded"
		if len(p.Problems) > 0 {
			why = strings.Join(p.Problems, "; ")
		}
		return 0, fmt.Errorf("%s: the profile is invalid (%s)", name, why)
	}
	var kp *results.KindProfile
	for i := range p.Kinds {
		if p.Kinds[i].Kind == m.kind {
			kp = &p.Kinds[i]
			break
		}
	}
	if kp == nil {
		return 0, fmt.Errorf("%s: no %s pages were profiled", name, m.kind)
	}
	if kp.Pages == 0 {
		return 0, fmt.Errorf("%s: no %s pages were profiled", name, m.kind)
	}
	switch m.stat {
	case "reduction":
		return kp.Reduction, nil
	case "reduction_warm_other":
		if kp.ReductionWarmOther == nil {
			return 0, fmt.Errorf("%s: warm_other was not measured", name)
		}
		return *kp.ReductionWarmOther, nil
	case "backend_statements":
		switch m.phase {
		case results.PhaseCold:
			return kp.Cold.Median, nil
		case results.PhaseWarm:
			return kp.Warm.Median, nil
		case results.PhaseWarmOther:
			if kp.WarmOther == nil {
				return 0, fmt.Errorf("%s: warm_other was not measured", name)
			}
			return kp.WarmOther.Median, nil
		}
	case "client_statements":
		if m.phase == results.PhaseCold {
			return kp.ClientCold.Median, nil
		}
		var all []int
		for _, ph := range pagePhases(p, m.kind, m.phase) {
			if len(ph.ClientSamples) > 0 {
				all = append(all, ph.ClientSamples...)
			} else {
				all = append(all, ph.ClientStatements)
			}
		}
		if len(all) == 0 {
			return 0, fmt.Errorf("%s: %s was not measured", name, m.phase)
		}
		return median(all), nil
	case "hits":
		var all []int
		for _, ph := range pagePhases(p, m.kind, m.phase) {
			all = append(all, ph.Hits)
		}
		if len(all) == 0 {
			return 0, fmt.Errorf("%s: %s was not measured", name, m.phase)
		}
		return median(all), nil
	}
	return 0, fmt.Errorf("unknown metric %q", name)
}

// pagePhases returns the measured phase of every page of a kind.
func pagePhases(p *results.Profile, kind, phase string) []*results.Phase {
	var out []*results.Phase
	for _, pg := range p.Pages {
		if pg.Kind != kind {
			continue
		}
		var ph *results.Phase
		switch phase {
		case results.PhaseCold:
			ph = pg.Cold
		case results.PhaseWarm:
			ph = pg.Warm
		case results.PhaseWarmOther:
			ph = pg.WarmOther
		}
		if ph != nil {
			out = append(out, ph)
		}
	}
	return out
}

func median(v []int) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return float64(s[n/2-1]+s[n/2]) / 2
}

func loadValue(run *results.Run, m metricRef, name string) (float64, error) {
	if run.Load == nil || len(run.Load.Phases) == 0 {
		return 0, fmt.Errorf("%s: the run has no load results", name)
	}
	phase := m.loadPhase
	if phase == "" {
		phase = LastLoadPhase(run.Load)
	}
	var lp *results.LoadPhase
	found := false
	for i := range run.Load.Phases {
		p := &run.Load.Phases[i]
		if p.Name != phase {
			continue
		}
		found = true
		if p.Mode == m.mode {
			lp = p
		}
	}
	switch {
	case !found:
		return 0, fmt.Errorf("%s: load phase %q did not run", name, phase)
	case lp == nil:
		return 0, fmt.Errorf("%s: load phase %q did not run in %s mode", name, phase, m.mode)
	}
	sec := func(ns int64) float64 { return float64(ns) / 1e9 }
	switch m.stat {
	case "rps":
		return lp.Throughput, nil
	case "p50":
		return sec(lp.Latency.P50), nil
	case "p90":
		return sec(lp.Latency.P90), nil
	case "p95":
		return sec(lp.Latency.P95), nil
	case "p99":
		return sec(lp.Latency.P99), nil
	case "max":
		return sec(lp.Latency.Max), nil
	case "mean":
		return sec(lp.Latency.Mean), nil
	case "errors":
		return lp.ErrorRate, nil
	case "hit_ratio":
		return lp.HitRatio, nil
	case "backend_per_request":
		return lp.BackendStatementsPerRequest, nil
	}
	return 0, fmt.Errorf("unknown metric %q", name)
}

// LastLoadPhase is the phase the load.<mode>.* shorthands read: of the
// phase names in the results, the one that first appears last (phases run
// in scenario order, so this is the scenario's last phase once it started).
func LastLoadPhase(l *results.Load) string {
	var names []string
	for _, p := range l.Phases {
		if !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return names[len(names)-1]
}
