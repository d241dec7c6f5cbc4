package compare

import (
	"bytes"
	"encoding/xml"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psbench/psbench/internal/report"
	"github.com/psbench/psbench/internal/results"
)

// td returns a copy of testdata/<name> (results.json only), so that
// compare.html lands in a temporary directory.
func td(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", name, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func metric(t *testing.T, r *Result, key string) Metric {
	t.Helper()
	for _, m := range r.Metrics {
		if m.Key == key {
			return m
		}
	}
	t.Fatalf("no metric %s", key)
	return Metric{}
}

func TestRunNoRegression(t *testing.T) {
	cur := td(t, "current-ok")
	var out bytes.Buffer
	res, code, err := Run(&out, td(t, "baseline"), cur, RunOptions{})
	if code != ExitOK || err != nil {
		t.Fatalf("code %d, err %v\n%s", code, err, out.String())
	}
	if res.MaxRegression != DefaultMaxRegression || len(res.Regressions()) != 0 || res.Count(StatusNotComparable) != 0 {
		t.Errorf("margin %v, regressions %v", res.MaxRegression, res.Regressions())
	}
	// 35 vs 34 warm statements is +2.9 %: within 10 %.
	if m := metric(t, res, "product.warm.backend_statements"); m.Status != StatusOK || m.ChangeText() != "+1 (+2.94 %)" {
		t.Errorf("product warm: %s %q", m.Status, m.ChangeText())
	}
	text := out.String()
	for _, want := range []string{"== product pages", "== category pages", "== load phase steady", "== load phase ramp",
		"cold backend statements", "reduction (cold → warm)", "warm-other backend statements", "cached p95 latency", "baseline throughput", "cached error rate",
		"No regression beyond 10 %", "HTML: " + filepath.Join(cur, HTMLFile)} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
	html, err := os.ReadFile(filepath.Join(cur, HTMLFile))
	if err != nil || !strings.Contains(string(html), `data-verdict="NO REGRESSION"`) {
		t.Errorf("compare.html: %v", err)
	}
}

func TestRunRegression(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	junit := filepath.Join(dir, "compare.xml")
	html := filepath.Join(dir, "c.html")
	res, code, err := Run(&out, td(t, "baseline"), td(t, "current-regressed"), RunOptions{HTML: html, JUnit: junit})
	if code != ExitRegression || err == nil || !strings.Contains(err.Error(), "4 metric(s) regressed beyond 10 %") {
		t.Fatalf("code %d, err %v", code, err)
	}
	for key, want := range map[string]Status{
		"product.warm.backend_statements":       StatusRegression, // 34 → 52
		"product.reduction":                     StatusRegression, // 82.8 % → 73.7 %
		"product.warm_other.backend_statements": StatusRegression,
		"load.steady.cached.p95":                StatusRegression, // +40 %
		"product.cold.backend_statements":       StatusOK,
		"load.steady.cached.rps":                StatusOK,
		"load.ramp.cached.p95":                  StatusNotComparable, // absent in current
		"load.ramp.baseline.errors":             StatusNotComparable,
	} {
		if m := metric(t, res, key); m.Status != want {
			t.Errorf("%s: %s, want %s", key, m.Status, want)
		}
	}
	if m := metric(t, res, "load.ramp.cached.p95"); m.Note != "absent in the current run" {
		t.Errorf("note %q", m.Note)
	}
	if !strings.Contains(out.String(), "✘ REGRESSION") || !strings.Contains(out.String(), "not comparable (absent in the current run)") {
		t.Errorf("table:\n%s", out.String())
	}
	// JUnit: one case per compared metric; parse it back.
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var d report.JUnitSuites
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Tests != len(res.Metrics) || d.Failures != 4 || d.Skipped != 6 {
		t.Errorf("junit tests %d failures %d skipped %d (metrics %d)", d.Tests, d.Failures, d.Skipped, len(res.Metrics))
	}
	found := false
	for _, c := range d.Suites[0].Cases {
		if c.Name == "product: warm backend statements" {
			found = c.Failure != nil && strings.Contains(c.Failure.Message, "34 → 52 (+18 (+52.9 %)), worse by more than the 10 % allowed")
		}
	}
	if !found {
		t.Error("no failing case for product warm backend statements with measured values")
	}
	page, _ := os.ReadFile(html)
	if !strings.Contains(string(page), `data-verdict="REGRESSION"`) || !strings.Contains(string(page), "✘ REGRESSION") {
		t.Error("compare.html does not show the regression")
	}
	// A wider margin lets the same runs pass.
	_, code, err = Run(&bytes.Buffer{}, td(t, "baseline"), td(t, "current-regressed"), RunOptions{Options: Options{MaxRegression: 0.6}})
	if code != ExitOK || err != nil {
		t.Errorf("60 %% margin: code %d, %v", code, err)
	}
}

