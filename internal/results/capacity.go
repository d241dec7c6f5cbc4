package results

// Capacity is a capacity plan computed from a run's results by `psbench
// plan --write` (package capacity documents the model). Every number is a
// model output from the profile (and the load phases when present), not a
// measurement, except Validation's Measured values.
type Capacity struct {
	// Inputs are the plan's parameters as given or defaulted.
	Inputs CapacityInputs `json:"inputs"`
	// Assumptions state, in words, what the numbers rest on (hit ratio
	// model, constants, traffic mix). Missing says what could not be
	// planned and why (e.g. no load phases: no node count).
	Assumptions []string `json:"assumptions"`
	Missing     []string `json:"missing,omitempty"`
	// Forced is true when the plan was computed with --force past a
	// refusal (an invalid profile, a target beyond 2x the measured load).
	Forced bool `json:"forced,omitempty"`

	// Per-statement times the model uses, in nanoseconds: t_db (MySQL
	// service time, measured RTT removed), the injected/planned RTT to
	// MySQL, a local-cache hit and a Redis operation's service time.
	DBStatementNs float64 `json:"db_statement_ns"`
	DBRTTNs       float64 `json:"db_rtt_ns"`
	LocalHitNs    float64 `json:"local_hit_ns"`
	RedisNs       float64 `json:"redis_service_ns"`
	// DBIdleNs is the idle cost the planned database RTT adds to each
	// statement on top of the RTT itself (0 without an idle probe); DBGapNs
	// and CacheGapNs the idle MySQL and the cache already had between a
	// page's calls when they were measured.
	DBIdleNs   float64 `json:"db_idle_ns,omitempty"`
	DBGapNs    int64   `json:"db_gap_ns,omitempty"`
	CacheGapNs int64   `json:"cache_gap_ns,omitempty"`

	Kinds []CapacityKind `json:"kinds"`
	// Topologies at the target traffic: no cache, local (per node) and
	// shared (Redis) cache.
	Topologies []CapacityTopology `json:"topologies"`
	// Traffic is statements/s to MySQL per topology at several traffic
	// levels around the target (hit ratios recomputed at each level).
	Traffic []CapacityTrafficPoint `json:"traffic"`
	// SQLTime is SQL time per page (traffic-weighted mean over kinds) at
	// each cache RTT; NoCache and Local do not depend on the cache RTT.
	SQLTime SQLTimeCurve `json:"sql_time"`
	// TTLWhatIf is the plan at the target traffic with other cache TTLs
	// (the plan's own among them).
	TTLWhatIf []CapacityTTLPoint `json:"ttl_what_if,omitempty"`
	// Nodes is nil when the results have no load phases.
	Nodes *CapacityNodes `json:"nodes,omitempty"`
	// Validation compares the model's SQL time per page with runs measured
	// at other injected database RTTs (psbench plan --validate).
	Validation []CapacityValidation `json:"validation,omitempty"`
}

// Topology names.
const (
	TopologyNoCache = "no cache"
	TopologyLocal   = "local cache"
	TopologyShared  = "shared cache"
)

// CapacityInputs are a plan's parameters.
type CapacityInputs struct {
	TargetRPS       float64 `json:"target_rps"`
	ConcurrentUsers int     `json:"concurrent_users,omitempty"`
	ThinkTimeNs     int64   `json:"think_time_ns,omitempty"`
	Nodes           int     `json:"nodes"`
	// NodesFrom says where Nodes came from: flag, plan (nodes needed) or
	// default (1).
	NodesFrom   string  `json:"nodes_from"`
	DBMaxQPS    float64 `json:"db_max_qps,omitempty"`
	CacheRTTsNs []int64 `json:"cache_rtts_ns"`
	Utilisation float64 `json:"utilisation"`
	TTLNs       int64   `json:"ttl_ns"`
	// MeasuredRPS is the highest throughput of the load phases (0: none).
	MeasuredRPS float64 `json:"measured_rps,omitempty"`
}

