package threshold

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/psbench/psbench/internal/results"
)

func TestParse(t *testing.T) {
	tests := []struct {
		src, canon string
		op         string
		metrics    []string
	}{
		{"product.reduction >= 0.5", "product.reduction >= 0.5", ">=", []string{"product.reduction"}},
		{"load.cached.errors<1%", "load.cached.errors < 1%", "<", []string{"load.cached.errors"}},
		{"load.cached.p95 < 1s", "load.cached.p95 < 1s", "<", []string{"load.cached.p95"}},
		{"load.cached.p95 <= 1.5s", "load.cached.p95 <= 1.5s", "<=", nil},
		{"load.cached.p99 < 500ms", "load.cached.p99 < 500ms", "<", nil},
		{"load.cached.max < 1m30s", "load.cached.max < 1m30s", "<", nil},
		{"load.cached.rps / load.baseline.rps >= 1.5", "load.cached.rps / load.baseline.rps >= 1.5", ">=", []string{"load.cached.rps", "load.baseline.rps"}},
		{"a.warm.hits > (a.cold.hits + 2) * 3", "a.warm.hits > (a.cold.hits + 2) * 3", ">", nil},
		{"a.warm.hits == a.cold.hits - (1 - 2)", "a.warm.hits == a.cold.hits - (1 - 2)", "==", nil},
		{"a.warm.hits != -a.cold.hits", "a.warm.hits != -a.cold.hits", "!=", nil},
		{"-(1 + 2) < .5", "-(1 + 2) < .5", "<", nil},
		{"1 + 2 * 3 > (1 + 2) * 3", "1 + 2 * 3 > (1 + 2) * 3", ">", nil},
		{"load.ramp-up.cached.p95 < 2s", "load.ramp-up.cached.p95 < 2s", "<", []string{"load.ramp-up.cached.p95"}},
		{"x.cold.hits > x.cold.hits", "x.cold.hits > x.cold.hits", ">", []string{"x.cold.hits"}},
		{"  a.cold.hits\t>\n0 ", "a.cold.hits > 0", ">", nil},
		{"load.cached.p50 < 250µs", "load.cached.p50 < 250µs", "<", nil},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		if got := e.String(); got != tt.canon {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.src, got, tt.canon)
		}
		if e.Op() != tt.op {
			t.Errorf("Parse(%q).Op() = %q, want %q", tt.src, e.Op(), tt.op)
		}
		if tt.metrics != nil && strings.Join(e.Metrics(), ",") != strings.Join(tt.metrics, ",") {
			t.Errorf("Parse(%q).Metrics() = %v, want %v", tt.src, e.Metrics(), tt.metrics)
		}
		if e.Source() != tt.src {
			t.Errorf("Source() = %q", e.Source())
		}
		// The canonical form parses back to itself.
		e2, err := Parse(e.String())
		if err != nil || e2.String() != e.String() {
			t.Errorf("round trip of %q: %v, %v", e.String(), e2, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		src  string
		col  int
		want string
	}{
		{"", 1, "empty threshold"},
		{"   ", 4, "empty threshold"},
		{"product.reduction", 18, "expected a comparison"},
		{"product.reduction 0.5", 19, `expected a comparison (<, <=, >, >=, ==, !=), found "0.5"`},
		{"product.reduction >=", 21, "expected an expression after >="},
		{"product.reduction = 0.5", 19, "single '=' is not a comparison (expected ==)"},
		{"product.reduction ! 0.5", 19, "'!' must be followed by '='"},
		{"a.cold.hits < 1 < 2", 17, "only one comparison per threshold"},
		{"a.cold.hits < (1 + 2", 15, "unclosed parenthesis"},
		{"a.cold.hits < (1 + 2 3)", 22, `expected ')', found "3"`},
		{"a.cold.hits < 1)", 16, `expected the end of the threshold, found ")"`},
		{"a.cold.hits < 5x", 15, `"5x" is not a duration`},
		{"a.cold.hits < 1.2.3", 18, "malformed number"},
		{"a.cold.hits < 3 $", 17, "unexpected character '$'"},
		{"a.cold. < 3", 7, "must not end with '.'"},
		{"a..hits < 3", 2, "has an empty part"},
		{"a.cold.hits < * 3", 15, `expected a number, a duration, a percentage or a metric, found "*"`},
		{"a.cold.hits < 3 +", 18, "unexpected end of threshold"},
		{"é.cold.hits < 3", 1, "unexpected character 'é'"},
		{"load.cached.p50 < 250µs $", 25, "unexpected character '$'"}, // columns count characters
		{strings.Repeat("(", 40) + "1" + strings.Repeat(")", 40) + " < 2", 34, "nested too deeply"},
		{strings.Repeat("-", 40) + "1 < 2", 34, "nested too deeply"},
		{strings.Repeat("1", 2000), 1, "longer than"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.src)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) = %v, want *Error", tt.src, err)
			continue
		}
		if pe.Col != tt.col || !strings.Contains(pe.Msg, tt.want) {
			t.Errorf("Parse(%q) error = column %d %q, want column %d containing %q", tt.src, pe.Col, pe.Msg, tt.col, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	known := Known(Metrics([]string{"category", "product"}, []string{"warmup", "ramp-up", "steady"}))
	tests := []struct {
		src  string
		col  int    // 0: no error
		want string // substring of the first error
	}{
		{"product.reduction >= 0.5", 0, ""},
		{"product.reduction >= 50%", 0, ""},
		{"load.cached.errors < 1%", 0, ""},
		{"load.cached.p95 < 1s", 0, ""},
		{"load.cached.p95 < 0", 0, ""},
		{"load.cached.p95 > 0 * 3", 0, ""},
		{"load.cached.p95 < 2 * 500ms", 0, ""},
		{"load.cached.p95 < load.baseline.p95 * 80%", 0, ""},
		{"load.cached.p95 < load.baseline.p95 / 2", 0, ""},
		{"load.cached.p95 / load.baseline.p95 < 0.8", 0, ""},
		{"load.cached.p95 / load.baseline.p95 < 80%", 0, ""},
		{"load.cached.rps >= 15", 0, ""},
		{"load.steady.cached.rps >= 2 * load.steady.baseline.rps", 0, ""},
		{"load.ramp-up.cached.p99 < 3s", 0, ""},
		{"product.warm.backend_statements <= 300", 0, ""},
		{"product.warm.backend_statements <= product.cold.backend_statements * 40%", 0, ""},
		{"category.cold.client_statements - category.warm.backend_statements > 100", 0, ""},
		{"0.5 <= product.reduction", 0, ""},

		{"load.cached.p95 < 1", 17, "cannot compare load.cached.p95 (duration) with 1 (plain number); write a duration such as 1s or 500ms"},
		{"load.cached.p95 < product.reduction", 17, "cannot compare load.cached.p95 (duration) with product.reduction (ratio)"},
		{"product.warm.hits < 50%", 19, "cannot compare product.warm.hits (count) with 50% (ratio)"},
		{"load.cached.rps > 1s", 17, "(rate (req/s)) with 1s (duration)"},
		{"load.cached.p95 + 1 < 2s", 17, "cannot add load.cached.p95 (duration) and 1 (plain number)"},
		{"load.cached.p95 * load.baseline.p95 < 2s", 17, "cannot multiply"},
		{"1 / load.cached.p95 < 2", 3, "cannot divide 1 (plain number) by load.cached.p95 (duration)"},
		{"load.cached.p95 / product.warm.hits < 2", 17, "cannot divide"},
		{"produt.reduction >= 0.5", 1, `unknown metric "produt.reduction" (did you mean "product.reduction"?)`},
		{"load.cached.p95-load.baseline.p95 < 1s", 1, "put spaces around '-' to subtract"},
		{"load.nightly.cached.p95 < 1s", 1, `unknown metric "load.nightly.cached.p95"`},
		{"cms.reduction >= 0.5", 1, `unknown metric "cms.reduction"`},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		err = e.Check(known)
		if tt.col == 0 {
			if err != nil {
				t.Errorf("Check(%q) = %v, want nil", tt.src, err)
			}
			continue
		}
		var es Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Errorf("Check(%q) = %v, want Errors", tt.src, err)
			continue
		}
		if es[0].Col != tt.col || !strings.Contains(es[0].Msg, tt.want) {
			t.Errorf("Check(%q) = column %d %q, want column %d containing %q", tt.src, es[0].Col, es[0].Msg, tt.col, tt.want)
		}
	}
}

func TestCheckCollectsAll(t *testing.T) {
	e := MustParse("a.cold.hits + b.warm.hits > c.reduction")
	err := e.Check(map[string]Unit{"x.cold.hits": Count})
	var es Errors
	if !errors.As(err, &es) || len(es) != 3 {
		t.Fatalf("Check = %v, want 3 errors", err)
	}
	for i, c := range []int{1, 15, 29} {
		if es[i].Col != c {
			t.Errorf("error %d at column %d, want %d", i, es[i].Col, c)
		}
	}
}

func TestMetrics(t *testing.T) {
	ms := Metrics([]string{"product"}, []string{"a", "b"})
	byName := map[string]MetricInfo{}
	for _, m := range ms {
		if _, dup := byName[m.Name]; dup {
			t.Errorf("duplicate metric %s", m.Name)
		}
		if m.Description == "" {
			t.Errorf("%s has no description", m.Name)
		}
		byName[m.Name] = m
		// Every listed metric follows the grammar Eval uses, with the same unit.
		if u, ok := grammarUnit(m.Name); !ok || u != m.Unit {
			t.Errorf("grammarUnit(%s) = %q, %v; listed as %q", m.Name, u, ok, m.Unit)
		}
	}
	want := map[string]Unit{
		"product.cold.backend_statements": Count, "product.warm_other.hits": Count,
		"product.reduction": Ratio, "product.reduction_warm_other": Ratio,
		"load.cached.p95": Duration, "load.baseline.rps": Rate, "load.cached.errors": Ratio,
		"load.a.cached.hit_ratio": Ratio, "load.b.baseline.backend_per_request": Count,
	}
	for n, u := range want {
		if byName[n].Unit != u || byName[n].Name == "" {
			t.Errorf("metric %s = %+v, want unit %q", n, byName[n], u)
		}
	}
	if want := 3*3*1 + 2 + 2*10 + 2*2*10; len(ms) != want {
		t.Errorf("%d metrics, want %d", len(ms), want)
	}
	if got := Metrics([]string{"product"}, nil); len(got) != 11 {
		t.Errorf("no load phases: %d metrics, want 11 (no load.* shorthands)", len(got))
	}
}

func ptr[T any](v T) *T { return &v }

// testRun is a hand-built run: product and category profiled, two load
// phases (warmup, steady) in both modes.
func testRun() *results.Run {
	ph := func(backend, client, hits int, bs, cs []int) *results.Phase {
		return &results.Phase{BackendStatements: backend, ClientStatements: client, Hits: hits, Samples: bs, ClientSamples: cs}
	}
	return &results.Run{
		Profile: &results.Profile{
			Valid: true, Samples: 3,
			Pages: []results.PageProfile{
				{Kind: "product", URL: "/p/1", Cold: ph(800, 800, 0, []int{800, 800, 801}, []int{800, 800, 801}),
					Warm: ph(300, 800, 500, []int{300, 300, 300}, []int{800, 800, 800}), WarmOther: ph(350, 790, 440, []int{350}, []int{790})},
				{Kind: "product", URL: "/p/2", Cold: ph(820, 820, 0, nil, nil),
					Warm: ph(310, 810, 510, []int{310}, []int{810, 810, 812}), WarmOther: ph(360, 800, 450, nil, nil)},
				{Kind: "category", URL: "/c/1", Cold: ph(2000, 2000, 0, nil, nil), Warm: ph(600, 2000, 1400, nil, []int{2000})},
			},
			Kinds: []results.KindProfile{
				{Kind: "product", Pages: 2, Cold: results.Stat{Median: 810}, Warm: results.Stat{Median: 305},
					WarmOther: &results.Stat{Median: 355}, ClientCold: results.Stat{Median: 810},
					Reduction: 1 - 305.0/810, ReductionWarmOther: ptr(1 - 355.0/810)},
				{Kind: "category", Pages: 1, Cold: results.Stat{Median: 2000}, Warm: results.Stat{Median: 600},
					ClientCold: results.Stat{Median: 2000}, Reduction: 0.7},
			},
		},
		Load: &results.Load{Phases: []results.LoadPhase{
			{Name: "warmup", Mode: "baseline", Throughput: 10, Latency: results.Latency{P95: 400e6}},
			{Name: "steady", Mode: "baseline", Throughput: 18, ErrorRate: 0.02, Latency: results.Latency{P50: 200e6, P95: 900e6, Max: 2e9, Mean: 250e6}, BackendStatementsPerRequest: 200},
			{Name: "warmup", Mode: "cached", Throughput: 10, Latency: results.Latency{P95: 300e6}},
			{Name: "steady", Mode: "cached", Throughput: 27, ErrorRate: 0.001, HitRatio: 0.85, Latency: results.Latency{P50: 120e6, P90: 300e6, P95: 450e6, P99: 800e6, Max: 1.5e9, Mean: 150e6}, BackendStatementsPerRequest: 30},
		}},
	}
}

func TestEval(t *testing.T) {
	tests := []struct {
		src           string
		pass          bool
		measured, lim float64
		unit          string
		metric        string
	}{
		{"product.reduction >= 0.5", true, 1 - 305.0/810, 0.5, "ratio", "product.reduction"},
		{"category.reduction >= 0.70", true, 0.7, 0.7, "ratio", "category.reduction"},
		{"category.reduction > 70%", false, 0.7, 0.7, "ratio", "category.reduction"},
		{"product.warm.backend_statements <= 300", false, 305, 300, "count", "product.warm.backend_statements"},
		{"product.cold.backend_statements == 810", true, 810, 810, "count", ""},
		{"product.warm_other.backend_statements < 400", true, 355, 400, "count", ""},
		{"product.reduction_warm_other > 0.5", true, 1 - 355.0/810, 0.5, "ratio", ""},
		{"product.cold.client_statements == 810", true, 810, 810, "count", ""},
		{"product.warm.client_statements == 805", true, 805, 805, "count", ""}, // median of 800,800,800,810,810,812
		{"product.warm.hits == 505", true, 505, 505, "count", ""},
		{"product.warm_other.client_statements == 795", true, 795, 795, "count", ""},
		{"load.cached.errors < 1%", true, 0.001, 0.01, "ratio", "load.cached.errors"},
		{"load.baseline.errors < 1%", false, 0.02, 0.01, "ratio", ""},
		{"load.cached.p95 < 1s", true, 0.45, 1, "s", ""},
		{"load.cached.p99 < 500ms", false, 0.8, 0.5, "s", ""},
		{"load.cached.p50 == 120ms", true, 0.12, 0.12, "s", ""},
		{"load.cached.p90 < 301ms", true, 0.3, 0.301, "s", ""},
		{"load.cached.max <= 1.5s", true, 1.5, 1.5, "s", ""},
		{"load.cached.mean != 0", true, 0.15, 0, "s", ""},
		{"load.cached.hit_ratio >= 0.8", true, 0.85, 0.8, "ratio", ""},
		{"load.cached.backend_per_request < 50", true, 30, 50, "count", ""},
		{"load.warmup.cached.p95 < 350ms", true, 0.3, 0.35, "s", "load.warmup.cached.p95"},
		{"load.cached.rps / load.baseline.rps >= 1.5", true, 1.5, 1.5, "ratio", "load.cached.rps / load.baseline.rps"},
		{"load.cached.rps >= load.baseline.rps * 2", false, 27, 36, "req/s", ""},
		{"load.baseline.p95 - load.cached.p95 > 400ms", true, 0.45, 0.4, "s", ""},
		{"-load.cached.p95 < 0", true, -0.45, 0, "s", ""},
		{"0.5 <= product.reduction", true, 0.5, 1 - 305.0/810, "ratio", "0.5"},
	}
	run := testRun()
	for _, tt := range tests {
		th, err := MustParse(tt.src).Eval(run)
		if err != nil {
			t.Errorf("Eval(%q): %v", tt.src, err)
			continue
		}
		if th.Pass != tt.pass || math.Abs(th.Measured-tt.measured) > 1e-9 || math.Abs(th.Limit-tt.lim) > 1e-9 || th.Unit != tt.unit || th.Error != "" {
			t.Errorf("Eval(%q) = %+v, want pass=%v measured=%v limit=%v unit=%q", tt.src, th, tt.pass, tt.measured, tt.lim, tt.unit)
		}
		if th.Expr != tt.src {
			t.Errorf("Expr = %q", th.Expr)
		}
		if tt.metric != "" && th.Metric != tt.metric {
			t.Errorf("Metric = %q, want %q", th.Metric, tt.metric)
		}
	}
}

func TestEvalMissing(t *testing.T) {
	run := testRun()
	noProfile := testRun()
	noProfile.Profile = nil
	invalid := testRun()
	invalid.Profile.Valid = false
	invalid.Profile.Problems = []string{"/p/1 cold: backend counter disagrees"}
	noLoad := testRun()
	noLoad.Load = nil
	interrupted := testRun()
	interrupted.Load.Phases = interrupted.Load.Phases[:2] // steady baseline done, cached never ran
	zero := testRun()
	zero.Load.Phases[1].Throughput = 0

	tests := []struct {
		run  *results.Run
		src  string
		want string
	}{
		{noProfile, "product.reduction >= 0.5", "the run has no profile"},
		{invalid, "product.reduction >= 0.5", "the profile is invalid (/p/1 cold: backend counter disagrees)"},
		{run, "cms.reduction >= 0.5", "no cms pages were profiled"},
		{run, "category.warm_other.backend_statements < 1", "warm_other was not measured"},
		{run, "category.reduction_warm_other > 0", "warm_other was not measured"},
		{run, "category.warm_other.hits > 0", "warm_other was not measured"},
		{noLoad, "load.cached.errors < 1%", "the run has no load results"},
		{interrupted, "load.cached.errors < 1%", `load phase "steady" did not run in cached mode`},
		{run, "load.ramp.cached.p95 < 1s", `load phase "ramp" did not run`},
		{zero, "load.cached.rps / load.baseline.rps > 1", "division by zero: load.baseline.rps is 0"},
		{run, "load.cached.p95 < 1", "cannot compare"},
		{run, "foo.bar < 1", `unknown metric "foo.bar"`},
		{nil, "product.reduction >= 0.5", "no run"},
	}
	for _, tt := range tests {
		th, err := MustParse(tt.src).Eval(tt.run)
		if err == nil || th.Pass || !strings.Contains(th.Error, tt.want) || th.Error != err.Error() {
			t.Errorf("Eval(%q) = %+v, %v; want failure with %q", tt.src, th, err, tt.want)
		}
		if th.Expr != tt.src {
			t.Errorf("Expr = %q", th.Expr)
		}
	}
}

func TestLastLoadPhase(t *testing.T) {
	if got := LastLoadPhase(testRun().Load); got != "steady" {
		t.Errorf("LastLoadPhase = %q", got)
	}
	if got := LastLoadPhase(&results.Load{}); got != "" {
		t.Errorf("LastLoadPhase(empty) = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"product.reduction >= 0.5", "load.cached.errors < 1%", "load.cached.p95 < 1s",
		"(a.cold.hits + 2) * -3 / 4 != .5", "load.x-y.cached.p99 <= 1m30s", "1 == 2",
		"a < (", "5x", "µs < 1µs", "a.b..c", "= !",
	} {
		f.Add(s)
	}
	known := Known(Metrics([]string{"a", "product"}, []string{"x-y"}))
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T is not *Error", src, err)
			}
			if pe.Col < 1 || pe.Col > len([]rune(src))+1 {
				t.Fatalf("Parse(%q) error column %d out of range", src, pe.Col)
			}
			return
		}
		canon := e.String()
		e2, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, src, err)
		}
		if e2.String() != canon {
			t.Fatalf("canonical form not stable: %q -> %q", canon, e2.String())
		}
		if err := e.Check(known); err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("Check(%q) error %T", src, err)
			}
			for _, x := range es {
				if x.Col < 1 || x.Col > len([]rune(src))+1 {
					t.Fatalf("Check(%q) column %d out of range", src, x.Col)
				}
			}
		}
		th, err := e.Eval(testRun())
		if err != nil && (th.Pass || th.Error == "") {
			t.Fatalf("Eval(%q) failed (%v) but threshold = %+v", src, err, th)
		}
	})
}
