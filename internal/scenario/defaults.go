package scenario

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/psbench/psbench/internal/proxycache"
)

// Defaults applied by Parse to whatever the file leaves out. The embedded
// sizes give a quickstart that profiles and loads in about a minute on 2
// cores; scale 1 matches the measured PrestaShop 8.1 demo storefront.
//
//	name                                 the file name without extension
//	target.kind                          embedded
//	target.embedded                      seed 1, products 40, categories 8,
//	                                     combinations_per_product 4, modules 77,
//	                                     products_per_category_page 12,
//	                                     related_products 8, languages 1, scale 1
//	target.docker                        prestashop_image prestashop/prestashop:8.1,
//	                                     mysql_version 8.0, nodes 1
//	target.external.table_prefix         cache.table_prefix
//	cache                                proxycache.DefaultConfig().Cache (mode local,
//	                                     ttl 10m, preset prestashop, table_prefix ps_, ...)
//	pages.<kind>.samples                 profile.samples
//	profile                              enabled true, phases [cold, warm, warm_other],
//	                                     samples 3, prime_app true, top_digests 10
//	load                                 modes [baseline, cached], timeout 30s, no phases
//	load.phases[].weights                equal weights for every page kind
//	load.phases[].max_concurrency        16
//	output.dir                           results
//	network                              none (no injected latency)
//
// Keys the file sets, even to zero, are kept (and then validated).
const (
	DefaultProfileSamples = 3
	DefaultTopDigests     = 10
	DefaultLoadTimeout    = 30 * time.Second
	// DefaultMaxConcurrency bounds a load phase's requests in flight when
	// the phase does not say (vegeta's workers).
	DefaultMaxConcurrency = 16
	DefaultOutputDir      = "results"
	DefaultDockerImage    = "prestashop/prestashop:8.1"
	DefaultDockerMySQL    = "8.0"
)

// Profile phases and load modes.
const (
	PhaseCold      = "cold"
	PhaseWarm      = "warm"
	PhaseWarmOther = "warm_other"

	ModeBaseline = "baseline"
	ModeCached   = "cached"
)

// Well-known page kinds (custom kinds match [a-z][a-z0-9_]*).
var WellKnownKinds = []string{"product", "category", "home", "cms", "search"}

// DefaultEmbedded is the quickstart catalogue.
func DefaultEmbedded() Embedded {
	return Embedded{
		Seed:                    1,
		Products:                40,
		Categories:              8,
		CombinationsPerProduct:  4,
		Modules:                 77,
		ProductsPerCategoryPage: 12,
		RelatedProducts:         8,
		Languages:               1,
		Scale:                   1,
	}
}

// DefaultDocker is the default container stack.
func DefaultDocker() Docker {
	return Docker{PrestaShopImage: DefaultDockerImage, MySQLVersion: DefaultDockerMySQL, Nodes: 1}
}

// defaults returns the scenario a file of the given target kind is decoded
// over; target blocks are pre-filled only for the chosen kind.
func defaults(name, kind string) *Scenario {
	enabled := true
	s := &Scenario{
		Name:   name,
		Target: Target{Kind: kind},
		Cache:  proxycache.DefaultConfig().Cache,
		Profile: Profile{
			Enabled:    &enabled,
			Phases:     []string{PhaseCold, PhaseWarm, PhaseWarmOther},
			Samples:    DefaultProfileSamples,
			PrimeApp:   true,
			TopDigests: DefaultTopDigests,
		},
		Load: LoadConfig{
			Modes:   []string{ModeBaseline, ModeCached},
			Timeout: proxycache.Duration(DefaultLoadTimeout),
		},
		Output: Output{Dir: DefaultOutputDir},
	}
	switch kind {
	case KindEmbedded:
		e := DefaultEmbedded()
		s.Target.Embedded = &e
	case KindDocker:
		dk := DefaultDocker()
		s.Target.Docker = &dk
	}
	return s
}

// finishDefaults fills what depends on the decoded file.
func (s *Scenario) finishDefaults(d *document) {
	switch s.Target.Kind {
	case KindEmbedded:
		if s.Target.Embedded == nil { // embedded: null
			e := DefaultEmbedded()
			s.Target.Embedded = &e
		}
	case KindDocker:
		if s.Target.Docker == nil {
			dk := DefaultDocker()
			s.Target.Docker = &dk
		}
	case KindExternal:
		if x := s.Target.External; x != nil && !d.has(at("target", "external", "table_prefix")) {
			x.TablePrefix = s.Cache.TablePrefix
		}
	}
	if s.Profile.Enabled == nil {
		t := true
		s.Profile.Enabled = &t
	}
	for k, p := range s.Pages {
		if p.Samples == 0 && !d.has(at("pages", k, "samples")) {
			p.Samples = s.Profile.Samples
			s.Pages[k] = p
		}
	}
	for i := range s.Load.Phases {
		if !d.has(at("load", "phases", i, "max_concurrency")) {
			s.Load.Phases[i].MaxConcurrency = DefaultMaxConcurrency
		}
	}
}

// nameFromFile is the default scenario name: the file name without its
// extension.
func nameFromFile(file string) string {
	base := filepath.Base(file)
	return strings.TrimSuffix(base, filepath.Ext(base))
}
