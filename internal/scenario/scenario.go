// Package scenario reads, validates and describes psbench scenario files:
// which shop to start, how the proxy caches, which pages to profile, which
// load to apply and which thresholds decide pass or fail.
package scenario

import "github.com/psbench/psbench/internal/proxycache"

// Scenario is one scenario file.
type Scenario struct {
	// Name names the run (results/<name>-<timestamp>/); default: the file name.
	Name string `yaml:"name" json:"name,omitempty"`
	// Target is the shop under test (default: the embedded storefront).
	Target Target `yaml:"target" json:"target"`
	// Cache is the proxy cache of the cached mode and the profile; the
	// same block as `psbench proxy`'s configuration (default:
	// proxycache.DefaultConfig().Cache).
	Cache proxycache.CacheConfig `yaml:"cache" json:"cache"`
	// Pages maps page kinds (product, category, home, cms, search or a
	// custom [a-z][a-z0-9_]* name) to the pages of that kind.
	Pages map[string]Pages `yaml:"pages" json:"pages"`
	// Profile is the serial cold/warm statement count per page.
	Profile Profile `yaml:"profile" json:"profile"`
	// Load is the vegeta load phases.
	Load LoadConfig `yaml:"load" json:"load"`
	// Thresholds are pass/fail expressions (package threshold), e.g.
	// "product.reduction >= 0.5" or "load.cached.p95 < 1s".
	Thresholds []string `yaml:"thresholds" json:"thresholds,omitempty"`
	// Output is where results go.
	Output Output `yaml:"output" json:"output"`
	// Network injects latency (default: none).
	Network *Network `yaml:"network" json:"network,omitempty"`
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
	// Kind is embedded (default), docker or external.
	Kind     string    `yaml:"kind" json:"kind"`
	Embedded *Embedded `yaml:"embedded" json:"embedded,omitempty"`
	External *External `yaml:"external" json:"external,omitempty"`
	Docker   *Docker   `yaml:"docker" json:"docker,omitempty"`
}

// Embedded is the simulated storefront over an in-process MySQL-compatible
// server. Its sizes shape the catalogue and the SQL each page sends.
type Embedded struct {
	// Seed makes the generated catalogue reproducible (default 1).
	Seed int64 `yaml:"seed" json:"seed"`
	// Products in the catalogue (default 40).
	Products int `yaml:"products" json:"products"`
	// Categories in the catalogue (default 8).
	Categories int `yaml:"categories" json:"categories"`
	// CombinationsPerProduct is the attribute combinations of each product
	// (default 4).
	CombinationsPerProduct int `yaml:"combinations_per_product" json:"combinations_per_product"`
	// Modules is the active modules whose hooks run on every page
	// (default 77, as in the PrestaShop 8.1 demo).
	Modules int `yaml:"modules" json:"modules"`
	// ProductsPerCategoryPage is the tiles on a category page (default 12).
	ProductsPerCategoryPage int `yaml:"products_per_category_page" json:"products_per_category_page"`
	// RelatedProducts shown on a product page (default 8).
	RelatedProducts int `yaml:"related_products" json:"related_products"`
	// RelatedShare is the share of products whose page shows related
	// products (0 = one in three, like the PrestaShop demo; 1 = every
	// product but the first, as on large shops with cross-selling).
	RelatedShare float64 `yaml:"related_share" json:"related_share,omitempty"`
	// Languages of the shop (default 1).
	Languages int `yaml:"languages" json:"languages"`
	// Scale multiplies per-page SQL to reproduce a large shop (module hooks
	// and per-tile lookups); 1 matches the measured PrestaShop 8.1 demo.
	Scale float64 `yaml:"scale" json:"scale"`
}

// External is a shop the user already runs (staging).
type External struct {
	// BaseURL is the storefront's absolute http(s) URL.
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
	// Addr is host:port, e.g. 127.0.0.1:3306.
	Addr string `yaml:"addr" json:"addr"`
	User string `yaml:"user" json:"user"`
	// Password is redacted ("***") in results.
	Password string `yaml:"password" json:"-"`
}

