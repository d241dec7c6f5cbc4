package querycount

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/psbench/psbench/internal/proxycache/stats"
	"github.com/psbench/psbench/internal/results"
)

func sleepCtx(ctx context.Context, ms int) {
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
	case <-ctx.Done():
	}
}

// fixture is a proxy in front of a backend, a test database and the shop.
type fixture struct {
	b     *backend
	db    string
	proxy *testProxy
	shop  *testShop
}

func newFixture(t *testing.T, b *backend, mode string) *fixture {
	t.Helper()
	tag := strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name()))
	if len(tag) > 30 {
		tag = tag[len(tag)-30:]
	}
	db := newDatabase(t, b, tag, shopSchema...)
	p := startProxy(t, b, mode)
	return &fixture{b: b, db: db, proxy: p, shop: newShop(t, p.Addr, b.user, b.pw, db)}
}

// profiler returns a Profiler for the fixture; with counter, it
// cross-checks against the backend's Questions.
func (f *fixture) profiler(t *testing.T, counter bool) *Profiler {
	p := &Profiler{Admin: f.proxy.Admin, AdminAddr: f.proxy.URL, Samples: 2, PrimeApp: true,
		Progress: func(s string) { t.Log(s) }}
	if counter {
		p.Backend = f.b.open(t, "")
	}
	return p
}

// pages returns Pages of kind for the shop paths.
func (f *fixture) pages(kind string, paths ...string) []Page {
	var out []Page
	for _, p := range paths {
		out = append(out, Page{Kind: kind, URL: f.shop.url(p)})
	}
	return out
}

// want is the exact expected count of one phase of one page. writes are
// the statements that invalidate (one cache-store call each).
type want struct {
	client, backend, hits, misses, stores, writes int
	bypass                                        map[string]int
}

func (f *fixture) checkPhase(t *testing.T, where string, ph *results.Phase, w want, samples int, counter bool) {
	t.Helper()
	if ph == nil {
		t.Errorf("%s: phase missing", where)
		return
	}
	if len(ph.Problems) > 0 {
		t.Errorf("%s: unexpected problems %q", where, ph.Problems)
	}
	conns := 2
	if ph.ClientStatements != w.client || ph.BackendStatements != w.backend || ph.Hits != w.hits || ph.Misses != w.misses ||
		ph.Stores != w.stores || ph.BackendCommands != w.backend+conns || ph.Connections != conns {
		t.Errorf("%s: client %d backend %d commands %d hits %d misses %d stores %d connections %d; want client %d backend %d commands %d hits %d misses %d stores %d connections %d",
			where, ph.ClientStatements, ph.BackendStatements, ph.BackendCommands, ph.Hits, ph.Misses, ph.Stores, ph.Connections,
			w.client, w.backend, w.backend+conns, w.hits, w.misses, w.stores, conns)
	}
	if !mapsEqual(ph.Bypass, w.bypass) {
		t.Errorf("%s: bypass %v, want %v", where, ph.Bypass, w.bypass)
	}
	if got := ph.BackendByCommand; got["COM_QUERY"] != w.backend || got["COM_QUIT"] != conns || len(got) != 2 {
		t.Errorf("%s: backend by command %v, want COM_QUERY %d and COM_QUIT %d", where, got, w.backend, conns)
	}
	if len(ph.Samples) != samples || len(ph.ClientSamples) != samples {
		t.Errorf("%s: %d samples, %d client samples, want %d", where, len(ph.Samples), len(ph.ClientSamples), samples)
	}
	for i := range ph.Samples {
		if ph.Samples[i] != w.backend || ph.ClientSamples[i] != w.client {
			t.Errorf("%s: sample %d: backend %d client %d, want %d and %d", where, i+1, ph.Samples[i], ph.ClientSamples[i], w.backend, w.client)
		}
	}
	if ph.HTTP.Status != http.StatusOK || ph.HTTP.Bytes <= 0 || ph.HTTP.TTFBNs <= 0 || ph.HTTP.TTFBNs > ph.HTTP.TotalNs {
		t.Errorf("%s: HTTP %+v", where, ph.HTTP)
	}
	if ph.BackendTimeNs <= 0 {
		t.Errorf("%s: backend time %d", where, ph.BackendTimeNs)
	}
	// One store call per lookup (hit or miss), fill and invalidation.
	if calls := w.hits + w.misses + w.stores + w.writes; ph.CacheCalls != calls || ph.CacheTimeNs <= 0 {
		t.Errorf("%s: %d cache calls in %dns, want %d calls in > 0ns", where, ph.CacheCalls, ph.CacheTimeNs, calls)
	}
	if ph.BackendIdleCount != w.backend || ph.BackendIdleNs <= 0 {
		t.Errorf("%s: backend idle %dns over %d commands, want > 0ns over %d", where, ph.BackendIdleNs, ph.BackendIdleCount, w.backend)
	}
	if len(ph.TopDigests) == 0 || ph.TopDigests[0].Count < ph.TopDigests[len(ph.TopDigests)-1].Count {
		t.Errorf("%s: top digests not sorted by count: %+v", where, ph.TopDigests)
	}
	if counter {
		if ph.Check == nil || !ph.Check.Agree || ph.Check.Expected != w.backend+conns+1 || ph.Check.QuestionsDelta != ph.Check.Expected {
			t.Errorf("%s: Questions cross-check %+v, want agreement at %d (statements + 2 COM_QUIT + psbench's SHOW)", where, ph.Check, w.backend+conns+1)
		}
	} else if ph.Check != nil {
		t.Errorf("%s: a cross-check without a backend DSN: %+v", where, ph.Check)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func findPage(t *testing.T, p *results.Profile, url string) results.PageProfile {
	t.Helper()
	for _, pg := range p.Pages {
		if pg.URL == url {
			return pg
		}
	}
	t.Fatalf("no page %s in the profile", url)
	return results.PageProfile{}
}

func findKind(t *testing.T, p *results.Profile, kind string) results.KindProfile {
	t.Helper()
	for _, k := range p.Kinds {
		if k.Kind == kind {
			return k
		}
	}
	t.Fatalf("no kind %s in the profile", kind)
	return results.KindProfile{}
}

func contains(list []string, sub string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, sub) })
}

