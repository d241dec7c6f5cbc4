package capacity

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/psbench/psbench/internal/results"
)

const us = float64(time.Microsecond)

// phase is a Phase with backend time = statements × perStmt.
func phase(client, backend, hits, misses int, perStmt time.Duration) *results.Phase {
	return &results.Phase{ClientStatements: client, BackendStatements: backend, Hits: hits, Misses: misses,
		BackendTimeNs: int64(backend) * int64(perStmt)}
}

// fixture: one product page, C = 200, K = 150 cacheable; cold 20 hits
// (in-page repeats), warm_other 100, warm 150; every backend statement
// takes 100 µs.
func fixture(perStmt time.Duration, scenarioText string, load ...results.LoadPhase) *results.Run {
	run := &results.Run{
		Scenario: results.ScenarioRef{Name: "fx", Text: scenarioText},
		Target:   results.Target{Nodes: 1},
		Cache:    results.CacheSetup{Mode: "local", TTL: "10m0s"},
		Profile: &results.Profile{Valid: true,
			Kinds: []results.KindProfile{{Kind: "product", Pages: 1}},
			Pages: []results.PageProfile{{Kind: "product", URL: "/p/1",
				Cold:      phase(200, 180, 20, 130, perStmt),
				Warm:      phase(200, 50, 150, 0, perStmt),
				WarmOther: phase(200, 100, 100, 50, perStmt)}},
		},
	}
	if len(load) > 0 {
		run.Load = &results.Load{Phases: load}
	}
	return run
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %g, want %g", what, got, want)
	}
}

func TestPlanFormulas(t *testing.T) {
	// Traffic so high that every page was seen within the TTL: H_eff = H_warm.
	run := fixture(100*time.Microsecond, "", results.LoadPhase{Name: "s", Mode: results.ModeCached, Throughput: 1e6})
	c, err := Plan(run, Options{TargetRPS: 1e6, Nodes: 1, DBMaxQPS: 1e8, CacheRTTs: []time.Duration{50 * time.Microsecond, 100 * time.Microsecond}})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "t_db", c.DBStatementNs, 100*us)
	k := c.Kinds[0]
	near(t, "hits shared", k.HitsShared, 150)
	near(t, "hit ratio shared", k.HitRatioShared, 1)
	near(t, "no cache", k.NoCacheNs, 200*100*us)                   // C × t_db
	near(t, "local", k.LocalNs, 150*5*us+50*100*us)                // K × t_hit + (C − H) × t_db
	near(t, "break-even", *k.BreakEvenRTTNs, 150*100*us/150-25*us) // H·t_db/(H+2M) − t_redis
	near(t, "shared@50µs", SharedKindNs(c, &k, 50*time.Microsecond), 150*75*us+50*100*us)
	near(t, "no cache stmts/s", c.Topologies[0].StatementsPerSecond, 200e6)
	near(t, "local stmts/s", c.Topologies[1].StatementsPerSecond, 50e6)
	near(t, "headroom no cache", *c.Topologies[0].Headroom, 1-200e6/1e8)
	if *c.Topologies[0].Headroom >= 0 {
		t.Error("200M stmts/s against 100M max must be over")
	}

	// A trickle of traffic over a big catalogue: only in-page repeats and
	// statements shared by every page hit.
	c, err = Plan(fixture(100*time.Microsecond, ""), Options{TargetRPS: 1, TTL: time.Minute, Catalogue: map[string]int{"product": 1e6}})
	if err != nil {
		t.Fatal(err)
	}
	k = c.Kinds[0]
	pKind := 1 - math.Exp(-60)
	pPage := 1 - math.Exp(-60.0/1e6)
	near(t, "hits at a trickle", k.HitsShared, 20+80*pKind+50*pPage)
	if k.HitsLocal != k.HitsShared {
		t.Errorf("one node: local hits %g must equal shared hits %g", k.HitsLocal, k.HitsShared)
	}
	miss := 150 - k.HitsShared
	near(t, "break-even (misses pay a GET and a SET)", *k.BreakEvenRTTNs, k.HitsShared*100*us/(k.HitsShared+2*miss)-25*us)
	if c.Nodes != nil || !strings.Contains(strings.Join(c.Missing, " "), "no load phases") {
		t.Errorf("without load phases: nodes %v, missing %q", c.Nodes, c.Missing)
	}
}

