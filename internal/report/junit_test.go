package report

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readJUnit(t *testing.T, path string) JUnitSuites {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), xml.Header) {
		t.Error("no XML header")
	}
	var d JUnitSuites
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	return d
}

func TestWriteJUnitPass(t *testing.T) {
	dir := fixtureDir(t, "pass")
	path, err := WriteJUnit(dir)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, JUnitFile) {
		t.Errorf("path %s", path)
	}
	d := readJUnit(t, path)
	if d.Tests != 7 || d.Failures != 0 || len(d.Suites) != 2 {
		t.Fatalf("tests %d failures %d suites %d, want 7 0 2", d.Tests, d.Failures, len(d.Suites))
	}
	th := d.Suites[0]
	if th.Tests != 5 || th.Cases[0].Name != "product.reduction >= 50%" || th.Cases[0].Classname != "psbench.nightly.thresholds" {
		t.Errorf("threshold suite %+v", th)
	}
	if !strings.Contains(th.Cases[0].SystemOut, "measured 82.8 %, limit ≥ 50 %") {
		t.Errorf("system-out %q", th.Cases[0].SystemOut)
	}
	v := d.Suites[1]
	if v.Cases[0].Name != "statement profile is valid" || v.Cases[0].Failure != nil || v.Cases[1].Name != "run completed" || v.Cases[1].Failure != nil {
		t.Errorf("validity suite %+v", v)
	}
}

func TestWriteJUnitInvalid(t *testing.T) {
	dir := fixtureDir(t, "invalid")
	path, err := WriteJUnit(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := readJUnit(t, path)
	fails := map[string]*JUnitFailure{}
	for _, s := range d.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				fails[c.Name] = c.Failure
			}
		}
	}
	for name, want := range map[string]string{
		"statement profile is valid":             "profile invalid: 2 problem(s)",
		"run completed":                          "interrupted (Ctrl-C) before load phase ramp",
		"product.reduction >= 50%":               "from an invalid profile",
		"category.warm.backend_statements <= 60": "measured 41 from an invalid profile (limit ≤ 60)",
		"load.ramp.cached.rps >= 30":             "not measured: load phase ramp (cached) was not run (limit ≥ 30 req/s)",
	} {
		f := fails[name]
		if f == nil || !strings.Contains(f.Message, want) {
			t.Errorf("%s: failure %+v, want message containing %q", name, f, want)
		}
	}
	if _, ok := fails["load.cached.p95 < 400ms"]; ok {
		t.Error("a passing load threshold failed")
	}
	if d.Failures != len(fails) {
		t.Errorf("failures attribute %d, counted %d", d.Failures, len(fails))
	}
}

func TestJUnitFailureMessage(t *testing.T) {
	run := fixture(t, "pass")
	run.Thresholds[3].Pass = false
	run.Thresholds[3].Measured = 0.512
	d := RunJUnit(run)
	f := d.Suites[0].Cases[3].Failure
	if f == nil || f.Message != "measured 512 ms, limit < 400 ms" || f.Type != "threshold" {
		t.Fatalf("failure %+v", f)
	}
}
