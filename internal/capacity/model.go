package capacity

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/results"
)

// Constants of the model (see the package documentation for why).
const (
	LocalHitTime     = 5 * time.Microsecond
	RedisServiceTime = 25 * time.Microsecond
)

// Calibration is what one run measured per round trip: MySQL's time per
// statement, the cache's time per store call, and the servers' idle cost.
type Calibration struct {
	// TDB is t_db: backend time per backend statement with the run's
	// injected RTT and the idle cost that RTT caused removed (never below
	// zero): the statement's time as MySQL serves it with the shop's own
	// gaps between statements (DBGap), not a network's.
	TDB time.Duration
	// MeasuredRTT is the database RTT the run injected (0: loopback).
	MeasuredRTT time.Duration
	// Statements and BackendTimeNs are the sums t_db was computed from.
	Statements    int
	BackendTimeNs int64

	// CacheMode is the run's cache mode; TCache the time per cache-store
	// call (lookup, fill, invalidation) with the injected cache RTT and its
	// idle cost removed, measured when the mode is local or redis (zero
	// otherwise, or for results without cache timing).
	CacheMode        string
	TCache           time.Duration
	CacheCalls       int
	CacheTimeNs      int64
	MeasuredCacheRTT time.Duration

	wake wake
}

// DBGap is the mean time a backend session sat idle between commands in
// the profile (proxy side, without any injected RTT): the idle every MySQL
// round trip already had when t_db was measured.
func (c Calibration) DBGap() time.Duration { return time.Duration(c.wake.dbGap) }

// CacheGap is the mean time the cache sat idle between the proxy's calls:
// the page's duration less its cache time, per call (without any injected
// RTT).
func (c Calibration) CacheGap() time.Duration { return time.Duration(c.wake.cacheGap) }

// DBIdleMeasured reports whether the run probed MySQL's idle cost.
func (c Calibration) DBIdleMeasured() bool { return c.wake.db.measured() }

// CacheIdleMeasured reports whether the run probed Redis's idle cost.
func (c Calibration) CacheIdleMeasured() bool { return c.wake.cache.measured() }

// Calibrate computes the per-round-trip times of a run from every measured
// phase of its profile's pages (the profile is app-warm when primed; the
// package documentation says why the SQL-warm phase alone is not used),
// its injected network and its idle probes.
func Calibrate(run *results.Run) (Calibration, error) {
	var c Calibration
	if run == nil || run.Profile == nil {
		return c, errors.New("no profile: t_db cannot be calibrated")
	}
	dbRTT, cacheRTT, err := NetworkOf(run)
	if err != nil {
		return c, err
	}
	c.MeasuredRTT, c.MeasuredCacheRTT, c.CacheMode = dbRTT, cacheRTT, run.Cache.Mode
	w := wake{db: idleCurveOf(run.IdleCost, results.IdleServerMySQL), cache: idleCurveOf(run.IdleCost, results.IdleServerRedis)}
	var idleNs, pageNs int64
	var idleN int
	for _, pg := range run.Profile.Pages {
		for _, ph := range phases(pg) {
			c.Statements += ph.BackendStatements
			c.BackendTimeNs += ph.BackendTimeNs
			idleNs += ph.BackendIdleNs
			idleN += ph.BackendIdleCount
			c.CacheTimeNs += ph.CacheTimeNs
			c.CacheCalls += ph.CacheCalls
			pageNs += ph.HTTP.TotalNs
		}
	}
	if c.Statements == 0 || c.BackendTimeNs <= 0 {
		return c, errors.New("the profile has no backend statement with a backend time: t_db cannot be calibrated")
	}
	if idleN > 0 {
		w.dbGap = float64(idleNs / int64(idleN))
	}
	if c.CacheCalls > 0 && c.CacheTimeNs > 0 {
		w.cacheGap = float64(max(pageNs-c.CacheTimeNs, 0) / int64(c.CacheCalls))
		w.callsPerStmt = float64(c.CacheCalls) / float64(c.Statements)
		w.stmtsPerCall = float64(c.Statements) / float64(c.CacheCalls)
	}
	remote := remoteCache(c.CacheMode)
	w = w.baseGaps(float64(dbRTT), float64(cacheRTT), remote)
	c.wake = w
	xDB, xC := w.added(float64(dbRTT), float64(cacheRTT), remote)
	c.TDB = time.Duration(max(float64(c.BackendTimeNs)/float64(c.Statements)-xDB, 0))
	if c.CacheCalls > 0 && c.CacheTimeNs > 0 {
		per := float64(c.CacheTimeNs) / float64(c.CacheCalls)
		switch c.CacheMode {
		case proxycache.CacheLocal:
			c.TCache = time.Duration(per)
		case proxycache.CacheRedis:
			c.TCache = time.Duration(max(per-xC, 0))
		}
	}
	return c, nil
}

