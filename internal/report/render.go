package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/components"
	"github.com/go-echarts/go-echarts/v2/render"
	"github.com/psbench/psbench/internal/results"
)

// ReportFile is the name of the HTML report inside a results directory.
const ReportFile = "report.html"

// Options says how to render a report.
type Options struct {
	// Offline inlines ECharts into the page (from EchartsJS, else
	// $PSBENCH_ECHARTS, else the repository's node_modules), so the report
	// opens without network. Otherwise the page loads ECharts from
	// go-echarts' usual asset host.
	Offline bool
	// EchartsJS is the path of echarts.min.js for Offline.
	EchartsJS string
	// AssetsHost overrides go-echarts' asset host (online reports only).
	AssetsHost string
}

//go:embed assets/style.css
var styleCSS string

// StyleSheet is the CSS of psbench's HTML pages (report and comparison):
// Okabe–Ito colours, icons beside every colour, a print stylesheet.
func StyleSheet() template.CSS { return template.CSS(styleCSS) }

//go:embed assets/report.html.tmpl
var reportTmpl string

// pageJS resizes charts with the window and opens every <details> for
// print. (Printing does not redraw the charts: measured in Chromium,
// resizing on beforeprint or on the print media query draws them at an
// intermediate width and the printout clips them; the print stylesheet
// scales the screen drawing to the column instead.)
const pageJS = `(function(){function all(){if(typeof echarts==='undefined'){return[]}return Array.prototype.map.call(document.querySelectorAll('.chart .item'),function(d){return echarts.getInstanceByDom(d)}).filter(Boolean)}
window.addEventListener('resize',function(){all().forEach(function(c){c.resize()})});
window.addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true})});
if(typeof echarts==='undefined'){var n=document.getElementById('no-echarts');if(n){n.hidden=false}}})();`

// Render writes report.html into the results directory dir, from
// dir/results.json alone, and returns its path. Reading errors are
// *InputError; an offline report without ECharts wraps ErrNoEcharts.
func Render(dir string, o Options) (string, error) {
	run, err := ReadResults(dir)
	if err != nil {
		return "", err
	}
	b, err := RenderRun(run, dir, o)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, ReportFile)
	return path, writeAtomic(path, b)
}

