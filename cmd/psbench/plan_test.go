package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psbench/psbench/internal/report"
	"github.com/psbench/psbench/internal/results"
)

func planCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"plan"}, args...))
	err := root.Execute()
	return out.String(), err
}

// passResults is a results directory holding a copy of the report
// package's pass fixture: a profile and load phases.
func passResults(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "report", "testdata", "pass", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPlanCommand(t *testing.T) {
	dir := passResults(t)
	for _, args := range [][]string{
		{dir},
		{dir, "--target-rps", "5", "--concurrent-users", "10", "--think-time", "5s"},
		{dir, "--think-time", "5s"},
		{dir, "--target-rps", "5", "--utilisation", "0"},
		{dir, "--target-rps", "5", "--cache-rtt", "fast"},
		{dir, "--target-rps", "1e9"},
		{filepath.Join(dir, "missing"), "--target-rps", "5"},
	} {
		_, err := planCmd(t, args...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage {
			t.Errorf("plan %v: %v, want exit %d", args[1:], err, exitUsage)
		}
	}

	out, err := planCmd(t, dir, "--target-rps", "5", "--write")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"MySQL statements per second", "break-even", "Assumptions", "plan stored in"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	run, err := report.ReadResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	if run.Capacity == nil || run.Capacity.Inputs.TargetRPS != 5 || run.Profile == nil || run.Load == nil {
		t.Fatalf("--write: capacity %+v; profile and load must be kept", run.Capacity)
	}
}

// TestPlanValidateMaxError: --validate with --max-error exits 1 naming the
// point off by more, 0 when every point is within, 2 without --validate.
func TestPlanValidateMaxError(t *testing.T) {
	calib := passResults(t)
	// the same run "measured at db RTT 1 ms": every backend statement took
	// 1 ms longer, as the model predicts without an idle probe (exact), and
	// another run 30 % slower than that
	at := func(extra float64) string {
		run, err := report.ReadResults(calib)
		if err != nil {
			t.Fatal(err)
		}
		run.Scenario.Text = "network:\n  db_rtt: 1ms\n"
		for _, pg := range run.Profile.Pages {
			for _, ph := range []*results.Phase{pg.Cold, pg.Warm, pg.WarmOther} {
				if ph != nil {
					ph.BackendTimeNs = int64((float64(ph.BackendTimeNs) + float64(ph.BackendStatements)*1e6 + float64(ph.CacheTimeNs)) * extra)
					ph.BackendTimeNs -= ph.CacheTimeNs
				}
			}
		}
		dir := t.TempDir()
		if err := writeRun(dir, run); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	exact, slow := at(1), at(1.3)

	out, err := planCmd(t, calib, "--target-rps", "5", "--validate", exact, "--max-error", "15%")
	if err != nil || !strings.Contains(out, "every point within ±15 %") {
		t.Fatalf("exact prediction: %v\n%s", err, out)
	}
	out, err = planCmd(t, calib, "--target-rps", "5", "--validate", exact+","+slow, "--max-error", "15%")
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitFailed || !strings.Contains(err.Error(), slow) || !strings.Contains(err.Error(), "-23.1 %") {
		t.Fatalf("a point 23 %% off: %v, want exit %d naming %s\n%s", err, exitFailed, slow, out)
	}
	if !strings.Contains(out, "Validation: SQL time per page, predicted vs measured") {
		t.Errorf("the table is not printed before the verdict:\n%s", out)
	}
	for _, args := range [][]string{
		{calib, "--target-rps", "5", "--max-error", "15%"},
		{calib, "--target-rps", "5", "--validate", exact, "--max-error", "lots"},
		{calib, "--target-rps", "5", "--validate", exact, "--max-error", "0%"},
	} {
		_, err := planCmd(t, args...)
		if !errors.As(err, &ee) || ee.code != exitUsage || !strings.Contains(err.Error(), "--max-error") {
			t.Errorf("plan %v: %v, want exit %d about --max-error", args[3:], err, exitUsage)
		}
	}
}
