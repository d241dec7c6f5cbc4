package load

import "context"

// Counters are cumulative proxy counters sampled during a phase.
type Counters struct {
	Hits              uint64
	Misses            uint64
	ClientStatements  uint64
	BackendStatements uint64
}

// Sampler reads the proxy's cumulative counters. The harness reads them
// through the proxy's admin API.
type Sampler func(ctx context.Context) (Counters, error)

func (c Counters) sub(o Counters) Counters {
	return Counters{c.Hits - o.Hits, c.Misses - o.Misses, c.ClientStatements - o.ClientStatements, c.BackendStatements - o.BackendStatements}
}

// hitRatio is hits over cache lookups (hits + misses).
func (c Counters) hitRatio() float64 {
	if c.Hits+c.Misses == 0 {
		return 0
	}
	return float64(c.Hits) / float64(c.Hits+c.Misses)
}
