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

// Calibration is the per-statement MySQL time measured in a profile.
type Calibration struct {
	// TDB is t_db: backend time per backend statement, the run's injected
	// RTT removed (never below zero).
	TDB time.Duration
	// MeasuredRTT is the database RTT the run injected (0: loopback).
	MeasuredRTT time.Duration
	// Statements and BackendTimeNs are the sums it was computed from.
	Statements    int
	BackendTimeNs int64
}

// Calibrate computes t_db from every measured phase of the profile's pages
// (the profile is app-warm when primed; the package documentation says
// why the SQL-warm phase alone is not used).
func Calibrate(p *results.Profile, measuredRTT time.Duration) (Calibration, error) {
	c := Calibration{MeasuredRTT: measuredRTT}
	if p == nil {
		return c, errors.New("no profile: t_db cannot be calibrated")
	}
	for _, pg := range p.Pages {
		for _, ph := range phases(pg) {
			c.Statements += ph.BackendStatements
			c.BackendTimeNs += ph.BackendTimeNs
		}
	}
	if c.Statements == 0 || c.BackendTimeNs <= 0 {
		return c, errors.New("the profile has no backend statement with a backend time: t_db cannot be calibrated")
	}
	per := time.Duration(c.BackendTimeNs / int64(c.Statements))
	c.TDB = max(per-measuredRTT, 0)
	return c, nil
}

func phases(pg results.PageProfile) []*results.Phase {
	var out []*results.Phase
	for _, ph := range []*results.Phase{pg.Cold, pg.Warm, pg.WarmOther} {
		if ph != nil {
			out = append(out, ph)
		}
	}
	return out
}

// MeasuredSQLTime is the mean backend time and backend statements per
// captured page (every page and phase of the profile).
func MeasuredSQLTime(p *results.Profile) (perPageNs, statementsPerPage float64, err error) {
	n := 0
	var ns, st float64
	if p != nil {
		for _, pg := range p.Pages {
			for _, ph := range phases(pg) {
				n++
				ns += float64(ph.BackendTimeNs)
				st += float64(ph.BackendStatements)
			}
		}
	}
	if n == 0 {
		return 0, 0, errors.New("the profile has no measured page")
	}
	return ns / float64(n), st / float64(n), nil
}

// PredictSQLTime is the model's SQL time per captured page at database RTT
// rtt: statements per page × (t_db + rtt), with the calibration's counts.
func PredictSQLTime(statementsPerPage float64, c Calibration, rtt time.Duration) float64 {
	return statementsPerPage * float64(c.TDB+rtt)
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

// times are the per-statement times of the model in nanoseconds.
type times struct {
	db, rttDB, hit, redis float64
}

func (t times) noCache(m kindModel) float64 { return m.c * (t.db + t.rttDB) }

func (t times) local(m kindModel, h float64) float64 {
	return m.k*t.hit + (m.c-h)*(t.db+t.rttDB)
}

func (t times) shared(m kindModel, h float64, r float64) float64 {
	miss := max(m.k-h, 0)
	return h*(r+t.redis) + (m.c-h)*(t.db+t.rttDB) + 2*miss*(r+t.redis)
}

// breakEven is r* for hits h and misses miss (per page or summed); ok is
// false when a shared cache never pays.
func (t times) breakEven(h, miss float64) (float64, bool) {
	if h <= 0 {
		return 0, false
	}
	r := h*(t.db+t.rttDB)/(h+2*miss) - t.redis
	return r, r > 0
}
