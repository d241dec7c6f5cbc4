package report

import (
	"cmp"
	"fmt"
	"html/template"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/components"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/psbench/psbench/internal/results"
)

// Okabe–Ito, a palette that stays distinguishable with every common
// colour-vision deficiency.
const (
	colBlack      = "#000000"
	colOrange     = "#E69F00"
	colSkyBlue    = "#56B4E9"
	colGreen      = "#009E73"
	colYellow     = "#F0E442"
	colBlue       = "#0072B2"
	colVermillion = "#D55E00"
	colPurple     = "#CC79A7"
	colGrey       = "#8C8C8C" // invalid numbers
)

// palette is the series order of every chart.
var palette = []string{colBlue, colOrange, colGreen, colVermillion, colSkyBlue, colPurple, colBlack, colYellow}

// errorColors stay clear of the baseline (orange) and cached (blue) colours.
var errorColors = []string{colVermillion, colPurple, colBlack, colYellow, colGreen}

// Colours with a fixed meaning.
var (
	colorCold      = colVermillion
	colorWarm      = colBlue
	colorWarmOther = colSkyBlue
	colorBaseline  = colOrange
	colorCached    = colBlue
)

// figure is one chart with its caption, in page order.
type figure struct {
	ID    string
	Title string
	Note  string // what to read from it, one sentence
	Wide  bool   // spans the whole width
	chart components.Charter
	// Element and Script are the go-echarts snippet, filled by Render.
	Element, Script template.HTML
}

const chartHeight = "340px"

// jsFormat formats numbers in chart labels and tooltips like the Go side:
// separators, three significant digits.
const jsFormat = `function psbFmt(v){if(Array.isArray(v)){v=v[v.length-1]}if(v===null||v===undefined||isNaN(v)){return '—'}var a=Math.abs(v);if(a>=999.5){return Math.round(v).toLocaleString('en-US')}if(a===0){return '0'}return String(Number(Number(v).toPrecision(3)))}`

func labelFmt() *opts.Label {
	return &opts.Label{Show: opts.Bool(true), Position: "top", Formatter: string(opts.FuncOpts(`function(p){return psbFmt(p.value)}`))}
}

func baseOpts(id string, extra ...charts.GlobalOpts) []charts.GlobalOpts {
	o := []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{ChartID: id, Width: "100%", Height: chartHeight, Theme: "white"}),
		charts.WithAnimation(false),
		charts.WithColorsOpts(palette),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis",
			ValueFormatter: opts.FuncOpts(`function(v){return psbFmt(v)}`)}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0", Type: "scroll"}),
		charts.WithGridOpts(opts.Grid{ContainLabel: opts.Bool(true), Left: "16", Right: "28", Top: "56", Bottom: "8"}),
	}
	return append(o, extra...)
}

func newBar(id string, extra ...charts.GlobalOpts) *charts.Bar {
	b := charts.NewBar()
	b.SetGlobalOptions(baseOpts(id, extra...)...)
	return b
}

func newLine(id string, extra ...charts.GlobalOpts) *charts.Line {
	l := charts.NewLine()
	l.SetGlobalOptions(baseOpts(id, extra...)...)
	return l
}

func yAxis(name string, max float64) charts.GlobalOpts {
	y := opts.YAxis{Name: name, Type: "value", NameLocation: "end"}
	if max > 0 {
		y.Max = niceCeil(max)
	}
	return charts.WithYAxisOpts(y)
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten, so that an
// axis that must reach a reference line ends on a round number.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// round3 keeps three significant digits, so that labels and tooltips do
// not show 17 of them.
func round3(f float64) float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	d := math.Ceil(math.Log10(math.Abs(f)))
	p := math.Pow(10, 3-d)
	if p < 1 {
		return math.Round(f)
	}
	return math.Round(f*p) / p
}

var unsafeLabel = strings.NewReplacer("<", "‹", ">", "›", "__f__", "")

// label makes a string from the results safe inside chart options (they
// are written into a script without HTML escaping).
func label(s string) string { return unsafeLabel.Replace(s) }

var nonIdent = regexp.MustCompile(`[^a-z0-9]+`)

// chartID is a deterministic, valid JS identifier for chart n of a kind.
func chartID(prefix string, i int, name string) string {
	s := strings.Trim(nonIdent.ReplaceAllString(strings.ToLower(name), "_"), "_")
	if len(s) > 24 {
		s = s[:24]
	}
	if s == "" {
		return fmt.Sprintf("%s_%d", prefix, i)
	}
	return fmt.Sprintf("%s_%d_%s", prefix, i, s)
}

func barItem(v float64, color string) opts.BarData {
	d := opts.BarData{Value: round3(v)}
	if color != "" {
		d.ItemStyle = &opts.ItemStyle{Color: color}
	}
	return d
}

