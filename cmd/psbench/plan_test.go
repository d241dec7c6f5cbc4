package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/psbench/psbench/internal/report"
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

func TestPlanCommand(t *testing.T) {
	// the report package's pass fixture: a profile and load phases
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "report", "testdata", "pass", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
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
