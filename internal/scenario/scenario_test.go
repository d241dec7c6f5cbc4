package scenario

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/threshold"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

const scenariosDir = "../../scenarios"

// TestShippedScenarios loads every scenario shipped in scenarios/.
func TestShippedScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(scenariosDir, "*.yaml"))
	if err != nil || len(files) < 4 {
		t.Fatalf("shipped scenarios: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := os.ReadFile(f)
			if !strings.HasPrefix(string(raw), "# yaml-language-server: $schema=./scenario.schema.json\n") {
				t.Errorf("%s does not start with the yaml-language-server schema comment", f)
			}
			if s.Name != nameFromFile(f) {
				t.Errorf("name %q, want the file name %q", s.Name, nameFromFile(f))
			}
			if len(s.Thresholds) == 0 {
				t.Errorf("no thresholds")
			}
			if _, err := s.CompileThresholds(); err != nil {
				t.Error(err)
			}
			for _, ph := range s.Load.Phases {
				if _, err := ph.Pacer(); err != nil {
					t.Errorf("phase %s: %v", ph.Name, err)
				}
			}
			// The redacted text parses back to the same scenario.
			back, err := Parse("redacted.yaml", []byte(s.Redacted()))
			if err != nil {
				t.Fatalf("redacted scenario does not parse: %v\n%s", err, s.Redacted())
			}
			if s.Target.External != nil {
				s.Target.External.Backend.Password = "***"
			}
			if !reflect.DeepEqual(back, s) {
				t.Errorf("redacted round trip differs:\n%+v\n%+v", back, s)
			}
		})
	}
}