// TestProfileExactCounts profiles three product pages, two category pages
// and a slow page through a real proxy over MariaDB and checks every count
// against the known mix (shop_test.go), and every capture against
// MariaDB's Questions counter.
func TestProfileExactCounts(t *testing.T) {
	b := quietBackend(t)
	f := newFixture(t, b, "local")
	p := f.profiler(t, true)
	pages := append(f.pages("product", "/product/1", "/product/2", "/product/3"), f.pages("category", "/category/1", "/category/2")...)
	pages = append(pages, f.pages("slow", "/slow")...)
	prof, err := p.Run(context.Background(), pages)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, prof); err != nil {
		t.Fatal(err)
	}
	t.Logf("profile table:\n%s", buf.String())
	if !prof.Valid || len(prof.Problems) > 0 {
		t.Fatalf("profile invalid: %q", prof.Problems)
	}
	if !prof.AppPrimed || prof.Samples != 2 || prof.CacheMode != "local" {
		t.Errorf("profile header: app primed %v samples %d cache %q", prof.AppPrimed, prof.Samples, prof.CacheMode)
	}
	if !contains(prof.Warnings, "kind slow: warm_other skipped") {
		t.Errorf("warnings %q do not say warm_other was skipped for the single-URL kind", prof.Warnings)
	}
	if len(prof.Warnings) != 1 {
		t.Errorf("warnings: %q, want only the warm_other skip", prof.Warnings)
	}

	ns := map[string]int{"not_select": 3, "sql_no_cache": 1, "blacklisted": 1}
	product := map[string]want{
		results.PhaseCold:      {client: 14, backend: 11, hits: 3, misses: 6, stores: 6, writes: 1, bypass: ns},
		results.PhaseWarm:      {client: 14, backend: 5, hits: 9, writes: 1, bypass: ns},
		results.PhaseWarmOther: {client: 14, backend: 8, hits: 6, misses: 3, stores: 3, writes: 1, bypass: ns},
	}
	cb := map[string]int{"not_select": 3, "blacklisted": 1}
	category := map[string]want{
		results.PhaseCold:      {client: 12, backend: 10, hits: 2, misses: 6, stores: 6, writes: 1, bypass: cb},
		results.PhaseWarm:      {client: 12, backend: 4, hits: 8, writes: 1, bypass: cb},
		results.PhaseWarmOther: {client: 12, backend: 6, hits: 6, misses: 2, stores: 2, writes: 1, bypass: cb},
	}
	sb := map[string]int{"not_select": 2, "nondeterministic": 1}
	slow := map[string]want{
		results.PhaseCold: {client: 5, backend: 5, misses: 2, stores: 2, bypass: sb},
		results.PhaseWarm: {client: 5, backend: 3, hits: 2, bypass: sb},
	}
	check := func(url string, w map[string]want) {
		pg := findPage(t, prof, url)
		if !pg.AppPrimed {
			t.Errorf("%s: app_primed false", url)
		}
		f.checkPhase(t, url+" cold", pg.Cold, w[results.PhaseCold], 2, true)
		f.checkPhase(t, url+" warm", pg.Warm, w[results.PhaseWarm], 2, true)
		if _, ok := w[results.PhaseWarmOther]; ok {
			f.checkPhase(t, url+" warm_other", pg.WarmOther, w[results.PhaseWarmOther], 2, true)
		} else if pg.WarmOther != nil {
			t.Errorf("%s: warm_other measured for a single-URL kind", url)
		}
	}
	for _, u := range []string{"/product/1", "/product/2", "/product/3"} {
		check(f.shop.url(u), product)
	}
	for _, u := range []string{"/category/1", "/category/2"} {
		check(f.shop.url(u), category)
	}
	check(f.shop.url("/slow"), slow)
	if ttfb := findPage(t, prof, f.shop.url("/slow")).Cold.HTTP.TTFBNs; ttfb < int64(150*time.Millisecond) {
		t.Errorf("slow page TTFB %s, want at least 150ms (50ms SLEEP + 100ms application)", time.Duration(ttfb))
	}

	// Tables of product 1's cold page.
	pc := findPage(t, prof, f.shop.url("/product/1")).Cold
	tb := func(name string) results.Table { return pc.Tables[f.db+"."+name] }
	if got := tb("ps_module"); got != (results.Table{Reads: 3, Hits: 2, Misses: 1, Backend: 1}) {
		t.Errorf("cold ps_module %+v", got)
	}
	if got := tb("ps_cart"); got != (results.Table{Reads: 1, Bypass: 1, Backend: 1}) {
		t.Errorf("cold ps_cart %+v", got)
	}
	if pc.TopDigests[0].Count != 3 || !strings.Contains(pc.TopDigests[0].Normalized, "ps_module") {
		t.Errorf("top digest %+v, want the ps_module lookup ×3", pc.TopDigests[0])
	}

	kp := findKind(t, prof, "product")
	if kp.Pages != 3 || kp.Cold != (results.Stat{Median: 11, Min: 11, Max: 11}) || kp.Warm != (results.Stat{Median: 5, Min: 5, Max: 5}) ||
		kp.WarmOther == nil || *kp.WarmOther != (results.Stat{Median: 8, Min: 8, Max: 8}) || kp.ClientCold.Median != 14 {
		t.Errorf("product kind %+v warm_other %+v", kp, kp.WarmOther)
	}
	if kp.Reduction != 1-5.0/11 || kp.ReductionWarmOther == nil || *kp.ReductionWarmOther != 1-8.0/11 {
		t.Errorf("product reductions %v %v, want %v %v", kp.Reduction, kp.ReductionWarmOther, 1-5.0/11, 1-8.0/11)
	}
	sr := kp.StillReaching
	if sr.Backend != 15 || !mapsEqual(sr.ByReason, map[string]int{"not_select": 9, "sql_no_cache": 3, "blacklisted": 3}) {
		t.Errorf("product still reaching: backend %d by reason %v", sr.Backend, sr.ByReason)
	}
	// Tables are the tables statements read: the INSERT into ps_connections reads none.
	wantTables := map[string]int{f.db + ".ps_cart": 3, f.db + ".ps_configuration": 3}
	if !mapsEqual(sr.ByTable, wantTables) {
		t.Errorf("product still reaching by table %v, want %v", sr.ByTable, wantTables)
	}
	if len(sr.TopDigests) == 0 || sr.TopDigests[0].BackendCount != 3 {
		t.Errorf("product still reaching top digests %+v", sr.TopDigests)
	}
	ck := findKind(t, prof, "category")
	if ck.Cold.Median != 10 || ck.Warm.Median != 4 || ck.WarmOther == nil || ck.WarmOther.Median != 6 {
		t.Errorf("category kind %+v", ck)
	}
	sk := findKind(t, prof, "slow")
	if sk.WarmOther != nil || sk.ReductionWarmOther != nil || sk.Cold.Median != 5 || sk.Warm.Median != 3 {
		t.Errorf("slow kind %+v", sk)
	}

	// 2 samples × (3 products × 3 phases + 2 categories × 3 + slow × 2).
	cc := prof.CounterCheck
	if !cc.Available || cc.Checked != 34 || cc.Agreed != 34 || cc.Formula == "" {
		t.Errorf("counter check %+v, want 34 of 34 captures agreeing", cc)
	}
	out := buf.String()
	for _, s := range []string{"shop caches primed (app-warm)", "== product (3 page(s)) ==", "11 [11]", "54.5 %", "27.3 %",
		"reasons: not_select 9, blacklisted 3, sql_no_cache 3", "34 of 34 captures agree", "skipped (needs 2+ URLs)"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q", s)
		}
	}
	if strings.Contains(out, "INVALID") {
		t.Errorf("a valid profile's table says INVALID")
	}
	// The shop saw exactly one app-cold request per URL: the priming one.
	if n := f.shop.appColdCount(); n != 6 {
		t.Errorf("the shop served %d app-cold requests, want 6 (one priming request per URL)", n)
	}
}

