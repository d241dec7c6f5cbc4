package results

// IdleCost is what a server adds to a round trip when it sat idle before
// the request (internal/idleprobe): measured once per run against the
// backend MySQL and, when the cache uses it, Redis. The capacity model adds
// it to every round trip a network RTT makes idle.
type IdleCost struct {
	// Kind is IdleServerMySQL or IdleServerRedis; Addr its host:port.
	Kind string `json:"kind"`
	Addr string `json:"addr"`
	// Request is the exchange timed ("SELECT 1", "PING").
	Request string `json:"request"`
	// HotNs is the mean back-to-back round trip; Samples how many it has.
	HotNs   float64 `json:"hot_ns"`
	Samples int     `json:"samples"`
	// Points are the round trips after each idle gap, by gap ascending.
	Points []IdlePoint `json:"points"`
}

// IdlePoint is the round trip after GapNs of idle: MeanNs in all, ExtraNs
// more than back to back (measured; noise can make it slightly negative).
type IdlePoint struct {
	GapNs   int64   `json:"gap_ns"`
	MeanNs  float64 `json:"mean_ns"`
	ExtraNs float64 `json:"extra_ns"`
}

// Kinds of IdleCost.
const (
	IdleServerMySQL = "mysql"
	IdleServerRedis = "redis"
)
