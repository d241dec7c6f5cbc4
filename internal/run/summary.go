package run

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/psbench/psbench/internal/querycount"
	"github.com/psbench/psbench/internal/results"
)

// WriteSummary prints a run for the terminal: the statement profile, the
// load phases side by side, the thresholds and the verdict.
func WriteSummary(w io.Writer, run *results.Run, dir string) {
	label := run.Target.Label
	if label == "" {
		label = run.Target.Kind
	}
	fmt.Fprintf(w, "\npsbench %s — %s (%s), cache %s, TTL %s, blacklist %s\n", run.Scenario.Name, label, run.Target.BaseURL,
		run.Cache.Mode, run.Cache.TTL, run.Cache.Preset)
	if run.Target.Simulated {
		fmt.Fprintln(w, "All numbers below come from the SIMULATED STOREFRONT, not a real shop.")
	}
	if run.Profile != nil {
		fmt.Fprintln(w)
		querycount.WriteTable(w, run.Profile)
	}
	if run.Load != nil && len(run.Load.Phases) > 0 {
		fmt.Fprintln(w, "\nLoad (backend statements per request are averages under load, from proxy counters):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "phase\tmode\trequests\treq/s\tp50\tp95\tp99\terrors\thit ratio\tbackend/req\t")
		for _, p := range run.Load.Phases {
			note := ""
			if p.Interrupted {
				note = " (interrupted)"
			}
			fmt.Fprintf(tw, "%s\t%s%s\t%d\t%.1f\t%s\t%s\t%s\t%.2f%%\t%.0f%%\t%.1f\t\n", p.Name, p.Mode, note, p.Requests, p.Throughput,
				ms(p.Latency.P50), ms(p.Latency.P95), ms(p.Latency.P99), 100*p.ErrorRate, 100*p.HitRatio, p.BackendStatementsPerRequest)
		}
		tw.Flush()
	}
	if len(run.Thresholds) > 0 {
		fmt.Fprintln(w, "\nThresholds:")
		for _, t := range run.Thresholds {
			mark := "PASS"
			if !t.Pass {
				mark = "FAIL"
			}
			detail := fmt.Sprintf("measured %s", formatValue(t.Measured, t.Unit))
			if t.Error != "" {
				detail = t.Error
			}
			fmt.Fprintf(w, "  %s  %-45s %s\n", mark, t.Expr, detail)
		}
	}
	fmt.Fprintf(w, "\nVerdict: %s", strings.ToUpper(run.Verdict))
	if run.Incomplete != "" {
		fmt.Fprintf(w, " — %s", run.Incomplete)
	}
	fmt.Fprintf(w, "\nResults: %s (report.html, junit.xml, results.json, vegeta results)\n", dir)
}

func ms(ns int64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	default:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
}

// formatValue prints a threshold's measured value in its unit
// (threshold.Unit: durations are seconds, ratios fractions).
func formatValue(v float64, unit string) string {
	switch unit {
	case "s":
		return ms(int64(v * float64(time.Second)))
	case "ratio":
		return fmt.Sprintf("%.1f%%", 100*v)
	case "req/s":
		return fmt.Sprintf("%.1f req/s", v)
	}
	return fmt.Sprintf("%.4g", v)
}