// TestProfileAppPrimed checks that PrimeApp keeps the shop's app-cold
// first request out of the measurement, and that without it the mix is
// detected and makes the profile invalid.
func TestProfileAppPrimed(t *testing.T) {
	b := sharedBackend(t)
	t.Run("primed", func(t *testing.T) {
		f := newFixture(t, b, "local")
		p := f.profiler(t, false)
		p.Phases = []string{results.PhaseCold, results.PhaseWarm}
		prof, err := p.Run(context.Background(), f.pages("product", "/product/1", "/product/2"))
		if err != nil {
			t.Fatal(err)
		}
		if !prof.Valid || !prof.AppPrimed {
			t.Fatalf("valid %v app primed %v problems %q", prof.Valid, prof.AppPrimed, prof.Problems)
		}
		for _, pg := range prof.Pages {
			if !pg.AppPrimed || !slices.Equal(pg.Cold.ClientSamples, []int{14, 14}) || !slices.Equal(pg.Cold.Samples, []int{11, 11}) {
				t.Errorf("%s: app primed %v cold client %v backend %v, want 14,14 and 11,11", pg.URL, pg.AppPrimed, pg.Cold.ClientSamples, pg.Cold.Samples)
			}
			if pg.WarmOther != nil {
				t.Errorf("%s: warm_other measured though not asked", pg.URL)
			}
		}
		if cold, n := f.shop.appColdCount(), f.shop.count("/product/1"); cold != 2 || n != 5 {
			t.Errorf("shop: %d app-cold requests, %d requests of product 1; want 2 and 5 (prime + 2×cold + 2×warm)", cold, n)
		}
	})
	t.Run("not primed", func(t *testing.T) {
		f := newFixture(t, b, "local")
		p := f.profiler(t, false)
		p.PrimeApp = false
		p.Phases = []string{results.PhaseCold, results.PhaseWarm}
		prof, err := p.Run(context.Background(), f.pages("product", "/product/1", "/product/2"))
		if err != nil {
			t.Fatal(err)
		}
		if prof.Valid || prof.AppPrimed {
			t.Fatalf("valid %v app primed %v: the app-cold first request must make the profile invalid", prof.Valid, prof.AppPrimed)
		}
		for _, pg := range prof.Pages {
			// The app-cold extras are 3 identical reads: miss, hit, hit.
			if pg.AppPrimed || !slices.Equal(pg.Cold.ClientSamples, []int{14 + appColdExtra, 14}) || !slices.Equal(pg.Cold.Samples, []int{12, 11}) {
				t.Errorf("%s: app primed %v cold client %v backend %v, want [17 14] and [12 11]", pg.URL, pg.AppPrimed, pg.Cold.ClientSamples, pg.Cold.Samples)
			}
			if !contains(pg.Cold.Problems, "sample 1: app-cold") {
				t.Errorf("%s: cold problems %q", pg.URL, pg.Cold.Problems)
			}
			if !contains(prof.Problems, pg.URL+": APP-COLD MIXED WITH APP-WARM: the first request sent 17 statements, every later one 14") {
				t.Errorf("problems %q do not name %s's app-cold first request", prof.Problems, pg.URL)
			}
		}
		var buf bytes.Buffer
		_ = WriteTable(&buf, prof)
		if !strings.Contains(buf.String(), "!! PROFILE INVALID") || !strings.Contains(buf.String(), "NOT primed") {
			t.Errorf("table:\n%s", buf.String())
		}
	})
}

