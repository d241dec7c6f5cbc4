package bench

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The testdata outputs are real sysbench 1.0.20 oltp_point_select runs
// captured on the development machine (MariaDB 10.11 direct, through
// haproxy 2.6 and through the psbench proxy). The expected percentiles were
// computed from their histograms independently (awk).
func TestParseRunRealOutputs(t *testing.T) {
	tests := []struct {
		file          string
		threads       int
		queries       int64
		qps           float64
		errors        int64
		seconds       float64
		min, avg, max float64
		p50, p95, p99 float64
	}{
		{"sysbench_direct_1thread.txt", 1, 13740, 6862.60, 0, 2.0018, 0.04, 0.14, 9.00, 0.141, 0.192, 0.243},
		{"sysbench_direct_16threads.txt", 16, 57270, 28553.70, 0, 2.0052, 0.03, 0.56, 67.38, 0.402, 1.184, 3.075},
		{"sysbench_haproxy_16threads.txt", 16, 35485, 17695.46, 0, 2.0049, 0.05, 0.90, 112.33, 0.473, 2.264, 7.039},
		{"sysbench_proxy_local_16threads.txt", 16, 203192, 67590.32, 0, 3.0058, 0.02, 0.24, 28.32, 0.052, 0.971, 1.608},
		{"sysbench_ignored_errors.txt", 2, 6222, 6208.24, 6002, 0, 0, 0, 0, 0.192, 0.954, 2.032},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, err := ParseRun(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if r.Threads != tt.threads || r.Queries != tt.queries || r.QPS != tt.qps || r.Errors != tt.errors {
				t.Errorf("threads/queries/qps/errors = %d/%d/%v/%d, want %d/%d/%v/%d",
					r.Threads, r.Queries, r.QPS, r.Errors, tt.threads, tt.queries, tt.qps, tt.errors)
			}
			// point_select: one query per transaction.
			if r.Transactions != r.Queries || r.TPS != r.QPS || r.Events != r.Queries {
				t.Errorf("transactions %d (%v/s), events %d; queries %d (%v/s)", r.Transactions, r.TPS, r.Events, r.Queries, r.QPS)
			}
			if tt.seconds != 0 && (r.DurationSeconds != tt.seconds || r.Latency.Min != tt.min || r.Latency.Avg != tt.avg || r.Latency.Max != tt.max) {
				t.Errorf("time %v, min/avg/max %v/%v/%v; want %v, %v/%v/%v", r.DurationSeconds,
					r.Latency.Min, r.Latency.Avg, r.Latency.Max, tt.seconds, tt.min, tt.avg, tt.max)
			}
			if r.Latency.P50 != tt.p50 || r.Latency.P95 != tt.p95 || r.Latency.P99 != tt.p99 {
				t.Errorf("p50/p95/p99 = %v/%v/%v, want %v/%v/%v", r.Latency.P50, r.Latency.P95, r.Latency.P99, tt.p50, tt.p95, tt.p99)
			}
			if !(r.Latency.P50 <= r.Latency.P95 && r.Latency.P95 <= r.Latency.P99 && r.Latency.P99 <= r.Latency.Max+0.01) {
				t.Errorf("percentiles out of order: %+v", r.Latency)
			}
		})
	}
}

func TestParseRunRejectsUnexpectedOutput(t *testing.T) {
	full := readTestdata(t, "sysbench_direct_1thread.txt")
	tests := []struct {
		name, out, want string
	}{
		{"fatal", readTestdata(t, "sysbench_fatal_connect.txt"), "FATAL"},
		{"no histogram", readTestdata(t, "sysbench_no_histogram.txt"), "--histogram=on"},
		{"empty", "", `no "Number of threads:"`},
		{"not sysbench", "hello\nworld\n", `"queries: N (R per sec.)"`},
		{"truncated", full[:strings.Index(full, "General statistics")], `"total time:"`},
		{"no latency", strings.Replace(full, "95th percentile:", "90th percentile:", 1), `"95th percentile:"`},
		{"garbled histogram", strings.Replace(full, "       0.141 |", "       0.141 #", 1), "unexpected line in the latency histogram"},
		{"histogram disagrees", strings.Replace(full, "total number of events:              13740", "total number of events:              13741", 1), "histogram counts 13740 events"},
		{"p95 disagrees", strings.Replace(full, "95th percentile:                        0.19", "95th percentile:                        0.50", 1), "disagrees"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRun(tt.out)
			if err == nil {
				t.Fatal("ParseRun accepted it")
			}
			if !errors.Is(err, ErrSysbenchOutput) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not wrap ErrSysbenchOutput or name %q", err, tt.want)
			}
		})
	}
}

func TestPercentileMatchesSysbench(t *testing.T) {
	hist := []Bucket{{0.1, 10}, {0.2, 80}, {0.5, 9}, {3, 1}}
	for _, tt := range []struct{ pct, want float64 }{{0, 0}, {10, 0.1}, {11, 0.2}, {50, 0.2}, {90, 0.2}, {95, 0.5}, {99, 0.5}, {99.5, 3}, {100, 3}} {
		if got := Percentile(hist, tt.pct); got != tt.want {
			t.Errorf("Percentile(%v) = %v, want %v", tt.pct, got, tt.want)
		}
	}
	if got := Percentile(nil, 50); got != 0 {
		t.Errorf("Percentile of an empty histogram = %v", got)
	}
}

func TestWarmScript(t *testing.T) {
	var b strings.Builder
	if err := warmScript.Execute(&b, map[string]int{"Total": 20000, "TableSize": 10000}); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	// The statement text must be oltp_common.lua's point select with the
	// id inlined, as sysbench sends it with --db-ps-mode=disable.
	for _, want := range []string{`"SELECT c FROM sbtest%u WHERE id=%d"`, "next_index >= 20000", "% 10000 + 1", "/ 10000) + 1"} {
		if !strings.Contains(s, want) {
			t.Errorf("warm-up script lacks %q:\n%s", want, s)
		}
	}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
