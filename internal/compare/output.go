package compare

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/psbench/psbench/internal/report"
	"github.com/psbench/psbench/internal/results"
)

// Formatted pieces of a metric, shared by the table, the HTML and JUnit.

func value(v *float64, unit string) string {
	if v == nil {
		return "absent"
	}
	return report.FormatValue(*v, unit)
}

// ChangeText is "+18 (+52.9 %)", "−9.1 pp" style text for the change.
func (m Metric) ChangeText() string {
	if m.Baseline == nil || m.Current == nil {
		return report.Dash
	}
	d := m.Change()
	if d == 0 {
		return "0"
	}
	var abs string
	if m.Unit == "ratio" {
		abs = report.FormatSigned(d*100, "") + " pp"
	} else {
		abs = report.FormatSigned(d, m.Unit)
	}
	rel := m.RelChange()
	if math.IsNaN(rel) {
		return abs
	}
	return fmt.Sprintf("%s (%s)", abs, signedPercent(rel))
}

func signedPercent(f float64) string {
	if f < 0 {
		return "−" + report.FormatPercent(-f)
	}
	return "+" + report.FormatPercent(f)
}

// StatusText is the status with an icon (never colour alone).
func (m Metric) StatusText() string {
	switch m.Status {
	case StatusOK:
		return "✔ ok"
	case StatusImproved:
		return "✔ improved"
	case StatusRegression:
		return "✘ REGRESSION"
	}
	if m.Note != "" {
		return "– not comparable (" + m.Note + ")"
	}
	return "– not comparable"
}

// direction is a short hint: which way is better.
func (m Metric) direction() string {
	if m.Better == HigherIsBetter {
		return "higher is better"
	}
	return "lower is better"
}