// TestProfileForeignTraffic issues statements on a connection opened
// before the profile, once in the middle of one measured page: that
// capture, and so the profile, must be invalid; the other pages stay
// clean.
func TestProfileForeignTraffic(t *testing.T) {
	b := sharedBackend(t)
	f := newFixture(t, b, "local")
	foreign := f.openClient(t)
	var fired atomic.Bool
	target := "/product/2"
	f.shop.mu.Lock()
	f.shop.hook = func(path string) {
		if path != target || fired.Load() || f.shop.count(target) < 2 { // the priming request is not measured
			return
		}
		fired.Store(true)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // another client, on its own goroutine
			defer wg.Done()
			for range 4 {
				if _, err := foreign.ExecContext(context.Background(), "SELECT 1"); err != nil {
					t.Errorf("foreign statement: %v", err)
				}
			}
		}()
		wg.Wait()
	}
	f.shop.mu.Unlock()
	p := f.profiler(t, false)
	p.Samples = 1
	prof, err := p.Run(context.Background(), f.pages("product", "/product/1", target))
	if err != nil {
		t.Fatal(err)
	}
	if !fired.Load() {
		t.Fatal("the foreign traffic never fired")
	}
	if prof.Valid {
		t.Fatal("profile valid despite foreign traffic during a capture")
	}
	if !contains(prof.Problems, "product "+f.shop.url(target)+" cold sample 1: FOREIGN TRAFFIC: 4 statements came from connections opened before the capture") {
		t.Errorf("problems %q", prof.Problems)
	}
	pg := findPage(t, prof, f.shop.url(target))
	if pg.Cold.ClientSamples[0] != 18 || !contains(pg.Cold.Problems, "FOREIGN TRAFFIC") {
		t.Errorf("cold of %s: client %v problems %q; want 14+4 and the foreign traffic named", target, pg.Cold.ClientSamples, pg.Cold.Problems)
	}
	if len(pg.Warm.Problems) > 0 || len(findPage(t, prof, f.shop.url("/product/1")).Cold.Problems) > 0 {
		t.Errorf("clean captures marked invalid: %q", prof.Problems)
	}
}

