package scenario

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestBadScenarios asserts, for each malformed file, the message and the
// line:column of its first error.
func TestBadScenarios(t *testing.T) {
	tests := []struct {
		name string
		src  string
		pos  string // line:column of the first error
		want string // substring of its message (with the key path)
		n    int    // number of errors; 0 = don't care
	}{
		{"yaml syntax", "pages:\n  product: {discover: 2\n", "2:12", "", 1},
		{"tab indentation", "pages:\n\tproduct: {}\n", "2:1", "", 1},
		{"second document", "pages: {product: {discover: 1}}\n---\nname: x\n", "3:1", "one YAML document", 1},
		{"unknown top-level key", "pages: {product: {discover: 1}}\nthreshold: [a]\n", "2:1",
			`unknown key "threshold" in the top level; did you mean "thresholds"?`, 1},
		{"unknown key at depth", `pages: {product: {discover: 1}}
load:
  phases:
    - name: a
      rate: 1/s
      durration: 1s
`, "6:7", `load.phases[0].durration: unknown key "durration" in load.phases[0]; did you mean "duration"?`, 0},
		{"unknown key in cache", "pages: {product: {discover: 1}}\ncache:\n  blacklist:\n    presets: none\n", "4:5",
			`cache.blacklist.presets: unknown key "presets" in cache.blacklist; did you mean "preset"?`, 1},
		{"every unknown key at once", "pages: {product: {discover: 1, sample: 2}}\nprofile: {sampels: 2}\noutput: {directory: x}\n", "1:32",
			`unknown key "sample"`, 3},
		{"wrong type: string for int", "pages: {product: {discover: 1}}\nprofile:\n  samples: three\n", "3:12",
			`profile.samples: expected an integer, got the string "three"`, 1},
		{"wrong type: scalar for list", "pages: {product: {discover: 1}}\nprofile:\n  phases: cold\n", "3:11",
			`profile.phases: expected a list, got the string "cold"`, 1},
		{"wrong type: list for mapping", "pages: [product]\n", "1:8", "pages: expected a mapping, got a list", 1},
		{"wrong type: number for string", "target:\n  kind: docker\n  docker:\n    mysql_version: 8.0\npages: {product: {discover: 1}}\n", "4:20",
			`target.docker.mysql_version: expected a string, got the number 8.0 (quote it: "8.0")`, 1},
		{"wrong type: bool", "pages: {product: {discover: 1}}\nprofile: {prime_app: maybe}\n", "2:22",
			`profile.prime_app: expected true or false, got the string "maybe"`, 1},
		{"bad duration", "pages: {product: {discover: 1}}\nload:\n  timeout: 10\n", "3:12",
			`load.timeout: "10" is not a duration (expected e.g. 10m, 30s, 250ms)`, 1},
		{"negative duration", "pages: {product: {discover: 1}}\nnetwork: {db_rtt: -5ms}\n", "2:19", `network.db_rtt: "-5ms" is negative`, 1},
		{"bad size", "pages: {product: {discover: 1}}\ncache: {max_result_bytes: 1 TB}\n", "2:27",
			`cache.max_result_bytes: "1 TB" is not a size`, 1},
		{"two target blocks", `target:
  kind: embedded
  external:
    base_url: https://shop.example
pages: {product: {discover: 1}}
`, "3:3", "target.external: only the embedded block may be set when target.kind is embedded", 1},
		{"block without kind", "target:\n  docker: {nodes: 2}\npages: {product: {discover: 1}}\n", "2:3",
			"target.docker: only the embedded block may be set when target.kind is embedded; target.kind defaults to embedded: set kind: docker", 1},
		{"unknown target kind", "target: {kind: vagrant}\npages: {product: {discover: 1}}\n", "1:16",
			`target.kind: "vagrant" is not a target kind (expected embedded, docker or external)`, 1},
		{"external block missing", "target: {kind: external}\npages: {product: {urls: [/]}}\n", "1:9",
			"target.external: is required when target.kind is external", 1},
		{"external addresses", `target:
  kind: external
  external:
    base_url: shop.example/fr
    backend: {addr: db, user: shop}
    proxy_listen: 127.0.0.1
pages: {home: {urls: [/]}}
`, "4:15", `target.external.base_url: "shop.example/fr" is not an absolute http(s) URL`, 3},
		{"embedded out of range", "target:\n  embedded:\n    products: 0\n    scale: -1\npages: {product: {discover: 1}}\n", "3:15",
			"target.embedded.products: 0 is out of range (expected 1 to 200000)", 2},
		{"cache mode", "pages: {product: {discover: 1}}\ncache:\n  mode: memcached\n", "3:9",
			`cache.mode: "memcached" is not one of off, local, redis, local+redis`, 1},
		{"cache preset", "pages: {product: {discover: 1}}\ncache:\n  blacklist: {preset: magento}\n", "3:23",
			`cache.blacklist.preset: unknown table preset "magento"`, 1},
		{"cache table pattern", "pages: {product: {discover: 1}}\ncache:\n  blacklist: {tables: [\"\"]}\n", "3:23",
			`cache.blacklist.tables: table pattern "": empty`, 1},
		{"cache off", "pages: {product: {discover: 1}}\ncache: {mode: \"off\"}\n", "2:15", "cache.mode: off leaves nothing to measure", 1},
		{"no pages", "name: x\n", "1:1", "pages: at least one page kind is required", 1},
		{"empty file", "", "1:1", "pages: at least one page kind is required", 1},
		{"page kind name", "pages:\n  Product: {discover: 1}\n", "2:3", `pages.Product: "Product" is not a page kind name`, 1},
		{"reserved kind name", "pages:\n  load: {urls: [/]}\n", "2:3", `pages.load: "load" is reserved`, 1},
		{"kind without pages", "pages:\n  product: {samples: 2}\n", "2:12", "pages.product: has no pages (expected urls, template with ids, or discover)", 1},
		{"template without {id}", "pages:\n  product:\n    template: /index.php?controller=product\n    ids: [1]\n", "3:15",
			`pages.product.template: "/index.php?controller=product" has no {id} placeholder`, 1},
		{"template without ids", "pages:\n  product:\n    template: /p/{id}\n", "3:15", "pages.product.template: needs ids", 1},
		{"ids without template", "pages:\n  product:\n    ids: [1, 2]\n", "3:10", "pages.product.ids: ids need a template with {id}", 1},
		{"relative url", "pages:\n  home:\n    urls: [/, index.php]\n", "3:15", `pages.home.urls[1]: "index.php" is neither an absolute http(s) URL nor a path starting with /`, 1},
		{"discover custom kind", "pages:\n  blog:\n    discover: 3\n", "3:15", `pages.blog.discover: targets discover only product, category, home, cms, search pages`, 1},
		{"profile phase", "pages: {product: {discover: 1}}\nprofile:\n  phases: [cold, hot, cold]\n", "3:18",
			`profile.phases[1]: "hot" is not a profile phase (expected cold, warm or warm_other)`, 2},
		{"profile samples", "pages: {product: {discover: 1}}\nprofile:\n  samples: 101\n", "3:12", "profile.samples: 101 is out of range (expected 1 to 100)", 1},
		{"bad rate", `pages: {product: {discover: 1}}
load:
  phases:
    - name: steady
      rate: 20 per second
      duration: 10s
      max_concurrency: 4
`, "5:13", `load.phases[0].rate: "20 per second" is not a rate (expected N/s, N/m or N/<duration>, e.g. 20/s)`, 1},
		{"zero rate", "pages: {product: {discover: 1}}\nload:\n  phases:\n    - {name: a, rate: 0/s, duration: 1s, max_concurrency: 1}\n", "4:23",
			`"0/s" is not a rate (expected N/s, N/m or N/<duration>, e.g. 20/s): N must be positive`, 1},
		{"rate and ramp", `pages: {product: {discover: 1}}
load:
  phases:
    - name: a
      rate: 5/s
      ramp: {from: 1/s, to: 5/s}
      duration: 10s
      max_concurrency: 1
`, "6:7", "load.phases[0].ramp: rate and ramp are exclusive", 1},
		{"neither rate nor ramp", "pages: {product: {discover: 1}}\nload:\n  phases:\n    - name: a\n      duration: 10s\n      max_concurrency: 1\n", "4:7",
			"load.phases[0]: needs a rate (e.g. rate: 20/s) or a ramp", 1},
		{"ramp end missing", "pages: {product: {discover: 1}}\nload:\n  phases:\n    - name: a\n      ramp: {from: 1/s}\n      duration: 10s\n      max_concurrency: 1\n", "5:13",
			"load.phases[0].ramp.to: is required", 1},
		{"phase fields", `pages: {product: {discover: 1}}
load:
  phases:
    - name: Steady State
      rate: 1/s
      duration: 0s
      max_concurrency: 0
`, "4:13", `load.phases[0].name: "Steady State" is not a phase name (expected [a-z0-9_-]+`, 3},
		{"duplicate phase", `pages: {product: {discover: 1}}
load:
  phases:
    - {name: a, rate: 1/s, duration: 1s, max_concurrency: 1}
    - {name: a, rate: 1/s, duration: 1s, max_concurrency: 1}
`, "5:14", `load.phases[1].name: "a" is already the name of load.phases[0]`, 1},
		{"reserved phase name", "pages: {product: {discover: 1}}\nload:\n  phases:\n    - {name: cached, rate: 1/s, duration: 1s, max_concurrency: 1}\n", "4:14",
			`load.phases[0].name: "cached" is reserved`, 1},
		{"weights for unknown kind", `pages: {product: {discover: 1}}
load:
  phases:
    - name: a
      rate: 1/s
      duration: 1s
      max_concurrency: 1
      weights:
        product: 2
        cms: 1
`, "10:9", `load.phases[0].weights.cms: "cms" is not a page kind of this scenario (expected one of: product)`, 1},
		{"load modes", "pages: {product: {discover: 1}}\nload:\n  modes: [cached, warm]\n", "3:19",
			`load.modes[1]: "warm" is not a load mode (expected baseline or cached)`, 1},
		{"unknown metric in a threshold", `pages: {product: {discover: 1}}
thresholds:
  - product.reduction >= 0.5
  - prodct.reduction >= 0.5
`, "4:5", `thresholds[1]: unknown metric "prodct.reduction" (did you mean "product.reduction"?)`, 1},
		{"metric of an undefined kind", "pages: {product: {discover: 1}}\nthresholds: [\"category.reduction >= 0.5\"]\n", "2:15",
			`thresholds[0]: unknown metric "category.reduction"`, 1},
		{"metric of an undefined load phase", `pages: {product: {discover: 1}}
load:
  phases:
    - {name: a, rate: 1/s, duration: 1s, max_concurrency: 1}
thresholds:
  - 'load.b.cached.p95 < 1s'
`, "6:6", `thresholds[0]: unknown metric "load.b.cached.p95" (did you mean "load.a.cached.p95"?)`, 1},
		{"load metric without load phases", "pages: {product: {discover: 1}}\nthresholds:\n  - load.cached.errors < 1%\n", "3:5",
			`unknown metric "load.cached.errors" (the scenario has no load phases)`, 1},
		{"metric ruled out by profile phases", "pages: {product: {discover: 1}}\nprofile: {phases: [cold, warm]}\nthresholds:\n  - product.warm.hits > 1 and more\n", "4:27",
			"expected the end of the threshold", 1},
		{"metric ruled out by phases", "pages: {product: {discover: 1}}\nprofile: {phases: [cold, warm]}\nthresholds:\n  - product.hits > 1\n  - 2 * product.reduction_warm_other > 1\n", "4:5",
			`unknown metric "product.hits"`, 2},
		{"metric ruled out by modes", `pages: {product: {discover: 1}}
load:
  modes: [cached]
  phases:
    - {name: a, rate: 1/s, duration: 1s, max_concurrency: 1}
thresholds:
  - load.cached.p95 < load.baseline.p95
`, "7:23", `thresholds[0]: metric "load.baseline.p95" will not be measured: load mode baseline is not in load.modes`, 1},
		{"metric with profiling off", "pages: {product: {discover: 1}}\nprofile: {enabled: false}\nthresholds: [product.reduction >= 0.5]\n", "3:14",
			`metric "product.reduction" will not be measured: profiling is disabled (profile.enabled: false)`, 1},
		{"threshold units", "pages: {product: {discover: 1}}\nload:\n  phases:\n    - {name: a, rate: 1/s, duration: 1s, max_concurrency: 1}\nthresholds:\n  - \"load.cached.p95 < 1\"\n", "6:22",
			"thresholds[0]: cannot compare load.cached.p95 (duration) with 1 (plain number); write a duration such as 1s or 500ms", 1},
		{"threshold syntax", "pages: {product: {discover: 1}}\nthresholds:\n  - product.reduction => 0.5\n", "3:23",
			"thresholds[0]: single '=' is not a comparison", 1},
		{"threshold not a string", "pages: {product: {discover: 1}}\nthresholds:\n  - {product.reduction: 0.5}\n", "3:5",
			"thresholds[0]: expected a string, got a mapping", 1},
		{"output dir", "pages: {product: {discover: 1}}\noutput: {dir: \"\"}\n", "2:15", "output.dir: must not be empty", 1},
		{"network range", "pages: {product: {discover: 1}}\nnetwork: {db_rtt: 2m}\n", "2:19", "network.db_rtt: 2m0s is out of range", 1},
		{"cache rtt without redis", "pages: {product: {discover: 1}}\ncache: {mode: local}\nnetwork: {cache_rtt: 1ms}\n", "3:22",
			"network.cache_rtt: 1ms has no effect with cache.mode local (expected cache.mode redis or local+redis", 1},
		{"cache rtt past the redis timeout", "pages: {product: {discover: 1}}\ncache: {mode: redis, redis: {timeout: 20ms}}\nnetwork: {cache_rtt: 20ms}\n", "3:22",
			"network.cache_rtt: 20ms (jitter 0s) is not below cache.redis.timeout 20ms: every Redis call would time out", 1},
		{"run name", "name: my run\npages: {product: {discover: 1}}\n", "1:7", `name: "my run" is not a valid name`, 1},
		{"alias to unknown anchor", "pages: {product: *nope}\n", "1:18", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("bad.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", s)
			}
			if s != nil {
				t.Errorf("Parse returned a scenario with an error")
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T %v is not an ErrorList", err, err)
			}
			first := list[0]
			if got := fmt.Sprintf("%d:%d", first.Line, first.Column); got != tt.pos {
				t.Errorf("first error at %s, want %s\n%v", got, tt.pos, err)
			}
			if first.File != "bad.yaml" || !strings.HasPrefix(first.Error(), "bad.yaml:"+tt.pos+": ") && tt.pos == fmt.Sprintf("%d:%d", first.Line, first.Column) {
				t.Errorf("error text %q does not start with file:line:col", first.Error())
			}
			if !strings.Contains(first.Error(), tt.want) {
				t.Errorf("first error %q does not contain %q\nall:\n%v", first.Error(), tt.want, err)
			}
			if tt.n != 0 && len(list) != tt.n {
				t.Errorf("%d errors, want %d:\n%v", len(list), tt.n, err)
			}
		})
	}
}

