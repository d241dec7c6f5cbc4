package report

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// passCharts are the charts the pass fixture must carry, in page order.
var passCharts = []string{
	"statements_0_product", "statements_1_category",
	"reaching_reason", "reaching_table",
	"latency_0_steady", "latency_1_ramp", "throughput_time", "p95_time", "hit_ratio_time",
	"errors", "backend_per_request",
}

var figureID = regexp.MustCompile(`data-chart="([a-z0-9_]+)"`)

func chartIDs(html string) []string {
	var ids []string
	for _, m := range figureID.FindAllStringSubmatch(html, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func renderFixture(t *testing.T, name string, o Options) (string, string) {
	t.Helper()
	dir := fixtureDir(t, name)
	path, err := Render(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, ReportFile) {
		t.Errorf("path %s", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return dir, string(b)
}

func TestRenderPass(t *testing.T) {
	_, html := renderFixture(t, "pass", Options{Offline: true, EchartsJS: fakeEcharts(t)})
	if got := chartIDs(html); !slices.Equal(got, passCharts) {
		t.Errorf("charts %v, want %v", got, passCharts)
	}
	for _, id := range passCharts {
		if !strings.Contains(html, `id="`+id+`"`) || !strings.Contains(html, "goecharts_"+id+" = echarts.init") {
			t.Errorf("chart %s has no element or script", id)
		}
	}
	for _, want := range []string{
		`data-verdict="PASS"`, "✔</span> PASS", "all 5 thresholds passed",
		`id="simulated"`, "SIMULATED STOREFRONT",
		"product: cold 198 → warm 34 backend statements (−82.8 %)",
		"reference (real PrestaShop)", "800 → 300 (−62.5 %)", "2,000 → 600 (−70 %)",
		"prestashop &#43; ps_connections", "10m", "yes — each URL was requested once",
		"10.11.19-MariaDB", "PrestaShop 8.1 (simulated)",
		"fake echarts", // inlined
		`id="statements"`, `id="still-reaching"`, `id="load"`, `id="metadata"`,
		"reference cold 800", "reference warm 300", // mark lines
		"average under load",
		"psbench:[REDACTED]@tcp", // the scenario, as results carry it
		"@media print",
		"1,200", // requests with separators
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, bad := range []string{`id="capacity"`, "Capacity</h2>", "go-echarts.github.io/go-echarts-assets/assets/echarts.min.js\"", `id="invalid"`, `id="incomplete"`} {
		if strings.Contains(html, bad) {
			t.Errorf("report has %q", bad)
		}
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	o := Options{Offline: true, EchartsJS: fakeEcharts(t)}
	run := fixture(t, "pass")
	a, err := RenderRun(run, "dir", o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := RenderRun(fixture(t, "pass"), "dir", o)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two renders of the same results differ")
	}
}

func TestRenderInvalidIncomplete(t *testing.T) {
	_, html := renderFixture(t, "invalid", Options{Offline: true, EchartsJS: fakeEcharts(t)})
	for _, want := range []string{
		`data-verdict="INVALID"`, `id="invalid"`, "PROFILE INVALID", `id="incomplete"`, "INCOMPLETE RUN",
		"interrupted (Ctrl-C) before load phase ramp",
		"product: INVALID — cold 198 → warm 34 backend statements (−82.8 %), not a valid measurement",
		"⊘ INVALID", "(invalid)", "measured from an invalid profile",
		"INVALID — product pages", "warm (INVALID)", "#8C8C8C", // charts greyed and labelled
		"not measured", "load phase ramp (cached) was not run",
		"⊘ INVALID: sample 2", // the page table
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The profile thresholds must not be shown as a valid pass.
	if regexp.MustCompile(`✔ PASS</span></td><td><code>product\.reduction`).MatchString(html) {
		t.Error("a threshold measured from an invalid profile is shown as PASS")
	}
}

func TestRenderOnlineUsesAssetHost(t *testing.T) {
	_, html := renderFixture(t, "pass", Options{})
	if !strings.Contains(html, `<script src="https://go-echarts.github.io/go-echarts-assets/assets/echarts.min.js"></script>`) {
		t.Error("online report does not load ECharts from go-echarts' asset host")
	}
	_, html = renderFixture(t, "pass", Options{AssetsHost: "http://assets.example/"})
	if !strings.Contains(html, `src="http://assets.example/echarts.min.js"`) {
		t.Error("asset host option ignored")
	}
}

func TestOfflineWithoutEcharts(t *testing.T) {
	t.Setenv(EchartsEnv, filepath.Join(t.TempDir(), "missing.js"))
	dir := fixtureDir(t, "pass")
	_, err := Render(dir, Options{Offline: true})
	if !errors.Is(err, ErrNoEcharts) || !strings.Contains(err.Error(), "npm ci") {
		t.Fatalf("got %v, want ErrNoEcharts naming npm ci", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ReportFile)); err == nil {
		t.Error("a report was written anyway")
	}
}

func TestFindEchartsWalksUp(t *testing.T) {
	t.Setenv(EchartsEnv, "")
	root := t.TempDir()
	js := filepath.Join(root, echartsRel)
	os.MkdirAll(filepath.Dir(js), 0o755)
	os.WriteFile(js, []byte("x"), 0o644)
	deep := filepath.Join(root, "results", "nightly-1")
	os.MkdirAll(deep, 0o755)
	got, err := FindEcharts("", filepath.Join(t.TempDir(), "elsewhere"), deep)
	if err != nil || got != js {
		t.Fatalf("got %q, %v; want %q", got, err, js)
	}
	t.Setenv(EchartsEnv, js)
	if got, err := FindEcharts("", t.TempDir()); err != nil || got != js {
		t.Fatalf("env: got %q, %v", got, err)
	}
	_, err = FindEcharts("", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(EchartsEnv, "")
	if _, err := FindEcharts("", t.TempDir()); !errors.Is(err, ErrNoEcharts) {
		t.Fatalf("got %v", err)
	}
}

func TestLabelsAreSafeInScripts(t *testing.T) {
	run := fixture(t, "pass")
	run.Load.Phases[0].Name = "</script><script>alert(1)</script>"
	run.Load.Phases[1].Name = run.Load.Phases[0].Name
	html, err := RenderRun(run, "d", Options{Offline: true, EchartsJS: fakeEcharts(t)})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(html), "<script>alert(1)") {
		t.Error("a phase name from the results breaks out of a script")
	}
}