// openClient opens one connection through the proxy, before any capture.
func (f *fixture) openClient(t *testing.T) *sql.Conn {
	t.Helper()
	c := mysql.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr, c.DBName = f.b.user, f.b.pw, "tcp", f.proxy.Addr, f.db
	c.Logger = nopLogger{}
	conn, err := mysql.NewConnector(c)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { db.Close() })
	sc, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	if err := sc.PingContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestQuietCheckForeign runs a background client through the proxy: the
// quiet check refuses to start, unless AllowForeign, which marks the
// profile invalid.
func TestQuietCheckForeign(t *testing.T) {
	b := sharedBackend(t)
	f := newFixture(t, b, "local")
	foreign := f.openClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			_, _ = foreign.ExecContext(ctx, "SELECT 2")
			sleepCtx(ctx, 20)
		}
	}()
	defer func() { cancel(); <-done }()
	p := f.profiler(t, false)
	p.Samples = 1
	pages := f.pages("product", "/product/1", "/product/2")
	prof, err := p.Run(context.Background(), pages)
	if !errors.Is(err, ErrForeignTraffic) || !strings.Contains(err.Error(), "quiet check failed") || !strings.Contains(err.Error(), "something else is using this proxy") {
		t.Fatalf("Run error %v, want ErrForeignTraffic from the quiet check", err)
	}
	if prof == nil || prof.Valid || len(prof.Pages) != 0 {
		t.Fatalf("profile after a failed quiet check: %+v", prof)
	}
	if f.shop.count("/product/1") != 0 {
		t.Errorf("pages requested after a failed quiet check")
	}

	p.AllowForeign = true
	prof, err = p.Run(context.Background(), pages)
	if err != nil {
		t.Fatal(err)
	}
	if prof.Valid || !contains(prof.Problems, "quiet check failed") || !contains(prof.Warnings, "continuing despite the failed quiet check") {
		t.Errorf("allow foreign: valid %v problems %q warnings %q", prof.Valid, prof.Problems, prof.Warnings)
	}
	if !contains(prof.Problems, "FOREIGN TRAFFIC") {
		t.Errorf("captures polluted by the background client not flagged: %q", prof.Problems)
	}
}

