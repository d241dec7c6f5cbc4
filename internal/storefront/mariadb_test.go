package storefront

// Tests against the machine's MariaDB (PSB_TEST_MYSQL_ADDR, default
// 127.0.0.1:3306; PSB_TEST_MYSQL_ROOT / PSB_TEST_MYSQL_ROOT_PW, default root
// without password). Each test creates its own database and drops it. A
// missing MariaDB skips these tests, or fails them when CI=true.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/psbench/psbench/internal/scenario"
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func mariaConfig(db string) *mysql.Config {
	mc := mysql.NewConfig()
	mc.Net, mc.Addr = "tcp", envOr("PSB_TEST_MYSQL_ADDR", "127.0.0.1:3306")
	mc.User, mc.Passwd = envOr("PSB_TEST_MYSQL_ROOT", "root"), os.Getenv("PSB_TEST_MYSQL_ROOT_PW")
	mc.DBName = db
	mc.Timeout = 3 * time.Second
	return mc
}

// testShop is a seeded MariaDB database and a storefront over it.
type testShop struct {
	t     *testing.T
	sf    *Storefront
	srv   *httptest.Server
	dsn   string
	mu    sync.Mutex
	trace []traced
}

type traced struct{ conn, sql string }

// newTestShop seeds a fresh database with the catalogue of e and prefix.
func newTestShop(t *testing.T, e scenario.Embedded, prefix string) *testShop {
	t.Helper()
	ctx := context.Background()
	root, err := sql.Open("mysql", mariaConfig("").FormatDSN())
	if err == nil {
		err = root.PingContext(ctx)
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("MariaDB unreachable: %v", err)
		}
		t.Skipf("MariaDB unreachable (%v): set PSB_TEST_MYSQL_ADDR", err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "psbench_sf_" + hex.EncodeToString(b)
	if _, err := root.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = root.ExecContext(context.Background(), "DROP DATABASE `"+name+"`")
		root.Close()
	})
	db, err := sql.Open("mysql", mariaConfig(name).FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cat := NewCatalogue(e)
	if _, err := Install(ctx, conn, prefix, cat); err != nil {
		t.Fatal(err)
	}
	ts := &testShop{t: t, dsn: mariaConfig(name).FormatDSN()}
	ts.sf, err = New(Config{DSN: ts.dsn, Prefix: prefix, Catalogue: cat, Trace: func(c, q string) {
		ts.mu.Lock()
		ts.trace = append(ts.trace, traced{c, q})
		ts.mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	ts.srv = httptest.NewServer(ts.sf)
	t.Cleanup(func() { ts.srv.Close(); ts.sf.Close() })
	return ts
}

// get requests a page (with the cookie when set) and returns the response,
// its body and the statements it sent.
func (ts *testShop) get(u string, cookie *http.Cookie) (*http.Response, string, []traced) {
	ts.t.Helper()
	ts.mu.Lock()
	ts.trace = nil
	ts.mu.Unlock()
	req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+u, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := ts.srv.Client().Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ts.mu.Lock()
	tr := ts.trace
	ts.trace = nil
	ts.mu.Unlock()
	return resp, string(b), tr
}

func responseCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == CookieName {
			return c
		}
	}
	return nil
}

// pageRecord is the ps_page row a page's visit records.
func pageRecord(p Page, e Expectation) string {
	if e.NotFound {
		return "pagenotfound:0"
	}
	switch p.Kind {
	case KindProduct, KindCategory, KindCMS:
		return fmt.Sprintf("%s:%d", p.Kind, p.ID)
	case KindHome:
		return "index:0"
	}
	return p.Kind + ":0"
}

// allPages lists every page of the demo catalogue, and some unknown ones.
func allPages(c *Catalogue) []Page {
	var out []Page
	for _, p := range c.Products {
		out = append(out, Page{Kind: KindProduct, ID: p.ID})
	}
	out = append(out, Page{Kind: KindProduct, ID: 99999}, Page{Kind: KindProduct, ID: 0})
	for _, k := range c.Categories {
		out = append(out, Page{Kind: KindCategory, ID: k.ID})
	}
	out = append(out, Page{Kind: KindCategory, ID: 999})
	for _, m := range c.CMS {
		out = append(out, Page{Kind: KindCMS, ID: m.ID})
	}
	out = append(out, Page{Kind: KindCMS, ID: 77}, Page{Kind: KindHome}, Page{Kind: KindNotFound})
	for _, term := range c.SearchTerms(2) {
		out = append(out, Page{Kind: KindSearch, Term: term})
	}
	out = append(out, Page{Kind: KindSearch, Term: "zzzz"}, Page{Kind: KindSearch})
	return out
}

func checkPage(t *testing.T, ts *testShop, p Page, v Visit, cookie *http.Cookie) *http.Response {
	t.Helper()
	want := ts.sf.Expect(p, v)
	u := p.URL()
	if p.Kind == KindNotFound {
		u = "/index.php?controller=no-such-controller"
	}
	resp, body, tr := ts.get(u, cookie)
	wantCode := http.StatusOK
	if want.NotFound {
		wantCode = http.StatusNotFound
	}
	if resp.StatusCode != wantCode {
		t.Fatalf("%s %+v: status %d, want %d: %.300s", u, v, resp.StatusCode, wantCode, body)
	}
	if got := resp.Header.Get(HeaderStorefront); got != "simulated" {
		t.Errorf("%s: %s = %q", u, HeaderStorefront, got)
	}
	if len(tr) != want.Statements || resp.Header.Get(HeaderStatements) != fmt.Sprint(want.Statements) {
		t.Errorf("%s %+v: sent %d statements (header %s), Expect says %d", u, v, len(tr), resp.Header.Get(HeaderStatements), want.Statements)
	}
	conns := map[string]int{}
	for _, s := range tr {
		conns[s.conn]++
	}
	if len(conns) != want.Connections || conns[ConnDoctrine] != want.Doctrine {
		t.Errorf("%s: connections %v, want %d (doctrine %d)", u, conns, want.Connections, want.Doctrine)
	}
	wantCache := "warm"
	if v.AppCold {
		wantCache = "cold"
	}
	if got := resp.Header.Get(HeaderAppCache); got != wantCache {
		t.Errorf("%s: app cache %q, want %q", u, got, wantCache)
	}
	if !strings.Contains(body, "simulated storefront") {
		t.Errorf("%s: body lacks the simulated storefront label", u)
	}
	return resp
}

// TestPagesMatchExpectation requests every page app-cold and app-warm, as a
// new and a returning visitor, and checks that each sends exactly what
// Expect predicts.
func TestPagesMatchExpectation(t *testing.T) {
	ts := newTestShop(t, scenario.Embedded{}, "")
	recorded := map[string]bool{}
	for _, p := range allPages(ts.sf.Catalogue()) {
		e := ts.sf.Expect(p, Visit{})
		rec := pageRecord(p, e)
		first := !recorded[rec]
		resp := checkPage(t, ts, p, Visit{AppCold: true, NewVisitor: true, FirstVisit: first}, nil)
		recorded[rec] = true
		wantVisit := "repeat"
		if first {
			wantVisit = "first"
		}
		if got := resp.Header.Get(HeaderPageVisit); got != wantVisit {
			t.Errorf("%s: page visit %q, want %q", p.URL(), got, wantVisit)
		}
		cookie := responseCookie(resp)
		if cookie == nil || resp.Header.Get(HeaderVisitor) != "new" {
			t.Fatalf("%s: a new visitor gets no cookie", p.URL())
		}
		resp = checkPage(t, ts, p, Visit{NewVisitor: false}, cookie)
		if resp.Header.Get(HeaderVisitor) != "returning" || responseCookie(resp) != nil {
			t.Errorf("%s: the cookie's visitor is not recognised", p.URL())
		}
		checkPage(t, ts, p, Visit{NewVisitor: true}, nil)
	}
	// a cookie naming an unknown guest is a new visitor
	checkPage(t, ts, Page{Kind: KindProduct, ID: 1}, Visit{NewVisitor: true}, &http.Cookie{Name: CookieName, Value: "999999.1"})
}

// TestMeasuredTargets checks the demo-size pages against the measured
// PrestaShop 8.1 counts, on the database.
func TestMeasuredTargets(t *testing.T) {
	ts := newTestShop(t, scenario.Embedded{}, "")
	c := ts.sf.Catalogue()
	var withCombos, withRelated, twoTiles int
	for _, p := range c.Products {
		if len(p.Combinations) == 8 && len(c.RelatedShown(p.ID)) == 0 && withCombos == 0 {
			withCombos = p.ID
		}
		if len(c.RelatedShown(p.ID)) == 8 && len(p.Combinations) == 8 && withRelated == 0 {
			withRelated = p.ID
		}
	}
	for _, k := range c.Categories {
		if c.CategoryVisible(k.ID) && c.CategoryTiles(k.ID) == 2 && twoTiles == 0 {
			twoTiles = k.ID
		}
	}
	if withCombos == 0 || withRelated == 0 || twoTiles == 0 {
		t.Fatalf("demo catalogue lacks a reference page: %d %d %d", withCombos, withRelated, twoTiles)
	}
	cases := []struct {
		p          Page
		cold, warm int
	}{
		{Page{Kind: KindProduct, ID: withCombos}, 566, 198},
		{Page{Kind: KindProduct, ID: withRelated}, 0, 359},
		{Page{Kind: KindCategory, ID: twoTiles}, 578, 204},
	}
	for _, tc := range cases {
		ts.get(tc.p.URL(), nil) // record the page (ps_page) and warm it
		ts.sf.ResetAppCaches()
		resp, _, cold := ts.get(tc.p.URL(), nil)
		_, _, warm := ts.get(tc.p.URL(), nil)
		if resp.Header.Get(HeaderAppCache) != "cold" {
			t.Errorf("%s: not app-cold after ResetAppCaches", tc.p.URL())
		}
		t.Logf("%s: app-cold %d, app-warm %d statements (PrestaShop 8.1 measured %d / %d)", tc.p.URL(), len(cold), len(warm), tc.cold, tc.warm)
		if tc.cold > 0 && !within(len(cold), tc.cold, 0.05) {
			t.Errorf("%s app-cold: %d statements, measured %d", tc.p.URL(), len(cold), tc.cold)
		}
		if !within(len(warm), tc.warm, 0.05) {
			t.Errorf("%s app-warm: %d statements, measured %d", tc.p.URL(), len(warm), tc.warm)
		}
	}
}

func within(got, want int, frac float64) bool {
	d := float64(got - want)
	return d <= frac*float64(want) && -d <= frac*float64(want)
}

// questions reads MariaDB's server-wide Questions counter.
func questions(t *testing.T, db *sql.Conn) int {
	t.Helper()
	var name string
	var v int
	if err := db.QueryRowContext(context.Background(), "SHOW GLOBAL STATUS LIKE 'Questions'").Scan(&name, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestQuestionsDelta cross-checks pages against MariaDB's own Questions
// counter: statements plus one COM_QUIT per connection. Other clients of
// the server only add to the delta, so a case is retried a few times.
func TestQuestionsDelta(t *testing.T) {
	ts := newTestShop(t, scenario.Embedded{}, "")
	ctx := context.Background()
	mon, err := sql.Open("mysql", mariaConfig("").FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	conn, err := mon.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	product1 := Page{Kind: KindProduct, ID: 1}
	related := Page{Kind: KindProduct}
	for _, p := range ts.sf.Catalogue().Products {
		if len(ts.sf.Catalogue().RelatedShown(p.ID)) > 0 {
			related.ID = p.ID
			break
		}
	}
	var cookie *http.Cookie
	cases := []struct {
		name  string
		p     Page
		v     Visit
		setup func()
		jar   bool
	}{
		{"product app-cold new visitor", product1, Visit{AppCold: true, NewVisitor: true}, ts.sf.ResetAppCaches, false},
		{"product app-warm new visitor", product1, Visit{NewVisitor: true}, nil, false},
		{"product app-warm returning visitor", product1, Visit{}, nil, true},
		{"product with related products", related, Visit{NewVisitor: true}, nil, false},
		{"category app-warm", Page{Kind: KindCategory, ID: 3}, Visit{NewVisitor: true}, nil, false},
		{"category app-cold", Page{Kind: KindCategory, ID: 3}, Visit{AppCold: true, NewVisitor: true}, ts.sf.ResetAppCaches, false},
		{"404", Page{Kind: KindProduct, ID: 99999}, Visit{NewVisitor: true}, nil, false},
	}
	for _, p := range []Page{product1, related, {Kind: KindCategory, ID: 3}, {Kind: KindProduct, ID: 99999}} {
		resp, _, _ := ts.get(p.URL(), nil) // record and warm every page
		cookie = responseCookie(resp)
	}
	for _, tc := range cases {
		want := ts.sf.Expect(tc.p, tc.v).Questions + 1 // + the second SHOW GLOBAL STATUS
		var got int
		for attempt := 0; attempt < 6; attempt++ {
			if tc.setup != nil {
				tc.setup()
			}
			var c *http.Cookie
			if tc.jar {
				c = cookie
			}
			before := questions(t, conn)
			ts.get(tc.p.URL(), c)
			// the connections' COM_QUITs may be counted just after the response
			deadline := time.Now().Add(2 * time.Second)
			for {
				got = questions(t, conn) - before
				if got >= want || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
				before++ // that reading counted itself
			}
			if got == want {
				break
			}
		}
		if got != want {
			t.Errorf("%s: Questions delta %d, want %d (statements + COM_QUITs + 1)", tc.name, got, want)
		} else {
			t.Logf("%s: Questions delta %d = %d statements + %d COM_QUIT + 1", tc.name, got, ts.sf.Expect(tc.p, tc.v).Statements, ts.sf.Expect(tc.p, tc.v).Connections)
		}
	}
}

// TestStatementShapes checks the measured traits of the SQL a product and
// a category page send.
func TestStatementShapes(t *testing.T) {
	ts := newTestShop(t, scenario.Embedded{}, "")
	for _, p := range []Page{{Kind: KindProduct, ID: 1}, {Kind: KindCategory, ID: 3}} {
		ts.get(p.URL(), nil)
		_, _, tr := ts.get(p.URL(), nil)
		count := func(pred func(traced) bool) int {
			n := 0
			for _, s := range tr {
				if pred(s) {
					n++
				}
			}
			return n
		}
		has := func(sub string) func(traced) bool {
			return func(s traced) bool { return strings.Contains(s.sql, sub) }
		}
		prefix := func(pre string) func(traced) bool {
			return func(s traced) bool { return strings.HasPrefix(s.sql, pre) }
		}
		seen := map[string]int{}
		for _, s := range tr {
			seen[s.sql]++
		}
		repeats := len(tr) - len(seen)
		explain, noCache := count(prefix("EXPLAIN SELECT")), count(has("SQL_NO_CACHE"))
		inserts, sets := count(prefix("INSERT INTO")), count(prefix("SET "))
		doctrine := count(func(s traced) bool { return s.conn == ConnDoctrine })
		multi, quoted := count(has("\n")), count(has("`"))
		modules := count(has("FROM `ps_module` WHERE `name` ="))
		moduleShop := count(has("FROM `ps_module_shop` WHERE `id_module` ="))
		stock := count(has("SELECT SUM(quantity)\n\t\t\tFROM `ps_stock_available`"))
		t.Logf("%s: %d statements, %d distinct, %d exact repeats; %d EXPLAIN, %d SQL_NO_CACHE, %d INSERT, %d SET (%d on the Doctrine connection); %d multi-line, %d back-quoted; %d module lookups by name, %d module-shop checks, %d stock sums",
			p.URL(), len(tr), len(seen), repeats, explain, noCache, inserts, sets, doctrine, multi, quoted, modules, moduleShop, stock)
		if explain != 1 || noCache != 1 || inserts != 3 || sets != 3 || doctrine != 3 {
			t.Errorf("%s: EXPLAIN %d, SQL_NO_CACHE %d, INSERT %d, SET %d, doctrine %d; want 1, 1, 3, 3, 3", p.URL(), explain, noCache, inserts, sets, doctrine)
		}
		if tr[0].sql != sqlSetNames || tr[1].sql != sqlSetSQLMode {
			t.Errorf("%s: the main connection starts with %q, %q", p.URL(), tr[0].sql, tr[1].sql)
		}
		for _, s := range tr {
			if s.conn == ConnDoctrine {
				if s.sql != sqlSetDoctrine {
					t.Errorf("%s: the Doctrine connection starts with %q", p.URL(), s.sql)
				}
				break
			}
		}
		if modules < 18 || modules > 22 || moduleShop < 16 || moduleShop > 22 {
			t.Errorf("%s: %d module lookups, %d module-shop checks; want ~20 and ~18", p.URL(), modules, moduleShop)
		}
		if multi < len(tr)/5 || quoted < len(tr)*3/4 {
			t.Errorf("%s: %d multi-line and %d back-quoted statements of %d", p.URL(), multi, quoted, len(tr))
		}
		if repeats < 5 {
			t.Errorf("%s: only %d exact repeats", p.URL(), repeats)
		}
		for _, s := range tr {
			if !strings.HasPrefix(s.sql, "SET ") && !strings.Contains(s.sql, "ps_") {
				t.Errorf("%s: statement without a ps_ table: %.100s", p.URL(), s.sql)
			}
		}
	}
}

// TestResetAppCaches checks the HTTP reset endpoint.
func TestResetAppCaches(t *testing.T) {
	ts := newTestShop(t, scenario.Embedded{}, "")
	u := ProductURL(1)
	ts.get(u, nil)
	if resp, _, _ := ts.get(u, nil); resp.Header.Get(HeaderAppCache) != "warm" {
		t.Fatal("second request not app-warm")
	}
	resp, err := ts.srv.Client().Post(ts.srv.URL+ResetPath, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get(HeaderStorefront) != "simulated" {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	resp, _, tr := ts.get(u, nil)
	if resp.Header.Get(HeaderAppCache) != "cold" || len(tr) != ts.sf.ExpectedStatements(KindProduct, 1, true, true) {
		t.Errorf("after reset: %s with %d statements", resp.Header.Get(HeaderAppCache), len(tr))
	}
}

// TestConcurrentRequests renders pages concurrently, each on its own
// connections.
func TestConcurrentRequests(t *testing.T) {
	ts := newTestShop(t, scenario.Embedded{}, "")
	pages := []Page{{Kind: KindProduct, ID: 1}, {Kind: KindProduct, ID: 2}, {Kind: KindCategory, ID: 3}, {Kind: KindHome}, {Kind: KindCMS, ID: 2}}
	for _, p := range pages {
		ts.get(p.URL(), nil)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 4; i++ {
				p := pages[(w+i)%len(pages)]
				resp, err := ts.srv.Client().Get(ts.srv.URL + p.URL())
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				want := ts.sf.Expect(p, Visit{NewVisitor: true}).Statements
				if resp.StatusCode != http.StatusOK || resp.Header.Get(HeaderStatements) != fmt.Sprint(want) {
					errs <- fmt.Errorf("%s: %d, %s statements, want %d", p.URL(), resp.StatusCode, resp.Header.Get(HeaderStatements), want)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestCustomPrefix seeds and serves with another table prefix.
func TestCustomPrefix(t *testing.T) {
	ts := newTestShop(t, scenario.Embedded{Products: 12, Categories: 6}, "shop_")
	for _, p := range []Page{{Kind: KindProduct, ID: 1}, {Kind: KindCategory, ID: 3}, {Kind: KindHome}} {
		resp, _, tr := ts.get(p.URL(), nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", p.URL(), resp.StatusCode)
		}
		for _, s := range tr {
			if strings.Contains(s.sql, "`ps_") || strings.Contains(s.sql, " ps_") {
				t.Fatalf("%s: statement names a ps_ table: %.100s", p.URL(), s.sql)
			}
		}
	}
}

// TestDatabaseDown answers 500 with a clear body when the database fails.
func TestDatabaseDown(t *testing.T) {
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	sf, err := New(Config{DSN: "root@tcp(" + addr + ")/psbench", Catalogue: NewCatalogue(scenario.Embedded{}), ConnectTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	srv := httptest.NewServer(sf)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + ProductURL(1))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(b), "database error") || resp.Header.Get(HeaderStorefront) != "simulated" {
		t.Errorf("database down: %d %q", resp.StatusCode, b)
	}
	// the failed request did not leave the page app-warm
	if resp, _ := srv.Client().Get(srv.URL + ProductURL(1)); resp != nil {
		if resp.Header.Get(HeaderAppCache) != "cold" {
			t.Errorf("a failed request warmed the page")
		}
		resp.Body.Close()
	}
	// static paths are a plain 404 without SQL
	resp, err = srv.Client().Get(srv.URL + "/img/logo.png")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("static path: %d", resp.StatusCode)
	}
}
