package load

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/psbench/psbench/internal/results"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Phase is one attack to run.
type Phase struct {
	Name     string
	Mode     string // results.ModeBaseline or results.ModeCached
	Rate     string // as configured, for results
	Pacer    vegeta.Pacer
	Duration time.Duration
	// Warmup runs the same traffic first and is discarded.
	Warmup         time.Duration
	MaxConcurrency uint64
	Timeout        time.Duration
	Mix            Mix
	// ResultsPath is where vegeta's binary results are written;
	// ResultsFile is the same path relative to the results directory.
	ResultsPath string
	ResultsFile string
	Sampler     Sampler
	// Progress, if set, is called about once a second.
	Progress func(Progress)
}

// Progress is a live view of a running phase.
type Progress struct {
	Phase     string
	Mode      string
	Warmup    bool
	Elapsed   time.Duration
	Remaining time.Duration
	Requests  uint64
	Errors    uint64
	RPS       float64 // over the last second
}

// Run attacks the targets and summarises the measured part. When ctx is
// cancelled it stops the attack, keeps what was measured and reports the
// phase as interrupted.
func Run(ctx context.Context, ph Phase) (results.LoadPhase, error) {
	out := results.LoadPhase{Name: ph.Name, Mode: ph.Mode, Rate: ph.Rate, Duration: int64(ph.Duration), ResultsFile: ph.ResultsFile}
	targets, kindOf, err := ph.Mix.Targets()
	if err != nil {
		return out, err
	}
	newAttacker := func() *vegeta.Attacker {
		return vegeta.NewAttacker(
			vegeta.MaxWorkers(max(ph.MaxConcurrency, 1)),
			vegeta.Workers(min(max(ph.MaxConcurrency, 1), 4)),
			vegeta.Timeout(ph.Timeout),
			vegeta.Redirects(vegeta.NoFollow),
			vegeta.KeepAlive(true),
			vegeta.MaxBody(0),
		)
	}
	if ph.Warmup > 0 {
		if err := drain(ctx, newAttacker(), vegeta.NewStaticTargeter(targets...), ph, ph.Warmup, true, nil); err != nil {
			return out, err
		}
	}
	if ctx.Err() != nil {
		out.Interrupted = true
		return out, nil
	}

	f, err := os.Create(ph.ResultsPath)
	if err != nil {
		return out, fmt.Errorf("load phase %s/%s: create results file: %w", ph.Name, ph.Mode, err)
	}
	defer f.Close()
	enc := vegeta.NewEncoder(f)

	sum := newSummary(kindOf)
	var before Counters
	if ph.Sampler != nil {
		if before, err = ph.Sampler(ctx); err != nil {
			return out, fmt.Errorf("load phase %s/%s: read proxy counters: %w", ph.Name, ph.Mode, err)
		}
	}
	start := time.Now()
	sampleCtx, stopSampling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if ph.Sampler != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sum.sampleLoop(sampleCtx, ph.Sampler, before, start)
		}()
	}
	encErr := drain(ctx, newAttacker(), vegeta.NewStaticTargeter(targets...), ph, ph.Duration, false, func(r *vegeta.Result) error {
		sum.add(r, start)
		return enc.Encode(r)
	})
	stopSampling()
	wg.Wait()
	if encErr != nil {
		return out, fmt.Errorf("load phase %s/%s: write %s: %w", ph.Name, ph.Mode, ph.ResultsPath, encErr)
	}
	if ctx.Err() != nil {
		out.Interrupted = true
	}
	var after Counters
	if ph.Sampler != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		after, err = ph.Sampler(sctx)
		cancel()
		if err != nil {
			return out, fmt.Errorf("load phase %s/%s: read proxy counters: %w", ph.Name, ph.Mode, err)
		}
	}
	sum.fill(&out, after.sub(before))
	return out, nil
}

// drain runs one attack and hands every result to each (nil: discard).
func drain(ctx context.Context, atk *vegeta.Attacker, tr vegeta.Targeter, ph Phase, d time.Duration, warmup bool, each func(*vegeta.Result) error) error {
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	begin := time.Now()
	var n, errs, lastN uint64
	lastTick := begin
	var firstErr error
	name := ph.Name + "/" + ph.Mode
	for r := range atk.Attack(tr, ph.Pacer, d, name) {
		n++
		if r.Error != "" || r.Code < 200 || r.Code >= 400 {
			errs++
		}
		if each != nil && firstErr == nil {
			if err := each(r); err != nil {
				firstErr = err
				atk.Stop()
			}
		}
		if ph.Progress != nil && time.Since(lastTick) >= time.Second {
			now := time.Now()
			ph.Progress(Progress{Phase: ph.Name, Mode: ph.Mode, Warmup: warmup, Elapsed: now.Sub(begin),
				Remaining: max(d-now.Sub(begin), 0), Requests: n, Errors: errs,
				RPS: float64(n-lastN) / now.Sub(lastTick).Seconds()})
			lastN, lastTick = n, now
		}
	}
	return firstErr
}