// TestProfileBadPages profiles pages answering 404, 500, a redirect loop,
// statements after the response and a redirect: each is reported naming
// its URL and status; an unreachable shop fails Run.
func TestProfileBadPages(t *testing.T) {
	b := sharedBackend(t)
	f := newFixture(t, b, "local")
	p := f.profiler(t, false)
	p.Samples = 1
	p.Phases = []string{results.PhaseCold}
	prof, err := p.Run(context.Background(), f.pages("bad", "/missing", "/broken", "/loop", "/late", "/moved", "/static"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_ = WriteTable(&buf, prof)
	t.Logf("table:\n%s", buf.String())
	if prof.Valid {
		t.Fatal("profile with failing pages is valid")
	}
	for _, w := range []string{
		"bad " + f.shop.url("/missing") + " cold sample 1: GET " + f.shop.url("/missing") + " answered HTTP 404 Not Found",
		"bad " + f.shop.url("/broken") + " cold sample 1: GET " + f.shop.url("/broken") + " answered HTTP 500 Internal Server Error",
		"bad " + f.shop.url("/loop") + " cold sample 1: REDIRECT LOOP: GET " + f.shop.url("/loop") + " answered 302",
		"bad " + f.shop.url("/late") + " cold sample 1: 1 statement(s) arrived after the HTTP response had completed",
		"bad " + f.shop.url("/static") + ": NO STATEMENT reached the proxy on any request of this page",
	} {
		if !contains(prof.Problems, w) {
			t.Errorf("problems lack %q:\n%s", w, strings.Join(prof.Problems, "\n"))
		}
	}
	if !contains(prof.Problems, "bad "+f.shop.url("/missing")+" prime-app request (unmeasured): GET "+f.shop.url("/missing")+" answered HTTP 404") {
		t.Errorf("the failed priming request is not reported: %q", prof.Problems)
	}
	miss := findPage(t, prof, f.shop.url("/missing")).Cold
	if miss.HTTP.Status != 404 || miss.ClientStatements != 6 || len(miss.Problems) == 0 {
		t.Errorf("404 page: %+v", miss)
	}
	moved := findPage(t, prof, f.shop.url("/moved")).Cold
	if len(prof.Problems) != 9 { // 4 failed priming requests, 4 failed captures, the static page
		t.Errorf("%d problems, want 9:\n%s", len(prof.Problems), strings.Join(prof.Problems, "\n"))
	}
	if len(moved.Problems) != 0 || moved.HTTP.Redirects != 1 || moved.HTTP.FinalURL != f.shop.url("/product/4") || moved.ClientStatements != 14 {
		t.Errorf("redirected page: problems %q HTTP %+v client %d", moved.Problems, moved.HTTP, moved.ClientStatements)
	}
	if !contains(prof.Warnings, "was redirected 1 time(s) to "+f.shop.url("/product/4")) {
		t.Errorf("warnings %q lack the redirect", prof.Warnings)
	}
	if !strings.Contains(buf.String(), "!! PROFILE INVALID") || !strings.Contains(buf.String(), "INVALID") {
		t.Errorf("table does not say the profile is invalid")
	}

	// A shop nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/product/1"
	ln.Close()
	prof, err = p.Run(context.Background(), []Page{{Kind: "product", URL: dead}})
	if !errors.Is(err, ErrShopUnreachable) || !strings.Contains(err.Error(), dead) {
		t.Fatalf("unreachable shop: %v", err)
	}
	if prof == nil || prof.Valid {
		t.Errorf("profile after an unreachable shop: %+v", prof)
	}
}

// TestProfileCacheOff runs against a proxy whose cache is off: the profile
// says so loudly and is invalid; cold equals warm.
func TestProfileCacheOff(t *testing.T) {
	b := sharedBackend(t)
	f := newFixture(t, b, "off")
	p := f.profiler(t, false)
	p.Samples = 1
	prof, err := p.Run(context.Background(), f.pages("product", "/product/1", "/product/2"))
	if err != nil {
		t.Fatal(err)
	}
	if prof.Valid || prof.CacheMode != "off" || !contains(prof.Problems, "the proxy's cache is OFF") {
		t.Fatalf("cache off: valid %v mode %q problems %q", prof.Valid, prof.CacheMode, prof.Problems)
	}
	k := findKind(t, prof, "product")
	if k.Cold.Median != 14 || k.Warm.Median != 14 || k.Reduction != 0 || k.WarmOther == nil || k.WarmOther.Median != 14 {
		t.Errorf("cache off kind %+v", k)
	}
	for _, pg := range prof.Pages {
		for _, ph := range []*results.Phase{pg.Cold, pg.Warm, pg.WarmOther} {
			if ph == nil {
				continue
			}
			if ph.CacheCalls != 0 || ph.CacheTimeNs != 0 || ph.BackendIdleCount != 14 || ph.BackendIdleNs <= 0 {
				t.Errorf("cache off, %s: %d cache calls in %dns, backend idle %dns over %d commands; want 0, 0, > 0 over 14",
					pg.URL, ph.CacheCalls, ph.CacheTimeNs, ph.BackendIdleNs, ph.BackendIdleCount)
			}
		}
	}
	var buf bytes.Buffer
	_ = WriteTable(&buf, prof)
	if !strings.Contains(buf.String(), "!! PROFILE INVALID") || !strings.Contains(buf.String(), "cache is OFF") {
		t.Errorf("table:\n%s", buf.String())
	}
}

// TestProfileAdminUnreachable points the profiler at a closed port.
func TestProfileAdminUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &Profiler{Admin: stats.NewClient("http://"+addr, &http.Client{Timeout: 2 * time.Second}), AdminAddr: addr}
	prof, err := p.Run(context.Background(), []Page{{Kind: "product", URL: "http://127.0.0.1:1/product/1"}})
	if prof != nil || !errors.Is(err, ErrAdminUnreachable) || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "is the proxy running") {
		t.Fatalf("Run: profile %v, error %v", prof, err)
	}
}

