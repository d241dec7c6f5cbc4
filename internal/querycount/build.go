package querycount

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/psbench/psbench/internal/proxycache/stats"
	"github.com/psbench/psbench/internal/results"
)

// statementCommands are the commands counted as statements: they carry or
// execute SQL.
var statementCommands = []string{"COM_QUERY", "COM_STMT_EXECUTE"}

// statements sums the statement commands of a by-command map.
func statements(byCommand map[string]uint64) int {
	n := 0
	for _, c := range statementCommands {
		n += int(byCommand[c])
	}
	return n
}

// ClientStatements is the number of statements (COM_QUERY and
// COM_STMT_EXECUTE) the shop sent in a capture.
func ClientStatements(s stats.CaptureSnapshot) int { return statements(s.ClientStatements.ByCommand) }

// BackendStatements is the number of statements (COM_QUERY and
// COM_STMT_EXECUTE) the proxy sent MySQL in a capture.
func BackendStatements(s stats.CaptureSnapshot) int { return statements(s.BackendCommands.ByCommand) }

// build fills the profile's pages and kinds from the samples.
func (r *profileRun) build(order []string, byKind map[string][]*pageRun, all []*pageRun) {
	for _, pr := range all {
		r.checkUsesProxy(pr)
		r.checkDeterminism(pr)
		pp := results.PageProfile{Kind: pr.page.Kind, URL: pr.page.URL, AppPrimed: r.p.PrimeApp}
		pp.Cold = r.phase(pr.phases[results.PhaseCold])
		pp.Warm = r.phase(pr.phases[results.PhaseWarm])
		pp.WarmOther = r.phase(pr.phases[results.PhaseWarmOther])
		r.prof.Pages = append(r.prof.Pages, pp)
	}
	for _, kind := range order {
		r.prof.Kinds = append(r.prof.Kinds, r.kind(kind, byKind[kind]))
	}
}

// checkUsesProxy refuses a page that answered but sent the proxy no
// statement at all: the shop is most likely not connected through the
// proxy, and its zeros would read as a perfect cache.
func (r *profileRun) checkUsesProxy(pr *pageRun) {
	answered := false
	for _, s := range pr.order {
		if !s.ok {
			continue
		}
		answered = true
		if ClientStatements(s.snap) > 0 {
			return
		}
	}
	if answered {
		r.problem("%s %s: NO STATEMENT reached the proxy on any request of this page: is the shop's database host the proxy's "+
			"MySQL address (not MySQL's own)? The zeros measured are not the page's", pr.page.Kind, pr.page.URL)
	}
}

// checkDeterminism compares the statements the shop sent on every request
// of a URL: the SQL cache changes what reaches MySQL, never what the shop
// sends, so they should all be equal. Without PrimeApp a first request
// sending more than all later ones is the shop's own caches being cold:
// the profile would mix app-cold and app-warm, so it is invalid.
func (r *profileRun) checkDeterminism(pr *pageRun) {
	var counts []int
	for _, s := range pr.order {
		if s.ok {
			counts = append(counts, ClientStatements(s.snap))
		}
	}
	if len(counts) < 2 {
		return
	}
	lo, hi := slices.Min(counts), slices.Max(counts)
	if lo == hi {
		return
	}
	rest := counts[1:]
	if !r.p.PrimeApp && slices.Min(rest) == slices.Max(rest) && counts[0] > rest[0] {
		r.problem("%s %s: APP-COLD MIXED WITH APP-WARM: the first request sent %d statements, every later one %d: the shop's own caches "+
			"were cold on the first request, so its cold sample is not comparable with the others; rerun with --prime-app",
			pr.page.Kind, pr.page.URL, counts[0], rest[0])
		if cold := pr.phases[results.PhaseCold]; len(cold) > 0 && cold[0] == pr.order[0] {
			cold[0].problems = append(cold[0].problems, fmt.Sprintf("app-cold: the shop sent %d statements, %d on every later request", counts[0], rest[0]))
		}
		return
	}
	r.warn("%s %s: the shop sent between %d and %d statements on identical requests (in order: %v): its work is not deterministic, "+
		"so cold/warm differences are not only the cache's doing", pr.page.Kind, pr.page.URL, lo, hi, counts)
}

// medianIndex returns the index of the median sample by backend
// statements (the lower median for an even count; ties by order).
func medianIndex(ss []*sample) int {
	idx := make([]int, len(ss))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Compare(BackendStatements(ss[a].snap), BackendStatements(ss[b].snap))
	})
	return idx[(len(idx)-1)/2]
}