// summary accumulates a phase's results.
type summary struct {
	mu      sync.Mutex
	metrics vegeta.Metrics
	perKind map[string]*vegeta.Metrics
	kindOf  map[string]string
	buckets map[int64]*bucket
	errors  map[string]int
}

type bucket struct {
	lat      vegeta.LatencyMetrics
	requests int
	errors   int
	counters *Counters // cumulative proxy counters at the bucket's end
}

func newSummary(kindOf map[string]string) *summary {
	return &summary{perKind: map[string]*vegeta.Metrics{}, kindOf: kindOf, buckets: map[int64]*bucket{}, errors: map[string]int{}}
}

func (s *summary) bucket(sec int64) *bucket {
	b := s.buckets[sec]
	if b == nil {
		b = &bucket{}
		s.buckets[sec] = b
	}
	return b
}

func (s *summary) add(r *vegeta.Result, start time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.metrics.Add(r)
	kind := s.kindOf[r.URL]
	km := s.perKind[kind]
	if km == nil {
		km = &vegeta.Metrics{}
		s.perKind[kind] = km
	}
	km.Add(r)
	b := s.bucket(int64(r.Timestamp.Sub(start) / time.Second))
	b.lat.Add(r.Latency)
	b.requests++
	if failed(r) {
		b.errors++
		msg := r.Error
		if msg == "" {
			msg = fmt.Sprintf("HTTP %d", r.Code)
		}
		s.errors[msg]++
	}
}

func failed(r *vegeta.Result) bool { return r.Error != "" || r.Code < 200 || r.Code >= 400 }

// sampleLoop records the proxy's counters at the end of every second.
func (s *summary) sampleLoop(ctx context.Context, sample Sampler, before Counters, start time.Time) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c, err := sample(ctx)
			if err != nil {
				continue // a missed sample leaves a gap, never a wrong number
			}
			sec := int64(now.Sub(start)/time.Second) - 1
			if sec < 0 {
				continue
			}
			s.mu.Lock()
			d := c.sub(before)
			s.bucket(sec).counters = &d
			s.mu.Unlock()
		}
	}
}

// fill writes the summary into out; delta is the proxy counters' change
// over the whole measured phase.
func (s *summary) fill(out *results.LoadPhase, delta Counters) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.metrics.Close()
	m := &s.metrics
	out.Requests = int(m.Requests)
	out.Success = int(float64(m.Requests)*m.Success + 0.5)
	if m.Requests > 0 {
		out.ErrorRate = 1 - m.Success
	}
	out.Throughput = m.Throughput
	out.Latency = latency(m.Latencies)
	out.Status = m.StatusCodes
	if len(s.errors) > 0 {
		out.Errors = s.errors
	}
	if out.Success > 0 {
		out.BackendStatementsPerRequest = float64(delta.BackendStatements) / float64(out.Success)
	}
	out.HitRatio = delta.hitRatio()
	out.PerKind = map[string]results.KindLoad{}
	for k, km := range s.perKind {
		km.Close()
		kl := results.KindLoad{Requests: int(km.Requests), Throughput: km.Throughput, Latency: latency(km.Latencies)}
		if km.Requests > 0 {
			kl.ErrorRate = 1 - km.Success
		}
		out.PerKind[k] = kl
	}
	secs := make([]int64, 0, len(s.buckets))
	for sec := range s.buckets {
		secs = append(secs, sec)
	}
	sort.Slice(secs, func(i, j int) bool { return secs[i] < secs[j] })
	var prev Counters
	for _, sec := range secs {
		b := s.buckets[sec]
		p := results.TimelinePoint{OffsetMs: sec * 1000, RPS: float64(b.requests), Errors: b.errors}
		if b.requests > 0 {
			p.P50Ns = int64(b.lat.Quantile(0.50))
			p.P95Ns = int64(b.lat.Quantile(0.95))
		}
		if b.counters != nil {
			d := b.counters.sub(prev)
			p.HitRatio = d.hitRatio()
			if b.requests > 0 {
				p.BackendPerRequest = float64(d.BackendStatements) / float64(b.requests)
			}
			prev = *b.counters
		}
		out.Timeline = append(out.Timeline, p)
	}
}

func latency(l vegeta.LatencyMetrics) results.Latency {
	return results.Latency{Mean: int64(l.Mean), P50: int64(l.P50), P90: int64(l.P90), P95: int64(l.P95), P99: int64(l.P99), Max: int64(l.Max)}
}