// statementsFigures is section 2: per page kind, cold vs warm vs
// warm-other backend statements with the reference values as mark lines.
func statementsFigures(run *results.Run) []*figure {
	p := run.Profile
	if p == nil {
		return nil
	}
	valid := p.Valid && len(p.Problems) == 0
	var out []*figure
	for i, k := range p.Kinds {
		type bar struct {
			name  string
			v     float64
			color string
			ref   float64
			refNm string
		}
		ref, hasRef := References[k.Kind]
		var bars []bar
		if HasPhase(p, results.PhaseCold) {
			b := bar{name: "cold", v: k.Cold.Median, color: colorCold}
			if hasRef {
				b.ref, b.refNm = ref.Cold, "reference cold "+FormatCount(ref.Cold)
			}
			bars = append(bars, b)
		}
		if HasPhase(p, results.PhaseWarm) {
			b := bar{name: "warm", v: k.Warm.Median, color: colorWarm}
			if hasRef {
				b.ref, b.refNm = ref.Warm, "reference warm "+FormatCount(ref.Warm)
			}
			bars = append(bars, b)
		}
		if k.WarmOther != nil {
			bars = append(bars, bar{name: "warm-other", v: k.WarmOther.Median, color: colorWarmOther})
		}
		if len(bars) == 0 {
			continue
		}
		top := 0.0
		for _, b := range bars {
			top = max(top, b.v, b.ref)
		}
		c := newBar(chartID("statements", i, k.Kind), yAxis("statements", top*1.08),
			charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item",
				ValueFormatter: opts.FuncOpts(`function(v){return psbFmt(v)}`)}))
		c.SetXAxis([]string{label(k.Kind) + " page (median of samples)"})
		for _, b := range bars {
			color := b.color
			if !valid {
				color = colGrey
			}
			so := []charts.SeriesOpts{
				charts.WithLabelOpts(*labelFmt()),
				charts.WithItemStyleOpts(opts.ItemStyle{Color: color}),
			}
			if b.refNm != "" {
				so = append(so,
					charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{Name: b.refNm, YAxis: b.ref}),
					charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
						Label:     &opts.Label{Show: opts.Bool(true), Position: "insideEndTop", Formatter: string(opts.FuncOpts(`function(p){return p.name}`)), Color: colBlack},
						LineStyle: &opts.LineStyle{Color: b.color, Type: "dashed", Width: 2}}))
			}
			name := b.name
			if !valid {
				name += " (INVALID)"
			}
			c.AddSeries(name, []opts.BarData{barItem(b.v, "")}, so...)
		}
		f := &figure{ID: c.ChartID, chart: c,
			Title: fmt.Sprintf("%s pages: backend statements per page", k.Kind),
			Note:  fmt.Sprintf("Median over %d page(s) × %d sample(s).", k.Pages, p.Samples)}
		if hasRef {
			f.Note += " Dashed lines: the reference " + ref.String() + " of a real PrestaShop shop."
		}
		if !valid {
			f.Title = "INVALID — " + f.Title
			f.Note = "Grey bars: the profile is invalid, these numbers are NOT a valid measurement. " + f.Note
		}
		out = append(out, f)
	}
	return out
}

// topKeys returns the keys of the largest n totals (summed over ms), in
// descending order; the rest become "other".
func topKeys(ms []map[string]int, n int) (keys []string, rest bool) {
	tot := map[string]int{}
	for _, m := range ms {
		for k, v := range m {
			tot[k] += v
		}
	}
	keys = slices.SortedFunc(maps.Keys(tot), func(a, b string) int { return cmp.Or(cmp.Compare(tot[b], tot[a]), cmp.Compare(a, b)) })
	if len(keys) > n {
		return keys[:n], true
	}
	return keys, false
}

// stackedByKind is a stacked bar chart: one bar per page kind, one stack
// segment per key of get(kind).
func stackedByKind(id string, kinds []results.KindProfile, get func(results.KindProfile) map[string]int, valid bool, yName string) *charts.Bar {
	var ms []map[string]int
	var xs []string
	for _, k := range kinds {
		ms = append(ms, get(k))
		xs = append(xs, label(k.Kind))
	}
	keys, rest := topKeys(ms, 7)
	c := newBar(id, yAxis(yName, 0),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Orient: "vertical", Right: "0", Top: "middle", Type: "plain"}))
	c.GridList = []opts.Grid{{ContainLabel: opts.Bool(true), Left: "16", Right: "150", Top: "40", Bottom: "8"}}
	c.SetXAxis(xs)
	add := func(name string, val func(m map[string]int) int, i int) {
		var data []opts.BarData
		for _, m := range ms {
			data = append(data, opts.BarData{Value: val(m)})
		}
		so := []charts.SeriesOpts{charts.WithBarChartOpts(opts.BarChart{Stack: "total", BarWidth: "45%"})}
		if !valid {
			so = append(so, charts.WithItemStyleOpts(opts.ItemStyle{Color: []string{"#8C8C8C", "#B0B0B0", "#6E6E6E", "#C8C8C8"}[i%4]}))
		}
		c.AddSeries(label(name), data, so...)
	}
	for i, k := range keys {
		add(k, func(m map[string]int) int { return m[k] }, i)
	}
	if rest {
		add("other", func(m map[string]int) int {
			n := 0
			for k, v := range m {
				if !slices.Contains(keys, k) {
					n += v
				}
			}
			return n
		}, len(keys))
	}
	return c
}

