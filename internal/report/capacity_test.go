package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/psbench/psbench/internal/capacity"
	"github.com/psbench/psbench/internal/results"
)

func TestCapacitySection(t *testing.T) {
	// without a plan: no section
	html, _ := renderFixture(t, "pass", Options{EchartsJS: fakeEcharts(t), Offline: true})
	if strings.Contains(html, `id="capacity"`) {
		t.Fatal("capacity section shown without a plan in the results")
	}

	run := fixture(t, "pass")
	plan, err := capacity.Plan(run, capacity.Options{TargetRPS: run.Load.Phases[0].Throughput, DBMaxQPS: 1000})
	if err != nil {
		t.Fatal(err)
	}
	plan.Validation = []results.CapacityValidation{
		{Source: "calibration", DBRTTNs: 0, PredictedNs: 1e7, MeasuredNs: 1e7, Calibration: true},
		{Source: "results/x", DBRTTNs: 1e6, PredictedNs: 2e7, MeasuredNs: 2.1e7, Error: 2.0/2.1 - 1},
		{Source: "results/y", CacheRTTNs: 2e6, CacheMode: "redis", PredictedNs: 3e7, MeasuredNs: 3.1e7, Error: 3.0/3.1 - 1},
	}
	run.Capacity = plan
	dir := t.TempDir()
	b, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ResultsFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	path, err := Render(dir, Options{EchartsJS: fakeEcharts(t), Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(out)
	if !strings.Contains(page, `id="capacity"`) {
		t.Fatal("no capacity section with a plan in the results")
	}
	ids := chartIDs(page)
	for _, id := range []string{"capacity_traffic", "capacity_sql_time", "capacity_validation"} {
		if !slices.Contains(ids, id) {
			t.Errorf("chart %s missing; charts: %v", id, ids)
		}
	}
	for _, want := range []string{"break-even", "statements/s to MySQL", "hit ratio h_eff", "Model output", "db 1ms -4.8 %",
		"cache 2ms -3.2 %", "idle cost probed after its profile"} {
		if !strings.Contains(page, want) {
			t.Errorf("capacity section lacks %q", want)
		}
	}
}
