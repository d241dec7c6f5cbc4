package stats

import (
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/psbench/psbench/internal/proxycache/sqlclass"
)

// metricsCollector exposes Stats as psbench_proxy_* metrics. It reads the
// same atomics the hooks update at scrape time (const metrics), so the hot
// path pays nothing for Prometheus and /metrics always agrees with /stats.
// Label cardinality is bounded: commands by the 256 command bytes, kinds and
// reasons by sqlclass' fixed sets, tables by MaxTables (then "other"),
// error codes by the MySQL error numbers; digests are never labels.
type metricsCollector struct {
	s *Stats

	connsActive    *prometheus.Desc
	connsOpened    *prometheus.Desc
	connsClosed    *prometheus.Desc
	clientCommands *prometheus.Desc
	statements     *prometheus.Desc
	backendCmds    *prometheus.Desc
	backendSeconds *prometheus.Desc
	backendIdle    *prometheus.Desc
	cacheSeconds   *prometheus.Desc
	cacheCalls     *prometheus.Desc
	outcomes       *prometheus.Desc
	stores         *prometheus.Desc
	bypass         *prometheus.Desc
	notStored      *prometheus.Desc
	flushes        *prometheus.Desc
	errors         *prometheus.Desc
	invalidations  *prometheus.Desc
	invalidateAll  *prometheus.Desc
	tableReads     *prometheus.Desc
	tableBackend   *prometheus.Desc
	latency        *prometheus.Desc
	digestsTracked *prometheus.Desc
	tablesTracked  *prometheus.Desc
	capturesOpen   *prometheus.Desc
}

// metricPrefix starts every metric name of the proxy.
const metricPrefix = "psbench_proxy_"

// newMetricsCollector returns the collector of s.
func newMetricsCollector(s *Stats) *metricsCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(metricPrefix+name, help, labels, nil)
	}
	return &metricsCollector{
		s:              s,
		connsActive:    d("connections_active", "Client connections open now."),
		connsOpened:    d("connections_opened_total", "Client connections opened."),
		connsClosed:    d("connections_closed_total", "Client connections closed."),
		clientCommands: d("client_commands_total", "Client commands received, by MySQL command.", "command"),
		statements:     d("statements_total", "Client statements (commands carrying SQL text), by statement kind.", "kind"),
		backendCmds:    d("backend_commands_total", "Commands sent to the backend, by MySQL command (includes one COM_QUIT per closed client connection).", "command"),
		backendSeconds: d("backend_seconds_total", "Time spent waiting for backend responses."),
		backendIdle:    d("backend_idle_seconds_total", "Time backend sessions were idle before the commands sent to them."),
		cacheSeconds:   d("cache_seconds_total", "Time spent inside cache-store calls (lookups, fills and invalidations)."),
		cacheCalls:     d("cache_calls_total", "Cache-store calls (lookups, fills and invalidations)."),
		outcomes:       d("statement_outcomes_total", "Client commands by what the proxy did with them.", "outcome"),
		stores:         d("cache_stores_total", "Cache misses whose result was stored."),
		bypass:         d("cache_bypass_total", "Client commands passed through without consulting the cache, by reason.", "reason"),
		notStored:      d("cache_not_stored_total", "Cache misses whose result was not stored, by reason.", "reason"),
		flushes:        d("cache_flushes_total", "Whole-cache flushes."),
		errors:         d("errors_total", "Error responses to clients, by MySQL error number.", "code"),
		invalidations:  d("invalidations_total", "Cache invalidations, by table.", "table"),
		invalidateAll:  d("invalidate_all_total", "Invalidations of the whole cache (writes not attributable to tables)."),
		tableReads:     d("table_reads_total", "Client statements reading a table, by table and outcome.", "table", "outcome"),
		tableBackend:   d("table_backend_commands_total", "Backend commands of client statements reading a table.", "table"),
		latency:        d("statement_latency_seconds", "Client-visible latency of client commands, by outcome.", "outcome"),
		digestsTracked: d("digests_tracked", "Statement digests tracked one by one (the rest count as \"other\")."),
		tablesTracked:  d("tables_tracked", "Tables tracked one by one (the rest count as \"other\")."),
		capturesOpen:   d("captures_open", "Capture windows open now."),
	}
}