// TestProfileCounterUnavailable gives a backend DSN that MariaDB refuses:
// the cross-check is unavailable with a clear note, the profile valid.
func TestProfileCounterUnavailable(t *testing.T) {
	b := sharedBackend(t)
	f := newFixture(t, b, "local")
	p := f.profiler(t, false)
	p.Samples = 1
	p.Phases = []string{results.PhaseCold, results.PhaseWarm}
	c := b.dsnConfig("")
	c.User, c.Passwd = "psbqc_nobody_"+suffix, "wrong"
	conn, err := mysql.NewConnector(c)
	if err != nil {
		t.Fatal(err)
	}
	p.Backend = sql.OpenDB(conn)
	defer p.Backend.Close()
	prof, err := p.Run(context.Background(), f.pages("product", "/product/1"))
	if err != nil {
		t.Fatal(err)
	}
	cc := prof.CounterCheck
	if !prof.Valid || cc.Available || cc.Checked != 0 || !strings.Contains(cc.Note, "counter cross-check unavailable") || !strings.Contains(cc.Note, "Access denied") {
		t.Fatalf("valid %v counter check %+v problems %q", prof.Valid, cc, prof.Problems)
	}
	if pg := findPage(t, prof, f.shop.url("/product/1")); pg.Cold.Check != nil {
		t.Errorf("a phase check without a counter: %+v", pg.Cold.Check)
	}
	var buf bytes.Buffer
	_ = WriteTable(&buf, prof)
	if !strings.Contains(buf.String(), "MySQL Questions cross-check: counter cross-check unavailable") {
		t.Errorf("table:\n%s", buf.String())
	}
}

