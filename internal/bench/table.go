package bench

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// RenderMarkdown writes the report as markdown, ready to paste into a
// README: the runs, the ratios, the targets' PASS/MISS lines and the memory
// per cached entry.
func RenderMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	s := r.Settings
	fmt.Fprintf(&b, "### Proxy benchmark: sysbench %s\n\n", s.Workload)
	fmt.Fprintf(&b, "%s protocol (--db-ps-mode=disable), --rand-type=%s, %s x %s rows, %gs per point. ",
		s.Protocol, s.RandType, plural(s.Tables, "table"), thousands(float64(s.TableSize)), s.DurationSeconds)
	fmt.Fprintf(&b, "Machine: %s, %d CPUs, Linux %s. ", r.Machine.CPUModel, r.Machine.NProc, r.Machine.Kernel)
	v := r.Versions
	parts := []string{"MariaDB " + v.MariaDB}
	if v.HAProxy != "" {
		parts = append(parts, "HAProxy "+v.HAProxy)
	}
	parts = append(parts, "sysbench "+v.Sysbench)
	if v.Redis != "" {
		parts = append(parts, "Redis "+v.Redis)
	}
	parts = append(parts, v.Go)
	fmt.Fprintf(&b, "%s.\n\n", strings.Join(parts, ", "))

	if len(r.Runs) > 0 {
		b.WriteString("| target | threads | queries/s | p50 ms | p95 ms | p99 ms | max ms | errors | cache hits | hop CPU µs/query |\n")
		b.WriteString("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, run := range r.Runs {
			hits := "-"
			if run.Cache != nil && run.Target != TargetProxyOff {
				hits = fmt.Sprintf("%.2f%%", 100*run.Cache.HitRatio)
			}
			cpu := "-"
			if run.HopCPUPerQueryUs > 0 {
				cpu = fmt.Sprintf("%.1f", run.HopCPUPerQueryUs)
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %.3f | %.3f | %.3f | %.2f | %d | %s | %s |\n",
				targetLabels[run.Target], run.Threads, thousands(run.QPS), run.Latency.P50, run.Latency.P95,
				run.Latency.P99, run.Latency.Max, run.Errors+run.Reconnects, hits, cpu)
		}
		b.WriteString("\n")
	}

	if len(r.Ratios) > 0 {
		var threads []int
		for _, x := range r.Ratios {
			if !slices.Contains(threads, x.Threads) {
				threads = append(threads, x.Threads)
			}
		}
		b.WriteString("| ratio |")
		for _, t := range threads {
			fmt.Fprintf(&b, " %s |", plural(t, "thread"))
		}
		b.WriteString("\n|---|" + strings.Repeat("--:|", len(threads)) + "\n")
		for _, d := range ratioDefs {
			row := fmt.Sprintf("| %s, %s |", d.name, metricLabel(d.metric))
			any := false
			for _, t := range threads {
				i := slices.IndexFunc(r.Ratios, func(x Ratio) bool { return x.Name == d.name && x.Metric == d.metric && x.Threads == t })
				if i < 0 {
					row += " - |"
					continue
				}
				any = true
				row += fmt.Sprintf(" %.2f |", r.Ratios[i].Value)
			}
			if any {
				b.WriteString(row + "\n")
			}
		}
		b.WriteString("\n")
	}

	for _, c := range r.Checks {
		verdict := "MISS"
		if c.Pass {
			verdict = "PASS"
		}
		op := ">="
		if c.AtMost {
			op = "<="
		}
		fmt.Fprintf(&b, "- %s %s, %s: %.2fx (target %s %.1fx)\n", verdict, c.Name, plural(c.Threads, "thread"), c.Value, op, c.Threshold)
	}
	if len(r.Checks) > 0 {
		b.WriteString("\n")
	}

	if m := r.Memory; m != nil {
		fmt.Fprintf(&b, "Memory of the local cache with %s entries (`%s`, filled through %d connections):\n\n",
			thousands(float64(m.Entries)), strings.Replace(m.Query, "%d", "N", 1), m.Connections)
		b.WriteString("| cached entries | payload B/entry | cache-accounted B/entry | heap growth B/entry | overhead B/entry | cache tier heap B/entry | cache tier overhead B/entry |\n")
		b.WriteString("|--:|--:|--:|--:|--:|--:|--:|\n")
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |\n\n", thousands(float64(m.CachedEntries)),
			m.PayloadPerEntry, m.AccountedPerEntry, m.HeapPerEntry, m.OverheadPerEntry, m.CacheHeapPerEntry, m.CacheOverheadPerEntry)
		fmt.Fprintf(&b, "Heap growth is the live heap after the fill minus before it (%.1f MiB in all); the cache tier's share is what emptying the cache frees (the rest is the proxy's parse memo and statistics).\n\n",
			float64(m.HeapAfter-min(m.HeapAfter, m.HeapBefore))/(1<<20))
	}

	for _, p := range r.Problems {
		fmt.Fprintf(&b, "- INVALID: %s\n", p)
	}
	if len(r.Problems) > 0 {
		b.WriteString("\n")
	}
	if r.Command != "" {
		fmt.Fprintf(&b, "Command: `%s`\n", r.Command)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func metricLabel(m string) string {
	switch m {
	case MetricP50:
		return "p50 latency"
	case MetricCPU:
		return "hop CPU per query"
	}
	return "queries/s"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// thousands formats a rate rounded to an integer with thousands separators.
func thousands(f float64) string {
	s := strconv.FormatInt(int64(f+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