func TestPlanLocalCacheSplitsAcrossNodes(t *testing.T) {
	o := Options{TargetRPS: 10, TTL: time.Minute, Catalogue: map[string]int{"product": 1000}}
	o.Nodes = 1
	one, err := Plan(fixture(100*time.Microsecond, ""), o)
	if err != nil {
		t.Fatal(err)
	}
	o.Nodes = 10
	ten, err := Plan(fixture(100*time.Microsecond, ""), o)
	if err != nil {
		t.Fatal(err)
	}
	if !(ten.Kinds[0].HitsLocal < one.Kinds[0].HitsLocal) {
		t.Errorf("10 nodes: local hits %g, want fewer than on 1 node (%g)", ten.Kinds[0].HitsLocal, one.Kinds[0].HitsLocal)
	}
	near(t, "shared hits do not depend on nodes", ten.Kinds[0].HitsShared, one.Kinds[0].HitsShared)
}

func TestPlanRemovesInjectedRTTAndUsesPlannedOne(t *testing.T) {
	run := fixture(1100*time.Microsecond, "name: fx\nnetwork:\n  db_rtt: 1ms\n")
	c, err := Plan(run, Options{TargetRPS: 1})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "t_db", c.DBStatementNs, 100*us)
	near(t, "db rtt (the run's)", c.DBRTTNs, 1000*us)
	zero := time.Duration(0)
	c, err = Plan(run, Options{TargetRPS: 1, DBRTT: &zero})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "no cache at planned rtt 0", c.Kinds[0].NoCacheNs, 200*100*us)
}

