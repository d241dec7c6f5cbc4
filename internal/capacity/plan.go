package capacity

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/results"
)

// Options are a plan's parameters (the flags of `psbench plan`).
type Options struct {
	// TargetRPS, or ConcurrentUsers with ThinkTime, set the traffic.
	TargetRPS       float64
	ConcurrentUsers int
	ThinkTime       time.Duration
	// Nodes is the planned web nodes (0: the plan's own node count).
	Nodes int
	// DBMaxQPS is what MySQL sustains (0: no headroom).
	DBMaxQPS float64
	// CacheRTTs are the shared cache round trips to show (default 0.1, 0.5,
	// 1, 2 ms).
	CacheRTTs []time.Duration
	// Utilisation is the target utilisation of a web node (default 0.7).
	Utilisation float64
	// TTL is the cache TTL (0: the run's).
	TTL time.Duration
	// DBRTT is the planned round trip proxy↔MySQL (nil: the run's injected
	// one, 0 without).
	DBRTT *time.Duration
	// Catalogue maps page kinds to their number of distinct pages (default:
	// the pages profiled).
	Catalogue map[string]int
	// Force plans past a refusal (invalid profile, target beyond 2× the
	// measured load).
	Force bool
}

// DefaultCacheRTTs are the shared-cache RTTs a plan shows by default.
var DefaultCacheRTTs = []time.Duration{100 * time.Microsecond, 500 * time.Microsecond, time.Millisecond, 2 * time.Millisecond}

// ExtrapolationLimit is how far past the measured load a plan goes.
const ExtrapolationLimit = 2.0

// ErrRefused wraps the refusals --force overrides.
var ErrRefused = errors.New("refused")

// Check reports inconsistent options (every error names the flag).
func (o Options) Check() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	users := o.ConcurrentUsers != 0 || o.ThinkTime != 0
	switch {
	case o.TargetRPS != 0 && users:
		bad("--target-rps and --concurrent-users/--think-time are two ways to give the traffic: give one")
	case o.TargetRPS == 0 && !users:
		bad("give the traffic: --target-rps R, or --concurrent-users U with --think-time T")
	case o.TargetRPS < 0 || math.IsNaN(o.TargetRPS) || math.IsInf(o.TargetRPS, 0):
		bad("--target-rps must be a positive number of requests per second")
	case users && (o.ConcurrentUsers <= 0 || o.ThinkTime <= 0):
		bad("--concurrent-users and --think-time go together, both positive (e.g. --concurrent-users 500 --think-time 10s)")
	}
	if o.Nodes < 0 {
		bad("--nodes must be at least 1")
	}
	if o.DBMaxQPS < 0 {
		bad("--db-max-qps must be positive")
	}
	if o.Utilisation < 0 || o.Utilisation > 1 {
		bad("--utilisation must be in (0, 1], e.g. 0.7")
	}
	if o.TTL < 0 {
		bad("--ttl must be positive")
	}
	if o.DBRTT != nil && *o.DBRTT < 0 {
		bad("--db-rtt must not be negative")
	}
	for _, r := range o.CacheRTTs {
		if r < 0 {
			bad("--cache-rtt %s: must not be negative", r)
		}
	}
	for k, n := range o.Catalogue {
		if n < 1 {
			bad("--catalogue %s=%d: must be at least 1 page", k, n)
		}
	}
	return errors.Join(errs...)
}