func TestQuickstartAndLargeShop(t *testing.T) {
	q, err := Load(filepath.Join(scenariosDir, "quickstart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if q.Target.Kind != KindEmbedded || len(q.Load.Phases) != 1 || !slices.Equal(q.Kinds(), []string{"category", "product"}) {
		t.Errorf("quickstart: %+v", q)
	}
	want := []string{"product.reduction >= 0.5", "category.reduction >= 0.5", "load.cached.errors < 1%", "load.cached.p95 < 1s"}
	if !slices.Equal(q.Thresholds, want) {
		t.Errorf("quickstart thresholds %v", q.Thresholds)
	}
	// About a minute: both modes of every load phase, warmups included.
	var load time.Duration
	for _, ph := range q.Load.Phases {
		load += time.Duration(len(q.Load.Modes)) * (ph.Duration.D() + ph.Warmup.D())
	}
	if load > 40*time.Second {
		t.Errorf("quickstart load takes %v", load)
	}
	l, err := Load(filepath.Join(scenariosDir, "large-shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range []string{"product.warm.backend_statements <= 300", "product.reduction >= 0.625", "category.reduction >= 0.70"} {
		if !slices.Contains(l.Thresholds, th) {
			t.Errorf("large-shop lacks threshold %q", th)
		}
	}
}

func TestDefaults(t *testing.T) {
	s, err := Parse("dir/my-shop.yaml", []byte("pages:\n  product: {discover: 2}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tr := true
	want := &Scenario{
		Name:    "my-shop",
		Target:  Target{Kind: KindEmbedded, Embedded: &Embedded{Seed: 1, Products: 40, Categories: 8, CombinationsPerProduct: 4, Modules: 77, ProductsPerCategoryPage: 12, RelatedProducts: 8, Languages: 1, Scale: 1}},
		Cache:   proxycache.DefaultConfig().Cache,
		Pages:   map[string]Pages{"product": {Discover: 2, Samples: 3}},
		Profile: Profile{Enabled: &tr, Phases: []string{"cold", "warm", "warm_other"}, Samples: 3, PrimeApp: true, TopDigests: 10},
		Load:    LoadConfig{Modes: []string{"baseline", "cached"}, Timeout: proxycache.Duration(30 * time.Second)},
		Output:  Output{Dir: "results"},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", s, want)
	}

	// Keys set, even to false or to a subset, are kept; the rest defaults.
	s, err = Parse("x.yml", []byte(`name: custom
target:
  embedded: {products: 100}
pages:
  product: {discover: 2, samples: 5}
  category: {discover: 1}
profile: {prime_app: false, phases: [cold, warm], samples: 2}
cache: {ttl: 1m, blacklist: {tables: [ps_x_*]}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "custom" || s.Target.Embedded.Products != 100 || s.Target.Embedded.Categories != 8 ||
		s.Profile.PrimeApp || !slices.Equal(s.Profile.Phases, []string{"cold", "warm"}) ||
		s.Pages["product"].Samples != 5 || s.Pages["category"].Samples != 2 ||
		s.Cache.TTL.D() != time.Minute || s.Cache.Mode != "local" || s.Cache.Blacklist.Preset != "prestashop" {
		t.Errorf("overrides: %+v", s)
	}

	// Docker and external get their own defaults and no embedded block.
	s, err = Parse("d.yaml", []byte("target: {kind: docker}\npages: {home: {urls: [/]}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Target.Embedded != nil || *s.Target.Docker != DefaultDocker() {
		t.Errorf("docker defaults: %+v %+v", s.Target, s.Target.Docker)
	}
	s, err = Parse("e.yaml", []byte(`target:
  kind: external
  external: {base_url: "http://shop.test:8080", backend: {addr: "db:3306", user: u}, proxy_listen: "127.0.0.1:3307"}
cache: {table_prefix: shop_}
pages: {home: {urls: [/]}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Target.Embedded != nil || s.Target.External.TablePrefix != "shop_" {
		t.Errorf("external defaults: %+v", s.Target.External)
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want vegeta.Rate
		err  bool
	}{
		{"20/s", vegeta.Rate{Freq: 20, Per: time.Second}, false},
		{"600/m", vegeta.Rate{Freq: 600, Per: time.Minute}, false},
		{"5/500ms", vegeta.Rate{Freq: 5, Per: 500 * time.Millisecond}, false},
		{"100/1m", vegeta.Rate{Freq: 100, Per: time.Minute}, false},
		{" 3 / s ", vegeta.Rate{Freq: 3, Per: time.Second}, false},
		{"20", vegeta.Rate{}, true},
		{"20/x", vegeta.Rate{}, true},
		{"0/s", vegeta.Rate{}, true},
		{"-1/s", vegeta.Rate{}, true},
		{"1/0s", vegeta.Rate{}, true},
		{"1.5/s", vegeta.Rate{}, true},
		{"1000000/s", vegeta.Rate{}, true},
		{"infinity", vegeta.Rate{}, true},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestPacer(t *testing.T) {
	p, err := LoadPhase{Rate: "20/s", Duration: proxycache.Duration(10 * time.Second)}.Pacer()
	if err != nil || p != (vegeta.Rate{Freq: 20, Per: time.Second}) {
		t.Errorf("constant pacer = %v, %v", p, err)
	}
	ph := LoadPhase{Ramp: &Ramp{From: "5/s", To: "40/s"}, Duration: proxycache.Duration(70 * time.Second)}
	p, err = ph.Pacer()
	lp, ok := p.(vegeta.LinearPacer)
	if err != nil || !ok {
		t.Fatalf("ramp pacer = %#v, %v", p, err)
	}
	if r0, r1 := lp.Rate(0), lp.Rate(70*time.Second); abs(r0-5) > 1e-9 || abs(r1-40) > 1e-9 {
		t.Errorf("ramp rates %v at 0s, %v at 70s; want 5 and 40", r0, r1)
	}
	if ph.RateString() != "5/s..40/s" {
		t.Errorf("RateString = %q", ph.RateString())
	}
	for _, bad := range []LoadPhase{
		{},
		{Rate: "1/s", Ramp: &Ramp{From: "1/s", To: "2/s"}},
		{Ramp: &Ramp{From: "x", To: "2/s"}, Duration: 1},
		{Ramp: &Ramp{From: "1/s", To: "2/s"}},
	} {
		if _, err := bad.Pacer(); err == nil {
			t.Errorf("Pacer(%+v) succeeded", bad)
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestRedacted(t *testing.T) {
	s, err := Parse("e.yaml", []byte(`target:
  kind: external
  external:
    base_url: https://shop.test
    backend: {addr: "db:3306", user: shop, password: "s3cr3t!"}
    proxy_listen: "127.0.0.1:3307"
cache:
  mode: local+redis
  redis: {password: r3d1s}
pages: {home: {urls: [/]}}
`))
	if err != nil {
		t.Fatal(err)
	}
	out := s.Redacted()
	if strings.Contains(out, "s3cr3t") || strings.Contains(out, "r3d1s") || strings.Count(out, `"***"`) != 2 {
		t.Errorf("passwords not redacted:\n%s", out)
	}
	if s.Target.External.Backend.Password != "s3cr3t!" || s.Cache.Redis.Password != "r3d1s" {
		t.Errorf("Redacted changed the scenario")
	}
	if strings.Contains(out, "null") {
		t.Errorf("redacted text keeps nulls:\n%s", out)
	}
}

func TestMetricsFollowConfiguration(t *testing.T) {
	s, err := Parse("m.yaml", []byte(`pages: {product: {discover: 1}, category: {discover: 1}}
profile: {phases: [cold, warm]}
load:
  modes: [cached]
  phases:
    - {name: a, rate: 1/s, duration: 1s, max_concurrency: 1}
`))
	if err != nil {
		t.Fatal(err)
	}
	known := threshold.Known(s.Metrics())
	for _, m := range []string{"product.reduction", "category.cold.hits", "load.cached.p95", "load.a.cached.rps"} {
		if _, ok := known[m]; !ok {
			t.Errorf("%s missing", m)
		}
	}
	for _, m := range []string{"product.reduction_warm_other", "product.warm_other.hits", "load.baseline.p95", "load.a.baseline.rps"} {
		if _, ok := known[m]; ok {
			t.Errorf("%s should not be measured", m)
		}
	}
}

// TestSchemaUpToDate regenerates the JSON Schema and compares it with the
// shipped file: run `go generate ./internal/scenario` after changing the
// scenario types.
func TestSchemaUpToDate(t *testing.T) {
	got, err := JSONSchema(".")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(scenariosDir, "scenario.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("scenarios/scenario.schema.json is stale: run `go generate ./internal/scenario`")
	}
	var s map[string]any
	if err := json.Unmarshal(got, &s); err != nil {
		t.Fatal(err)
	}
	// Every object definition is closed, so editors flag unknown keys.
	for name, d := range s["$defs"].(map[string]any) {
		if d.(map[string]any)["additionalProperties"] != false {
			t.Errorf("definition %s allows additional properties", name)
		}
	}
	text := string(got)
	for _, want := range []string{`"local+redis"`, `"prestashop-extended"`, `"warm_other"`, `"baseline"`, `"external"`,
		"Scale multiplies per-page SQL", `"^[a-z][a-z0-9_]*$"`} {
		if !strings.Contains(text, want) {
			t.Errorf("schema lacks %s", want)
		}
	}
}

// TestSchemaKeysMatchTypes: every YAML key the decoder accepts is in the
// schema and vice versa.
func TestSchemaKeysMatchTypes(t *testing.T) {
	b, err := JSONSchema(".")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[Scenario](), reflect.TypeFor[Target](), reflect.TypeFor[Embedded](),
		reflect.TypeFor[External](), reflect.TypeFor[Docker](), reflect.TypeFor[Pages](), reflect.TypeFor[Profile](),
		reflect.TypeFor[LoadConfig](), reflect.TypeFor[LoadPhase](), reflect.TypeFor[Output](), reflect.TypeFor[Network](),
		reflect.TypeFor[proxycache.CacheConfig]()} {
		def, ok := s.Defs[typ.Name()]
		if !ok {
			t.Errorf("no definition for %s", typ.Name())
			continue
		}
		keys := yamlKeys(typ)
		var got []string
		for k := range def.Properties {
			got = append(got, k)
		}
		slices.Sort(got)
		if !slices.Equal(keys, got) {
			t.Errorf("%s: schema keys %v, YAML keys %v", typ.Name(), got, keys)
		}
	}
}
