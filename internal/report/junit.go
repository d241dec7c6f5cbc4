package report

import (
	"encoding/xml"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/psbench/psbench/internal/results"
)

// JUnitFile is the name of the JUnit report inside a results directory.
const JUnitFile = "junit.xml"

// JUnit XML, as CI systems (Jenkins, GitLab, GitHub test reporters) read it.
type (
	// JUnitSuites is the document root.
	JUnitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Suites   []JUnitSuite `xml:"testsuite"`
	}
	// JUnitSuite is one group of test cases.
	JUnitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Timestamp  string          `xml:"timestamp,attr,omitempty"`
		Properties []JUnitProperty `xml:"properties>property,omitempty"`
		Cases      []JUnitCase     `xml:"testcase"`
	}
	// JUnitProperty is a name/value pair of a suite.
	JUnitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	// JUnitCase is one check. Failure or Skipped is set when it did not pass.
	JUnitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *JUnitFailure `xml:"failure,omitempty"`
		Skipped   *JUnitSkipped `xml:"skipped,omitempty"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	// JUnitFailure says why a case failed.
	JUnitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	// JUnitSkipped says why a case was not evaluated.
	JUnitSkipped struct {
		Message string `xml:"message,attr"`
	}
)

// Add appends a case and keeps the suite's counts.
func (s *JUnitSuite) Add(c JUnitCase) {
	if c.Time == "" {
		c.Time = "0"
	}
	s.Cases = append(s.Cases, c)
	s.Tests++
	switch {
	case c.Failure != nil:
		s.Failures++
	case c.Skipped != nil:
		s.Skipped++
	}
}

// NewJUnitSuites totals the suites into a document.
func NewJUnitSuites(name string, suites ...JUnitSuite) *JUnitSuites {
	d := &JUnitSuites{Name: name, Suites: suites}
	for _, s := range suites {
		d.Tests += s.Tests
		d.Failures += s.Failures
		d.Skipped += s.Skipped
	}
	return d
}

// WriteFile writes the document to path (atomically).
func (d *JUnitSuites) WriteFile(path string) error {
	b, err := xml.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return writeAtomic(path, append([]byte(xml.Header), append(b, '\n')...))
}

// WriteJUnit writes junit.xml into the results directory dir, from
// dir/results.json alone: one test case per threshold (a failure gives the
// measured value and the limit), one for the profile's validity and one
// for the run's completeness. Reading errors are *InputError.
func WriteJUnit(dir string) (string, error) {
	run, err := ReadResults(dir)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, JUnitFile)
	return path, RunJUnit(run).WriteFile(path)
}

// RunJUnit builds the JUnit document of a run.
func RunJUnit(run *results.Run) *JUnitSuites {
	name := run.Scenario.Name
	if name == "" {
		name = "run"
	}
	class := "psbench." + name
	ts := ""
	if !run.StartedAt.IsZero() {
		ts = run.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	props := []JUnitProperty{
		{Name: "verdict", Value: run.Verdict},
		{Name: "target", Value: TargetLabel(run.Target)},
		{Name: "psbench_version", Value: run.Psbench},
	}
	th := JUnitSuite{Name: class + ".thresholds", Timestamp: ts, Properties: props}
	invalid := profileInvalid(run)
	for _, t := range run.Thresholds {
		c := JUnitCase{Name: t.Expr, Classname: class + ".thresholds"}
		op := opSymbol[t.Op]
		if op == "" {
			op = t.Op
		}
		limit := op + " " + FormatValue(t.Limit, t.Unit)
		switch {
		case t.Error != "":
			c.Failure = &JUnitFailure{Type: "not_measured",
				Message: fmt.Sprintf("not measured: %s (limit %s)", t.Error, limit),
				Text:    fmt.Sprintf("%s\nmetric %s could not be measured in this run: %s\nlimit: %s", t.Expr, t.Metric, t.Error, limit)}
		case invalid && ProfileMetric(t.Metric):
			c.Failure = &JUnitFailure{Type: "invalid_profile",
				Message: fmt.Sprintf("measured %s from an invalid profile (limit %s): not a valid result", FormatValue(t.Measured, t.Unit), limit),
				Text:    fmt.Sprintf("%s\nthe statement profile is invalid, so this number is not a valid measurement\nlimit: %s", t.Expr, limit)}
		case !t.Pass:
			c.Failure = &JUnitFailure{Type: "threshold",
				Message: fmt.Sprintf("measured %s, limit %s", FormatValue(t.Measured, t.Unit), limit),
				Text:    fmt.Sprintf("%s\nmeasured: %s\nlimit:    %s", t.Expr, FormatValue(t.Measured, t.Unit), limit)}
		default:
			c.SystemOut = fmt.Sprintf("measured %s, limit %s", FormatValue(t.Measured, t.Unit), limit)
		}
		th.Add(c)
	}
	checks := JUnitSuite{Name: class + ".validity", Timestamp: ts}
	pc := JUnitCase{Name: "statement profile is valid", Classname: class + ".validity"}
	switch p := run.Profile; {
	case p == nil:
		pc.Skipped = &JUnitSkipped{Message: "this run has no statement profile"}
	case !p.Valid || len(p.Problems) > 0:
		msg := "profile invalid"
		if len(p.Problems) > 0 {
			msg = fmt.Sprintf("profile invalid: %d problem(s): %s", len(p.Problems), p.Problems[0])
		}
		pc.Failure = &JUnitFailure{Type: "invalid_profile", Message: msg, Text: strings.Join(p.Problems, "\n")}
	default:
		var hs []string
		for _, h := range Headlines(run) {
			hs = append(hs, h.Text)
		}
		pc.SystemOut = strings.Join(hs, "\n")
	}
	checks.Add(pc)
	rc := JUnitCase{Name: "run completed", Classname: class + ".validity"}
	if !run.Complete {
		reason := run.Incomplete
		if reason == "" {
			reason = "the run did not finish"
		}
		rc.Failure = &JUnitFailure{Type: "incomplete", Message: "incomplete: " + reason, Text: reason}
	}
	checks.Add(rc)
	return NewJUnitSuites("psbench "+name, th, checks)
}
