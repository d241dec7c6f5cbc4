package threshold

import (
	"fmt"
	"strings"
)

// Unit is the dimension of a metric or literal. Values are float64 in the
// unit's base: durations in seconds, ratios as fractions (1% = 0.01).
type Unit string

// Units. The string value is what results.Threshold.Unit records.
const (
	// Number is a plain literal such as 0.5 or 300: it takes the unit of
	// what it is compared with or added to, except that a non-zero plain
	// number never becomes a duration (write 1s or 500ms).
	Number Unit = ""
	// Count is a number of statements, hits or statements per request.
	Count Unit = "count"
	// Ratio is a fraction (0.25) or percentage (25%).
	Ratio Unit = "ratio"
	// Duration is a time span, evaluated in seconds (500ms, 1.5s).
	Duration Unit = "s"
	// Rate is requests per second.
	Rate Unit = "req/s"
)

// Name is the unit's name in messages.
func (u Unit) Name() string {
	switch u {
	case Number:
		return "plain number"
	case Count:
		return "count"
	case Ratio:
		return "ratio"
	case Duration:
		return "duration"
	case Rate:
		return "rate (req/s)"
	}
	return string(u)
}

// MetricInfo describes one metric a threshold may name.
type MetricInfo struct {
	Name        string
	Unit        Unit
	Description string
}

// Profile phases and load modes as they appear in metric names.
var (
	profilePhases = []string{"cold", "warm", "warm_other"}
	loadModes     = []string{"baseline", "cached"}
)

type statInfo struct {
	name, desc string
	unit       Unit
}

var profileStats = []statInfo{
	{"backend_statements", "statements that reached MySQL (median over samples)", Count},
	{"client_statements", "statements the shop sent to the proxy (median over samples)", Count},
	{"hits", "cache hits (median over pages of each page's median sample)", Count},
}

var reductionStats = []statInfo{
	{"reduction", "1 - warm/cold of the median backend statements", Ratio},
	{"reduction_warm_other", "1 - warm_other/cold of the median backend statements", Ratio},
}

var loadStats = []statInfo{
	{"rps", "successful requests per second (vegeta throughput)", Rate},
	{"p50", "median latency", Duration},
	{"p90", "90th percentile latency", Duration},
	{"p95", "95th percentile latency", Duration},
	{"p99", "99th percentile latency", Duration},
	{"max", "maximum latency", Duration},
	{"mean", "mean latency", Duration},
	{"errors", "error ratio (failed / all requests)", Ratio},
	{"hit_ratio", "cache hit ratio from proxy counters", Ratio},
	{"backend_per_request", "backend statements per request (proxy counters, average)", Count},
}

// Metrics lists every metric a scenario with these page kinds and load
// phases (in scenario order) can produce:
//
//	<kind>.<phase>.<stat>         phase: cold, warm, warm_other; stat: backend_statements, client_statements, hits
//	<kind>.reduction              1 - warm/cold (ratio)
//	<kind>.reduction_warm_other   1 - warm_other/cold (ratio)
//	load.<mode>.<stat>            mode: baseline, cached; the LAST load phase
//	load.<phase>.<mode>.<stat>    a named load phase
//
// Load stats: rps (req/s), p50, p90, p95, p99, max, mean (durations),
// errors and hit_ratio (ratios), backend_per_request (count). The
// load.<mode>.* shorthands exist only when there is at least one phase.
func Metrics(kinds []string, loadPhases []string) []MetricInfo {
	var out []MetricInfo
	for _, k := range kinds {
		for _, ph := range profilePhases {
			for _, st := range profileStats {
				out = append(out, MetricInfo{k + "." + ph + "." + st.name, st.unit,
					fmt.Sprintf("%s pages, %s: %s", k, ph, st.desc)})
			}
		}
		for _, st := range reductionStats {
			out = append(out, MetricInfo{k + "." + st.name, st.unit, fmt.Sprintf("%s pages: %s", k, st.desc)})
		}
	}
	if len(loadPhases) > 0 {
		last := loadPhases[len(loadPhases)-1]
		for _, mode := range loadModes {
			for _, st := range loadStats {
				out = append(out, MetricInfo{"load." + mode + "." + st.name, st.unit,
					fmt.Sprintf("last load phase (%s), %s: %s", last, mode, st.desc)})
			}
		}
	}
	for _, p := range loadPhases {
		for _, mode := range loadModes {
			for _, st := range loadStats {
				out = append(out, MetricInfo{"load." + p + "." + mode + "." + st.name, st.unit,
					fmt.Sprintf("load phase %s, %s: %s", p, mode, st.desc)})
			}
		}
	}
	return out
}

// Known returns the metrics as the map Check takes.
func Known(metrics []MetricInfo) map[string]Unit {
	m := make(map[string]Unit, len(metrics))
	for _, mi := range metrics {
		m[mi.Name] = mi.Unit
	}
	return m
}

// metricRef is a metric name split into its parts.
type metricRef struct {
	kind, phase, stat string // profile metrics (phase "" for reductions)
	load              bool
	loadPhase         string // "" = the last phase
	mode              string
	unit              Unit
}

// parseMetric splits a metric name by the grammar of Metrics, whatever the
// scenario's kinds and phases are.
func parseMetric(name string) (metricRef, bool) {
	parts := strings.Split(name, ".")
	if parts[0] == "load" {
		var r metricRef
		r.load = true
		switch len(parts) {
		case 3:
			r.mode, r.stat = parts[1], parts[2]
		case 4:
			r.loadPhase, r.mode, r.stat = parts[1], parts[2], parts[3]
		default:
			return r, false
		}
		if !contains(loadModes, r.mode) || r.loadPhase == "" && len(parts) == 4 {
			return r, false
		}
		for _, st := range loadStats {
			if st.name == r.stat {
				r.unit = st.unit
				return r, true
			}
		}
		return r, false
	}
	switch len(parts) {
	case 2:
		for _, st := range reductionStats {
			if st.name == parts[1] && parts[0] != "" {
				return metricRef{kind: parts[0], stat: parts[1], unit: st.unit}, true
			}
		}
	case 3:
		if parts[0] == "" || !contains(profilePhases, parts[1]) {
			return metricRef{}, false
		}
		for _, st := range profileStats {
			if st.name == parts[2] {
				return metricRef{kind: parts[0], phase: parts[1], stat: parts[2], unit: st.unit}, true
			}
		}
	}
	return metricRef{}, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
