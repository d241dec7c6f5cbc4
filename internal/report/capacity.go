package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/psbench/psbench/internal/results"
)

// Colours of the capacity topologies.
var topologyColor = map[string]string{
	results.TopologyNoCache: colorBaseline,
	results.TopologyLocal:   colorCached,
	results.TopologyShared:  colGreen,
}

var topologies = []string{results.TopologyNoCache, results.TopologyLocal, results.TopologyShared}

// capacityFromRun builds section 5 from the plan `psbench plan --write`
// stored; nil (no section) when the results carry none.
func capacityFromRun(run *results.Run) *capacitySection {
	c := run.Capacity
	if c == nil {
		return nil
	}
	s := &capacitySection{
		Note: "Model output from this run's profile and load phases (psbench plan), not measurements — except the measured side of the validation chart.",
	}
	if c.Forced {
		s.Note += " FORCED: planned past a refusal (see the assumptions)."
	}
	in := c.Inputs
	s.Facts = append(s.Facts, fact{Label: "target traffic", Value: FormatRate(in.TargetRPS)})
	if in.MeasuredRPS > 0 {
		s.Facts = append(s.Facts, fact{Label: "highest measured throughput", Value: FormatRate(in.MeasuredRPS)})
	}
	s.Facts = append(s.Facts, fact{Label: "web nodes assumed", Value: fmt.Sprintf("%d (%s)", in.Nodes, in.NodesFrom)})
	for _, t := range c.Topologies {
		v := FormatCount(t.StatementsPerSecond) + " statements/s to MySQL"
		if t.Headroom != nil {
			v += ", headroom " + FormatPercent(*t.Headroom)
			if *t.Headroom < 0 {
				v += " (OVER --db-max-qps)"
			}
		}
		s.Facts = append(s.Facts, fact{Label: t.Name, Value: v, Class: map[bool]string{true: "fail", false: ""}[t.Headroom != nil && *t.Headroom < 0]})
	}
	if be := c.SQLTime.BreakEvenRTTNs; be != nil {
		s.Facts = append(s.Facts, fact{Label: "shared cache break-even RTT", Value: FormatDuration(int64(*be))})
	} else {
		s.Facts = append(s.Facts, fact{Label: "shared cache break-even RTT", Value: "none: a shared cache never beats no cache here"})
	}
	if len(c.TTLWhatIf) > 0 {
		var parts []string
		for _, p := range c.TTLWhatIf {
			parts = append(parts, fmt.Sprintf("%s: hit ratio %s local / %s shared, %s / %s statements/s", FormatDuration(p.TTLNs),
				FormatPercent(p.HitRatioLocal), FormatPercent(p.HitRatioShared),
				FormatCount(p.StatementsPerSecond[results.TopologyLocal]), FormatCount(p.StatementsPerSecond[results.TopologyShared])))
		}
		s.Facts = append(s.Facts, fact{Label: "TTL what-if", Value: strings.Join(parts, "; ")})
	}
	if n := c.Nodes; n != nil {
		var parts []string
		for _, topo := range topologies {
			if v, ok := n.Needed[topo]; ok {
				parts = append(parts, fmt.Sprintf("%s %d", topo, v))
			}
		}
		s.Facts = append(s.Facts, fact{Label: fmt.Sprintf("web nodes needed at %s utilisation", FormatPercent(in.Utilisation)), Value: strings.Join(parts, ", ")})
	}
	for _, a := range c.Assumptions {
		s.Facts = append(s.Facts, fact{Label: "assumption", Value: a})
	}
	for _, m := range c.Missing {
		s.Facts = append(s.Facts, fact{Label: "not planned", Value: m, Class: "invalid"})
	}
	s.Figures = capacityFigures(c)
	return s
}

