// Package load runs psbench's load phases with vegeta and summarises them
// into results.LoadPhase, keeping vegeta's own result files so `vegeta
// report` and `vegeta plot` work on them.
package load

import (
	"fmt"
	"sort"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Mix is the traffic mix: page URLs per kind and the kinds' weights.
type Mix struct {
	Pages   map[string][]string
	Weights map[string]int // missing or empty: every kind weighs 1
}

// Targets interleaves the pages of each kind by weight: with weights
// {product: 3, category: 1} every cycle has three product requests and one
// category request, and each kind walks through its own URLs in turn. It
// also returns the kind of every URL, for per-kind statistics.
func (m Mix) Targets() ([]vegeta.Target, map[string]string, error) {
	kinds := make([]string, 0, len(m.Pages))
	for k, urls := range m.Pages {
		if len(urls) > 0 {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		return nil, nil, fmt.Errorf("load: no pages to request")
	}
	sort.Strings(kinds)
	weight := func(k string) int {
		if len(m.Weights) == 0 {
			return 1
		}
		return m.Weights[k]
	}
	// One cycle per lcm-ish round: repeat until every kind's URL list has
	// been walked at least once, so the sequence covers every page.
	rounds := 1
	for _, k := range kinds {
		if w := weight(k); w > 0 {
			need := (len(m.Pages[k]) + w - 1) / w
			rounds = max(rounds, need)
		}
	}
	kindOf := map[string]string{}
	next := map[string]int{}
	var out []vegeta.Target
	for r := 0; r < rounds; r++ {
		for _, k := range kinds {
			for i := 0; i < weight(k); i++ {
				urls := m.Pages[k]
				u := urls[next[k]%len(urls)]
				next[k]++
				kindOf[u] = k
				out = append(out, vegeta.Target{Method: "GET", URL: u})
			}
		}
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("load: every page kind has weight 0")
	}
	return out, kindOf, nil
}