// stillReachingFigures is section 3: what still reaches MySQL on warm
// pages, by reason and by table.
func stillReachingFigures(run *results.Run) []*figure {
	p := run.Profile
	if p == nil || !HasPhase(p, results.PhaseWarm) || len(p.Kinds) == 0 {
		return nil
	}
	valid := p.Valid && len(p.Problems) == 0
	prefix := ""
	if !valid {
		prefix = "INVALID — "
	}
	reason := stackedByKind("reaching_reason", p.Kinds, func(k results.KindProfile) map[string]int { return k.StillReaching.ByReason }, valid, "statements")
	table := stackedByKind("reaching_table", p.Kinds, func(k results.KindProfile) map[string]int { return k.StillReaching.ByTable }, valid, "statements")
	return []*figure{
		{ID: "reaching_reason", chart: reason, Title: prefix + "Why warm pages still reach MySQL",
			Note: "Statements of the median warm sample of each page, summed over the kind's pages, by bypass or not-stored reason."},
		{ID: "reaching_table", chart: table, Title: prefix + "Which tables warm pages still read from MySQL",
			Note: "Backend statements by table read (a statement reading several tables counts once per table)."},
	}
}

// loadKey names a load phase in one mode.
type loadKey struct{ name, mode string }

// loadPhaseNames lists the load phases' names in run order.
func loadPhaseNames(l *results.Load) []string {
	var names []string
	for _, ph := range l.Phases {
		if !slices.Contains(names, ph.Name) {
			names = append(names, ph.Name)
		}
	}
	return names
}

// phaseColor tells phase × mode apart on time lines: the baseline family
// is orange / vermillion / reddish purple, the cached family blue / sky
// blue / bluish green (line style tells the phases apart too).
func phaseColor(phase int, mode string) string {
	if mode == results.ModeCached {
		return []string{colBlue, colSkyBlue, colGreen}[phase%3]
	}
	return []string{colOrange, colVermillion, colPurple}[phase%3]
}

func modeColor(mode string) string {
	if mode == results.ModeCached {
		return colorCached
	}
	return colorBaseline
}

func seriesName(ph results.LoadPhase, withPhase bool) string {
	s := ph.Mode
	if withPhase {
		s = label(ph.Name) + " · " + ph.Mode
	}
	if ph.Interrupted {
		s += " (interrupted)"
	}
	return s
}

var lineDash = []string{"solid", "dashed", "dotted"}