// phase builds a Phase: the median sample's details and every sample's
// counts. nil when the phase has no sample.
func (r *profileRun) phase(ss []*sample) *results.Phase {
	if len(ss) == 0 {
		return nil
	}
	m := ss[medianIndex(ss)]
	snap := m.snap
	ph := &results.Phase{
		ClientStatements:  ClientStatements(snap),
		BackendStatements: BackendStatements(snap),
		BackendCommands:   int(snap.BackendCommands.Total),
		BackendByCommand:  toInts(snap.BackendCommands.ByCommand),
		Hits:              int(snap.Hits),
		Misses:            int(snap.Misses),
		Stores:            int(snap.Stores),
		Bypass:            toInts(snap.Bypass),
		NotStored:         toInts(snap.NotStored),
		Tables:            map[string]results.Table{},
		TopDigests:        []results.Digest{},
		BackendTimeNs:     snap.BackendTimeNs,
		CacheTimeNs:       snap.CacheTimeNs,
		CacheCalls:        int(snap.CacheCalls),
		BackendIdleNs:     snap.BackendIdleNs,
		BackendIdleCount:  int(snap.BackendIdleCount),
		Connections:       int(snap.Connections.OpenedInWindow),
		HTTP:              m.http,
		Errors:            int(snap.Errors.Total),
		Check:             m.check,
	}
	if len(ph.NotStored) == 0 {
		ph.NotStored = nil
	}
	for name, t := range snap.Tables {
		ph.Tables[name] = results.Table{Reads: int(t.Reads), Hits: int(t.Hits), Misses: int(t.Misses), Bypass: int(t.Bypass), Backend: int(t.Backend)}
	}
	for _, d := range snap.Digests { // sorted by count
		if len(ph.TopDigests) == r.top {
			break
		}
		ph.TopDigests = append(ph.TopDigests, toDigest(d))
	}
	for i, s := range ss {
		ph.Samples = append(ph.Samples, BackendStatements(s.snap))
		ph.ClientSamples = append(ph.ClientSamples, ClientStatements(s.snap))
		for _, p := range s.problems {
			ph.Problems = append(ph.Problems, fmt.Sprintf("sample %d: %s", i+1, p))
		}
	}
	return ph
}

func toDigest(d stats.DigestCounts) results.Digest {
	return results.Digest{Digest: d.Digest, Normalized: d.Normalized, Kind: d.Kind, Count: int(d.Count), Hits: int(d.Hits),
		Misses: int(d.Misses), Bypass: int(d.Bypass), BackendCount: int(d.BackendCount), BackendTimeNs: d.BackendTimeNs}
}

func toInts(m map[string]uint64) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		if v != 0 {
			out[k] = int(v)
		}
	}
	return out
}

// kind aggregates the pages of one kind.
func (r *profileRun) kind(kind string, prs []*pageRun) results.KindProfile {
	kp := results.KindProfile{Kind: kind, Pages: len(prs)}
	collect := func(phase string, f func(stats.CaptureSnapshot) int) []float64 {
		var v []float64
		for _, pr := range prs {
			for _, s := range pr.phases[phase] {
				v = append(v, float64(f(s.snap)))
			}
		}
		return v
	}
	cold := collect(results.PhaseCold, BackendStatements)
	warm := collect(results.PhaseWarm, BackendStatements)
	other := collect(results.PhaseWarmOther, BackendStatements)
	kp.Cold, kp.Warm = stat(cold), stat(warm)
	kp.ClientCold = stat(collect(results.PhaseCold, ClientStatements))
	if len(cold) > 0 && len(warm) > 0 && kp.Cold.Median > 0 {
		kp.Reduction = 1 - kp.Warm.Median/kp.Cold.Median
	}
	if len(other) > 0 {
		st := stat(other)
		kp.WarmOther = &st
		if len(cold) > 0 && kp.Cold.Median > 0 {
			red := 1 - st.Median/kp.Cold.Median
			kp.ReductionWarmOther = &red
		}
	}
	kp.StillReaching = r.stillReaching(prs)
	return kp
}

// stat is the median, minimum and maximum of v (zero when empty).
func stat(v []float64) results.Stat {
	if len(v) == 0 {
		return results.Stat{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return results.Stat{Median: med, Min: s[0], Max: s[n-1]}
}

// MissStored is the StillReaching.ByReason key of statements that missed
// the cache and were stored (first seen since the flush, or invalidated by
// a write); the other keys are the proxy's bypass and not-stored reasons.
const MissStored = "miss_stored"

// stillReaching sums, over the kind's pages, the median warm sample's
// traffic to MySQL: by reason (bypass reasons, not-stored reasons and
// MissStored), by table (backend commands of statements reading it) and by
// statement shape (by backend count).
func (r *profileRun) stillReaching(prs []*pageRun) results.StillReaching {
	sr := results.StillReaching{ByReason: map[string]int{}, ByTable: map[string]int{}, TopDigests: []results.Digest{}}
	digests := map[string]*results.Digest{}
	for _, pr := range prs {
		ss := pr.phases[results.PhaseWarm]
		if len(ss) == 0 {
			continue
		}
		snap := ss[medianIndex(ss)].snap
		sr.Backend += BackendStatements(snap)
		for k, v := range snap.Bypass {
			if v > 0 {
				sr.ByReason[k] += int(v)
			}
		}
		for k, v := range snap.NotStored {
			if v > 0 {
				sr.ByReason[k] += int(v)
			}
		}
		if snap.Stores > 0 {
			sr.ByReason[MissStored] += int(snap.Stores)
		}
		for t, c := range snap.Tables {
			if c.Backend > 0 {
				sr.ByTable[t] += int(c.Backend)
			}
		}
		for _, d := range snap.Digests {
			if d.BackendCount == 0 {
				continue
			}
			acc := digests[d.Digest]
			if acc == nil {
				acc = &results.Digest{Digest: d.Digest, Normalized: d.Normalized, Kind: d.Kind}
				digests[d.Digest] = acc
			}
			acc.Count += int(d.Count)
			acc.Hits += int(d.Hits)
			acc.Misses += int(d.Misses)
			acc.Bypass += int(d.Bypass)
			acc.BackendCount += int(d.BackendCount)
			acc.BackendTimeNs += d.BackendTimeNs
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(digests), func(a, b string) int {
		da, db := digests[a], digests[b]
		return cmp.Or(cmp.Compare(db.BackendCount, da.BackendCount), cmp.Compare(db.BackendTimeNs, da.BackendTimeNs), cmp.Compare(a, b))
	}) {
		if len(sr.TopDigests) == r.top {
			break
		}
		sr.TopDigests = append(sr.TopDigests, *digests[k])
	}
	return sr
}
