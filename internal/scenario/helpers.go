package scenario

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/psbench/psbench/internal/threshold"
)

// Kinds returns the page kinds, sorted.
func (s *Scenario) Kinds() []string { return sortedKeys(s.Pages) }

// ProfileEnabled reports whether the cold/warm profile runs (default true).
func (p Profile) ProfileEnabled() bool { return p.Enabled == nil || *p.Enabled }

// Metrics lists the threshold metrics this scenario will produce: those of
// threshold.Metrics for its page kinds and load phases, less the ones its
// profile phases, load modes or a disabled profile rule out.
func (s *Scenario) Metrics() []threshold.MetricInfo {
	var out []threshold.MetricInfo
	for _, m := range threshold.Metrics(s.Kinds(), s.loadPhaseNames()) {
		if s.unavailable(m.Name) == "" {
			out = append(out, m)
		}
	}
	return out
}

// unavailable says why a metric of threshold.Metrics will not be measured
// by this scenario ("" when it will).
func (s *Scenario) unavailable(name string) string {
	parts := strings.Split(name, ".")
	if parts[0] == "load" {
		mode := parts[1]
		if len(parts) == 4 {
			mode = parts[2]
		}
		if !slices.Contains(s.Load.Modes, mode) {
			return fmt.Sprintf("load mode %s is not in load.modes", mode)
		}
		return ""
	}
	if !s.Profile.ProfileEnabled() {
		return "profiling is disabled (profile.enabled: false)"
	}
	var need []string
	switch parts[1] {
	case "reduction":
		need = []string{PhaseCold, PhaseWarm}
	case "reduction_warm_other":
		need = []string{PhaseCold, PhaseWarmOther}
	default:
		need = []string{parts[1]}
	}
	for _, ph := range need {
		if !slices.Contains(s.Profile.Phases, ph) {
			return fmt.Sprintf("profile phase %s is not in profile.phases", ph)
		}
	}
	return ""
}

// CompileThresholds parses the thresholds for evaluation after a run (a
// scenario from Parse has valid ones).
func (s *Scenario) CompileThresholds() ([]*threshold.Expr, error) {
	out := make([]*threshold.Expr, 0, len(s.Thresholds))
	for i, src := range s.Thresholds {
		e, err := threshold.Parse(src)
		if err != nil {
			return nil, fmt.Errorf("thresholds[%d]: %w", i, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Redacted is the effective scenario (defaults applied) as YAML, with every
// non-empty password replaced by "***": what results record. It parses
// back to the same scenario, passwords aside.
func (s *Scenario) Redacted() string {
	c := *s
	if x := s.Target.External; x != nil {
		cp := *x
		if cp.Backend.Password != "" {
			cp.Backend.Password = "***"
		}
		c.Target.External = &cp
	}
	if c.Cache.Redis.Password != "" {
		c.Cache.Redis.Password = "***"
	}
	b, err := yaml.MarshalWithOptions(&c, yaml.IndentSequence(true))
	if err != nil {
		return fmt.Sprintf("# cannot render scenario: %v\n", err)
	}
	// Leave out nulls and empty values when that changes nothing: the
	// pruned text must parse back to the same scenario.
	var ms yaml.MapSlice
	if yaml.UnmarshalWithOptions(b, &ms, yaml.UseOrderedMap()) != nil {
		return string(b)
	}
	pruned, err := yaml.MarshalWithOptions(prune(ms), yaml.IndentSequence(true))
	if err != nil {
		return string(b)
	}
	back, err := Parse(c.Name+".yaml", pruned)
	if err != nil || !reflect.DeepEqual(back, &c) {
		return string(b)
	}
	return string(pruned)
}

// prune drops null, empty-string, empty-list and empty-mapping values.
func prune(ms yaml.MapSlice) yaml.MapSlice {
	out := yaml.MapSlice{}
	for _, it := range ms {
		switch v := it.Value.(type) {
		case nil:
			continue
		case string:
			if v == "" {
				continue
			}
		case []any:
			if len(v) == 0 {
				continue
			}
			for i, e := range v {
				if m, ok := e.(yaml.MapSlice); ok {
					v[i] = prune(m)
				}
			}
		case yaml.MapSlice:
			v = prune(v)
			if len(v) == 0 {
				continue
			}
			it.Value = v
		}
		out = append(out, it)
	}
	return out
}
