package querycount

// A small storefront for the tests: every page opens two connections
// through the proxy like PrestaShop (PDO with SET NAMES and sql_mode, then
// a second plain one), sends a known mix of statements with the text
// protocol (interpolateParams), and closes them before answering.
//
// The mix of one product page N (14 statements):
//
//	conn A  SET NAMES utf8mb4                                  bypass not_select
//	        SET SESSION sql_mode = ''                          bypass not_select
//	        SELECT name FROM ps_shop WHERE id_shop = 1         shared by every page
//	        SELECT id_module FROM ps_module WHERE name = ...   ×3, shared, exact repeats
//	        SELECT ... FROM ps_product WHERE id_product = N    own
//	        SELECT SUM(quantity) FROM ps_stock_available ... N ×2, own, exact repeat
//	        SELECT SQL_NO_CACHE value FROM ps_configuration    bypass sql_no_cache
//	        SELECT id_cart FROM ps_cart WHERE id_guest = 1     bypass blacklisted
//	        INSERT INTO ps_connections ...                     bypass not_select (a write)
//	conn B  SELECT name FROM ps_shop WHERE id_shop = 1         shared; another session
//	                                                           fingerprint than conn A's
//	        SELECT COUNT(*) FROM ps_product_comment ... N      own
//
// A category page N (12 statements) lists two products (category 1:
// products 1, 2; category 2: products 2, 3): SETs, ps_shop, ps_module ×3,
// ps_category_product N (own), one stock sum per product (product 2's is
// shared), ps_cart, the INSERT, and ps_shop on conn B.
//
// The slow page (5 statements) sleeps: SETs, SELECT SLEEP(0.05) (bypass
// nondeterministic), a ps_product read, 100 ms of application time, and
// ps_shop on conn B.
//
// The first request of each path ("app-cold") adds three identical
// ps_translation reads on conn A, as PrestaShop's translation catalogue
// does.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// appColdExtra is the number of statements an app-cold request adds.
const appColdExtra = 3

// shopSchema creates and fills the test database.
var shopSchema = []string{
	"CREATE TABLE ps_shop (id_shop INT PRIMARY KEY, name VARCHAR(64))",
	"INSERT INTO ps_shop VALUES (1, 'demo')",
	"CREATE TABLE ps_module (id_module INT PRIMARY KEY, name VARCHAR(64))",
	"INSERT INTO ps_module VALUES (1, 'ps_mainmenu'), (2, 'productcomments')",
	"CREATE TABLE ps_product (id_product INT PRIMARY KEY, name VARCHAR(64), price DECIMAL(10,2))",
	"INSERT INTO ps_product VALUES (1, 'mug', 11.90), (2, 'tee', 19.12), (3, 'poster', 29.00), (4, 'notebook', 12.90)",
	"CREATE TABLE ps_stock_available (id_product INT, quantity INT)",
	"INSERT INTO ps_stock_available VALUES (1, 10), (1, 5), (2, 3), (3, 0), (4, 7)",
	"CREATE TABLE ps_configuration (name VARCHAR(64) PRIMARY KEY, value VARCHAR(64))",
	"INSERT INTO ps_configuration VALUES ('PS_SHOP_ENABLE', '1')",
	"CREATE TABLE ps_cart (id_cart INT PRIMARY KEY, id_guest INT)",
	"INSERT INTO ps_cart VALUES (1, 1)",
	"CREATE TABLE ps_connections (id_connections INT AUTO_INCREMENT PRIMARY KEY, id_guest INT, date_add DATETIME)",
	"CREATE TABLE ps_product_comment (id INT AUTO_INCREMENT PRIMARY KEY, id_product INT)",
	"INSERT INTO ps_product_comment (id_product) VALUES (1), (1), (2)",
	"CREATE TABLE ps_category_product (id_category INT, id_product INT)",
	"INSERT INTO ps_category_product VALUES (1, 1), (1, 2), (2, 2), (2, 3)",
	"CREATE TABLE ps_translation (id INT PRIMARY KEY, t VARCHAR(64))",
	"INSERT INTO ps_translation VALUES (1, 'Add to cart')",
}

// categoryProducts lists the products shown by each category page.
var categoryProducts = map[int][]int{1: {1, 2}, 2: {2, 3}}