func TestPlanNodesAndExtrapolation(t *testing.T) {
	load := []results.LoadPhase{
		{Name: "s", Mode: results.ModeBaseline, Throughput: 8, BackendStatementsPerRequest: 200},
		{Name: "s", Mode: results.ModeCached, Throughput: 10, BackendStatementsPerRequest: 60},
	}
	c, err := Plan(fixture(100*time.Microsecond, "", load...), Options{TargetRPS: 15, Utilisation: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Nodes.Needed[results.TopologyLocal]; got != 3 { // 15 / (10 × 0.5)
		t.Errorf("local nodes needed %d, want 3", got)
	}
	if got := c.Nodes.Needed[results.TopologyNoCache]; got != 4 { // ⌈15 / (8 × 0.5)⌉
		t.Errorf("no-cache nodes needed %d, want 4", got)
	}
	if c.Inputs.Nodes != 3 || !strings.HasPrefix(c.Inputs.NodesFrom, "plan") {
		t.Errorf("nodes %d from %q, want 3 from the plan", c.Inputs.Nodes, c.Inputs.NodesFrom)
	}
	if m := c.Topologies[0].MeasuredPerPage; m == nil || *m != 200 {
		t.Errorf("measured no-cache statements per page %v, want 200", m)
	}

	_, err = Plan(fixture(100*time.Microsecond, "", load...), Options{TargetRPS: 21})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "2.1×") {
		t.Fatalf("21 req/s against 10 measured: %v, want a refusal naming 2.1×", err)
	}
	c, err = Plan(fixture(100*time.Microsecond, "", load...), Options{TargetRPS: 21, Force: true})
	if err != nil || !c.Forced {
		t.Fatalf("--force: %v, forced %v", err, c != nil && c.Forced)
	}

	// users and think time: Little's law with the cached phase's latency
	load[1].Latency.Mean = int64(time.Second)
	c, err = Plan(fixture(100*time.Microsecond, "", load...), Options{ConcurrentUsers: 90, ThinkTime: 8 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "rps from users", c.Inputs.TargetRPS, 10)
}

func TestPlanRefusesBadInput(t *testing.T) {
	invalid := fixture(100*time.Microsecond, "")
	invalid.Profile.Valid, invalid.Profile.Problems = false, []string{"polluted"}
	for name, tc := range map[string]struct {
		run  *results.Run
		o    Options
		want string
	}{
		"no traffic":        {fixture(time.Microsecond, ""), Options{}, "give the traffic"},
		"both traffics":     {fixture(time.Microsecond, ""), Options{TargetRPS: 1, ConcurrentUsers: 5, ThinkTime: time.Second}, "give one"},
		"users alone":       {fixture(time.Microsecond, ""), Options{ConcurrentUsers: 5}, "go together"},
		"think time alone":  {fixture(time.Microsecond, ""), Options{ThinkTime: time.Second}, "go together"},
		"negative rps":      {fixture(time.Microsecond, ""), Options{TargetRPS: -1}, "positive"},
		"utilisation":       {fixture(time.Microsecond, ""), Options{TargetRPS: 1, Utilisation: 1.5}, "--utilisation"},
		"nodes":             {fixture(time.Microsecond, ""), Options{TargetRPS: 1, Nodes: -1}, "--nodes"},
		"db max":            {fixture(time.Microsecond, ""), Options{TargetRPS: 1, DBMaxQPS: -1}, "--db-max-qps"},
		"cache rtt":         {fixture(time.Microsecond, ""), Options{TargetRPS: 1, CacheRTTs: []time.Duration{-1}}, "--cache-rtt"},
		"catalogue":         {fixture(time.Microsecond, ""), Options{TargetRPS: 1, Catalogue: map[string]int{"product": 0}}, "--catalogue"},
		"no profile":        {&results.Run{}, Options{TargetRPS: 1}, "no statement profile"},
		"invalid profile":   {invalid, Options{TargetRPS: 1}, "invalid"},
		"no backend timing": {fixture(0, ""), Options{TargetRPS: 1}, "t_db"},
	} {
		_, err := Plan(tc.run, tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
	if c, err := Plan(invalid, Options{TargetRPS: 1, Force: true}); err != nil || !c.Forced {
		t.Errorf("invalid profile with --force: %v", err)
	}
}

func TestValidateAndTable(t *testing.T) {
	calib := fixture(100*time.Microsecond, "name: fx\n")
	at1ms := fixture(1150*time.Microsecond, "name: fx\nnetwork:\n  db_rtt: 1ms\n")
	vs, err := Validate(calib, []string{"results/1ms"}, []*results.Run{at1ms})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || !vs[0].Calibration || vs[1].DBRTTNs != int64(time.Millisecond) {
		t.Fatalf("validation points %+v", vs)
	}
	near(t, "calibration error", vs[0].Error, 0)
	near(t, "1ms error", vs[1].Error, 1100.0/1150-1) // predicted 100+1000 µs/stmt, measured 1150

	other := fixture(100*time.Microsecond, "")
	other.Profile.Kinds[0].Pages = 3
	if _, err := Validate(calib, []string{"x"}, []*results.Run{other}); err == nil {
		t.Error("validating against another page set must fail")
	}

	c, err := Plan(calib, Options{TargetRPS: 5, DBMaxQPS: 100, CacheRTTs: []time.Duration{10 * time.Microsecond, 2 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	c.Validation = vs
	var b bytes.Buffer
	if err := WriteTable(&b, c); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"no cache", "local cache", "shared cache", "OVER", "shared@2ms", "break-even", "hit ratio h_eff",
		"catalogue assumed", "Not planned", "no load phases", "Validation", "-4.3 %"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, " *") {
		t.Errorf("table does not mark RTTs past the break-even:\n%s", out)
	}
}

func TestPlanTTLWhatIf(t *testing.T) {
	c, err := Plan(fixture(100*time.Microsecond, ""), Options{TargetRPS: 0.05, TTL: 10 * time.Minute, Catalogue: map[string]int{"product": 200}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.TTLWhatIf) != 4 {
		t.Fatalf("%d TTL points, want 4", len(c.TTLWhatIf))
	}
	for i, want := range []time.Duration{time.Minute, 5 * time.Minute, 10 * time.Minute, time.Hour} {
		if got := time.Duration(c.TTLWhatIf[i].TTLNs); got != want {
			t.Errorf("TTL point %d: %s, want %s", i, got, want)
		}
	}
	// the plan's own TTL agrees with the plan
	p := c.TTLWhatIf[2]
	near(t, "hit ratio shared at the plan's TTL", p.HitRatioShared, c.Kinds[0].HitRatioShared)
	near(t, "hit ratio local at the plan's TTL", p.HitRatioLocal, c.Kinds[0].HitRatioLocal)
	near(t, "shared stmts/s at the plan's TTL", p.StatementsPerSecond[results.TopologyShared], c.Topologies[2].StatementsPerSecond)
	// a longer TTL keeps more entries alive: more hits, fewer statements
	for i := 1; i < len(c.TTLWhatIf); i++ {
		a, b := c.TTLWhatIf[i-1], c.TTLWhatIf[i]
		if b.HitRatioShared <= a.HitRatioShared || b.StatementsPerSecond[results.TopologyShared] >= a.StatementsPerSecond[results.TopologyShared] {
			t.Errorf("TTL %s → %s: hit ratio %.3f → %.3f, stmts/s %.2f → %.2f: want more hits and fewer statements",
				time.Duration(a.TTLNs), time.Duration(b.TTLNs), a.HitRatioShared, b.HitRatioShared,
				a.StatementsPerSecond[results.TopologyShared], b.StatementsPerSecond[results.TopologyShared])
		}
	}
	var out bytes.Buffer
	if err := WriteTable(&out, c); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"TTL what-if at this traffic", "10m0s (plan)", "1h0m0s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}