func describeRun(dir string, r *results.Run) string {
	s := fmt.Sprintf("%s — %s, %s", dir, r.Scenario.Name, report.TargetLabel(r.Target))
	if !r.StartedAt.IsZero() {
		s += ", " + r.StartedAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	if r.Psbench != "" {
		s += ", psbench " + r.Psbench
	}
	return s
}

// Summary is the one-line outcome.
func (r *Result) Summary() string {
	reg := r.Regressions()
	nc := r.Count(StatusNotComparable)
	compared := len(r.Metrics) - nc
	margin := report.FormatPercent(r.MaxRegression)
	if len(reg) == 0 {
		return fmt.Sprintf("No regression beyond %s: %d metric(s) compared, %d not comparable.", margin, compared, nc)
	}
	var names []string
	for _, m := range reg {
		names = append(names, fmt.Sprintf("%s %s %s", m.Group, m.Name, m.ChangeText()))
	}
	return fmt.Sprintf("%d regression(s) beyond %s: %s.", len(reg), margin, strings.Join(names, "; "))
}

// WriteTable prints the comparison for the terminal: one table per page
// kind and per load phase, baseline and current side by side with deltas.
func (r *Result) WriteTable(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "baseline: %s\n", describeRun(r.BaselineDir, r.Baseline))
	fmt.Fprintf(&b, "current:  %s\n", describeRun(r.CurrentDir, r.Current))
	fmt.Fprintf(&b, "A metric regresses when it is worse than the baseline by more than %s.\n", report.FormatPercent(r.MaxRegression))
	for _, wr := range r.Warnings {
		fmt.Fprintf(&b, "WARNING: %s\n", wr)
	}
	for _, g := range r.Groups() {
		title := g + " pages (backend statements per page)"
		if strings.HasPrefix(g, "load ") {
			title = "load phase " + strings.TrimPrefix(g, "load ")
		}
		fmt.Fprintf(&b, "\n== %s ==\n", title)
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  metric\tbaseline\tcurrent\tchange\tresult\t")
		for _, m := range r.Metrics {
			if m.Group != g {
				continue
			}
			fmt.Fprintf(tw, "  %s (%s)\t%s\t%s\t%s\t%s\t\n", m.Name, m.direction(), value(m.Baseline, m.Unit), value(m.Current, m.Unit), m.ChangeText(), m.StatusText())
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(&b, "\n%s\n", r.Summary())
	_, err := w.Write(b.Bytes())
	return err
}

// JUnit builds one test case per compared metric: a failure for a
// regression, skipped when not comparable.
func (r *Result) JUnit() *report.JUnitSuites {
	s := report.JUnitSuite{Name: "psbench.compare", Properties: []report.JUnitProperty{
		{Name: "baseline", Value: r.BaselineDir}, {Name: "current", Value: r.CurrentDir},
		{Name: "max_regression", Value: report.FormatPercent(r.MaxRegression)},
	}}
	for _, m := range r.Metrics {
		c := report.JUnitCase{Name: m.Group + ": " + m.Name, Classname: "psbench.compare." + strings.ReplaceAll(m.Group, " ", "_")}
		detail := fmt.Sprintf("%s\nbaseline: %s\ncurrent:  %s\nchange:   %s (%s)", m.Key, value(m.Baseline, m.Unit), value(m.Current, m.Unit), m.ChangeText(), m.direction())
		switch m.Status {
		case StatusRegression:
			c.Failure = &report.JUnitFailure{Type: "regression",
				Message: fmt.Sprintf("%s → %s (%s), worse by more than the %s allowed (%s)", value(m.Baseline, m.Unit), value(m.Current, m.Unit),
					m.ChangeText(), report.FormatPercent(r.MaxRegression), m.direction()),
				Text: detail}
		case StatusNotComparable:
			c.Skipped = &report.JUnitSkipped{Message: "not comparable: " + m.Note}
		default:
			c.SystemOut = detail
		}
		s.Add(c)
	}
	return report.NewJUnitSuites("psbench compare", s)
}

// WriteJUnit writes the comparison's JUnit XML to path.
func (r *Result) WriteJUnit(path string) error { return r.JUnit().WriteFile(path) }

var htmlTmpl = template.Must(template.New("compare").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>psbench compare — {{.Word}}</title>
<style>{{.CSS}}</style></head>
<body><main>
<header class="verdict {{.Class}}" id="verdict" data-verdict="{{.Word}}">
  <div class="badge {{.Class}}" role="status"><span aria-hidden="true">{{.Icon}}</span> {{.Word}}</div>
  <div><h1>psbench compare</h1><p class="reason">{{.Headline}}</p>
  <p class="sub">baseline: {{.Baseline}}<br>current: {{.Current}}</p></div>
</header>
{{- range .Warnings}}<div class="banner incomplete"><strong>⚠ WARNING</strong> — {{.}}</div>{{end}}
{{- if .Regressed}}
<div class="banner fail" id="regressions"><strong>✘ Regressed beyond {{.Margin}}</strong><ul>{{range .Regressed}}<li>{{.}}</li>{{end}}</ul></div>
{{- end}}
<p class="note">A metric regresses when it is worse than the baseline by more than {{.Margin}} (of the baseline value; direction-aware). Metrics absent or invalid on one side are not comparable and never count as regressions.</p>
{{- range .Groups}}
<h2>{{.Title}}</h2>
<table class="cmp" style="table-layout:fixed">
<colgroup><col style="width:40%"><col style="width:13%"><col style="width:13%"><col style="width:17%"><col style="width:17%"></colgroup>
<thead><tr><th>metric</th><th class="num">baseline</th><th class="num">current</th><th class="num">change</th><th>result</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr class="{{.Class}}"><td>{{.Name}} <span class="muted small">({{.Dir}})</span></td><td class="num">{{.Baseline}}</td><td class="num">{{.Current}}</td><td class="num">{{.Change}}</td><td><span class="status {{.Class}}">{{.Status}}</span></td></tr>
{{- end}}
</tbody></table>
{{- end}}
<footer>Generated by <code>psbench compare</code> from the two runs' results.json alone.</footer>
</main></body></html>
`))

// HTML renders the comparison as a page.
func (r *Result) HTML() ([]byte, error) {
	type row struct{ Name, Dir, Baseline, Current, Change, Status, Class string }
	type group struct {
		Title string
		Rows  []row
	}
	d := struct {
		Word, Icon, Class, Headline, Baseline, Current, Margin string
		Warnings, Regressed                                    []string
		Groups                                                 []group
		CSS                                                    template.CSS
	}{Headline: r.Summary(), Baseline: describeRun(r.BaselineDir, r.Baseline), Current: describeRun(r.CurrentDir, r.Current),
		Margin: report.FormatPercent(r.MaxRegression), Warnings: r.Warnings, CSS: report.StyleSheet()}
	if reg := r.Regressions(); len(reg) > 0 {
		d.Word, d.Icon, d.Class = "REGRESSION", "✘", "fail"
		d.Headline = fmt.Sprintf("%d metric(s) regressed beyond %s", len(reg), d.Margin)
		for _, m := range reg {
			d.Regressed = append(d.Regressed, fmt.Sprintf("%s — %s: %s → %s (%s)", m.Group, m.Name, value(m.Baseline, m.Unit), value(m.Current, m.Unit), m.ChangeText()))
		}
	} else {
		d.Word, d.Icon, d.Class = "NO REGRESSION", "✔", "pass"
	}
	for _, g := range r.Groups() {
		gr := group{Title: g + " pages — backend statements per page"}
		if strings.HasPrefix(g, "load ") {
			gr.Title = "Load phase " + strings.TrimPrefix(g, "load ")
		}
		for _, m := range r.Metrics {
			if m.Group != g {
				continue
			}
			cls := map[Status]string{StatusOK: "pass", StatusImproved: "pass", StatusRegression: "fail", StatusNotComparable: "skip"}[m.Status]
			gr.Rows = append(gr.Rows, row{Name: m.Name, Dir: m.direction(), Baseline: value(m.Baseline, m.Unit), Current: value(m.Current, m.Unit),
				Change: m.ChangeText(), Status: m.StatusText(), Class: cls})
		}
		d.Groups = append(d.Groups, gr)
	}
	var buf bytes.Buffer
	if err := htmlTmpl.Execute(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteHTML writes the comparison page to path.
func (r *Result) WriteHTML(path string) error {
	b, err := r.HTML()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