func TestRunBadInput(t *testing.T) {
	base := td(t, "baseline")
	empty := t.TempDir()
	cases := []struct {
		name, baseline, current, want string
	}{
		{"missing dir", base, filepath.Join(empty, "nope"), "current: " + filepath.Join(empty, "nope") + ": no such results directory"},
		{"missing results.json", empty, base, "baseline: " + filepath.Join(empty, "results.json") + ": missing"},
		{"corrupt", base, filepath.Join("testdata", "corrupt"), filepath.Join("testdata", "corrupt", "results.json") + ": not a psbench results file"},
		{"schema mismatch", base, filepath.Join("testdata", "schema2"), filepath.Join("testdata", "schema2", "results.json") + ": schema_version 2, this psbench reads schema_version 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			_, code, err := Run(&out, c.baseline, c.current, RunOptions{HTML: filepath.Join(t.TempDir(), "c.html")})
			var ie *report.InputError
			if code != ExitBadInput || !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("code %d, err %v; want %d and %q", code, err, ExitBadInput, c.want)
			}
		})
	}
}

func TestDirectionAware(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		m    Metric
		want Status
	}{
		{Metric{Unit: "count", Better: LowerIsBetter, Baseline: f(34), Current: f(38)}, StatusRegression},
		{Metric{Unit: "count", Better: LowerIsBetter, Baseline: f(34), Current: f(37)}, StatusOK},
		{Metric{Unit: "count", Better: LowerIsBetter, Baseline: f(34), Current: f(20)}, StatusImproved},
		{Metric{Unit: "ratio", Better: HigherIsBetter, Baseline: f(0.8), Current: f(0.7)}, StatusRegression},
		{Metric{Unit: "ratio", Better: HigherIsBetter, Baseline: f(0.8), Current: f(0.9)}, StatusImproved},
		{Metric{Unit: "req/s", Better: HigherIsBetter, Baseline: f(20), Current: f(17.9)}, StatusRegression},
		{Metric{Unit: "req/s", Better: HigherIsBetter, Baseline: f(20), Current: f(30)}, StatusImproved},
		{Metric{Unit: "s", Better: LowerIsBetter, Baseline: f(0.2), Current: f(0.219)}, StatusOK},
		{Metric{Unit: "s", Better: LowerIsBetter, Baseline: f(0.2), Current: f(0.23)}, StatusRegression},
		// Error rates near zero: the margin is of a 1 % floor.
		{Metric{Unit: "ratio", Better: LowerIsBetter, Baseline: f(0), Current: f(0.0005)}, StatusOK},
		{Metric{Unit: "ratio", Better: LowerIsBetter, Baseline: f(0), Current: f(0.02)}, StatusRegression},
		// Nothing reaching MySQL on a warm page, then 2 statements.
		{Metric{Unit: "count", Better: LowerIsBetter, Baseline: f(0), Current: f(2)}, StatusRegression},
		{Metric{Unit: "count", Better: LowerIsBetter, Baseline: nil, Current: f(2)}, StatusNotComparable},
	}
	for i, c := range cases {
		m := c.m
		decide(&m, 0.10)
		if m.Status != c.want {
			t.Errorf("case %d: %s, want %s", i, m.Status, c.want)
		}
	}
}

func TestInvalidProfileNotComparable(t *testing.T) {
	base, err := report.ReadResults(filepath.Join("testdata", "baseline"))
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := report.ReadResults(filepath.Join("testdata", "current-regressed"))
	cur.Profile.Valid = false
	cur.Profile.Problems = []string{"polluted"}
	cur.Target.Simulated, cur.Target.Label = false, results.LabelRealShop
	cur.Load.Phases[1].Interrupted = true
	r := Compare(base, cur, Options{})
	for _, m := range r.Metrics {
		if !strings.HasPrefix(m.Key, "load.") && (m.Status != StatusNotComparable || m.Note != "current profile invalid") {
			t.Errorf("%s: %s %q", m.Key, m.Status, m.Note)
		}
	}
	if m := metric(t, r, "load.steady.cached.p95"); m.Status != StatusNotComparable || m.Note != "interrupted in the current run" {
		t.Errorf("interrupted phase: %s %q", m.Status, m.Note)
	}
	if len(r.Regressions()) != 0 {
		t.Errorf("regressions from not comparable metrics: %v", r.Regressions())
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "real shop") {
		t.Errorf("warnings %v", r.Warnings)
	}
}

func TestParseMargin(t *testing.T) {
	for in, want := range map[string]float64{"10%": 0.1, "5 %": 0.05, "0.1": 0.1, "0%": 0, "12.5%": 0.125, "1": 1} {
		got, err := ParseMargin(in)
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ten", "10", "-5%", "%"} {
		if _, err := ParseMargin(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}