// loadFigures is section 4.
func loadFigures(run *results.Run) []*figure {
	l := run.Load
	if l == nil || len(l.Phases) == 0 {
		return nil
	}
	names := loadPhaseNames(l)
	var out []*figure
	// Latency percentiles, baseline vs cached, one chart per phase.
	for i, name := range names {
		c := newBar(chartID("latency", i, name), yAxis("ms", 0))
		c.SetXAxis([]string{"p50", "p90", "p95", "p99", "max"})
		for _, ph := range l.Phases {
			if ph.Name != name {
				continue
			}
			lat := ph.Latency
			var data []opts.BarData
			for _, ns := range []int64{lat.P50, lat.P90, lat.P95, lat.P99, lat.Max} {
				data = append(data, barItem(float64(ns)/1e6, ""))
			}
			c.AddSeries(seriesName(ph, false), data, charts.WithItemStyleOpts(opts.ItemStyle{Color: modeColor(ph.Mode)}),
				charts.WithLabelOpts(*labelFmt()))
		}
		out = append(out, &figure{ID: c.ChartID, chart: c, Title: fmt.Sprintf("Latency percentiles — load phase %s", name),
			Note: "Lower is better. Baseline = cache off, cached = cache on, same load."})
	}
	// Over time.
	type timeChart struct {
		id, title, yName, note string
		value                  func(results.TimelinePoint) float64
		modes                  []string
	}
	tcs := []timeChart{
		{"throughput_time", "Throughput over time", "req/s", "Successful requests per second, by second of each phase.",
			func(t results.TimelinePoint) float64 { return t.RPS }, nil},
		{"p95_time", "p95 latency over time", "ms", "95th percentile latency per second of each phase; lower is better.",
			func(t results.TimelinePoint) float64 { return float64(t.P95Ns) / 1e6 }, nil},
		{"hit_ratio_time", "Cache hit ratio over time (cached phases)", "%", "From proxy counters sampled during each cached phase.",
			func(t results.TimelinePoint) float64 { return 100 * t.HitRatio }, []string{results.ModeCached}},
	}
	multi := len(names) > 1
	for _, tc := range tcs {
		c := newLine(tc.id, yAxis(tc.yName, 0),
			charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "s", NameLocation: "end"}))
		if tc.id == "hit_ratio_time" {
			c.SetGlobalOptions(charts.WithYAxisOpts(opts.YAxis{Name: "%", Type: "value", Min: 0, Max: 100}))
		}
		n := 0
		for _, ph := range l.Phases {
			if tc.modes != nil && !slices.Contains(tc.modes, ph.Mode) || len(ph.Timeline) == 0 {
				continue
			}
			var data []opts.LineData
			for _, t := range ph.Timeline {
				data = append(data, opts.LineData{Value: []any{round3(float64(t.OffsetMs) / 1000), round3(tc.value(t))}})
			}
			pi := slices.Index(names, ph.Name)
			color := phaseColor(pi, ph.Mode)
			c.AddSeries(seriesName(ph, multi), data,
				charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false), Symbol: "none"}),
				charts.WithItemStyleOpts(opts.ItemStyle{Color: color}),
				charts.WithLineStyleOpts(opts.LineStyle{Color: color, Width: 2, Type: lineDash[pi%len(lineDash)]}))
			n++
		}
		if n == 0 {
			continue
		}
		note := tc.note
		if multi {
			note += " Line style tells the phases apart (solid: " + names[0] + ", dashed: " + names[1] + ")."
		}
		out = append(out, &figure{ID: tc.id, chart: c, Title: tc.title, Note: note})
	}
	// Errors by kind.
	var errMaps []map[string]int
	var xs []string
	total := 0
	for _, ph := range l.Phases {
		errMaps = append(errMaps, ph.Errors)
		xs = append(xs, seriesName(ph, true))
		for _, v := range ph.Errors {
			total += v
		}
	}
	if total > 0 {
		keys, rest := topKeys(errMaps, 5)
		c := newBar("errors", yAxis("requests", 0), charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0", Type: "plain", Orient: "vertical", Left: "0"}))
		c.GridList = []opts.Grid{{ContainLabel: opts.Bool(true), Left: "16", Right: "28", Top: "80", Bottom: "8"}}
		c.SetXAxis(xs)
		for _, k := range keys {
			var data []opts.BarData
			for _, m := range errMaps {
				data = append(data, opts.BarData{Value: m[k]})
			}
			c.AddSeries(label(shorten(k, 60)), data, charts.WithBarChartOpts(opts.BarChart{Stack: "errors"}),
				charts.WithItemStyleOpts(opts.ItemStyle{Color: errorColors[slices.Index(keys, k)%len(errorColors)]}))
		}
		if rest {
			var data []opts.BarData
			for _, m := range errMaps {
				n := 0
				for k, v := range m {
					if !slices.Contains(keys, k) {
						n += v
					}
				}
				data = append(data, opts.BarData{Value: n})
			}
			c.AddSeries("other", data, charts.WithBarChartOpts(opts.BarChart{Stack: "errors"}), charts.WithItemStyleOpts(opts.ItemStyle{Color: colGrey}))
		}
		out = append(out, &figure{ID: "errors", chart: c, Title: "Errors by kind", Note: "Failed requests per phase, by error."})
	}
	// Backend statements per request under load.
	c := newBar("backend_per_request", yAxis("stmts / req", 0))
	c.SetXAxis(labels(names))
	for _, mode := range []string{results.ModeBaseline, results.ModeCached} {
		var data []opts.BarData
		found := false
		for _, name := range names {
			d := opts.BarData{Value: nil}
			for _, ph := range l.Phases {
				if ph.Name == name && ph.Mode == mode {
					d = barItem(ph.BackendStatementsPerRequest, "")
					found = true
				}
			}
			data = append(data, d)
		}
		if found {
			c.AddSeries(mode, data, charts.WithItemStyleOpts(opts.ItemStyle{Color: modeColor(mode)}), charts.WithLabelOpts(*labelFmt()))
		}
	}
	out = append(out, &figure{ID: "backend_per_request", chart: c, Title: "Backend statements per request — average under load",
		Note: "An average from proxy counters over each phase, not an exact per-page count (see the profile above for that)."})
	return out
}

func labels(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = label(s)
	}
	return out
}

// shorten cuts s to n runes with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
