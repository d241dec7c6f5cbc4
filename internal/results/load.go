package results

// Load is the load-test half of a run: each load phase run twice, cache off
// (baseline) and on (cached).
type Load struct {
	Phases []LoadPhase `json:"phases"`
}

// Load modes.
const (
	ModeBaseline = "baseline"
	ModeCached   = "cached"
)

// LoadPhase is one vegeta attack.
type LoadPhase struct {
	Name     string `json:"name"`
	Mode     string `json:"mode"` // baseline | cached
	Rate     string `json:"rate"` // as configured, e.g. "20/s" or "5/s..40/s"
	Duration int64  `json:"duration_ns"`
	// ResultsFile is vegeta's own binary results file, relative to the
	// results directory (`vegeta report` and `vegeta plot` read it).
	ResultsFile string `json:"results_file"`
	// Interrupted is true when Ctrl-C (or a failure) stopped the phase early.
	Interrupted bool           `json:"interrupted,omitempty"`
	Requests    int            `json:"requests"`
	Success     int            `json:"success"`
	ErrorRate   float64        `json:"error_rate"`
	Errors      map[string]int `json:"errors,omitempty"`
	// Throughput is successful requests per second.
	Throughput float64 `json:"throughput"`
	Latency    Latency `json:"latency"`
	// BackendStatementsPerRequest is an average under load, from proxy
	// counters over the phase (not an exact serial count).
	BackendStatementsPerRequest float64             `json:"backend_statements_per_request"`
	HitRatio                    float64             `json:"hit_ratio"`
	PerKind                     map[string]KindLoad `json:"per_kind,omitempty"`
	Timeline                    []TimelinePoint     `json:"timeline"`
	Status                      map[string]int      `json:"status_codes,omitempty"`
}

// Latency percentiles in nanoseconds.
type Latency struct {
	Mean int64 `json:"mean_ns"`
	P50  int64 `json:"p50_ns"`
	P90  int64 `json:"p90_ns"`
	P95  int64 `json:"p95_ns"`
	P99  int64 `json:"p99_ns"`
	Max  int64 `json:"max_ns"`
}

// KindLoad is one page kind's share of a load phase.
type KindLoad struct {
	Requests   int     `json:"requests"`
	Throughput float64 `json:"throughput"`
	Latency    Latency `json:"latency"`
	ErrorRate  float64 `json:"error_rate"`
}

// TimelinePoint is one second (or bucket) of a load phase.
type TimelinePoint struct {
	OffsetMs int64   `json:"offset_ms"`
	RPS      float64 `json:"rps"`
	P50Ns    int64   `json:"p50_ns"`
	P95Ns    int64   `json:"p95_ns"`
	Errors   int     `json:"errors"`
	// HitRatio is from proxy counters sampled during the phase.
	HitRatio float64 `json:"hit_ratio"`
	// BackendStatementsPerRequest over the bucket, from proxy counters.
	BackendPerRequest float64 `json:"backend_per_request"`
}

// LoadPhases returns the run's load phases (none when no load ran).
func (r *Run) LoadPhases() []LoadPhase {
	if r.Load == nil {
		return nil
	}
	return r.Load.Phases
}
