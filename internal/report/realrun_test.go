package report_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/psbench/psbench/internal/report"
	"github.com/psbench/psbench/internal/results"
	"github.com/psbench/psbench/internal/run"
	"github.com/psbench/psbench/internal/scenario"
)

// TestRealRunReportInBrowser renders the offline report of a REAL run (a
// short embedded scenario, simulated storefront) and opens it in headless
// Chromium: every chart must draw, with no script error and no network
// request.
func TestRealRunReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run and real browser: skipped with -short")
	}
	chrome, js := report.RequireBrowser(t)
	t.Setenv("PSBENCH_ECHARTS", js)
	sc, err := scenario.Parse("real-run.yaml", []byte(`
name: real-run
target: {kind: embedded, embedded: {products: 10, categories: 4, seed: 5}}
pages:
  product: {discover: 2}
  category: {discover: 2}
profile: {samples: 1}
load:
  phases:
    - {name: steady, rate: 6/s, duration: 3s, max_concurrency: 4}
thresholds:
  - product.reduction >= 0.3
  - load.cached.errors < 1%
output: {offline_report: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := run.Execute(context.Background(), run.Options{Scenario: sc, File: "real-run.yaml", OutDir: t.TempDir(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Term: io.Discard, Version: "test"})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if out.Run.Verdict != results.VerdictPass || out.Report == "" {
		t.Fatalf("verdict %q, report %q", out.Run.Verdict, out.Report)
	}
	probes, full, _ := report.OpenInBrowser(t, chrome, out.Report)
	if len(probes) < 6 {
		t.Errorf("only %d charts in the report of a run with a profile and a load phase", len(probes))
	}
	for _, p := range probes {
		if p.Canvases < 1 || p.Width < 300 || p.Height < 200 || !p.Instance || p.Inked < 0.005 {
			t.Errorf("chart %s did not render: %+v", p.ID, p)
		}
	}
	shot := filepath.Join(t.ArtifactDir(), "report-real-run.png")
	if err := os.WriteFile(shot, full, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
}
