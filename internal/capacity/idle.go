package capacity

import (
	"math"
	"slices"

	"github.com/psbench/psbench/internal/results"
)

// idleCurve is a server's idle cost w(gap): how much longer a round trip
// takes after gap of idle than back to back, from the run's idle probe
// (results.IdleCost). It starts at (0, 0), is made non-decreasing (a
// longer idle never wakes faster; probe noise can say otherwise), is
// linear between the probed gaps and flat past the last one. The zero
// value is a server with no idle cost (none was measured).
type idleCurve struct {
	gaps, extra []float64
}

// idleCurveOf is the curve of the first probe of kind in costs.
func idleCurveOf(costs []results.IdleCost, kind string) idleCurve {
	i := slices.IndexFunc(costs, func(c results.IdleCost) bool { return c.Kind == kind && len(c.Points) > 0 })
	if i < 0 {
		return idleCurve{}
	}
	pts := slices.Clone(costs[i].Points)
	slices.SortFunc(pts, func(a, b results.IdlePoint) int { return int(a.GapNs - b.GapNs) })
	c := idleCurve{gaps: []float64{0}, extra: []float64{0}}
	for _, p := range pts {
		if p.GapNs <= 0 {
			continue
		}
		c.gaps = append(c.gaps, float64(p.GapNs))
		c.extra = append(c.extra, max(p.ExtraNs, c.extra[len(c.extra)-1]))
	}
	return c
}

// measured reports whether the curve came from a probe.
func (c idleCurve) measured() bool { return len(c.gaps) > 1 }

// at is w(gap) in nanoseconds.
func (c idleCurve) at(gap float64) float64 {
	if !c.measured() || gap <= 0 {
		return 0
	}
	i, _ := slices.BinarySearch(c.gaps, gap)
	if i >= len(c.gaps) {
		return c.extra[len(c.extra)-1]
	}
	if c.gaps[i] == gap {
		return c.extra[i]
	}
	g0, g1, e0, e1 := c.gaps[i-1], c.gaps[i], c.extra[i-1], c.extra[i]
	return e0 + (e1-e0)*(gap-g0)/(g1-g0)
}

// wake is the round-trip part of the model: how much longer a MySQL
// statement (xDB) and a cache call (xC) take at given RTTs than at RTT 0.
// Each pays its RTT and its server's longer wake-up, and the two are
// coupled: MySQL idles between statements while the proxy waits on the
// cache calls in between, and the cache idles while the proxy waits on
// MySQL. So a slower Redis also slows MySQL down (and the other way
// round); added solves that small fixed point.
type wake struct {
	db, cache idleCurve
	// dbGap and cacheGap are the servers' idle between calls at RTT 0.
	dbGap, cacheGap float64
	// callsPerStmt and stmtsPerCall are the cache calls between two MySQL
	// statements and the statements between two cache calls (a page's
	// cache calls / statements and its inverse).
	callsPerStmt, stmtsPerCall float64
}

// added is (xDB, xC) at database RTT rDB and cache RTT rC; remote is false
// for a cache without a network hop (local, none): its calls add nothing
// and do not lengthen MySQL's idle.
func (w wake) added(rDB, rC float64, remote bool) (xDB, xC float64) {
	if !remote {
		rC = 0
	}
	xDB, xC = rDB, rC
	for range 30 {
		gDB := w.dbGap + w.callsPerStmt*xC
		gC := w.cacheGap + w.stmtsPerCall*xDB
		nDB := rDB + max(w.db.at(gDB+rDB)-w.db.at(w.dbGap), 0)
		nC := 0.0
		if remote {
			nC = rC + max(w.cache.at(gC+rC)-w.cache.at(w.cacheGap), 0)
		}
		done := math.Abs(nDB-xDB) < 1 && math.Abs(nC-xC) < 1 // ns
		xDB, xC = nDB, nC
		if done {
			break
		}
	}
	return xDB, xC
}

// baseGaps turns the gaps measured at RTTs (rDB, rC) into gaps at RTT 0,
// removing what the other server's added time contributed.
func (w wake) baseGaps(rDB, rC float64, remote bool) wake {
	measured := w
	for range 10 {
		xDB, xC := w.added(rDB, rC, remote)
		w.dbGap = max(measured.dbGap-w.callsPerStmt*xC, 0)
		w.cacheGap = max(measured.cacheGap-w.stmtsPerCall*xDB, 0)
	}
	return w
}