// Plan computes the capacity plan of a run. Errors are the caller's input
// problems (exit 2); those wrapping ErrRefused are lifted by Force.
func Plan(run *results.Run, o Options) (*results.Capacity, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if run == nil || run.Profile == nil || len(run.Profile.Pages) == 0 {
		return nil, errors.New("the results have no statement profile: nothing to plan from (run a scenario with profile enabled)")
	}
	capy := &results.Capacity{Forced: false}
	p := run.Profile
	if !p.Valid || len(p.Problems) > 0 {
		if !o.Force {
			return nil, fmt.Errorf("%w: the profile is invalid (%s); its numbers must not be planned on (--force to plan anyway, labelled)",
				ErrRefused, strings.Join(p.Problems, "; "))
		}
		capy.Forced = true
		capy.Assumptions = append(capy.Assumptions, "FORCED: planned on an INVALID profile")
	}
	if o.Utilisation == 0 {
		o.Utilisation = 0.7
	}
	if len(o.CacheRTTs) == 0 {
		o.CacheRTTs = DefaultCacheRTTs
	}
	if o.TTL == 0 {
		if d, err := time.ParseDuration(run.Cache.TTL); err == nil && d > 0 {
			o.TTL = d
		} else {
			o.TTL = 10 * time.Minute
		}
	}
	calib, err := Calibrate(run)
	if err != nil {
		return nil, err
	}
	dbRTT := calib.MeasuredRTT
	if o.DBRTT != nil {
		dbRTT = *o.DBRTT
	}
	tm, notes := modelTimes(calib, dbRTT)
	capy.DBStatementNs, capy.DBRTTNs, capy.LocalHitNs, capy.RedisNs = tm.db, float64(dbRTT), tm.hit, tm.redis
	capy.DBIdleNs = tm.stmt() - tm.db - float64(dbRTT)
	capy.DBGapNs, capy.CacheGapNs = int64(tm.wake.dbGap), int64(tm.wake.cacheGap)

	kinds := kindsOf(p)
	if len(kinds) == 0 {
		return nil, errors.New("the profile has no page with a cold phase: nothing to plan from")
	}
	phases := run.LoadPhases()
	shares, shareNote := trafficShares(kinds, phases)
	for i := range kinds {
		kinds[i].share = shares[i]
		if n, ok := o.Catalogue[kinds[i].kind]; ok {
			kinds[i].catalogue = n
		}
	}

	// traffic
	in := results.CapacityInputs{Utilisation: o.Utilisation, TTLNs: int64(o.TTL), DBMaxQPS: o.DBMaxQPS,
		ConcurrentUsers: o.ConcurrentUsers, ThinkTimeNs: int64(o.ThinkTime)}
	for _, r := range o.CacheRTTs {
		in.CacheRTTsNs = append(in.CacheRTTsNs, int64(r))
	}
	for _, ph := range phases {
		in.MeasuredRPS = max(in.MeasuredRPS, ph.Throughput)
	}
	rps := o.TargetRPS
	if o.ConcurrentUsers > 0 {
		lat := cachedLatency(phases)
		rps = float64(o.ConcurrentUsers) / (o.ThinkTime.Seconds() + lat.Seconds())
		capy.Assumptions = append(capy.Assumptions, fmt.Sprintf("traffic %s req/s = %d users / (think time %s + page latency %s)%s",
			sig3(rps), o.ConcurrentUsers, o.ThinkTime, lat.Round(time.Millisecond), map[bool]string{true: " (no load phase: latency taken as 0)", false: ""}[lat == 0]))
	}
	in.TargetRPS = rps
	if len(phases) == 0 {
		capy.Missing = append(capy.Missing,
			"no load phases: per-node throughput, web nodes needed and the 2× extrapolation check need a run with load phases; statements/s and SQL time come from the profile alone")
	} else if rps > ExtrapolationLimit*in.MeasuredRPS {
		if !o.Force {
			return nil, fmt.Errorf("%w: target %s req/s is %.1f× the highest measured throughput (%s req/s); beyond %g× the model would extrapolate a linear fit into queueing, lock and CPU saturation it never saw. Measure at a higher rate, or --force to plan anyway (labelled)",
				ErrRefused, sig3(rps), rps/in.MeasuredRPS, sig3(in.MeasuredRPS), ExtrapolationLimit)
		}
		capy.Forced = true
		capy.Assumptions = append(capy.Assumptions, fmt.Sprintf("FORCED: target %s req/s is %.1f× the measured %s req/s (extrapolated)", sig3(rps), rps/in.MeasuredRPS, sig3(in.MeasuredRPS)))
	}

	// nodes from measured throughput
	if len(phases) > 0 {
		capy.Nodes = nodesPlan(run, phases, rps, o)
	}
	in.Nodes, in.NodesFrom = o.Nodes, "flag"
	if in.Nodes == 0 {
		in.Nodes, in.NodesFrom = 1, "default (no node count known)"
		if capy.Nodes != nil {
			if n, ok := capy.Nodes.Needed[results.TopologyLocal]; ok {
				in.Nodes, in.NodesFrom = n, "plan (nodes needed, local cache)"
			} else if n, ok := capy.Nodes.Needed[results.TopologyNoCache]; ok {
				in.Nodes, in.NodesFrom = n, "plan (nodes needed, no cache)"
			}
		}
	}
	capy.Inputs = in

	// per kind at the target
	var wNo, wLocal, wShared, wHitsShared, wCacheable float64
	for _, m := range kinds {
		lambda := rps * m.share
		hl := m.hits(lambda/float64(in.Nodes), o.TTL)
		hs := m.hits(lambda, o.TTL)
		ck := results.CapacityKind{Kind: m.kind, Share: m.share, Catalogue: m.catalogue, Client: m.c,
			BackendCold: m.sCold, BackendWarm: m.sWarm, BackendWarmOther: m.sWO, Cacheable: m.k,
			HitsWarm: m.hWarm, HitsWarmOther: m.hWO, HitsLocal: hl, HitsShared: hs,
			HitRatioLocal: ratio(hl, m.k), HitRatioShared: ratio(hs, m.k),
			NoCacheNs: tm.noCache(m), LocalNs: tm.local(m, hl)}
		if r, ok := tm.breakEven(m, hs); ok {
			ck.BreakEvenRTTNs = &r
		}
		capy.Kinds = append(capy.Kinds, ck)
		wNo += m.share * m.c
		wLocal += m.share * (m.c - hl)
		wShared += m.share * (m.c - hs)
		wHitsShared += m.share * hs
		wCacheable += m.share * m.k
	}
	measuredPer := map[string]*float64{}
	for _, ph := range phases {
		v := ph.BackendStatementsPerRequest
		if ph.Mode == results.ModeBaseline {
			measuredPer[results.TopologyNoCache] = &v
		} else if ph.Mode == results.ModeCached {
			measuredPer[cachedTopology(run.Cache.Mode)] = &v
		}
	}
	for _, t := range []struct {
		name string
		per  float64
	}{{results.TopologyNoCache, wNo}, {results.TopologyLocal, wLocal}, {results.TopologyShared, wShared}} {
		ct := results.CapacityTopology{Name: t.name, StatementsPerPage: t.per, StatementsPerSecond: rps * t.per, MeasuredPerPage: measuredPer[t.name]}
		if o.DBMaxQPS > 0 {
			h := 1 - ct.StatementsPerSecond/o.DBMaxQPS
			ct.Headroom = &h
		}
		capy.Topologies = append(capy.Topologies, ct)
	}
	for _, f := range []float64{0.25, 0.5, 1, 1.5, 2} {
		capy.Traffic = append(capy.Traffic, trafficPoint(kinds, rps*f, in.Nodes, o.TTL))
	}
	for _, f := range []float64{0.1, 0.5, 1, 6} {
		capy.TTLWhatIf = append(capy.TTLWhatIf, ttlPoint(kinds, rps, in.Nodes, time.Duration(f*float64(o.TTL))))
	}

	// SQL time vs cache RTT (traffic-weighted)
	curve := results.SQLTimeCurve{}
	for i, m := range kinds {
		curve.NoCacheNs += m.share * capy.Kinds[i].NoCacheNs
		curve.LocalNs += m.share * capy.Kinds[i].LocalNs
	}
	rtts := slices.Clone(in.CacheRTTsNs)
	for _, r := range []time.Duration{0, 250 * time.Microsecond, 5 * time.Millisecond} {
		rtts = append(rtts, int64(r))
	}
	slices.Sort(rtts)
	rtts = slices.Compact(rtts)
	for _, r := range rtts {
		var ns float64
		for i, m := range kinds {
			k := tm.shared(m, capy.Kinds[i].HitsShared, float64(r))
			capy.Kinds[i].Shared = append(capy.Kinds[i].Shared, results.SQLTimePoint{RTTNs: r, Ns: k})
			ns += m.share * k
		}
		curve.Shared = append(curve.Shared, results.SQLTimePoint{RTTNs: r, Ns: ns})
	}
	if r, ok := tm.breakEven(kindModel{c: wNo, k: wCacheable}, wHitsShared); ok {
		curve.BreakEvenRTTNs = &r
	}
	capy.SQLTime = curve

	// assumptions, in words
	var hr []string
	for _, k := range capy.Kinds {
		hr = append(hr, fmt.Sprintf("%s %s local / %s shared (catalogue %d pages)", k.Kind, pct(k.HitRatioLocal), pct(k.HitRatioShared), k.Catalogue))
	}
	capy.Assumptions = append(capy.Assumptions,
		fmt.Sprintf("hit ratio h_eff = (H_cold + (H_warm_other − H_cold)·p_kind + (H_warm − H_warm_other)·p_page) / cacheable, p = 1 − exp(−λ·TTL[/catalogue]), TTL %s, uniform popularity: %s", o.TTL, strings.Join(hr, "; ")),
		fmt.Sprintf("local cache: each of %d node(s) (%s) sees 1/%d of the traffic; shared cache sees all of it", in.Nodes, in.NodesFrom, in.Nodes),
		fmt.Sprintf("t_db %s per statement (backend time / backend statements over the profile, %d statements, injected db RTT %s and its idle cost removed); planned db RTT %s adds %s per statement",
			calib.TDB, calib.Statements, calib.MeasuredRTT, dbRTT, time.Duration(tm.stmt()-tm.db).Round(time.Microsecond)))
	capy.Assumptions = append(capy.Assumptions, notes...)
	capy.Assumptions = append(capy.Assumptions, "a shared-cache miss costs a GET and a fill SET", shareNote)
	for _, m := range kinds {
		if !m.warmOtherMeasured {
			capy.Missing = append(capy.Missing, fmt.Sprintf("%s: no warm_other phase in the profile; statements shared across pages are assumed to miss (pessimistic)", m.kind))
		}
		if _, ok := o.Catalogue[m.kind]; !ok {
			capy.Assumptions = append(capy.Assumptions, fmt.Sprintf("%s catalogue assumed to be the %d page(s) profiled (--catalogue %s=N for the real shop)", m.kind, m.catalogue, m.kind))
		}
	}
	return capy, nil
}

