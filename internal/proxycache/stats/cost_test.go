package stats

import (
	"math"
	"testing"
	"time"

	"github.com/psbench/psbench/internal/proxycache/sqlclass"
)

// costSums are the cost totals a Snapshot or CaptureSnapshot reports.
type costSums struct {
	CacheTimeNs      int64
	CacheCalls       uint64
	BackendIdleNs    int64
	BackendIdleCount uint64
}

func snapCost(s Snapshot) costSums {
	return costSums{s.CacheTimeNs, s.CacheCalls, s.BackendIdleNs, s.BackendIdleCount}
}

func captureCost(s CaptureSnapshot) costSums {
	return costSums{s.CacheTimeNs, s.CacheCalls, s.BackendIdleNs, s.BackendIdleCount}
}

// TestStatementCostSums: cache time, cache calls and backend idle are
// summed into Stats and into the captures open at the event, like backend
// time; backend idle only over events that sent the backend something.
func TestStatementCostSums(t *testing.T) {
	s, _ := newTestStats(t, Options{})
	prod := selectClass("d-prod", "SELECT ...", tref("shop", "ps_product"))
	ins := classOf(sqlclass.KindInsert, "d-ins")

	closed, err := s.StartCapture(CaptureRequest{Label: "closed early"})
	if err != nil {
		t.Fatal(err)
	}
	open, err := s.StartCapture(CaptureRequest{Label: "open"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.StartCapture(CaptureRequest{Label: "conn 9 only", ConnIDs: []uint64{9}})
	if err != nil {
		t.Fatal(err)
	}

	// In both captures: a stored miss (Get + Put) after 5ms idle.
	miss := missEv(1, prod, true, "", 300*us, 900*us)
	miss.CacheTime, miss.CacheCalls, miss.BackendIdle = 150*us, 2, 5*time.Millisecond
	s.Statement(miss)
	closedSnap, err := s.StopCapture(closed)
	if err != nil {
		t.Fatal(err)
	}

	// Only in the open capture: a hit (one Get, nothing sent), an
	// invalidating write after 2ms idle, and a refused command whose
	// BackendIdle (set by mistake) must not count: nothing was sent.
	hit := hitEv(1, prod, 80*us)
	hit.CacheTime, hit.CacheCalls = 60*us, 1
	s.Statement(hit)
	write := bypassEv(1, 0x03, ins, sqlclass.ReasonNotSelect, 400*us, 500*us)
	write.CacheTime, write.CacheCalls, write.BackendIdle = 40*us, 1, 2*time.Millisecond
	s.Statement(write)
	s.Statement(&StatementEvent{ConnID: 1, Command: 0x11, Outcome: OutcomeLocal, BackendIdle: time.Hour, Latency: us})

	want := costSums{CacheTimeNs: int64(250 * us), CacheCalls: 4, BackendIdleNs: int64(7 * time.Millisecond), BackendIdleCount: 2}
	if got := snapCost(s.Snapshot()); got != want {
		t.Errorf("Stats totals = %+v, want %+v", got, want)
	}
	read, err := s.ReadCapture(open)
	if err != nil {
		t.Fatal(err)
	}
	if got := captureCost(read); got != want {
		t.Errorf("open capture = %+v, want %+v", got, want)
	}
	wantClosed := costSums{CacheTimeNs: int64(150 * us), CacheCalls: 2, BackendIdleNs: int64(5 * time.Millisecond), BackendIdleCount: 1}
	if got := captureCost(closedSnap); got != wantClosed {
		t.Errorf("capture closed after the miss = %+v, want only the miss %+v", got, wantClosed)
	}
	filtered, err := s.StopCapture(other)
	if err != nil {
		t.Fatal(err)
	}
	if got := captureCost(filtered); got != (costSums{}) {
		t.Errorf("capture of another connection = %+v, want zeros", got)
	}

	// /metrics exposes the same totals.
	fams := scrape(t, s)
	for _, c := range []struct {
		name string
		want float64
	}{
		{"psbench_proxy_cache_seconds_total", 250e-6},
		{"psbench_proxy_cache_calls_total", 4},
		{"psbench_proxy_backend_idle_seconds_total", 7e-3},
	} {
		if got := value(sample(t, fams, c.name)); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
}