// remoteCache reports whether a cache mode's calls cross a network hop
// (local+redis: only misses of the local tier do; the model treats its
// calls as local).
func remoteCache(mode string) bool { return mode == proxycache.CacheRedis }

func phases(pg results.PageProfile) []*results.Phase {
	var out []*results.Phase
	for _, ph := range []*results.Phase{pg.Cold, pg.Warm, pg.WarmOther} {
		if ph != nil {
			out = append(out, ph)
		}
	}
	return out
}

// PageSQLTime is the mean SQL time per captured page of a profile (every
// page and phase): backend time plus cache-store time, with the counts
// that produced it.
type PageSQLTime struct {
	Ns, BackendNs, CacheNs float64
	Statements, CacheCalls float64
}

// MeasuredSQLTime is the profile's mean SQL time per captured page.
func MeasuredSQLTime(p *results.Profile) (PageSQLTime, error) {
	var m PageSQLTime
	n := 0
	if p != nil {
		for _, pg := range p.Pages {
			for _, ph := range phases(pg) {
				n++
				m.BackendNs += float64(ph.BackendTimeNs)
				m.CacheNs += float64(ph.CacheTimeNs)
				m.Statements += float64(ph.BackendStatements)
				m.CacheCalls += float64(ph.CacheCalls)
			}
		}
	}
	if n == 0 {
		return m, errors.New("the profile has no measured page")
	}
	f := 1 / float64(n)
	m.BackendNs, m.CacheNs, m.Statements, m.CacheCalls = m.BackendNs*f, m.CacheNs*f, m.Statements*f, m.CacheCalls*f
	m.Ns = m.BackendNs + m.CacheNs
	return m, nil
}

// Added is how much longer a MySQL statement (xDB) and a cache call (xC)
// take at database RTT dbRTT and cache RTT cacheRTT than at RTT 0, in
// nanoseconds: the RTTs and the servers' coupled idle costs.
func (c Calibration) Added(dbRTT, cacheRTT time.Duration) (xDB, xC float64) {
	return c.wake.added(float64(dbRTT), float64(cacheRTT), remoteCache(c.CacheMode))
}

// PredictSQLTime is the model's SQL time per captured page at database RTT
// dbRTT and cache RTT cacheRTT, from a page's backend statements and cache
// calls: statements × (t_db + xDB) + calls × (t_cache + xC).
func PredictSQLTime(statements, cacheCalls float64, c Calibration, dbRTT, cacheRTT time.Duration) float64 {
	xDB, xC := c.Added(dbRTT, cacheRTT)
	ns := statements * (float64(c.TDB) + xDB)
	if c.TCache > 0 {
		ns += cacheCalls * (float64(c.TCache) + xC)
	}
	return ns
}

// NetworkOf reads the injected latency a run was measured with from its
// scenario text (network.db_rtt, network.cache_rtt; zero when absent).
func NetworkOf(run *results.Run) (dbRTT, cacheRTT time.Duration, err error) {
	var doc struct {
		Network *struct {
			DBRTT    proxycache.Duration `yaml:"db_rtt"`
			CacheRTT proxycache.Duration `yaml:"cache_rtt"`
		} `yaml:"network"`
	}
	if run.Scenario.Text == "" {
		return 0, 0, nil
	}
	if err := yaml.Unmarshal([]byte(run.Scenario.Text), &doc); err != nil {
		return 0, 0, fmt.Errorf("read network from the run's scenario text: %w", err)
	}
	if doc.Network == nil {
		return 0, 0, nil
	}
	return doc.Network.DBRTT.D(), doc.Network.CacheRTT.D(), nil
}

// kindModel is one page kind's profile numbers (means per page).
type kindModel struct {
	kind                 string
	share                float64
	catalogue            int
	c, sCold, sWarm, sWO float64
	k, hCold, hWarm, hWO float64
	warmOtherMeasured    bool
}