// testShop is the storefront.
type testShop struct {
	t    testing.TB
	conn driver.Connector
	srv  *httptest.Server

	mu       sync.Mutex
	seen     map[string]bool
	appCold  int               // app-cold requests served
	requests map[string]int    // requests per path
	hook     func(path string) // called in the middle of every page
	late     sync.WaitGroup    // statements run after responding
	errs     []error           // SQL errors (the test fails on any)
}

// newShop starts the storefront talking to MySQL at addr (the proxy),
// database db, as user/pw.
func newShop(t testing.TB, addr, user, pw, db string) *testShop {
	t.Helper()
	c := mysql.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr, c.DBName = user, pw, "tcp", addr, db
	c.InterpolateParams = true
	c.Logger = nopLogger{}
	conn, err := mysql.NewConnector(c)
	if err != nil {
		t.Fatal(err)
	}
	s := &testShop{t: t, conn: conn, seen: map[string]bool{}, requests: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /product/{n}", s.product)
	mux.HandleFunc("GET /category/{n}", s.category)
	mux.HandleFunc("GET /slow", s.slow)
	mux.HandleFunc("GET /late", s.lateStatements)
	mux.HandleFunc("GET /missing", s.failing(http.StatusNotFound))
	mux.HandleFunc("GET /broken", s.failing(http.StatusInternalServerError))
	mux.HandleFunc("GET /static", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "<html>no SQL here</html>") })
	mux.HandleFunc("GET /loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("GET /moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/product/4", http.StatusMovedPermanently)
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		s.late.Wait()
		s.srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, err := range s.errs {
			t.Errorf("test shop SQL error: %v", err)
		}
	})
	return s
}

// count returns the number of requests of path served so far.
func (s *testShop) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// appColdCount returns the number of app-cold requests served so far.
func (s *testShop) appColdCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appCold
}

// url returns the absolute URL of path.
func (s *testShop) url(path string) string { return s.srv.URL + path }

// session is one request's pair of connections.
type session struct {
	s    *testShop
	ctx  context.Context
	dbs  []*sql.DB
	a, b *sql.Conn
}

// open opens conn A (with PrestaShop's session set-up) and, like Doctrine,
// leaves conn B to be opened on first use.
func (s *testShop) open(r *http.Request) *session {
	ss := &session{s: s, ctx: r.Context()}
	ss.a = ss.connect()
	ss.exec(ss.a, "SET NAMES utf8mb4")
	ss.exec(ss.a, "SET SESSION sql_mode = ''")
	s.mu.Lock()
	s.requests[r.URL.Path]++
	cold := !s.seen[r.URL.Path]
	s.seen[r.URL.Path] = true
	if cold {
		s.appCold++
	}
	s.mu.Unlock()
	if cold {
		for range appColdExtra {
			ss.query(ss.a, "SELECT t FROM ps_translation WHERE id = ?", 1)
		}
	}
	return ss
}

// connect opens one connection of its own (a pool of one, closed with
// the request, so each request opens fresh connections like PHP).
func (ss *session) connect() *sql.Conn {
	db := sql.OpenDB(ss.s.conn)
	db.SetMaxIdleConns(0)
	ss.dbs = append(ss.dbs, db)
	c, err := db.Conn(ss.ctx)
	if err != nil {
		ss.fail(err)
		return nil
	}
	return c
}

// connB returns conn B, opening it on first use.
func (ss *session) connB() *sql.Conn {
	if ss.b == nil {
		ss.b = ss.connect()
	}
	return ss.b
}

func (ss *session) fail(err error) {
	ss.s.mu.Lock()
	ss.s.errs = append(ss.s.errs, err)
	ss.s.mu.Unlock()
}

// query runs a SELECT and reads every row.
func (ss *session) query(c *sql.Conn, q string, args ...any) {
	if c == nil {
		return
	}
	rows, err := c.QueryContext(ss.ctx, q, args...)
	if err != nil {
		ss.fail(fmt.Errorf("%s: %w", q, err))
		return
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		ss.fail(fmt.Errorf("%s: %w", q, err))
	}
	rows.Close()
}

// exec runs a statement without rows.
func (ss *session) exec(c *sql.Conn, q string, args ...any) {
	if c == nil {
		return
	}
	if _, err := c.ExecContext(ss.ctx, q, args...); err != nil {
		ss.fail(fmt.Errorf("%s: %w", q, err))
	}
}

// close closes both connections (COM_QUIT each).
func (ss *session) close() {
	for _, c := range []*sql.Conn{ss.a, ss.b} {
		if c != nil {
			c.Close()
		}
	}
	for _, db := range ss.dbs {
		db.Close()
	}
}

