package stats

import (
	"testing"
	"time"
)

func TestLatencySummaryEstimation(t *testing.T) {
	for _, c := range []struct {
		name string
		obs  []time.Duration
		want LatencySummary
	}{
		{"empty", nil, LatencySummary{}},
		{
			// 100 observations in (5µs, 10µs]: interpolated linearly.
			"one bucket", repeat(7*time.Microsecond, 100),
			LatencySummary{Count: 100, SumNs: 700_000, P50Ns: 7500, P95Ns: 9750, P99Ns: 9950},
		},
		{
			// 90 fast, 10 slow: p50 in the first bucket, p95/p99 in (1ms, 2.5ms].
			"two buckets", append(repeat(3*time.Microsecond, 90), repeat(2*time.Millisecond, 10)...),
			LatencySummary{Count: 100, SumNs: 90*3000 + 10*2_000_000, P50Ns: 2777, P95Ns: 1_750_000, P99Ns: 2_350_000},
		},
		{
			// Beyond the last bound: the estimate is that bound.
			"overflow", repeat(time.Minute, 4),
			LatencySummary{Count: 4, SumNs: int64(4 * time.Minute), P50Ns: int64(10 * time.Second), P95Ns: int64(10 * time.Second), P99Ns: int64(10 * time.Second)},
		},
		{"negative counts as zero", []time.Duration{-time.Second}, LatencySummary{Count: 1, P50Ns: 2500, P95Ns: 4750, P99Ns: 4950}},
	} {
		h := newHistogram(DefaultLatencyBuckets())
		for _, d := range c.obs {
			h.observe(d)
		}
		if got := h.load().summary(); got != c.want {
			t.Errorf("%s: summary = %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestHistogramBucketBoundsInclusive(t *testing.T) {
	h := newHistogram([]time.Duration{time.Millisecond, time.Second})
	h.observe(time.Millisecond)     // le=1ms
	h.observe(time.Millisecond + 1) // le=1s
	h.observe(2 * time.Second)      // +Inf
	d := h.load()
	if d.counts[0] != 1 || d.counts[1] != 1 || d.counts[2] != 1 || d.count != 3 {
		t.Errorf("bucket counts = %v, want [1 1 1]", d.counts)
	}
}

// repeat returns n copies of d.
func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestLatencyBucketsOptionCleaned(t *testing.T) {
	s := New(Options{LatencyBuckets: []time.Duration{time.Second, 0, time.Millisecond, time.Second, -1}})
	if got := s.latency[OutcomeHit].bounds; len(got) != 2 || got[0] != int64(time.Millisecond) || got[1] != int64(time.Second) {
		t.Errorf("bounds = %v, want [1ms 1s]", got)
	}
	if got := New(Options{LatencyBuckets: []time.Duration{-1}}).latency[OutcomeHit].bounds; len(got) != len(DefaultLatencyBuckets()) {
		t.Errorf("bounds = %v, want the defaults", got)
	}
}
