package querycount

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/psbench/psbench/internal/results"
)

// WriteTable writes a readable summary of p: problems first and loudly,
// then warnings, then one table per kind with the backend statements of
// cold, warm and warm-other (median [min–max] over every sample of every
// URL), the reductions, and the top five reasons and tables still reaching
// MySQL on warm pages.
func WriteTable(w io.Writer, p *results.Profile) error {
	var b strings.Builder
	if !p.Valid || len(p.Problems) > 0 {
		bar := strings.Repeat("!", 78)
		fmt.Fprintf(&b, "%s\n!! PROFILE INVALID: %d problem(s); the numbers below are NOT a valid measurement\n", bar, len(p.Problems))
		for _, pr := range p.Problems {
			fmt.Fprintf(&b, "!!  - %s\n", pr)
		}
		fmt.Fprintf(&b, "%s\n\n", bar)
	}
	if len(p.Warnings) > 0 {
		fmt.Fprintf(&b, "Warnings:\n")
		for _, wr := range p.Warnings {
			fmt.Fprintf(&b, "  - %s\n", wr)
		}
		b.WriteString("\n")
	}
	app := "shop caches NOT primed (first request of each URL may be app-cold)"
	if p.AppPrimed {
		app = "shop caches primed (app-warm)"
	}
	mode := p.CacheMode
	if mode == "" {
		mode = "unknown"
	}
	fmt.Fprintf(&b, "Statements per page reaching MySQL: %s, proxy cache %s, %d sample(s) per phase\n", app, mode, p.Samples)
	cc := p.CounterCheck
	switch {
	case cc.Available && cc.Checked > 0:
		fmt.Fprintf(&b, "MySQL Questions cross-check: %d of %d captures agree", cc.Agreed, cc.Checked)
		if cc.Note != "" {
			fmt.Fprintf(&b, " (%s)", cc.Note)
		}
		b.WriteString("\n")
	case cc.Note != "":
		fmt.Fprintf(&b, "MySQL Questions cross-check: %s\n", cc.Note)
	}
	for _, k := range p.Kinds {
		b.WriteString("\n")
		writeKind(&b, p, k)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeKind writes one kind's table.
func writeKind(b *strings.Builder, p *results.Profile, k results.KindProfile) {
	fmt.Fprintf(b, "== %s (%d page(s)) ==\n", k.Kind, k.Pages)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  phase\tbackend statements\treduction\t\n")
	has := func(ph string) bool { return slices.Contains(p.Phases, ph) || len(p.Phases) == 0 }
	if has(results.PhaseCold) {
		fmt.Fprintf(tw, "  cold\t%s\t\t\n", fmtStat(k.Cold))
	}
	if has(results.PhaseWarm) {
		red := ""
		if has(results.PhaseCold) {
			red = fmtPct(k.Reduction)
		}
		fmt.Fprintf(tw, "  warm\t%s\t%s\t\n", fmtStat(k.Warm), red)
	}
	switch {
	case k.WarmOther != nil:
		red := ""
		if k.ReductionWarmOther != nil {
			red = fmtPct(*k.ReductionWarmOther)
		}
		fmt.Fprintf(tw, "  warm-other\t%s\t%s\t\n", fmtStat(*k.WarmOther), red)
	case has(results.PhaseWarmOther):
		fmt.Fprintf(tw, "  warm-other\tskipped (needs 2+ URLs)\t\t\n")
	}
	if has(results.PhaseCold) {
		fmt.Fprintf(tw, "  client (shop sent)\t%s\t\t\n", fmtStat(k.ClientCold))
	}
	_ = tw.Flush()
	sr := k.StillReaching
	if has(results.PhaseWarm) {
		fmt.Fprintf(b, "  still reaching MySQL on warm pages: %d statement(s) over %d page(s)\n", sr.Backend, k.Pages)
		if len(sr.ByReason) > 0 {
			fmt.Fprintf(b, "    reasons: %s\n", top(sr.ByReason, 5))
		}
		if len(sr.ByTable) > 0 {
			fmt.Fprintf(b, "    tables:  %s\n", top(sr.ByTable, 5))
		}
	}
	for _, pg := range p.Pages {
		if pg.Kind != k.Kind {
			continue
		}
		var parts []string
		for _, x := range []struct {
			name string
			ph   *results.Phase
		}{{"cold", pg.Cold}, {"warm", pg.Warm}, {"warm-other", pg.WarmOther}} {
			if x.ph == nil {
				continue
			}
			s := fmt.Sprintf("%s %v", x.name, x.ph.Samples)
			if len(x.ph.Problems) > 0 {
				s += " INVALID"
			}
			parts = append(parts, s)
		}
		fmt.Fprintf(b, "    %s: %s\n", pg.URL, strings.Join(parts, ", "))
	}
}

// fmtStat formats "median [min–max]".
func fmtStat(s results.Stat) string {
	if s.Min == s.Max {
		return fmt.Sprintf("%s [%s]", fmtNum(s.Median), fmtNum(s.Min))
	}
	return fmt.Sprintf("%s [%s–%s]", fmtNum(s.Median), fmtNum(s.Min), fmtNum(s.Max))
}

func fmtNum(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%.1f", f)
}

func fmtPct(f float64) string { return fmt.Sprintf("%.1f %%", 100*f) }

// top formats the n largest entries of m as "name count, ...".
func top(m map[string]int, n int) string {
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	var parts []string
	for i, k := range keys {
		if i == n {
			parts = append(parts, fmt.Sprintf("(+%d more)", len(keys)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
