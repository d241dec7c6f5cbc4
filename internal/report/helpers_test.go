package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/psbench/psbench/internal/results"
)

// fixtureDir copies testdata/<name>/results.json into a fresh directory,
// so that tests write their report.html and junit.xml there.
func fixtureDir(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ResultsFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func fixture(t *testing.T, name string) *results.Run {
	t.Helper()
	run, err := ReadResults(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// fakeEcharts is a stand-in echarts.min.js for tests that do not run a
// browser.
func fakeEcharts(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "echarts.min.js")
	if err := os.WriteFile(p, []byte("/* fake echarts */ window.echarts={};"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