// common runs the statements every storefront page shares.
func (ss *session) common() {
	ss.query(ss.a, "SELECT name FROM ps_shop WHERE id_shop = ?", 1)
	for range 3 {
		ss.query(ss.a, "SELECT id_module FROM ps_module WHERE name = ?", "ps_mainmenu")
	}
}

// visitor runs the never-cached visitor statements.
func (ss *session) visitor() {
	ss.query(ss.a, "SELECT id_cart FROM ps_cart WHERE id_guest = ?", 1)
	ss.exec(ss.a, "INSERT INTO ps_connections (id_guest, date_add) VALUES (?, ?)", 1, "2024-01-01 00:00:00")
}

func (s *testShop) callHook(path string) {
	s.mu.Lock()
	h := s.hook
	s.mu.Unlock()
	if h != nil {
		h(path)
	}
}

func pathInt(r *http.Request, name string) (int, bool) {
	n, err := strconv.Atoi(r.PathValue(name))
	return n, err == nil && n > 0
}

func (s *testShop) product(w http.ResponseWriter, r *http.Request) {
	n, ok := pathInt(r, "n")
	if !ok {
		http.NotFound(w, r)
		return
	}
	ss := s.open(r)
	ss.common()
	ss.query(ss.a, "SELECT name, price FROM ps_product WHERE id_product = ?", n)
	s.callHook(r.URL.Path)
	for range 2 {
		ss.query(ss.a, "SELECT SUM(quantity) FROM ps_stock_available WHERE id_product = ?", n)
	}
	ss.query(ss.a, "SELECT SQL_NO_CACHE value FROM ps_configuration WHERE name = ?", "PS_SHOP_ENABLE")
	ss.visitor()
	ss.query(ss.connB(), "SELECT name FROM ps_shop WHERE id_shop = ?", 1)
	ss.query(ss.connB(), "SELECT COUNT(*) FROM ps_product_comment WHERE id_product = ?", n)
	ss.close()
	fmt.Fprintf(w, "<html><body><h1>product %d</h1>%s</body></html>\n", n, strings.Repeat("<p>lorem ipsum</p>", 50))
}

func (s *testShop) category(w http.ResponseWriter, r *http.Request) {
	n, ok := pathInt(r, "n")
	if !ok || categoryProducts[n] == nil {
		http.NotFound(w, r)
		return
	}
	ss := s.open(r)
	ss.common()
	ss.query(ss.a, "SELECT id_product FROM ps_category_product WHERE id_category = ?", n)
	for _, p := range categoryProducts[n] {
		ss.query(ss.a, "SELECT SUM(quantity) FROM ps_stock_available WHERE id_product = ?", p)
	}
	ss.visitor()
	ss.query(ss.connB(), "SELECT name FROM ps_shop WHERE id_shop = ?", 1)
	ss.close()
	fmt.Fprintf(w, "<html><body><h1>category %d</h1></body></html>\n", n)
}

func (s *testShop) slow(w http.ResponseWriter, r *http.Request) {
	ss := s.open(r)
	ss.query(ss.a, "SELECT SLEEP(0.05)")
	ss.query(ss.a, "SELECT name FROM ps_product WHERE id_product = ?", 4)
	sleepCtx(r.Context(), 100)
	ss.query(ss.connB(), "SELECT name FROM ps_shop WHERE id_shop = ?", 1)
	ss.close()
	fmt.Fprintln(w, "<html><body>slow</body></html>")
}

// lateStatements answers completely (Content-Length, flushed) and then,
// like PHP after fastcgi_finish_request, runs one more statement on its
// still open connection before closing it.
func (s *testShop) lateStatements(w http.ResponseWriter, r *http.Request) {
	ss := s.open(r)
	ss.query(ss.a, "SELECT name FROM ps_shop WHERE id_shop = ?", 1)
	body := "<html><body>late</body></html>\n"
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write([]byte(body))
	w.(http.Flusher).Flush()
	sleepCtx(context.Background(), 150)
	ss.ctx = context.Background()
	ss.query(ss.a, "SELECT id_module FROM ps_module WHERE name = ?", "ps_mainmenu")
	ss.close()
}

// failing answers status after running the shared statements.
func (s *testShop) failing(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss := s.open(r)
		ss.common()
		ss.close()
		http.Error(w, http.StatusText(status), status)
	}
}