// modelTimes are the model's per-round-trip times from a calibration at a
// planned database RTT, with a sentence for each on where it comes from.
func modelTimes(c Calibration, dbRTT time.Duration) (times, []string) {
	tm := times{db: float64(c.TDB), hit: float64(LocalHitTime), redis: float64(RedisServiceTime), rDB: float64(dbRTT), wake: c.wake}
	var notes []string
	switch {
	case c.CacheMode == proxycache.CacheLocal && c.TCache > 0:
		tm.hit = float64(c.TCache)
		notes = append(notes, fmt.Sprintf("local cache call %s (measured: %d calls in the profile); Redis call %s (a constant: the run used no Redis)",
			c.TCache, c.CacheCalls, RedisServiceTime))
	case c.CacheMode == proxycache.CacheRedis && c.TCache > 0:
		tm.redis = float64(c.TCache)
		notes = append(notes, fmt.Sprintf("Redis call %s (measured: %d calls in the profile, injected cache RTT %s and its idle cost removed); local hit %s (a constant)",
			c.TCache, c.CacheCalls, c.MeasuredCacheRTT, LocalHitTime))
	default:
		notes = append(notes, fmt.Sprintf("local hit %s and Redis call %s are constants (the run measured no cache time per call in cache mode %q)",
			LocalHitTime, RedisServiceTime, c.CacheMode))
	}
	if tm.wake.cacheGap == 0 { // no cache calls measured: the page's rhythm is MySQL's
		tm.wake.cacheGap = tm.wake.dbGap
	}
	at1ms := func(remote bool) (float64, float64) {
		w := tm.wake
		w.callsPerStmt, w.stmtsPerCall = 0, 0 // one server's own wake-up, uncoupled
		xDB, xC := w.added(1e6, 1e6, remote)
		return xDB - 1e6, xC - 1e6
	}
	if c.DBIdleMeasured() {
		xDB, _ := at1ms(false)
		notes = append(notes, fmt.Sprintf("MySQL idle cost (probed): a round trip of r also wakes MySQL from r longer idle, w(g + r) − w(g) with g = %s between the page's statements: +%s per statement at 1 ms",
			c.DBGap().Round(time.Microsecond), time.Duration(xDB).Round(time.Microsecond)))
	} else {
		notes = append(notes, "MySQL idle cost not probed (results without idle_cost): each round trip adds the RTT alone, which under-predicts SQL time on an idle database")
	}
	switch {
	case c.CacheIdleMeasured():
		_, xC := at1ms(true)
		notes = append(notes, fmt.Sprintf("Redis idle cost (probed): +%s per call at 1 ms RTT", time.Duration(xC).Round(time.Microsecond)))
	case c.DBIdleMeasured():
		tm.wake.cache = tm.wake.db
		notes = append(notes, "Redis idle cost not probed (the run used no Redis): MySQL's idle cost stands in for it")
	}
	if tm.wake.callsPerStmt > 0 && (tm.wake.db.measured() || tm.wake.cache.measured()) {
		notes = append(notes, "a shared cache's round trips also lengthen MySQL's idle (by the cache calls between two statements at the page's hit ratio) and MySQL's lengthen the cache's: both are in the shared-cache times")
	}
	return tm, notes
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

func cachedTopology(mode string) string {
	if mode == proxycache.CacheLocal {
		return results.TopologyLocal
	}
	return results.TopologyShared
}

// trafficShares are the kinds' shares of the traffic: from the load phase
// with the most per-kind requests, else equal.
func trafficShares(kinds []kindModel, phases []results.LoadPhase) ([]float64, string) {
	out := make([]float64, len(kinds))
	best, bestN := -1, 0
	for i, ph := range phases {
		n := 0
		for _, k := range kinds {
			n += ph.PerKind[k.kind].Requests
		}
		if n > bestN {
			best, bestN = i, n
		}
	}
	if best >= 0 {
		var parts []string
		for i, k := range kinds {
			out[i] = float64(phases[best].PerKind[k.kind].Requests) / float64(bestN)
			parts = append(parts, fmt.Sprintf("%s %s", k.kind, pct(out[i])))
		}
		return out, fmt.Sprintf("traffic mix from load phase %s (%s): %s", phases[best].Name, phases[best].Mode, strings.Join(parts, ", "))
	}
	for i := range out {
		out[i] = 1 / float64(len(kinds))
	}
	return out, "traffic mix: equal shares of the profiled page kinds (no load phase with per-kind requests)"
}

// cachedLatency is the mean latency of the cached phase with the highest
// throughput (0 without).
func cachedLatency(phases []results.LoadPhase) time.Duration {
	var best *results.LoadPhase
	for i, ph := range phases {
		if ph.Mode == results.ModeCached && (best == nil || ph.Throughput > best.Throughput) {
			best = &phases[i]
		}
	}
	if best == nil {
		return 0
	}
	return time.Duration(best.Latency.Mean)
}

func nodesPlan(run *results.Run, phases []results.LoadPhase, rps float64, o Options) *results.CapacityNodes {
	n := &results.CapacityNodes{PerNodeRPS: map[string]float64{}, Needed: map[string]int{}}
	nodes := float64(max(run.Target.Nodes, 1))
	for _, ph := range phases {
		topo := results.TopologyNoCache
		if ph.Mode == results.ModeCached {
			topo = cachedTopology(run.Cache.Mode)
		}
		n.PerNodeRPS[topo] = max(n.PerNodeRPS[topo], ph.Throughput/nodes)
	}
	for topo, per := range n.PerNodeRPS {
		if per <= 0 {
			continue
		}
		n.Needed[topo] = int(math.Ceil(rps / (per * o.Utilisation)))
		if o.Nodes > 0 {
			if n.UtilisationAtNodes == nil {
				n.UtilisationAtNodes = map[string]float64{}
			}
			n.UtilisationAtNodes[topo] = rps / (float64(o.Nodes) * per)
		}
	}
	return n
}

func trafficPoint(kinds []kindModel, rps float64, nodes int, ttl time.Duration) results.CapacityTrafficPoint {
	pt := results.CapacityTrafficPoint{RPS: rps, StatementsPerSecond: map[string]float64{}}
	for _, m := range kinds {
		lambda := rps * m.share
		pt.StatementsPerSecond[results.TopologyNoCache] += lambda * m.c
		pt.StatementsPerSecond[results.TopologyLocal] += lambda * (m.c - m.hits(lambda/float64(nodes), ttl))
		pt.StatementsPerSecond[results.TopologyShared] += lambda * (m.c - m.hits(lambda, ttl))
	}
	return pt
}

// ttlPoint is the plan at rps with cache TTL ttl: weighted hit ratios and
// MySQL statements/s with a local and a shared cache.
func ttlPoint(kinds []kindModel, rps float64, nodes int, ttl time.Duration) results.CapacityTTLPoint {
	tp := trafficPoint(kinds, rps, nodes, ttl)
	pt := results.CapacityTTLPoint{TTLNs: int64(ttl), StatementsPerSecond: map[string]float64{
		results.TopologyLocal:  tp.StatementsPerSecond[results.TopologyLocal],
		results.TopologyShared: tp.StatementsPerSecond[results.TopologyShared],
	}}
	var hl, hs, k float64
	for _, m := range kinds {
		lambda := rps * m.share
		hl += m.share * m.hits(lambda/float64(nodes), ttl)
		hs += m.share * m.hits(lambda, ttl)
		k += m.share * m.k
	}
	pt.HitRatioLocal, pt.HitRatioShared = ratio(hl, k), ratio(hs, k)
	return pt
}

func sig3(f float64) string { return strconv.FormatFloat(roundSig(f, 3), 'f', -1, 64) }

func roundSig(f float64, n int) float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return f
	}
	p := math.Pow(10, float64(n)-math.Ceil(math.Log10(math.Abs(f))))
	return math.Round(f*p) / p
}

func pct(f float64) string { return fmt.Sprintf("%.1f %%", 100*f) }
