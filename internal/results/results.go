// Package results holds psbench's result types: the versioned contract
// between the measuring half (profile, load) and the explaining half
// (report, compare, plan). Everything that explains a run is computed from a
// results directory alone, so these types carry every number shown later.
package results

import "time"

// SchemaVersion is the version of the JSON written by this build. Readers
// refuse other versions with a clear message instead of guessing.
const SchemaVersion = 1

// Run is results.json: one scenario run.
type Run struct {
	SchemaVersion int         `json:"schema_version"`
	Psbench       string      `json:"psbench_version"`
	Scenario      ScenarioRef `json:"scenario"`
	StartedAt     time.Time   `json:"started_at"`
	EndedAt       time.Time   `json:"ended_at"`
	// Complete is false when the run was interrupted or a phase failed;
	// Incomplete then says why. What was measured is still written.
	Complete   bool       `json:"complete"`
	Incomplete string     `json:"incomplete_reason,omitempty"`
	Machine    Machine    `json:"machine"`
	Target     Target     `json:"target"`
	Cache      CacheSetup `json:"cache"`
	Profile    *Profile   `json:"profile,omitempty"`
	Load       *Load      `json:"load,omitempty"`
	// IdleCost is what MySQL (and Redis, when the cache uses it) add to a
	// round trip after sitting idle, probed once per run after the profile:
	// an input of the capacity model.
	IdleCost   []IdleCost  `json:"idle_cost,omitempty"`
	Thresholds []Threshold `json:"thresholds,omitempty"`
	// Capacity is the capacity plan stored by `psbench plan --write`.
	Capacity *Capacity `json:"capacity,omitempty"`
	// Verdict is pass, fail (a threshold failed), incomplete or invalid.
	Verdict string `json:"verdict"`
}

// Verdicts.
const (
	VerdictPass       = "pass"
	VerdictFail       = "fail"
	VerdictIncomplete = "incomplete"
	VerdictInvalid    = "invalid"
)

// ScenarioRef names the scenario that produced a run.
type ScenarioRef struct {
	Name string `json:"name"`
	File string `json:"file"`
	// Text is the scenario file with secrets redacted.
	Text string `json:"text"`
}

// Machine describes where psbench ran.
type Machine struct {
	Hostname    string `json:"hostname"`
	OS          string `json:"os"`
	Arch        string `json:"arch"`
	CPUs        int    `json:"cpus"`
	CPUModel    string `json:"cpu_model,omitempty"`
	MemoryBytes int64  `json:"memory_bytes,omitempty"`
	GoVersion   string `json:"go_version"`
}

// Target describes the shop that was measured.
type Target struct {
	Kind string `json:"kind"` // embedded | docker | external
	// Simulated is true for the embedded target's simulated storefront;
	// Label is what every view must print beside its numbers.
	Simulated   bool   `json:"simulated"`
	Label       string `json:"label"` // "simulated storefront" | "real shop"
	BaseURL     string `json:"base_url"`
	ShopVersion string `json:"shop_version,omitempty"`
	DBVersion   string `json:"db_version,omitempty"`
	Nodes       int    `json:"nodes"`
}

// Target labels.
const (
	LabelSimulated = "simulated storefront"
	LabelRealShop  = "real shop"
)

// CacheSetup is the proxy cache configuration of the run.
type CacheSetup struct {
	Mode           string   `json:"mode"`
	TTL            string   `json:"ttl"`
	Preset         string   `json:"blacklist_preset"`
	ExtraTables    []string `json:"blacklist_tables,omitempty"`
	TablePrefix    string   `json:"table_prefix"`
	MaxResultBytes int64    `json:"max_result_bytes"`
}

// Threshold is one pass/fail expression evaluated after the run.
type Threshold struct {
	Expr     string  `json:"expr"`
	Metric   string  `json:"metric"`
	Op       string  `json:"op"`
	Limit    float64 `json:"limit"`
	Measured float64 `json:"measured"`
	Unit     string  `json:"unit,omitempty"`
	Pass     bool    `json:"pass"`
	// Error is set when the metric could not be measured in this run; the
	// threshold then fails.
	Error string `json:"error,omitempty"`
}
