package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/psbench/psbench/internal/results"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestMixTargetsInterleavesByWeight(t *testing.T) {
	m := Mix{
		Pages:   map[string][]string{"product": {"p1", "p2", "p3", "p4"}, "category": {"c1"}},
		Weights: map[string]int{"product": 2, "category": 1},
	}
	tg, kindOf, err := m.Targets()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range tg {
		got = append(got, x.URL)
	}
	want := []string{"c1", "p1", "p2", "c1", "p3", "p4"}
	if len(got) != len(want) {
		t.Fatalf("targets = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("targets = %v, want %v", got, want)
		}
	}
	if kindOf["p3"] != "product" || kindOf["c1"] != "category" {
		t.Fatalf("kindOf = %v", kindOf)
	}
	if _, _, err := (Mix{}).Targets(); err == nil {
		t.Fatal("an empty mix must be an error")
	}
	if _, _, err := (Mix{Pages: map[string][]string{"a": {"x"}}, Weights: map[string]int{"a": 0}}).Targets(); err == nil {
		t.Fatal("all-zero weights must be an error")
	}
}

func TestRunPhase(t *testing.T) {
	var product, category atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/p":
			product.Add(1)
		case "/c":
			category.Add(1)
		case "/broken":
			w.WriteHeader(http.StatusInternalServerError)
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	var hits atomic.Uint64
	sampler := func(context.Context) (Counters, error) {
		h := hits.Add(10)
		return Counters{Hits: h, Misses: h / 10, ClientStatements: 2 * h, BackendStatements: h / 2}, nil
	}
	dir := t.TempDir()
	ph := Phase{
		Name: "steady", Mode: results.ModeCached, Rate: "60/s",
		Pacer: vegeta.Rate{Freq: 60, Per: time.Second}, Duration: 2 * time.Second,
		MaxConcurrency: 4, Timeout: 5 * time.Second,
		Mix: Mix{Pages: map[string][]string{"product": {srv.URL + "/p"}, "category": {srv.URL + "/c"}, "broken": {srv.URL + "/broken"}},
			Weights: map[string]int{"product": 3, "category": 1, "broken": 1}},
		ResultsPath: filepath.Join(dir, "steady-cached.bin"), ResultsFile: "steady-cached.bin",
		Sampler: sampler,
	}
	out, err := Run(context.Background(), ph)
	if err != nil {
		t.Fatal(err)
	}
	if out.Requests < 100 || out.Requests > 130 {
		t.Errorf("requests = %d, want about 120 (60/s for 2s)", out.Requests)
	}
	if got := product.Load() / max(category.Load(), 1); got != 3 {
		t.Errorf("product/category = %d/%d, want a 3:1 mix", product.Load(), category.Load())
	}
	if out.ErrorRate < 0.15 || out.ErrorRate > 0.25 || out.Errors["500 Internal Server Error"] == 0 {
		t.Errorf("error rate = %.2f errors=%v, want about 1/5 from the broken page", out.ErrorRate, out.Errors)
	}
	if out.PerKind["product"].Requests == 0 || out.PerKind["broken"].ErrorRate != 1 {
		t.Errorf("per kind = %+v", out.PerKind)
	}
	if len(out.Timeline) < 2 || out.Latency.P95 <= 0 || out.Latency.P50 > out.Latency.P95 {
		t.Errorf("timeline=%d points latency=%+v", len(out.Timeline), out.Latency)
	}
	if out.HitRatio < 0.9 || out.BackendStatementsPerRequest <= 0 {
		t.Errorf("hit ratio %.2f, backend/request %.2f: want the sampler's deltas", out.HitRatio, out.BackendStatementsPerRequest)
	}
	// vegeta's own tools must read the results file.
	f, err := os.Open(ph.ResultsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(f)
	n := 0
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			break
		}
		n++
	}
	if n != out.Requests {
		t.Errorf("results file holds %d results, summary says %d", n, out.Requests)
	}
}

func TestRunPhaseCancelled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	out, err := Run(ctx, Phase{Name: "long", Mode: results.ModeBaseline, Pacer: vegeta.Rate{Freq: 20, Per: time.Second},
		Duration: time.Minute, MaxConcurrency: 2, Timeout: time.Second,
		Mix:         Mix{Pages: map[string][]string{"product": {srv.URL}}},
		ResultsPath: filepath.Join(t.TempDir(), "r.bin")})
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("cancellation took %v", time.Since(start))
	}
	if !out.Interrupted || out.Requests == 0 {
		t.Fatalf("interrupted=%v requests=%d: want an interrupted phase that kept what it measured", out.Interrupted, out.Requests)
	}
}
