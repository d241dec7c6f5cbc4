package idleprobe

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/psbench/psbench/internal/netem"
	"github.com/psbench/psbench/internal/results"
)

// Exchange performs one request/response round trip with the server.
type Exchange func(ctx context.Context) error

// DefaultGaps are the idle gaps measured by default: they span the round
// trips a capacity plan considers (0.1 ms, same rack, to 5 ms, another
// zone).
var DefaultGaps = []time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
}

// Options tune Measure. Zero values take the defaults.
type Options struct {
	// Gaps are the idle gaps to measure besides back to back (default
	// DefaultGaps); they are sorted and deduplicated.
	Gaps []time.Duration
	// Rounds (default 6) × PerBlock (default 25) exchanges are timed per
	// gap, after Warmup (default 40) untimed ones.
	Rounds, PerBlock, Warmup int
	// Trim is the fraction of the slowest exchanges of each gap left out of
	// its mean (default 0.05, at least one exchange): a GC pause or a
	// preempted vCPU is not what idling costs. Negative: keep everything.
	Trim float64
}

func (o Options) withDefaults() Options {
	if len(o.Gaps) == 0 {
		o.Gaps = DefaultGaps
	}
	o.Gaps = slices.Clone(o.Gaps)
	slices.Sort(o.Gaps)
	o.Gaps = slices.Compact(o.Gaps)
	o.Gaps = slices.DeleteFunc(o.Gaps, func(g time.Duration) bool { return g <= 0 })
	if o.Rounds <= 0 {
		o.Rounds = 6
	}
	if o.PerBlock <= 0 {
		o.PerBlock = 25
	}
	if o.Warmup <= 0 {
		o.Warmup = 40
	}
	if o.Trim == 0 {
		o.Trim = 0.05
	}
	return o
}

// Server is what Measure probes.
type Server struct {
	// Kind is results.IdleServerMySQL or results.IdleServerRedis.
	Kind string
	// Addr is the server's host:port, for the record and error messages.
	Addr string
	// Request describes the exchange ("SELECT 1").
	Request  string
	Exchange Exchange
}

func (s Server) String() string { return s.Kind + " " + s.Addr }

// Measure probes s and returns its idle cost: the mean back-to-back round
// trip and, for each gap, how much longer a round trip after that much
// idle took. An exchange error ends the probe with the error, naming the
// server.
func Measure(ctx context.Context, s Server, o Options) (results.IdleCost, error) {
	o = o.withDefaults()
	out := results.IdleCost{Kind: s.Kind, Addr: s.Addr, Request: s.Request}
	server, ex := s.String(), s.Exchange
	if ex == nil {
		return out, fmt.Errorf("idle probe %s: no exchange", server)
	}
	for range o.Warmup {
		if err := ex(ctx); err != nil {
			return out, fmt.Errorf("idle probe %s: %w", server, err)
		}
	}
	sl := netem.NewSleeper(0)
	defer sl.Close()
	gaps := append([]time.Duration{0}, o.Gaps...)
	samples := make([][]time.Duration, len(gaps))
	for round := range o.Rounds {
		for j := range gaps {
			// rotate the order each round: slow drift of a busy machine
			// then falls on every gap alike
			i := (j + round) % len(gaps)
			for range o.PerBlock {
				if gaps[i] > 0 && !sl.Sleep(ctx, gaps[i]) {
					return out, fmt.Errorf("idle probe %s: %w", server, ctx.Err())
				}
				start := time.Now()
				if err := ex(ctx); err != nil {
					return out, fmt.Errorf("idle probe %s (after %s idle): %w", server, gaps[i], err)
				}
				samples[i] = append(samples[i], time.Since(start))
			}
		}
	}
	out.HotNs = trimmedMean(samples[0], o.Trim)
	out.Samples = len(samples[0])
	for i, g := range gaps[1:] {
		m := trimmedMean(samples[i+1], o.Trim)
		out.Points = append(out.Points, results.IdlePoint{GapNs: int64(g), MeanNs: m, ExtraNs: m - out.HotNs})
	}
	return out, nil
}

// trimmedMean is the mean of d without its slowest fraction trim.
func trimmedMean(d []time.Duration, trim float64) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	if trim > 0 {
		s = s[:max(1, len(s)-max(1, int(float64(len(s))*trim)))]
	}
	var sum float64
	for _, v := range s {
		sum += float64(v)
	}
	return sum / float64(len(s))
}
