package stats

import (
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// scrape fetches /metrics from the admin API and parses the text format.
func scrape(t *testing.T, s *Stats) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(NewAdmin(s, AdminControls{}))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// sample returns the value of the series of family name whose labels
// include labels (name=value pairs), failing when there is not exactly one.
func sample(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	t.Helper()
	fam := fams[name]
	if fam == nil {
		t.Fatalf("metric %s missing", name)
	}
	var found []*dto.Metric
	for _, m := range fam.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		ok := true
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				ok = false
			}
		}
		if ok {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("metric %s%v: %d series, want 1", name, labels, len(found))
	}
	return found[0]
}

// value returns a counter's or gauge's value.
func value(m *dto.Metric) float64 {
	if m.GetCounter() != nil {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

func TestMetricsExposition(t *testing.T) {
	s, clk := newTestStats(t, Options{})
	knownSequence(s, clk)
	fams := scrape(t, s)

	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"psbench_proxy_connections_active", nil, 1},
		{"psbench_proxy_connections_opened_total", nil, 2},
		{"psbench_proxy_connections_closed_total", nil, 1},
		{"psbench_proxy_client_commands_total", []string{"command", "COM_QUERY"}, 8},
		{"psbench_proxy_client_commands_total", []string{"command", "COM_PING"}, 1},
		{"psbench_proxy_client_commands_total", []string{"command", "COM_STMT_EXECUTE"}, 1},
		{"psbench_proxy_statements_total", []string{"kind", "select"}, 5},
		{"psbench_proxy_statements_total", []string{"kind", "insert"}, 1},
		{"psbench_proxy_backend_commands_total", []string{"command", "COM_QUERY"}, 5},
		{"psbench_proxy_backend_commands_total", []string{"command", "COM_STMT_EXECUTE"}, 2},
		{"psbench_proxy_backend_commands_total", []string{"command", "COM_QUIT"}, 1},
		{"psbench_proxy_backend_seconds_total", nil, 0.00415},
		{"psbench_proxy_statement_outcomes_total", []string{"outcome", "hit"}, 2},
		{"psbench_proxy_statement_outcomes_total", []string{"outcome", "miss"}, 2},
		{"psbench_proxy_statement_outcomes_total", []string{"outcome", "bypass"}, 5},
		{"psbench_proxy_statement_outcomes_total", []string{"outcome", "local"}, 1},
		{"psbench_proxy_cache_stores_total", nil, 1},
		{"psbench_proxy_cache_bypass_total", []string{"reason", "not_select"}, 2},
		{"psbench_proxy_cache_bypass_total", []string{"reason", "none"}, 1},
		{"psbench_proxy_cache_not_stored_total", []string{"reason", "too_large"}, 1},
		{"psbench_proxy_cache_flushes_total", nil, 1},
		{"psbench_proxy_errors_total", []string{"code", "1062"}, 1},
		{"psbench_proxy_invalidations_total", []string{"table", "shop.ps_connections"}, 1},
		{"psbench_proxy_invalidate_all_total", nil, 1},
		{"psbench_proxy_table_reads_total", []string{"table", "shop.ps_product", "outcome", "hit"}, 2},
		{"psbench_proxy_table_reads_total", []string{"table", "shop.ps_product", "outcome", "miss"}, 1},
		{"psbench_proxy_table_reads_total", []string{"table", "shop.ps_guest", "outcome", "bypass"}, 1},
		{"psbench_proxy_table_backend_commands_total", []string{"table", "shop.ps_product"}, 1},
		{"psbench_proxy_digests_tracked", nil, 6},
		{"psbench_proxy_tables_tracked", nil, 5},
		{"psbench_proxy_captures_open", nil, 0},
	} {
		if got := value(sample(t, fams, c.name, c.labels...)); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}

	h := sample(t, fams, "psbench_proxy_statement_latency_seconds", "outcome", "hit").GetHistogram()
	if h.GetSampleCount() != 2 || math.Abs(h.GetSampleSum()-50e-6) > 1e-12 {
		t.Errorf("hit latency count %d sum %v, want 2, 50µs", h.GetSampleCount(), h.GetSampleSum())
	}
	cum := map[float64]uint64{}
	for _, b := range h.GetBucket() {
		cum[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	if cum[10e-6] != 0 || cum[25e-6] != 1 || cum[50e-6] != 2 || cum[10] != 2 {
		t.Errorf("hit latency buckets = %v; want 0 at 10µs, 1 at 25µs, 2 from 50µs", cum)
	}

	for name, fam := range fams {
		for _, m := range fam.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "digest" {
					t.Errorf("%s has a digest label", name)
				}
			}
		}
	}
	if fams["go_goroutines"] == nil {
		t.Error("go collector missing")
	}
	if runtime.GOOS == "linux" && fams["process_cpu_seconds_total"] == nil {
		t.Error("process collector missing")
	}
}

