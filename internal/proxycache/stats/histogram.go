package stats

import (
	"sync/atomic"
	"time"
)

// DefaultLatencyBuckets returns the default upper bounds of the latency
// histograms: 5µs to 10s, roughly 1-2.5-5 per decade, which covers a cache
// hit on loopback (tens of µs) up to a slow backend query.
func DefaultLatencyBuckets() []time.Duration {
	return []time.Duration{
		5 * time.Microsecond, 10 * time.Microsecond, 25 * time.Microsecond,
		50 * time.Microsecond, 100 * time.Microsecond, 250 * time.Microsecond,
		500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond,
		5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond,
		50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
		500 * time.Millisecond, time.Second, 2500 * time.Millisecond,
		5 * time.Second, 10 * time.Second,
	}
}

// histogram is a fixed-bucket latency histogram updated with atomics.
// counts[i] counts observations d with bounds[i-1] < d <= bounds[i];
// the last count is the +Inf bucket.
type histogram struct {
	bounds []int64 // upper bounds in ns, strictly ascending
	counts []atomic.Uint64
	sumNs  atomic.Int64
}

// newHistogram returns a histogram with the given (sorted, positive) bounds.
func newHistogram(bounds []time.Duration) *histogram {
	h := &histogram{bounds: make([]int64, len(bounds)), counts: make([]atomic.Uint64, len(bounds)+1)}
	for i, b := range bounds {
		h.bounds[i] = int64(b)
	}
	return h
}

// observe records one duration.
func (h *histogram) observe(d time.Duration) {
	ns := int64(d)
	if ns < 0 {
		ns = 0
	}
	i := 0
	for i < len(h.bounds) && ns > h.bounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sumNs.Add(ns)
}

// histogramData is a consistent-enough copy of a histogram: the count is
// the sum of the bucket counts read, so quantiles never exceed it.
type histogramData struct {
	bounds []int64
	counts []uint64 // per bucket, not cumulative; last is +Inf
	count  uint64
	sumNs  int64
}

// load copies the histogram.
func (h *histogram) load() histogramData {
	d := histogramData{bounds: h.bounds, counts: make([]uint64, len(h.counts))}
	for i := range h.counts {
		d.counts[i] = h.counts[i].Load()
		d.count += d.counts[i]
	}
	d.sumNs = h.sumNs.Load()
	return d
}

// quantile estimates the q-quantile (0 < q < 1) the way Prometheus'
// histogram_quantile does: find the bucket holding the observation of rank
// q*count and interpolate linearly between that bucket's lower bound (the
// previous bound, or 0 for the first bucket) and its upper bound, assuming
// observations are spread evenly inside the bucket. When the rank falls in
// the +Inf bucket the highest finite bound is returned (a lower bound of the
// true value). The error is at most the width of the bucket found.
func (d histogramData) quantile(q float64) time.Duration {
	if d.count == 0 {
		return 0
	}
	rank := q * float64(d.count)
	var cum uint64
	for i, n := range d.counts {
		if n == 0 || float64(cum+n) < rank {
			cum += n
			continue
		}
		if i == len(d.bounds) { // +Inf bucket
			if len(d.bounds) == 0 {
				return 0
			}
			return time.Duration(d.bounds[len(d.bounds)-1])
		}
		lower := 0.0
		if i > 0 {
			lower = float64(d.bounds[i-1])
		}
		upper := float64(d.bounds[i])
		return time.Duration(lower + (upper-lower)*(rank-float64(cum))/float64(n))
	}
	return time.Duration(d.bounds[len(d.bounds)-1])
}

// LatencySummary summarises one latency histogram. Durations are in
// nanoseconds. The percentiles are estimates from the histogram buckets:
// linear interpolation inside the bucket that holds the rank (as Prometheus'
// histogram_quantile), so each is accurate to within its bucket's width; a
// percentile that falls beyond the last bucket reports that bucket's bound.
type LatencySummary struct {
	Count uint64 `json:"count"`
	SumNs int64  `json:"sum_ns"`
	P50Ns int64  `json:"p50_ns"`
	P95Ns int64  `json:"p95_ns"`
	P99Ns int64  `json:"p99_ns"`
}

// summary returns the histogram's LatencySummary.
func (d histogramData) summary() LatencySummary {
	return LatencySummary{
		Count: d.count,
		SumNs: d.sumNs,
		P50Ns: int64(d.quantile(0.50)),
		P95Ns: int64(d.quantile(0.95)),
		P99Ns: int64(d.quantile(0.99)),
	}
}
