package capacity

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/psbench/psbench/internal/results"
)

// Validate compares the model calibrated on calib with runs of the same
// scenario measured at other injected RTTs (their scenario's
// network.db_rtt and network.cache_rtt): SQL time per captured page
// (backend time plus cache time), predicted from calib's statement and
// cache-call counts, versus measured. names label the runs (their
// directories).
func Validate(calib *results.Run, names []string, runs []*results.Run) ([]results.CapacityValidation, error) {
	c, err := Calibrate(calib)
	if err != nil {
		return nil, err
	}
	m0, err := MeasuredSQLTime(calib.Profile)
	if err != nil {
		return nil, err
	}
	point := func(source string, run *results.Run, m PageSQLTime) (results.CapacityValidation, error) {
		db, cache, err := NetworkOf(run)
		if err != nil {
			return results.CapacityValidation{}, err
		}
		v := results.CapacityValidation{Source: source, DBRTTNs: int64(db), CacheRTTNs: int64(cache), CacheMode: run.Cache.Mode,
			PredictedNs: PredictSQLTime(m0.Statements, m0.CacheCalls, c, db, cache), MeasuredNs: m.Ns}
		v.Error = v.PredictedNs/m.Ns - 1
		return v, nil
	}
	v0, err := point("calibration", calib, m0)
	if err != nil {
		return nil, err
	}
	v0.Calibration = true
	out := []results.CapacityValidation{v0}
	for i, run := range runs {
		if a, b := pageKinds(calib.Profile), pageKinds(run.Profile); a != b {
			return nil, fmt.Errorf("%s: profiled pages %s, the calibration run's %s: validate runs of the same scenario (only network RTTs changed)", names[i], b, a)
		}
		if run.Cache.Mode != calib.Cache.Mode {
			return nil, fmt.Errorf("%s: cache mode %s, the calibration run's %s: validate runs of the same scenario (only network RTTs changed)", names[i], run.Cache.Mode, calib.Cache.Mode)
		}
		m, err := MeasuredSQLTime(run.Profile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", names[i], err)
		}
		v, err := point(names[i], run, m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", names[i], err)
		}
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(a, b results.CapacityValidation) int {
		return cmp.Or(cmp.Compare(a.DBRTTNs, b.DBRTTNs), cmp.Compare(a.CacheRTTNs, b.CacheRTTNs))
	})
	return out, nil
}

// pageKinds describes a profile's pages per kind, e.g. "category×2 product×2".
func pageKinds(p *results.Profile) string {
	var parts []string
	for _, k := range p.Kinds {
		parts = append(parts, fmt.Sprintf("%s×%d", k.Kind, k.Pages))
	}
	return strings.Join(parts, " ")
}