// kindsOf builds the kind models from a profile (kinds without measured
// pages are skipped).
func kindsOf(p *results.Profile) []kindModel {
	var out []kindModel
	for _, kp := range p.Kinds {
		m := kindModel{kind: kp.Kind}
		var nCold, nWarm, nWO float64
		for _, pg := range p.Pages {
			if pg.Kind != kp.Kind {
				continue
			}
			if ph := pg.Cold; ph != nil {
				nCold++
				m.c += float64(ph.ClientStatements)
				m.sCold += float64(ph.BackendStatements)
				m.hCold += float64(ph.Hits)
				m.k += float64(ph.Hits + ph.Misses)
			}
			if ph := pg.Warm; ph != nil {
				nWarm++
				m.sWarm += float64(ph.BackendStatements)
				m.hWarm += float64(ph.Hits)
			}
			if ph := pg.WarmOther; ph != nil {
				nWO++
				m.sWO += float64(ph.BackendStatements)
				m.hWO += float64(ph.Hits)
			}
		}
		if nCold == 0 {
			continue
		}
		m.catalogue = kp.Pages
		m.c, m.sCold, m.hCold, m.k = m.c/nCold, m.sCold/nCold, m.hCold/nCold, m.k/nCold
		if nWarm > 0 {
			m.sWarm, m.hWarm = m.sWarm/nWarm, m.hWarm/nWarm
		} else { // no warm phase: nothing beyond in-page repeats is known to hit
			m.sWarm, m.hWarm = m.sCold, m.hCold
		}
		if nWO > 0 {
			m.sWO, m.hWO = m.sWO/nWO, m.hWO/nWO
			m.warmOtherMeasured = true
		} else { // no warm_other: only the page itself is known to hit again
			m.sWO, m.hWO = m.sCold, m.hCold
		}
		// hits only grow cold → warm_other → warm; clamp measurement noise
		m.hWO = min(max(m.hWO, m.hCold), m.k)
		m.hWarm = min(max(m.hWarm, m.hWO), m.k)
		out = append(out, m)
	}
	return out
}

// hits is H_eff at λ pages/s of the kind seen by one cache with the TTL.
func (m kindModel) hits(lambda float64, ttl time.Duration) float64 {
	x := lambda * ttl.Seconds()
	pKind := 1 - math.Exp(-x)
	pPage := 1 - math.Exp(-x/float64(max(m.catalogue, 1)))
	return m.hCold + (m.hWO-m.hCold)*pKind + (m.hWarm-m.hWO)*pPage
}

// times are the model's per-call times in nanoseconds: db is t_db, hit a
// local hit, redis a Redis call's service time; rDB the planned database
// RTT, and wake what the RTTs add to each call.
type times struct {
	db, hit, redis float64
	rDB            float64
	wake           wake
}

// stmt is a MySQL statement's time without a remote cache.
func (t times) stmt() float64 {
	xDB, _ := t.wake.added(t.rDB, 0, false)
	return t.db + xDB
}

func (t times) noCache(m kindModel) float64 { return m.c * t.stmt() }

func (t times) local(m kindModel, h float64) float64 {
	return m.k*t.hit + (m.c-h)*t.stmt()
}

// shared is the SQL time per page with a shared cache at RTT r and h hits:
// a lookup per hit, a lookup and a fill per miss, MySQL for the rest. The
// servers' idle coupling follows this page's own mix of cache calls and
// statements (at a high hit ratio many calls fall between two statements).
func (t times) shared(m kindModel, h float64, r float64) float64 {
	miss := max(m.k-h, 0)
	calls, stmts := h+2*miss, m.c-h
	w := t.wake
	if calls > 0 && stmts > 0 {
		w.callsPerStmt, w.stmtsPerCall = calls/stmts, stmts/calls
	}
	xDB, xC := w.added(t.rDB, r, true)
	return calls*(t.redis+xC) + stmts*(t.db+xDB)
}

// breakEven is the cache RTT r* at which a shared cache with h hits and
// miss misses out of m.k lookups costs as much as no cache; ok is false
// when it never pays. The shared cache's time grows with r (each call's
// RTT and idle cost), so r* is found by bisection.
func (t times) breakEven(m kindModel, h float64) (float64, bool) {
	over := func(r float64) float64 { return t.shared(m, h, r) - t.noCache(m) }
	if h <= 0 || over(0) >= 0 {
		return 0, false
	}
	lo, hi := 0.0, 1e3 // ns
	for over(hi) < 0 {
		if lo, hi = hi, hi*2; hi > 1e11 { // 100 s: it never stops paying
			return 0, false
		}
	}
	for range 60 {
		mid := (lo + hi) / 2
		if over(mid) < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2, true
}