// TestAllErrorsReported checks that validation collects every problem,
// each with its own position.
func TestAllErrorsReported(t *testing.T) {
	src := `target:
  kind: embedded
  embedded:
    products: -1
pages:
  product:
    template: /p
    ids: [1]
load:
  phases:
    - name: a
      rate: fast
      duration: 10s
      max_concurrency: 1
thresholds:
  - nope.reduction > 1
`
	_, err := Parse("x.yaml", []byte(src))
	want := []string{
		"x.yaml:4:15: target.embedded.products: -1 is out of range",
		"x.yaml:7:15: pages.product.template:",
		`x.yaml:12:13: load.phases[0].rate: "fast" is not a rate`,
		`x.yaml:16:5: thresholds[0]: unknown metric "nope.reduction"`,
	}
	var list ErrorList
	if !errors.As(err, &list) || len(list) != len(want) {
		t.Fatalf("got %v, want %d errors", err, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(list[i].Error(), w) {
			t.Errorf("error %d = %q, want prefix %q", i, list[i].Error(), w)
		}
	}
	if !strings.Contains(err.Error(), "\n") {
		t.Errorf("ErrorList.Error() should put one error per line")
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	src := `x-phase: &phase
  rate: 10/s
  duration: 5s
  max_concurrency: 2
pages:
  product: {discover: 2}
load:
  phases:
    - <<: *phase
      name: a
    - <<: *phase
      name: b
      rate: 20/s
`
	_, err := Parse("x.yaml", []byte(src))
	// x-phase is not a scenario key: reported, with the anchor still usable.
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 1 || !strings.Contains(list[0].Error(), `unknown key "x-phase"`) || list[0].Line != 1 {
		t.Fatalf("got %v", err)
	}
	src = `pages:
  product: &p {discover: 2}
  category: *p
load:
  phases:
    - &ph {name: a, rate: 10/s, duration: 5s, max_concurrency: 2}
    - <<: *ph
      name: b
      rate: 20/s
`
	s, err := Parse("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if s.Pages["category"].Discover != 2 || len(s.Load.Phases) != 2 || s.Load.Phases[1].Rate != "20/s" || s.Load.Phases[1].MaxConcurrency != 2 {
		t.Errorf("anchors/merge not applied: %+v", s.Load.Phases)
	}
	// An error inside a merged mapping points at the merged value.
	src = `pages:
  product: {discover: 2}
load:
  phases:
    - &ph {name: a, rate: 10/s, duration: 5s, max_concurrency: 0}
`
	_, err = Parse("x.yaml", []byte(src))
	if err == nil || !strings.HasPrefix(err.Error(), "x.yaml:5:64: load.phases[0].max_concurrency:") {
		t.Errorf("got %v", err)
	}
}