// WriteTable prints a plan for the terminal.
func WriteTable(w io.Writer, c *results.Capacity) error {
	var b strings.Builder
	in := c.Inputs
	fmt.Fprintf(&b, "Capacity plan at %s req/s", sig3(in.TargetRPS))
	if in.MeasuredRPS > 0 {
		fmt.Fprintf(&b, " (measured up to %s req/s)", sig3(in.MeasuredRPS))
	}
	fmt.Fprintf(&b, ", %d web node(s) [%s], TTL %s\n", in.Nodes, in.NodesFrom, time.Duration(in.TTLNs))
	if c.Forced {
		b.WriteString("!! FORCED: see the assumptions; these numbers go beyond what the results support\n")
	}

	b.WriteString("\nMySQL statements per second\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "topology\tstmts/page\tstmts/s\tmeasured stmts/page (load)\tDB headroom\t")
	for _, t := range c.Topologies {
		meas, head := "—", "—"
		if t.MeasuredPerPage != nil {
			meas = sig3(*t.MeasuredPerPage)
		}
		if t.Headroom != nil {
			head = pct(*t.Headroom)
			if *t.Headroom < 0 {
				head += " OVER"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", t.Name, sig3(t.StatementsPerPage), sig3(t.StatementsPerSecond), meas, head)
	}
	tw.Flush()
	if in.DBMaxQPS > 0 {
		fmt.Fprintf(&b, "(headroom against --db-max-qps %s)\n", sig3(in.DBMaxQPS))
	}

	b.WriteString("\nSQL time per page (hit ratio at this traffic)\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	hdr := "kind\tshare\tC\tS cold/warm/w-other\th local\th shared\tno cache\tlocal"
	for _, r := range in.CacheRTTsNs {
		hdr += "\tshared@" + time.Duration(r).String()
	}
	fmt.Fprintln(tw, hdr+"\tbreak-even RTT\t")
	sharedAt := func(kind *results.CapacityKind, r int64) float64 {
		return sharedKindNs(c, kind, float64(r))
	}
	for i := range c.Kinds {
		k := &c.Kinds[i]
		row := fmt.Sprintf("%s\t%s\t%s\t%s/%s/%s\t%s\t%s\t%s\t%s", k.Kind, pct(k.Share), sig3(k.Client),
			sig3(k.BackendCold), sig3(k.BackendWarm), sig3(k.BackendWarmOther), pct(k.HitRatioLocal), pct(k.HitRatioShared),
			dur(k.NoCacheNs), dur(k.LocalNs))
		for _, r := range in.CacheRTTsNs {
			row += "\t" + mark(dur(sharedAt(k, r)), k.BreakEvenRTTNs, r)
		}
		row += "\t" + breakEven(k.BreakEvenRTTNs)
		fmt.Fprintln(tw, row+"\t")
	}
	row := fmt.Sprintf("all (weighted)\t\t\t\t\t\t%s\t%s", dur(c.SQLTime.NoCacheNs), dur(c.SQLTime.LocalNs))
	for _, r := range in.CacheRTTsNs {
		for _, p := range c.SQLTime.Shared {
			if p.RTTNs == r {
				row += "\t" + mark(dur(p.Ns), c.SQLTime.BreakEvenRTTNs, r)
			}
		}
	}
	fmt.Fprintln(tw, row+"\t"+breakEven(c.SQLTime.BreakEvenRTTNs)+"\t")
	tw.Flush()
	b.WriteString("(* = past the break-even RTT: the shared cache is slower than no cache)\n")

	if len(c.TTLWhatIf) > 0 {
		b.WriteString("\nTTL what-if at this traffic\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "TTL\th local\th shared\tlocal stmts/s\tshared stmts/s\t")
		for _, p := range c.TTLWhatIf {
			ttl := time.Duration(p.TTLNs).String()
			if p.TTLNs == in.TTLNs {
				ttl += " (plan)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", ttl, pct(p.HitRatioLocal), pct(p.HitRatioShared),
				sig3(p.StatementsPerSecond[results.TopologyLocal]), sig3(p.StatementsPerSecond[results.TopologyShared]))
		}
		tw.Flush()
	}
	if n := c.Nodes; n != nil {
		b.WriteString("\nWeb nodes\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "topology\tmeasured req/s per node\tnodes needed at %s\t", pct(in.Utilisation))
		if n.UtilisationAtNodes != nil {
			fmt.Fprintf(tw, "utilisation on %d nodes\t", in.Nodes)
		}
		fmt.Fprintln(tw)
		for _, topo := range []string{results.TopologyNoCache, results.TopologyLocal, results.TopologyShared} {
			per, ok := n.PerNodeRPS[topo]
			if !ok {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t", topo, sig3(per), n.Needed[topo])
			if u, ok := n.UtilisationAtNodes[topo]; ok {
				fmt.Fprintf(tw, "%s\t", pct(u))
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
		b.WriteString("(per-node throughput is what the load phase reached: unless it saturated the node, nodes needed is an upper bound)\n")
	}
	if len(c.Validation) > 0 {
		b.WriteString("\nValidation: SQL time per page, predicted vs measured\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "db RTT\tcache RTT\tcache\tpredicted\tmeasured\terror\trun\t")
		for _, v := range c.Validation {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%+.1f %%\t%s\t\n", time.Duration(v.DBRTTNs), time.Duration(v.CacheRTTNs), v.CacheMode,
				dur(v.PredictedNs), dur(v.MeasuredNs), 100*v.Error, v.Source)
		}
		tw.Flush()
	}
	b.WriteString("\nAssumptions\n")
	for _, a := range c.Assumptions {
		b.WriteString("- " + a + "\n")
	}
	if len(c.Missing) > 0 {
		b.WriteString("\nNot planned\n")
		for _, m := range c.Missing {
			b.WriteString("- " + m + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// sharedKindNs is a kind's shared-cache SQL time at RTT r as the plan
// stored it; plans written before per-kind points were stored are
// recomputed with their constants (no idle cost).
func sharedKindNs(c *results.Capacity, k *results.CapacityKind, r float64) float64 {
	for _, p := range k.Shared {
		if float64(p.RTTNs) == r {
			return p.Ns
		}
	}
	tm := times{db: c.DBStatementNs, rDB: c.DBRTTNs + c.DBIdleNs, hit: c.LocalHitNs, redis: c.RedisNs}
	return tm.shared(kindModel{c: k.Client, k: k.Cacheable}, k.HitsShared, r)
}

// SharedKindNs is a kind's shared-cache SQL time per page at cache RTT r.
func SharedKindNs(c *results.Capacity, k *results.CapacityKind, r time.Duration) float64 {
	return sharedKindNs(c, k, float64(r))
}

func mark(s string, be *float64, r int64) string {
	if be == nil || float64(r) > *be {
		return s + " *"
	}
	return s
}

func breakEven(be *float64) string {
	if be == nil {
		return "never pays"
	}
	return dur(*be)
}

func dur(ns float64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(100 * time.Nanosecond).String()
	}
}