// Describe implements prometheus.Collector.
func (m *metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		m.connsActive, m.connsOpened, m.connsClosed, m.clientCommands, m.statements,
		m.backendCmds, m.backendSeconds, m.backendIdle, m.cacheSeconds, m.cacheCalls, m.outcomes, m.stores, m.bypass, m.notStored,
		m.flushes, m.errors, m.invalidations, m.invalidateAll, m.tableReads,
		m.tableBackend, m.latency, m.digestsTracked, m.tablesTracked, m.capturesOpen,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *metricsCollector) Collect(ch chan<- prometheus.Metric) {
	s := m.s
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}

	gauge(m.connsActive, float64(s.connsActive.Load()))
	counter(m.connsOpened, s.connsOpened.Load())
	counter(m.connsClosed, s.connsClosed.Load())
	for b := range s.clientCmds {
		if v := s.clientCmds[b].Load(); v != 0 {
			counter(m.clientCommands, v, CommandName(byte(b)))
		}
		if v := s.backendCmds[b].Load(); v != 0 {
			counter(m.backendCmds, v, CommandName(byte(b)))
		}
	}
	s.kinds.each(func(k sqlclass.Kind, v *atomic.Uint64) { counter(m.statements, v.Load(), string(k)) })
	ch <- prometheus.MustNewConstMetric(m.backendSeconds, prometheus.CounterValue, float64(s.backendTimeNs.Load())/1e9)
	ch <- prometheus.MustNewConstMetric(m.backendIdle, prometheus.CounterValue, float64(s.backendIdleNs.Load())/1e9)
	ch <- prometheus.MustNewConstMetric(m.cacheSeconds, prometheus.CounterValue, float64(s.cacheTimeNs.Load())/1e9)
	counter(m.cacheCalls, s.cacheCalls.Load())
	for o := range numOutcomes {
		counter(m.outcomes, s.outcomes[o].Load(), Outcome(o).String())
	}
	counter(m.stores, s.stores.Load())
	for _, byReason := range []struct {
		d *prometheus.Desc
		c *counterMap[sqlclass.Reason]
	}{{m.bypass, &s.bypass}, {m.notStored, &s.notStored}} {
		for r, v := range byReason.c.snapshot(reasonLabel) {
			counter(byReason.d, v, r)
		}
	}
	counter(m.flushes, s.flushes.Load())
	s.errByCode.each(func(code uint16, v *atomic.Uint64) {
		counter(m.errors, v.Load(), strconv.Itoa(int(code)))
	})
	counter(m.invalidateAll, s.invalidateAll.Load())
	s.tables.each(func(t *tableEntry) {
		if v := t.invalidations.Load(); v != 0 {
			counter(m.invalidations, v, t.name)
		}
		if t.counts() == (TableCounts{}) {
			return
		}
		counter(m.tableReads, t.hits.Load(), t.name, OutcomeHit.String())
		counter(m.tableReads, t.misses.Load(), t.name, OutcomeMiss.String())
		counter(m.tableReads, t.bypass.Load(), t.name, OutcomeBypass.String())
		counter(m.tableReads, t.local.Load(), t.name, OutcomeLocal.String())
		counter(m.tableBackend, t.backend.Load(), t.name)
	})
	for o := range numOutcomes {
		d := s.latency[o].load()
		buckets := make(map[float64]uint64, len(d.bounds))
		var cum uint64
		for i, b := range d.bounds {
			cum += d.counts[i]
			buckets[float64(b)/1e9] = cum
		}
		ch <- prometheus.MustNewConstHistogram(m.latency, d.count, float64(d.sumNs)/1e9, buckets, Outcome(o).String())
	}
	gauge(m.digestsTracked, float64(s.digests.n.Load()))
	gauge(m.tablesTracked, float64(s.tables.n.Load()))
	s.capMu.Lock()
	open := len(s.capByID)
	s.capMu.Unlock()
	gauge(m.capturesOpen, float64(open))
}

// newRegistry returns a private registry holding the collector of s and
// the Go runtime and process collectors.
func newRegistry(s *Stats) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		newMetricsCollector(s),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// Registry returns the private Prometheus registry of s (never the global
// one). It holds the psbench_proxy_* metrics and the Go runtime and process
// collectors; the core may register its own collectors on it.
func (s *Stats) Registry() *prometheus.Registry {
	return s.registry
}