// RenderRun renders the report of run (read from dir) as HTML.
func RenderRun(run *results.Run, dir string, o Options) ([]byte, error) {
	d := buildPage(run, dir)
	page := components.NewPage()
	page.SetPageTitle(d.Title)
	if o.AssetsHost != "" {
		page.SetAssetsHost(o.AssetsHost)
	}
	for _, f := range d.allFigures() {
		page.AddCharts(f.chart)
	}
	page.Validate()
	if o.Offline {
		path, err := FindEcharts(o.EchartsJS, defaultStarts(dir)...)
		if err != nil {
			return nil, err
		}
		js, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoEcharts, err)
		}
		d.EchartsInline = template.JS(strings.ReplaceAll(string(js), "</script", `<\/script`))
	} else {
		d.EchartsSrc = slices.Clone(page.JSAssets.Values)
		d.EchartsHost = page.AssetsHost
	}
	for _, f := range d.allFigures() {
		s := f.chart.(snippeter).RenderSnippet()
		f.Element, f.Script = template.HTML(s.Element), template.HTML(s.Script)
	}
	tpl, err := template.New("report").Funcs(funcs).Parse(reportTmpl)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := tpl.Execute(&buf, d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// snippeter is what go-echarts' charts offer besides components.Charter.
type snippeter interface{ RenderSnippet() render.ChartSnippet }

func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

var funcs = template.FuncMap{}

// fact is one labelled value.
type fact struct {
	Label, Value string
	Class        string
}

type thresholdRow struct {
	Icon, Word, Class     string
	Expr, Measured, Limit string
	Detail                string
}

type headlineRow struct {
	Kind, Text         string
	RefLabel, RefValue string
	Valid              bool
}

type pageRow struct {
	Kind, URL             string
	Cold, Warm, WarmOther string
	Status                string
	Invalid               bool
}

type digestRow struct {
	Statement, Full, Kind     string
	Backend, Count, Time, Avg string
}

type kindReaching struct {
	Kind    string
	Summary string
	Reasons []fact
	Digests []digestRow
}

type loadRow struct {
	Phase, Mode, Rate, Requests, RPS, P50, P95, P99, Max, Errors, Hit, Backend string
	Interrupted                                                                bool
}

// capacitySection is section 5. It stays nil, and the section ABSENT,
// until results carry capacity data (run.Capacity, from `psbench plan
// --write`); capacityFromRun (capacity.go) builds it, and its figures join
// the page through allFigures.
type capacitySection struct {
	Note    string
	Facts   []fact
	Figures []*figure
}

type pageData struct {
	Title, Scenario string
	Verdict         VerdictView
	TargetLabel     string
	Simulated       bool
	Incomplete      string
	ProfileInvalid  bool
	Problems        []string
	Warnings        []string
	Thresholds      []thresholdRow
	Headlines       []headlineRow
	Facts           []fact
	HasProfile      bool
	StatementFigs   []*figure
	Pages           []pageRow
	ReachingFigs    []*figure
	Reaching        []kindReaching
	HasLoad         bool
	LoadFigs        []*figure
	LoadRows        []loadRow
	Capacity        *capacitySection
	Meta            []fact
	ScenarioText    string
	EchartsInline   template.JS
	EchartsSrc      []string
	EchartsHost     string
	FormatJS        template.JS
	PageJS          template.JS
	CSS             template.CSS
}

func (d *pageData) allFigures() []*figure {
	var out []*figure
	out = append(out, d.StatementFigs...)
	out = append(out, d.ReachingFigs...)
	out = append(out, d.LoadFigs...)
	if d.Capacity != nil {
		out = append(out, d.Capacity.Figures...)
	}
	return out
}

var opSymbol = map[string]string{">=": "≥", "<=": "≤", "!=": "≠", "==": "=", ">": ">", "<": "<"}

// ProfileMetric reports whether a threshold metric comes from the
// statement profile (every metric but load.*).
func ProfileMetric(metric string) bool { return metric != "" && !strings.HasPrefix(metric, "load.") }

// profileInvalid reports whether run's profile exists and is invalid.
func profileInvalid(run *results.Run) bool {
	return run.Profile != nil && (!run.Profile.Valid || len(run.Profile.Problems) > 0)
}

func thresholdRows(run *results.Run) []thresholdRow {
	invalid := profileInvalid(run)
	var out []thresholdRow
	for _, t := range run.Thresholds {
		r := thresholdRow{Icon: "✔", Word: "PASS", Class: "pass", Expr: t.Expr}
		if !t.Pass {
			r.Icon, r.Word, r.Class = "✘", "FAIL", "fail"
		}
		op := opSymbol[t.Op]
		if op == "" {
			op = t.Op
		}
		r.Limit = op + " " + FormatValue(t.Limit, t.Unit)
		switch {
		case t.Error != "":
			r.Measured = "not measured"
			r.Detail = t.Error
		case invalid && ProfileMetric(t.Metric):
			r.Icon, r.Word, r.Class = "⊘", "INVALID", "invalid"
			r.Measured = FormatValue(t.Measured, t.Unit) + " (invalid)"
			r.Detail = "measured from an invalid profile: not a valid result"
		default:
			r.Measured = FormatValue(t.Measured, t.Unit)
		}
		out = append(out, r)
	}
	return out
}

// reasonMeaning explains the proxy's reasons in plain words.
var reasonMeaning = map[string]string{
	"miss_stored":       "cache miss, then stored (first seen since the flush, or invalidated by a write)",
	"blacklisted":       "reads a never-cache table (blacklist)",
	"not_select":        "not a SELECT (writes, SET, SHOW, …)",
	"transaction":       "inside an explicit transaction",
	"locking_read":      "locking read (FOR UPDATE / FOR SHARE)",
	"sql_no_cache":      "SELECT SQL_NO_CACHE",
	"nondeterministic":  "nondeterministic (NOW(), RAND(), UUID(), …)",
	"variables":         "uses @user or @@system variables",
	"select_into":       "SELECT … INTO",
	"system_schema":     "reads a system schema",
	"temporary_table":   "reads a temporary table",
	"multi_statement":   "several statements in one query",
	"prepared":          "prepared statement (binary protocol, passed through)",
	"unparsed":          "the parser could not handle it",
	"too_large":         "result larger than max_result_bytes (not stored)",
	"warnings":          "result carried warnings (not stored)",
	"cache_unavailable": "the cache tier failed or was recovering",
	"cache_off":         "cache mode off",
	"error":             "MySQL answered with an error (not stored)",
}

func buildPage(run *results.Run, dir string) *pageData {
	v := Verdict(run)
	d := &pageData{
		Scenario:    run.Scenario.Name,
		Verdict:     v,
		TargetLabel: TargetLabel(run.Target),
		Simulated:   run.Target.Simulated,
		Thresholds:  thresholdRows(run),
		FormatJS:    template.JS(jsFormat),
		PageJS:      template.JS(pageJS),
		CSS:         StyleSheet(),
		Capacity:    capacityFromRun(run),
	}
	d.Title = fmt.Sprintf("psbench %s — %s %s", run.Scenario.Name, v.Icon, v.Word)
	if !run.Complete || run.Verdict == results.VerdictIncomplete {
		d.Incomplete = run.Incomplete
		if d.Incomplete == "" {
			d.Incomplete = "the run did not finish; what was measured is shown, labelled"
		}
	}
	p := run.Profile
	if p != nil {
		d.HasProfile = true
		d.ProfileInvalid = !p.Valid || len(p.Problems) > 0
		d.Problems = p.Problems
		d.Warnings = p.Warnings
		for _, h := range Headlines(run) {
			r := headlineRow{Kind: h.Kind, Text: h.Text, Valid: h.Valid, RefLabel: "reference (real PrestaShop)", RefValue: Dash}
			if h.Reference != nil {
				r.RefValue = h.Reference.String()
			} else {
				r.RefLabel = "no reference for this page kind"
			}
			d.Headlines = append(d.Headlines, r)
		}
		d.StatementFigs = statementsFigures(run)
		d.Pages = pageRows(p)
		d.ReachingFigs = stillReachingFigures(run)
		d.Reaching = reachingTables(p)
	}
	d.Facts = facts(run)
	if run.Load != nil && len(run.Load.Phases) > 0 {
		d.HasLoad = true
		d.LoadFigs = loadFigures(run)
		d.LoadRows = loadRows(run.Load)
	}
	d.Meta = meta(run, dir)
	d.ScenarioText = run.Scenario.Text
	return d
}

func facts(run *results.Run) []fact {
	t, c := run.Target, run.Cache
	target := TargetLabel(t)
	if t.Kind != "" {
		target += " (" + t.Kind + " target)"
	}
	fs := []fact{{Label: "Target", Value: target}}
	if t.Simulated {
		fs[0].Class = "warn"
	}
	or := func(s, dflt string) string {
		if s == "" {
			return dflt
		}
		return s
	}
	fs = append(fs,
		fact{Label: "Shop", Value: or(t.ShopVersion, "version unknown") + " at " + or(t.BaseURL, "?")},
		fact{Label: "Database", Value: or(t.DBVersion, "version unknown")},
	)
	if t.Nodes > 1 {
		fs = append(fs, fact{Label: "Nodes", Value: FormatInt(int64(t.Nodes))})
	}
	bl := or(c.Preset, "none")
	if len(c.ExtraTables) > 0 {
		bl += " + " + strings.Join(c.ExtraTables, ", ")
	}
	fs = append(fs,
		fact{Label: "Cache mode", Value: or(c.Mode, "unknown")},
		fact{Label: "TTL", Value: or(c.TTL, "unknown")},
		fact{Label: "Blacklist", Value: bl},
	)
	if c.MaxResultBytes > 0 {
		fs = append(fs, fact{Label: "Largest result stored", Value: FormatBytes(c.MaxResultBytes)})
	}
	switch p := run.Profile; {
	case p == nil:
		fs = append(fs, fact{Label: "Shop caches primed", Value: "no profile in this run"})
	case p.AppPrimed:
		fs = append(fs, fact{Label: "Shop caches primed", Value: "yes — each URL was requested once before measuring"})
	default:
		fs = append(fs, fact{Label: "Shop caches primed", Value: "no — the first request of each URL may be app-cold", Class: "warn"})
	}
	if p := run.Profile; p != nil {
		fs = append(fs, fact{Label: "Samples per phase", Value: FormatInt(int64(p.Samples))})
		cc := p.CounterCheck
		switch {
		case cc.Available && cc.Checked > 0:
			f := fact{Label: "MySQL cross-check", Value: fmt.Sprintf("%s of %s captures agree with MySQL's Questions counter", FormatInt(int64(cc.Agreed)), FormatInt(int64(cc.Checked)))}
			if cc.Agreed != cc.Checked {
				f.Class = "warn"
			}
			fs = append(fs, f)
		case cc.Note != "":
			fs = append(fs, fact{Label: "MySQL cross-check", Value: cc.Note})
		}
	}
	return fs
}

func samplesText(ph *results.Phase) string {
	if ph == nil {
		return Dash
	}
	s := FormatInt(int64(ph.BackendStatements))
	if len(ph.Samples) > 1 {
		var parts []string
		for _, n := range ph.Samples {
			parts = append(parts, FormatInt(int64(n)))
		}
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if len(ph.Problems) > 0 {
		s += " INVALID"
	}
	return s
}

func pageRows(p *results.Profile) []pageRow {
	var out []pageRow
	for _, pg := range p.Pages {
		r := pageRow{Kind: pg.Kind, URL: pg.URL, Cold: samplesText(pg.Cold), Warm: samplesText(pg.Warm), WarmOther: samplesText(pg.WarmOther), Status: "✔ valid"}
		var probs []string
		for _, ph := range []*results.Phase{pg.Cold, pg.Warm, pg.WarmOther} {
			if ph != nil {
				probs = append(probs, ph.Problems...)
			}
		}
		if len(probs) > 0 {
			r.Invalid = true
			r.Status = "⊘ INVALID: " + strings.Join(probs, "; ")
		}
		out = append(out, r)
	}
	return out
}

func reachingTables(p *results.Profile) []kindReaching {
	if !HasPhase(p, results.PhaseWarm) {
		return nil
	}
	var out []kindReaching
	for _, k := range p.Kinds {
		sr := k.StillReaching
		kr := kindReaching{Kind: k.Kind,
			Summary: fmt.Sprintf("%s statement(s) still reach MySQL over %s warm page(s)", FormatInt(int64(sr.Backend)), FormatInt(int64(k.Pages)))}
		keys, _ := topKeys([]map[string]int{sr.ByReason}, len(sr.ByReason))
		for _, r := range keys {
			m := reasonMeaning[r]
			if m == "" {
				m = r
			}
			kr.Reasons = append(kr.Reasons, fact{Label: r, Value: FormatInt(int64(sr.ByReason[r])) + " — " + m})
		}
		for _, dg := range sr.TopDigests {
			row := digestRow{Statement: shorten(dg.Normalized, 140), Full: dg.Normalized, Kind: dg.Kind,
				Backend: FormatInt(int64(dg.BackendCount)), Count: FormatInt(int64(dg.Count)),
				Time: FormatDuration(dg.BackendTimeNs), Avg: Dash}
			if dg.BackendCount > 0 {
				row.Avg = FormatDuration(dg.BackendTimeNs / int64(dg.BackendCount))
			}
			kr.Digests = append(kr.Digests, row)
		}
		out = append(out, kr)
	}
	return out
}

func loadRows(l *results.Load) []loadRow {
	var out []loadRow
	for _, ph := range l.Phases {
		mode := ph.Mode
		if ph.Interrupted {
			mode += " (interrupted — partial)"
		}
		lat := ph.Latency
		out = append(out, loadRow{Phase: ph.Name, Mode: mode, Rate: ph.Rate, Interrupted: ph.Interrupted,
			Requests: FormatInt(int64(ph.Requests)), RPS: FormatRate(ph.Throughput),
			P50: FormatDuration(lat.P50), P95: FormatDuration(lat.P95), P99: FormatDuration(lat.P99), Max: FormatDuration(lat.Max),
			Errors: FormatPercent(ph.ErrorRate), Hit: FormatPercent(ph.HitRatio), Backend: Sig3(ph.BackendStatementsPerRequest)})
	}
	return out
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return Dash
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func meta(run *results.Run, dir string) []fact {
	m := run.Machine
	machine := fmt.Sprintf("%s — %s/%s, %s CPU(s)", m.Hostname, m.OS, m.Arch, FormatInt(int64(m.CPUs)))
	if m.CPUModel != "" {
		machine += " (" + m.CPUModel + ")"
	}
	if m.MemoryBytes > 0 {
		machine += ", " + FormatBytes(m.MemoryBytes) + " memory"
	}
	dur := Dash
	if !run.StartedAt.IsZero() && !run.EndedAt.IsZero() {
		dur = run.EndedAt.Sub(run.StartedAt).Round(time.Second).String()
	}
	scen := run.Scenario.Name
	if run.Scenario.File != "" {
		scen += " (" + run.Scenario.File + ")"
	}
	fs := []fact{
		{Label: "Scenario", Value: scen},
		{Label: "psbench", Value: run.Psbench},
		{Label: "Started", Value: fmtTime(run.StartedAt)},
		{Label: "Ended", Value: fmtTime(run.EndedAt)},
		{Label: "Duration", Value: dur},
		{Label: "Machine", Value: machine},
		{Label: "Go", Value: m.GoVersion},
		{Label: "Results", Value: dir},
		{Label: "Schema version", Value: FormatInt(int64(run.SchemaVersion))},
	}
	if !run.Complete {
		fs = append(fs, fact{Label: "Complete", Value: "no — " + run.Incomplete, Class: "warn"})
	}
	return fs
}
