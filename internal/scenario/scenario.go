// Package scenario reads, validates and describes psbench scenario files:
// which shop to start, how the proxy caches, which pages to profile, which
// load to apply and which thresholds decide pass or fail.
package scenario

import "github.com/psbench/psbench/internal/proxycache"

// Scenario is one scenario file.
type Scenario struct {
	// Name names the run (results/<name>-<timestamp>/); default: the file name.
	Name       string                 `yaml:"name" json:"name,omitempty"`
	Target     Target                 `yaml:"target" json:"target"`
	Cache      proxycache.CacheConfig `yaml:"cache" json:"cache"`
	Pages      map[string]Pages       `yaml:"pages" json:"pages"`
	Profile    Profile                `yaml:"profile" json:"profile"`
	Load       Load                   `yaml:"load" json:"load"`
	Thresholds []string               `yaml:"thresholds" json:"thresholds,omitempty"`
	Output     Output                 `yaml:"output" json:"output"`
	Network    *Network               `yaml:"network" json:"network,omitempty"`
}

// Target kinds.
const (
	KindEmbedded = "embedded"
	KindDocker   = "docker"
	KindExternal = "external"
)

// Target selects and configures the shop under test. Exactly the block of
// the chosen kind may be set.
type Target struct {
	Kind     string    `yaml:"kind" json:"kind"`
	Embedded *Embedded `yaml:"embedded" json:"embedded,omitempty"`
	External *External `yaml:"external" json:"external,omitempty"`
	Docker   *Docker   `yaml:"docker" json:"docker,omitempty"`
}

// Embedded is the simulated storefront over an in-process MySQL-compatible
// server. Its sizes shape the catalogue and the SQL each page sends.
type Embedded struct {
	Seed                    int64 `yaml:"seed" json:"seed"`
	Products                int   `yaml:"products" json:"products"`
	Categories              int   `yaml:"categories" json:"categories"`
	CombinationsPerProduct  int   `yaml:"combinations_per_product" json:"combinations_per_product"`
	Modules                 int   `yaml:"modules" json:"modules"`
	ProductsPerCategoryPage int   `yaml:"products_per_category_page" json:"products_per_category_page"`
	RelatedProducts         int   `yaml:"related_products" json:"related_products"`
	Languages               int   `yaml:"languages" json:"languages"`
	// Scale multiplies per-page SQL to reproduce a large shop (module hooks
	// and per-tile lookups); 1 matches the measured PrestaShop 8.1 demo.
	Scale float64 `yaml:"scale" json:"scale"`
}

// External is a shop the user already runs (staging).
type External struct {
	BaseURL string `yaml:"base_url" json:"base_url"`
	// Backend is the real MySQL server; psbench only reads status
	// counters there and never writes.
	Backend BackendDSN `yaml:"backend" json:"backend"`
	// ProxyListen is the address the shop's database settings point at;
	// psbench starts its proxy there.
	ProxyListen string `yaml:"proxy_listen" json:"proxy_listen"`
	// Database and TablePrefix are used for page discovery.
	Database    string `yaml:"database" json:"database"`
	TablePrefix string `yaml:"table_prefix" json:"table_prefix"`
}

// BackendDSN is a MySQL login.
type BackendDSN struct {
	Addr     string `yaml:"addr" json:"addr"`
	User     string `yaml:"user" json:"user"`
	Password string `yaml:"password" json:"-"`
}

// Docker is a PrestaShop stack in containers (testcontainers-go).
type Docker struct {
	PrestaShopImage string `yaml:"prestashop_image" json:"prestashop_image"`
	MySQLVersion    string `yaml:"mysql_version" json:"mysql_version"`
	Redis           bool   `yaml:"redis" json:"redis"`
	Nodes           int    `yaml:"nodes" json:"nodes"`
	Keep            bool   `yaml:"keep" json:"keep"`
}

// Pages lists the pages of one kind to profile and load.
type Pages struct {
	// URLs are absolute or relative to the target's base URL.
	URLs []string `yaml:"urls" json:"urls,omitempty"`
	// Template with {id} and IDs expand to more URLs.
	Template string `yaml:"template" json:"template,omitempty"`
	IDs      []int  `yaml:"ids" json:"ids,omitempty"`
	// Discover asks the target for up to this many URLs of the kind.
	Discover int `yaml:"discover" json:"discover,omitempty"`
	// Samples overrides profile.samples for this kind.
	Samples int `yaml:"samples" json:"samples,omitempty"`
}

// Profile configures the exact serial cold/warm measurement.
type Profile struct {
	Enabled  *bool    `yaml:"enabled" json:"enabled,omitempty"`
	Phases   []string `yaml:"phases" json:"phases,omitempty"` // cold, warm, warm_other
	Samples  int      `yaml:"samples" json:"samples"`
	PrimeApp bool     `yaml:"prime_app" json:"prime_app"`
	// TopDigests bounds the digests kept per phase.
	TopDigests int `yaml:"top_digests" json:"top_digests"`
}

// Load configures the vegeta load phases. Each phase runs twice: cache off
// (baseline) and on (cached).
type Load struct {
	Phases []LoadPhase `yaml:"phases" json:"phases,omitempty"`
	// Modes defaults to [baseline, cached].
	Modes []string `yaml:"modes" json:"modes,omitempty"`
	// Timeout is the per-request timeout.
	Timeout proxycache.Duration `yaml:"timeout" json:"timeout"`
}

// LoadPhase is one attack: a constant rate, or a linear ramp.
type LoadPhase struct {
	Name string `yaml:"name" json:"name"`
	// Rate is "20/s" (constant); Ramp is {from: 5/s, to: 40/s}.
	Rate           string              `yaml:"rate" json:"rate,omitempty"`
	Ramp           *Ramp               `yaml:"ramp" json:"ramp,omitempty"`
	Duration       proxycache.Duration `yaml:"duration" json:"duration"`
	MaxConcurrency int                 `yaml:"max_concurrency" json:"max_concurrency"`
	// Weights of page kinds in the traffic (default: equal).
	Weights map[string]int `yaml:"weights" json:"weights,omitempty"`
	// Warmup runs before the measured part of the phase and is discarded.
	Warmup proxycache.Duration `yaml:"warmup" json:"warmup,omitempty"`
}

// Ramp is a linear rate change over a phase.
type Ramp struct {
	From string `yaml:"from" json:"from"`
	To   string `yaml:"to" json:"to"`
}

// Output configures the results directory and report.
type Output struct {
	// Dir is the parent of run directories (default results).
	Dir string `yaml:"dir" json:"dir,omitempty"`
	// OfflineReport inlines ECharts so the report opens without internet.
	OfflineReport bool `yaml:"offline_report" json:"offline_report"`
}

// Network injects latency for capacity-plan validation.
type Network struct {
	DBRTT    proxycache.Duration `yaml:"db_rtt" json:"db_rtt"`
	CacheRTT proxycache.Duration `yaml:"cache_rtt" json:"cache_rtt"`
	Jitter   proxycache.Duration `yaml:"jitter" json:"jitter"`
}