func capacityFigures(c *results.Capacity) []*figure {
	var out []*figure
	// Statements/s vs traffic.
	if len(c.Traffic) > 0 {
		l := newLine("capacity_traffic", yAxis("statements/s", c.Inputs.DBMaxQPS),
			charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "req/s", NameLocation: "end"}))
		for i, topo := range topologies {
			var data []opts.LineData
			for _, p := range c.Traffic {
				data = append(data, opts.LineData{Value: []any{round3(p.RPS), round3(p.StatementsPerSecond[topo])}})
			}
			so := []charts.SeriesOpts{
				charts.WithItemStyleOpts(opts.ItemStyle{Color: topologyColor[topo]}),
				charts.WithLineStyleOpts(opts.LineStyle{Color: topologyColor[topo], Width: 2, Type: lineDash[i%len(lineDash)]}),
			}
			if i == 0 {
				so = append(so, charts.WithMarkLineNameXAxisItemOpts(opts.MarkLineNameXAxisItem{Name: "target", XAxis: round3(c.Inputs.TargetRPS)}))
				if c.Inputs.DBMaxQPS > 0 {
					so = append(so, charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{Name: "db max qps", YAxis: c.Inputs.DBMaxQPS}))
				}
				so = append(so, markStyle(colBlack))
			}
			l.AddSeries(topo, data, so...)
		}
		out = append(out, &figure{ID: "capacity_traffic", chart: l, Title: "MySQL statements/s vs traffic, per topology",
			Note: "Model: traffic × statements per page reaching MySQL, hit ratios recomputed at each level (TTL, catalogue, nodes)."})
	}
	// SQL time per page vs cache RTT.
	if len(c.SQLTime.Shared) > 0 {
		l := newLine("capacity_sql_time", yAxis("ms / page", 0),
			charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "cache RTT ms", NameLocation: "end"}))
		var shared, none, local []opts.LineData
		for _, p := range c.SQLTime.Shared {
			x := round3(float64(p.RTTNs) / 1e6)
			shared = append(shared, opts.LineData{Value: []any{x, round3(p.Ns / 1e6)}})
			none = append(none, opts.LineData{Value: []any{x, round3(c.SQLTime.NoCacheNs / 1e6)}})
			local = append(local, opts.LineData{Value: []any{x, round3(c.SQLTime.LocalNs / 1e6)}})
		}
		l.AddSeries(results.TopologyNoCache, none, lineStyle(results.TopologyNoCache, "dashed"))
		l.AddSeries(results.TopologyLocal, local, lineStyle(results.TopologyLocal, "dotted"))
		so := []charts.SeriesOpts{lineStyle(results.TopologyShared, "solid")}
		if be := c.SQLTime.BreakEvenRTTNs; be != nil {
			so = append(so, charts.WithMarkLineNameXAxisItemOpts(opts.MarkLineNameXAxisItem{Name: "break-even " + FormatDuration(int64(*be)), XAxis: round3(*be / 1e6)}),
				markStyle(colVermillion))
		}
		l.AddSeries(results.TopologyShared, shared, so...)
		note := "SQL time per page (traffic-weighted) as the shared cache's round trip grows; no cache and local do not depend on it."
		if c.SQLTime.BreakEvenRTTNs != nil {
			note += " Past the marked break-even RTT the shared cache is slower than no cache."
		} else {
			note += " No break-even: the shared cache never beats no cache at these hit ratios."
		}
		out = append(out, &figure{ID: "capacity_sql_time", chart: l, Title: "SQL time per page vs cache RTT", Note: note})
	}
	// Predicted vs measured.
	if len(c.Validation) > 0 {
		b := newBar("capacity_validation", yAxis("ms / page", 0))
		var xs []string
		var pred, meas []opts.BarData
		for _, v := range c.Validation {
			x := validationAxis(v)
			if v.Calibration {
				x = "calibration"
			}
			xs = append(xs, label(x))
			pred = append(pred, barItem(v.PredictedNs/1e6, ""))
			meas = append(meas, barItem(v.MeasuredNs/1e6, ""))
		}
		b.SetXAxis(xs)
		b.AddSeries("predicted", pred, charts.WithItemStyleOpts(opts.ItemStyle{Color: colSkyBlue}), charts.WithLabelOpts(*labelFmt()))
		b.AddSeries("measured", meas, charts.WithItemStyleOpts(opts.ItemStyle{Color: colBlue}), charts.WithLabelOpts(*labelFmt()))
		var errs []string
		for _, v := range c.Validation {
			if !v.Calibration {
				errs = append(errs, fmt.Sprintf("%s %+.1f %%", validationAxis(v), 100*v.Error))
			}
		}
		out = append(out, &figure{ID: "capacity_validation", chart: b, Wide: true, Title: "Model validation: SQL time per page, predicted vs measured",
			Note: "Calibrated on one run (its per-statement and per-cache-call times, and the idle cost probed after its profile), predicted at the RTTs other runs injected (psbench plan --validate). Errors: " + strings.Join(errs, ", ") + "."})
	}
	return out
}

// validationAxis names a validation point on the chart's axis by the RTTs
// its run injected, briefly ("db 500µs", "cache 1ms").
func validationAxis(v results.CapacityValidation) string {
	var parts []string
	if v.DBRTTNs != 0 {
		parts = append(parts, "db "+time.Duration(v.DBRTTNs).String())
	}
	if v.CacheRTTNs != 0 {
		parts = append(parts, "cache "+time.Duration(v.CacheRTTNs).String())
	}
	if len(parts) == 0 {
		return "RTT 0"
	}
	return strings.Join(parts, " + ")
}

func lineStyle(topo, dash string) charts.SeriesOpts {
	return func(s *charts.SingleSeries) {
		charts.WithItemStyleOpts(opts.ItemStyle{Color: topologyColor[topo]})(s)
		charts.WithLineStyleOpts(opts.LineStyle{Color: topologyColor[topo], Width: 2, Type: dash})(s)
	}
}

func markStyle(color string) charts.SeriesOpts {
	return charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
		Label:     &opts.Label{Show: opts.Bool(true), Position: "insideEndTop", Formatter: string(opts.FuncOpts(`function(p){return p.name}`)), Color: colBlack},
		LineStyle: &opts.LineStyle{Color: color, Type: "dashed", Width: 2}})
}