// TestBadInput checks Run's input validation.
func TestBadInput(t *testing.T) {
	admin := stats.NewClient("http://127.0.0.1:1", nil)
	for name, tc := range map[string]struct {
		p     Profiler
		pages []Page
	}{
		"no admin":      {Profiler{}, []Page{{Kind: "a", URL: "http://x/"}}},
		"no pages":      {Profiler{Admin: admin}, nil},
		"no kind":       {Profiler{Admin: admin}, []Page{{URL: "http://x/"}}},
		"not http":      {Profiler{Admin: admin}, []Page{{Kind: "a", URL: "ftp://x/"}}},
		"twice":         {Profiler{Admin: admin}, []Page{{Kind: "a", URL: "http://x/"}, {Kind: "b", URL: "http://x/"}}},
		"unknown phase": {Profiler{Admin: admin, Phases: []string{"tepid"}}, []Page{{Kind: "a", URL: "http://x/"}}},
	} {
		if _, err := tc.p.Run(context.Background(), tc.pages); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: error %v, want ErrBadInput", name, err)
		}
	}
}

// TestStatAndMedian pins the aggregation arithmetic.
func TestStatAndMedian(t *testing.T) {
	if s := stat([]float64{5, 1, 3, 8}); s != (results.Stat{Median: 4, Min: 1, Max: 8}) {
		t.Errorf("stat even: %+v", s)
	}
	if s := stat([]float64{7, 2, 9}); s != (results.Stat{Median: 7, Min: 2, Max: 9}) {
		t.Errorf("stat odd: %+v", s)
	}
	mk := func(n uint64) *sample {
		return &sample{snap: stats.CaptureSnapshot{BackendCommands: stats.BackendCommandCounts{ByCommand: map[string]uint64{"COM_QUERY": n}}}}
	}
	if i := medianIndex([]*sample{mk(9), mk(3), mk(5), mk(7)}); i != 2 {
		t.Errorf("median index of 9,3,5,7: %d, want 2 (the lower median, 5)", i)
	}
	exp, unknown := ExpectedQuestions(stats.CaptureSnapshot{BackendCommands: stats.BackendCommandCounts{ByCommand: map[string]uint64{
		"COM_QUERY": 10, "COM_QUIT": 2, "COM_PING": 3, "COM_STMT_PREPARE": 1, "COM_STMT_EXECUTE": 4, "COM_STMT_FETCH": 1}}})
	if exp != 10+2+4+1+1 || fmt.Sprint(unknown) != "[COM_STMT_FETCH]" {
		t.Errorf("ExpectedQuestions: %d %v", exp, unknown)
	}
}