func TestMetricsTableLabelsBounded(t *testing.T) {
	s, _ := newTestStats(t, Options{MaxTables: 3})
	names := []string{"a", "b", "c", "d", "e", "other"}
	for _, name := range names {
		s.Statement(hitEv(1, selectClass("d-"+name, "", tref("shop", name)), us))
	}
	for _, name := range names {
		s.Invalidated([]string{"shop.x" + name}, false)
	}
	fams := scrape(t, s)
	var tables []string
	for _, m := range fams["psbench_proxy_table_reads_total"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "table" && !containsString(tables, lp.GetValue()) {
				tables = append(tables, lp.GetValue())
			}
		}
	}
	sort.Strings(tables)
	if want := []string{"other", "shop.a", "shop.b", "shop.c"}; strings.Join(tables, ",") != strings.Join(want, ",") {
		t.Errorf("table labels = %v, want %v", tables, want)
	}
	if got := value(sample(t, fams, "psbench_proxy_table_reads_total", "table", "other", "outcome", "hit")); got != 3 {
		t.Errorf("other hits = %v, want 3", got)
	}
	if got := value(sample(t, fams, "psbench_proxy_invalidations_total", "table", "other")); got != 6 {
		t.Errorf("other invalidations = %v, want 6", got)
	}
}

// containsString reports whether list holds v.
func containsString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func TestRegistryIsPrivate(t *testing.T) {
	a, b := New(Options{}), New(Options{})
	if a.Registry() == b.Registry() || prometheus.Registerer(a.Registry()) == prometheus.DefaultRegisterer {
		t.Fatal("registries are shared")
	}
	a.Statement(hitEv(1, selectClass("d", ""), us))
	n, err := testutil.GatherAndCount(a.Registry(), "psbench_proxy_statement_outcomes_total")
	if err != nil || n != numOutcomes {
		t.Errorf("outcome series = %d, %v; want %d", n, err, numOutcomes)
	}
	if err := testutil.GatherAndCompare(b.Registry(), strings.NewReader(`
# HELP psbench_proxy_statement_outcomes_total Client commands by what the proxy did with them.
# TYPE psbench_proxy_statement_outcomes_total counter
psbench_proxy_statement_outcomes_total{outcome="bypass"} 0
psbench_proxy_statement_outcomes_total{outcome="hit"} 0
psbench_proxy_statement_outcomes_total{outcome="local"} 0
psbench_proxy_statement_outcomes_total{outcome="miss"} 0
`), "psbench_proxy_statement_outcomes_total"); err != nil {
		t.Errorf("second Stats sees the first one's events: %v", err)
	}
	if err := testutil.GatherAndCompare(a.Registry(), strings.NewReader(`
# HELP psbench_proxy_statement_outcomes_total Client commands by what the proxy did with them.
# TYPE psbench_proxy_statement_outcomes_total counter
psbench_proxy_statement_outcomes_total{outcome="bypass"} 0
psbench_proxy_statement_outcomes_total{outcome="hit"} 1
psbench_proxy_statement_outcomes_total{outcome="local"} 0
psbench_proxy_statement_outcomes_total{outcome="miss"} 0
`), "psbench_proxy_statement_outcomes_total"); err != nil {
		t.Error(err)
	}
}