// CapacityKind is the model's view of one page kind.
type CapacityKind struct {
	Kind string `json:"kind"`
	// Share of the traffic (from a load phase's per-kind requests, or
	// equal shares).
	Share float64 `json:"share"`
	// Catalogue is the number of distinct pages of the kind assumed for
	// the revisit probability.
	Catalogue int `json:"catalogue"`
	// Means per page over the kind's profiled pages.
	Client           float64 `json:"client_statements"`
	BackendCold      float64 `json:"backend_cold"`
	BackendWarm      float64 `json:"backend_warm"`
	BackendWarmOther float64 `json:"backend_warm_other"`
	Cacheable        float64 `json:"cacheable"`
	HitsWarm         float64 `json:"hits_warm"`
	HitsWarmOther    float64 `json:"hits_warm_other"`
	// Effective hits per page at the target traffic (local: one node's
	// share of the traffic; shared: all of it) and the hit ratios.
	HitsLocal      float64 `json:"hits_local"`
	HitsShared     float64 `json:"hits_shared"`
	HitRatioLocal  float64 `json:"hit_ratio_local"`
	HitRatioShared float64 `json:"hit_ratio_shared"`
	// SQL time per page in nanoseconds.
	NoCacheNs float64 `json:"no_cache_ns"`
	LocalNs   float64 `json:"local_ns"`
	// Shared is this kind's shared-cache SQL time per page at each cache
	// RTT of the plan's SQLTime curve.
	Shared []SQLTimePoint `json:"shared,omitempty"`
	// BreakEvenRTTNs is the cache RTT at which the shared cache's SQL time
	// equals no cache's; nil when a shared cache never pays.
	BreakEvenRTTNs *float64 `json:"break_even_rtt_ns,omitempty"`
}

// CapacityTopology is one topology at the target traffic.
type CapacityTopology struct {
	Name string `json:"name"`
	// StatementsPerPage reaching MySQL (traffic-weighted mean).
	StatementsPerPage float64 `json:"statements_per_page"`
	// StatementsPerSecond to MySQL at the target traffic.
	StatementsPerSecond float64 `json:"statements_per_second"`
	// Headroom is 1 - statements/s / db_max_qps (nil without --db-max-qps).
	Headroom *float64 `json:"headroom,omitempty"`
	// MeasuredPerPage is the load phases' average backend statements per
	// request in the matching mode (nil when not measured).
	MeasuredPerPage *float64 `json:"measured_per_page,omitempty"`
}

// CapacityTrafficPoint is statements/s to MySQL per topology at one
// traffic level.
type CapacityTrafficPoint struct {
	RPS                 float64            `json:"rps"`
	StatementsPerSecond map[string]float64 `json:"statements_per_second"`
}

// SQLTimeCurve is SQL time per page against the shared cache's RTT.
type SQLTimeCurve struct {
	NoCacheNs float64        `json:"no_cache_ns"`
	LocalNs   float64        `json:"local_ns"`
	Shared    []SQLTimePoint `json:"shared"`
	// BreakEvenRTTNs (nil: a shared cache never pays at these hit ratios).
	BreakEvenRTTNs *float64 `json:"break_even_rtt_ns,omitempty"`
}

// SQLTimePoint is the shared cache's SQL time per page at one RTT.
type SQLTimePoint struct {
	RTTNs int64   `json:"rtt_ns"`
	Ns    float64 `json:"ns"`
}

// CapacityNodes is the web node count from measured throughput.
type CapacityNodes struct {
	// PerNodeRPS per topology measured (baseline = no cache; cached = the
	// run's cache mode), throughput / nodes of the run.
	PerNodeRPS map[string]float64 `json:"per_node_rps"`
	Needed     map[string]int     `json:"needed"`
	// UtilisationAtNodes is the planned nodes' utilisation at the target
	// traffic (only with --nodes).
	UtilisationAtNodes map[string]float64 `json:"utilisation_at_nodes,omitempty"`
}

// CapacityTTLPoint is the plan at the target traffic with cache TTL TTLNs:
// the traffic-weighted hit ratio of a local (per node) and a shared cache
// and the statements per second reaching MySQL with each (by topology
// name).
type CapacityTTLPoint struct {
	TTLNs               int64              `json:"ttl_ns"`
	HitRatioLocal       float64            `json:"hit_ratio_local"`
	HitRatioShared      float64            `json:"hit_ratio_shared"`
	StatementsPerSecond map[string]float64 `json:"statements_per_second"`
}

// CapacityValidation is one predicted-versus-measured point: SQL time per
// page (backend plus cache time of the profile's pages) at an injected
// database and cache RTT.
type CapacityValidation struct {
	Source     string `json:"source"`
	DBRTTNs    int64  `json:"db_rtt_ns"`
	CacheRTTNs int64  `json:"cache_rtt_ns,omitempty"`
	// CacheMode is the run's cache mode (the cache RTT matters with redis).
	CacheMode   string  `json:"cache_mode,omitempty"`
	PredictedNs float64 `json:"predicted_ns"`
	MeasuredNs  float64 `json:"measured_ns"`
	// Error is predicted/measured - 1.
	Error float64 `json:"error"`
	// Calibration marks the point the model was calibrated on.
	Calibration bool `json:"calibration,omitempty"`
}