// Docker is a PrestaShop stack in containers (testcontainers-go).
type Docker struct {
	// PrestaShopImage is the shop image (default prestashop/prestashop:8.1).
	PrestaShopImage string `yaml:"prestashop_image" json:"prestashop_image"`
	// MySQLVersion is the mysql image tag (default 8.0).
	MySQLVersion string `yaml:"mysql_version" json:"mysql_version"`
	// Redis starts a Redis container per node (for cache modes redis and
	// local+redis).
	Redis bool `yaml:"redis" json:"redis"`
	// Nodes is the shop nodes behind the same database (default 1).
	Nodes int `yaml:"nodes" json:"nodes"`
	// Keep leaves the containers running after the run.
	Keep bool `yaml:"keep" json:"keep"`
}

// Pages lists the pages of one kind to profile and load.
type Pages struct {
	// URLs are absolute or relative to the target's base URL.
	URLs []string `yaml:"urls" json:"urls,omitempty"`
	// Template with {id} and IDs expand to more URLs.
	Template string `yaml:"template" json:"template,omitempty"`
	// IDs replace {id} in Template, one URL each.
	IDs []int `yaml:"ids" json:"ids,omitempty"`
	// Discover asks the target for up to this many URLs of the kind.
	Discover int `yaml:"discover" json:"discover,omitempty"`
	// Samples overrides profile.samples for this kind (default: profile.samples).
	Samples int `yaml:"samples" json:"samples,omitempty"`
}

// Profile configures the exact serial cold/warm measurement.
type Profile struct {
	// Enabled runs the profile (default true).
	Enabled *bool    `yaml:"enabled" json:"enabled,omitempty"`
	Phases  []string `yaml:"phases" json:"phases,omitempty"` // cold, warm, warm_other
	// Samples is how often each page is measured per phase; the median
	// counts (default 3).
	Samples int `yaml:"samples" json:"samples"`
	// PrimeApp requests each URL once before measuring so the shop's own
	// caches are warm (default true).
	PrimeApp bool `yaml:"prime_app" json:"prime_app"`
	// TopDigests bounds the digests kept per phase (default 10).
	TopDigests int `yaml:"top_digests" json:"top_digests"`
}

// LoadConfig configures the vegeta load phases. Each phase runs twice:
// cache off (baseline) and on (cached). (It is not called Load: that is
// the function reading a scenario file.)
type LoadConfig struct {
	Phases []LoadPhase `yaml:"phases" json:"phases,omitempty"`
	// Modes: baseline (cache off) and/or cached (cache on); default both.
	Modes []string `yaml:"modes" json:"modes,omitempty"`
	// Timeout is the per-request timeout (default 30s).
	Timeout proxycache.Duration `yaml:"timeout" json:"timeout"`
}

// LoadPhase is one attack: a constant rate, or a linear ramp.
type LoadPhase struct {
	// Name is unique among phases, [a-z0-9_-]+; thresholds name a phase
	// as load.<name>.<mode>.<stat>.
	Name string `yaml:"name" json:"name"`
	// Rate is "20/s" (constant); Ramp is {from: 5/s, to: 40/s}.
	Rate string `yaml:"rate" json:"rate,omitempty"`
	Ramp *Ramp  `yaml:"ramp" json:"ramp,omitempty"`
	// Duration is the measured part of the phase.
	Duration proxycache.Duration `yaml:"duration" json:"duration"`
	// MaxConcurrency bounds the requests in flight (vegeta max workers).
	MaxConcurrency int `yaml:"max_concurrency" json:"max_concurrency"`
	// Weights of page kinds in the traffic (default: equal).
	Weights map[string]int `yaml:"weights" json:"weights,omitempty"`
	// Warmup runs before the measured part of the phase and is discarded.
	Warmup proxycache.Duration `yaml:"warmup" json:"warmup,omitempty"`
}

// Ramp is a linear rate change over a phase.
type Ramp struct {
	// From is the rate at the start, e.g. 5/s.
	From string `yaml:"from" json:"from"`
	// To is the rate at the end of the duration, e.g. 40/s.
	To string `yaml:"to" json:"to"`
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
	// DBRTT is added to each round trip between proxy and MySQL.
	DBRTT proxycache.Duration `yaml:"db_rtt" json:"db_rtt"`
	// CacheRTT is added to each round trip between proxy and Redis.
	CacheRTT proxycache.Duration `yaml:"cache_rtt" json:"cache_rtt"`
	// Jitter randomly varies the injected latency.
	Jitter proxycache.Duration `yaml:"jitter" json:"jitter"`
}
