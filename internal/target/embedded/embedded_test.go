package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/results"
	"github.com/psbench/psbench/internal/scenario"
	"github.com/psbench/psbench/internal/storefront"
	"github.com/psbench/psbench/internal/target"
)

func testLogger() *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("PSB_TEST_EMBEDDED_LOG") == "1" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

func startTarget(t *testing.T, e scenario.Embedded) *Target {
	t.Helper()
	tg := New(e, testLogger())
	if _, err := tg.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tg.Stop(context.Background()) })
	return tg
}

// backendConn is a direct connection to the embedded server.
func backendConn(t *testing.T, tg *Target) *sql.Conn {
	t.Helper()
	mc := mysql.NewConfig()
	mc.Net, mc.Addr, mc.User, mc.DBName = "tcp", tg.Backend().Addr, User, Database
	db, err := sql.Open("mysql", mc.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestStartPagesStop(t *testing.T) {
	ctx := context.Background()
	tg := New(scenario.Embedded{}, testLogger())
	start := time.Now()
	info, err := tg.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows, took := tg.SeedStats()
	t.Logf("started in %v; seeded %d rows in %v; %+v", time.Since(start).Round(time.Millisecond), rows, took.Round(time.Millisecond), info)
	if took > 5*time.Second {
		t.Errorf("seeding the quickstart catalogue took %v", took)
	}
	if info.Kind != scenario.KindEmbedded || !info.Simulated || info.Label != results.LabelSimulated ||
		!strings.Contains(info.DBVersion, "go-mysql-server v0.") || info.Nodes != 1 {
		t.Errorf("info: %+v", info)
	}
	if _, err := tg.Start(ctx); err == nil {
		t.Error("second Start succeeded")
	}
	b := tg.Backend()
	if b.User != "root" || b.Password != "" || b.Database != Database || !strings.HasPrefix(b.Addr, "127.0.0.1:") ||
		!strings.HasPrefix(tg.ProxyListen(), "127.0.0.1:") || !strings.HasPrefix(tg.BaseURL(), "http://127.0.0.1:") {
		t.Errorf("addresses: %+v %s %s", b, tg.ProxyListen(), tg.BaseURL())
	}
	cat := tg.Storefront().Catalogue()
	categories := 0
	for _, k := range cat.Categories {
		if k.ID > 2 && len(cat.CategoryProducts(k.ID)) > 0 {
			categories++
		}
	}
	for kind, want := range map[string]int{"product": 19, "category": categories, "cms": 5, "search": 3, "home": 1} {
		urls, err := tg.Pages(ctx, kind, 200)
		if kind == "search" {
			urls, err = tg.Pages(ctx, kind, 3)
		}
		if err != nil || len(urls) != want || !strings.HasPrefix(urls[0], tg.BaseURL()+"/index.php") {
			t.Errorf("Pages(%s): %d urls %v, %v", kind, len(urls), urls, err)
		}
	}
	if _, err := tg.Pages(ctx, "cart", 3); !errors.Is(err, target.ErrUnknownKind) {
		t.Errorf("Pages(cart): %v", err)
	}
	// the storefront answers even before the proxy runs (its pages then fail)
	resp, err := http.Get(tg.BaseURL() + storefront.ProductURL(1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get(storefront.HeaderStorefront) != "simulated" {
		t.Errorf("without proxy: %d", resp.StatusCode)
	}
	if err := tg.ResetAppCaches(ctx); err != nil {
		t.Error(err)
	}
	if err := tg.Stop(ctx); err != nil {
		t.Error(err)
	}
	if err := tg.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := net.DialTimeout("tcp", b.Addr, time.Second); err == nil {
		t.Error("the embedded server still listens after Stop")
	}
}

// TestEveryStatementAccepted runs every page kind straight against the
// embedded server, app-cold and app-warm, new and returning visitor, and
// checks each sends exactly the expected statements without error.
func TestEveryStatementAccepted(t *testing.T) {
	tg := startTarget(t, scenario.Embedded{})
	cat := tg.Storefront().Catalogue()
	mc := mysql.NewConfig()
	mc.Net, mc.Addr, mc.User, mc.DBName = "tcp", tg.Backend().Addr, User, Database
	sf, err := storefront.New(storefront.Config{DSN: mc.FormatDSN(), Catalogue: cat, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	srv := httptest.NewServer(sf)
	defer srv.Close()
	// every page kind and shape: products with and without combinations and
	// related products, every category, CMS, search, home, and 404s
	var pages []storefront.Page
	var combos, plain, related bool
	for _, p := range cat.Products {
		r := len(cat.RelatedShown(p.ID)) > 0
		c := len(p.Combinations) > 0
		if (c && !r && !combos) || (!c && !plain) || (r && !related) {
			pages = append(pages, storefront.Page{Kind: storefront.KindProduct, ID: p.ID})
			combos, plain, related = combos || (c && !r), plain || !c, related || r
		}
	}
	for _, k := range cat.Categories {
		pages = append(pages, storefront.Page{Kind: storefront.KindCategory, ID: k.ID})
	}
	pages = append(pages, storefront.Page{Kind: storefront.KindCMS, ID: 1}, storefront.Page{Kind: storefront.KindCMS, ID: 99},
		storefront.Page{Kind: storefront.KindSearch, Term: cat.SearchTerms(1)[0]}, storefront.Page{Kind: storefront.KindSearch},
		storefront.Page{Kind: storefront.KindHome}, storefront.Page{Kind: storefront.KindProduct, ID: 4242},
		storefront.Page{Kind: storefront.KindNotFound})
	get := func(p storefront.Page, cookie *http.Cookie, v storefront.Visit) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+p.URL(), nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusInternalServerError {
			t.Fatalf("%s: go-mysql-server refused a statement: %s", p.URL(), body)
		}
		// the page's first visit ever adds its ps_page row
		v.FirstVisit = resp.Header.Get(storefront.HeaderPageVisit) == "first"
		want := sf.Expect(p, v)
		if got := resp.Header.Get(storefront.HeaderStatements); got != fmt.Sprint(want.Statements) || (resp.StatusCode == http.StatusNotFound) != want.NotFound {
			t.Errorf("%s %+v: %d with %s statements, want %d (not found %v)", p.URL(), v, resp.StatusCode, got, want.Statements, want.NotFound)
		}
		return resp
	}
	for _, p := range pages {
		resp := get(p, nil, storefront.Visit{AppCold: true, NewVisitor: true})
		var cookie *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == storefront.CookieName {
				cookie = c
			}
		}
		if cookie == nil {
			t.Fatalf("%s: no visitor cookie", p.URL())
		}
		if resp := get(p, cookie, storefront.Visit{}); resp.Header.Get(storefront.HeaderVisitor) != "returning" {
			t.Errorf("%s: visitor not recognised", p.URL())
		}
		get(p, nil, storefront.Visit{NewVisitor: true})
	}
}

// startProxy runs psbench's caching proxy (local cache) on the target's
// ProxyListen, forwarding to the embedded server, as the harness does.
func startProxy(t *testing.T, tg *Target) *proxycache.Proxy {
	t.Helper()
	cfg := proxycache.DefaultConfig()
	cfg.Listen, cfg.Admin = tg.ProxyListen(), ""
	b := tg.Backend()
	cfg.Backend.Addr, cfg.Backend.User, cfg.Backend.Password = b.Addr, b.User, b.Password
	cfg.Cache.Mode = proxycache.CacheLocal
	ctx, cancel := context.WithCancel(context.Background())
	p, err := proxycache.New(ctx, cfg, proxycache.WithLogger(testLogger()))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("proxy: %v", err)
		}
	})
	return p
}

func globalQuestions(t *testing.T, c *sql.Conn) int64 {
	t.Helper()
	var name string
	var v int64
	if err := c.QueryRowContext(context.Background(), "SHOW GLOBAL STATUS LIKE 'Questions'").Scan(&name, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestEndToEndThroughProxy is the harness's path: the embedded target, a
// real proxycache proxy on ProxyListen with a local cache, and a product
// and a category page requested twice each.
func TestEndToEndThroughProxy(t *testing.T) {
	tg := startTarget(t, scenario.Embedded{})
	p := startProxy(t, tg)
	sf := tg.Storefront()
	mon := backendConn(t, tg)
	for _, page := range []storefront.Page{{Kind: storefront.KindProduct, ID: 1}, {Kind: storefront.KindCategory, ID: 8}} {
		var backend [2]uint64
		for i, v := range []storefront.Visit{{AppCold: true, NewVisitor: true, FirstVisit: true}, {NewVisitor: true}} {
			want := sf.Expect(page, v)
			before := p.Stats().Snapshot()
			g0 := globalQuestions(t, mon)
			q0 := tg.Questions()
			resp, err := http.Get(tg.BaseURL() + page.URL())
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", page.URL(), resp.StatusCode)
			}
			// the backend connections' COM_QUITs follow the response
			var after = p.Stats().Snapshot()
			for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				after = p.Stats().Snapshot()
				if after.Connections.Closed-before.Connections.Closed >= uint64(want.Connections) &&
					uint64(tg.Questions()-q0) >= after.BackendCommands.Total-before.BackendCommands.Total {
					break
				}
			}
			client := after.ClientStatements.ByCommand["COM_QUERY"] - before.ClientStatements.ByCommand["COM_QUERY"]
			backend[i] = after.BackendCommands.ByCommand["COM_QUERY"] - before.BackendCommands.ByCommand["COM_QUERY"]
			backendAll := after.BackendCommands.Total - before.BackendCommands.Total
			questions := tg.Questions() - q0
			global := globalQuestions(t, mon) - g0 - 1 // minus the second SHOW
			t.Logf("%s %+v: client %d statements (expected %d), backend %d statements (%d commands with COM_QUIT); hits %d; Questions %d (SHOW GLOBAL STATUS %d); bypass %v not stored %v",
				page.URL(), v, client, want.Statements, backend[i], backendAll, after.Hits-before.Hits, questions, global, after.Bypass, after.NotStored)
			if client != uint64(want.Statements) {
				t.Errorf("%s %+v: the proxy saw %d client statements, Expect says %d", page.URL(), v, client, want.Statements)
			}
			if uint64(questions) != backendAll || global != questions {
				t.Errorf("%s: Questions %d, SHOW GLOBAL STATUS %d, proxy backend commands %d", page.URL(), questions, global, backendAll)
			}
		}
		if backend[1]*5 > backend[0] || backend[1] > uint64(sf.Expect(page, storefront.Visit{NewVisitor: true}).Statements)/5 {
			t.Errorf("%s: the warm request sent %d statements to the backend (cold %d)", page.URL(), backend[1], backend[0])
		}
	}
	if s := p.Stats().Snapshot(); s.Errors.Total != 0 {
		t.Errorf("backend errors through the proxy: %v", s.Errors.ByCode)
	}
}

// TestQuestionsCounter checks the MariaDB-like Questions of the embedded
// server: statements, COM_QUIT and COM_INIT_DB count, COM_PING does not.
func TestQuestionsCounter(t *testing.T) {
	tg := startTarget(t, scenario.Embedded{Products: 5, Categories: 4})
	mon := backendConn(t, tg)
	mc := mysql.NewConfig()
	mc.Net, mc.Addr, mc.User, mc.DBName = "tcp", tg.Backend().Addr, User, Database
	db, err := sql.Open("mysql", mc.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxIdleConns(0)
	ctx := context.Background()
	g0, q0 := globalQuestions(t, mon), tg.Questions()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"SET NAMES utf8mb4", "SET SESSION sql_mode = ''", "SELECT SQL_NO_CACHE COUNT(*) FROM `ps_guest`", "EXPLAIN SELECT 1 FROM `ps_product` WHERE id_product = 1"} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := c.PingContext(ctx); err != nil { // COM_PING: not counted
		t.Fatal(err)
	}
	c.Close() // COM_QUIT
	db.Close()
	want := int64(4 + 1) // 4 statements and COM_QUIT
	deadline := time.Now().Add(2 * time.Second)
	for tg.Questions()-q0 < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := tg.Questions() - q0; got != want {
		t.Errorf("Target.Questions delta %d, want %d", got, want)
	}
	if got := globalQuestions(t, mon) - g0; got != want+1 {
		t.Errorf("SHOW GLOBAL STATUS delta %d, want %d (4 statements, COM_QUIT, the second SHOW)", got, want+1)
	}
}
