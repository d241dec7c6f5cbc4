// Package threshold parses, checks and evaluates psbench's pass/fail
// thresholds: a tiny expression language, parsed by hand.
//
//	threshold := expr cmp expr
//	cmp       := "<" | "<=" | ">" | ">=" | "==" | "!="
//	expr      := term (("+" | "-") term)*
//	term      := unary (("*" | "/") unary)*
//	unary     := "-" unary | primary
//	primary   := number | duration | percentage | metric | "(" expr ")"
//
// Numbers are 12, 0.5 or .5; durations 500ms, 1.5s, 2m, 1m30s (Go syntax);
// percentages 1% (= 0.01). Metric names are dotted words; a '-' inside a
// name belongs to it (load phase names may contain '-'), so subtract with
// spaces: "a - b". The left side is the measured value, the right side the
// limit, e.g.
//
//	product.reduction >= 0.5
//	load.cached.errors < 1%
//	load.cached.p95 < 1s
//	load.cached.rps / load.baseline.rps >= 1.5
//	product.warm.backend_statements <= product.cold.backend_statements * 40%
//
// # Units
//
// Every metric has a unit: count, ratio, duration (seconds) or rate
// (req/s). Both sides of a comparison, + and - must agree; a plain number
// takes the other side's unit, except that only 0 may stand for a
// duration (load.cached.p95 < 1 is an error: write 1s). A plain number or
// a ratio may multiply anything; dividing like units gives a ratio.
//
// # Metrics
//
// Profile metrics, per page kind of the scenario (pages: product, ...):
//
//	name                                   unit   meaning
//	<kind>.cold.backend_statements         count  statements reaching MySQL, cache flushed (median over samples)
//	<kind>.warm.backend_statements         count  the same page again (median over samples)
//	<kind>.warm_other.backend_statements   count  another page of the kind after others warmed the cache
//	<kind>.<phase>.client_statements       count  statements the shop sent (median over samples)
//	<kind>.<phase>.hits                    count  cache hits (median over pages of each page's median sample)
//	<kind>.reduction                       ratio  1 - warm/cold of the median backend statements
//	<kind>.reduction_warm_other            ratio  1 - warm_other/cold
//
// Load metrics, mode baseline (cache off) or cached (cache on):
//
//	name                               unit      meaning
//	load.<mode>.rps                    req/s     successful requests per second (vegeta throughput)
//	load.<mode>.p50|p90|p95|p99|max    duration  latency percentiles and maximum
//	load.<mode>.mean                   duration  mean latency
//	load.<mode>.errors                 ratio     failed / all requests
//	load.<mode>.hit_ratio              ratio     cache hit ratio (proxy counters)
//	load.<mode>.backend_per_request    count     backend statements per request (proxy counters)
//	load.<phase>.<mode>.<stat>         as above  a named load phase
//
// load.<mode>.<stat> reads the scenario's LAST load phase. A metric the run
// does not hold (phase not run, profile invalid) fails its threshold with
// results.Threshold.Error set; it never passes.
package threshold
