package storefront

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Page kinds.
const (
	KindProduct  = "product"
	KindCategory = "category"
	KindHome     = "home"
	KindCMS      = "cms"
	KindSearch   = "search"
	// KindNotFound is the page of an unknown controller or id.
	KindNotFound = "pagenotfound"
)

// Response headers.
const (
	HeaderStorefront = "X-Psbench-Storefront" // always "simulated"
	HeaderStatements = "X-Psbench-Statements" // statements this request sent
	HeaderAppCache   = "X-Psbench-App-Cache"  // cold | warm
	HeaderVisitor    = "X-Psbench-Visitor"    // new | returning
	HeaderPageVisit  = "X-Psbench-Page-Visit" // first | repeat (ps_page row created or found)
	HeaderPageKind   = "X-Psbench-Page-Kind"
)

// CookieName is the visitor cookie ("<id_guest>.<id_connections>").
const CookieName = "psbench_visitor"

// ResetPath resets the application caches (POST).
const ResetPath = "/_psbench/app-cache/reset"

// Config configures a Storefront.
type Config struct {
	// DSN is the go-sql-driver DSN of the database the pages query
	// (normally the caching proxy), e.g. "root@tcp(127.0.0.1:3307)/psbench".
	// interpolateParams is forced on (text protocol only, like PDO's
	// emulated prepares); timeouts default to the fields below.
	DSN string
	// Prefix is the table prefix (default ps_).
	Prefix string
	// Catalogue is the catalogue the database was seeded with.
	Catalogue *Catalogue
	// ConnectTimeout, ReadTimeout and WriteTimeout bound each database
	// connection when the DSN sets none (defaults 5s, 30s, 30s).
	ConnectTimeout, ReadTimeout, WriteTimeout time.Duration
	// RequestTimeout bounds one page (default 60s).
	RequestTimeout time.Duration
	// Workers bounds the pages rendered at once, like php-fpm's
	// pm.max_children (default 32); more requests wait for a worker.
	Workers int
	// Logger receives errors (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now); tests pin it.
	Now func() time.Time
	// Trace, when set, is called with every statement a page sends and the
	// connection it goes to (ConnMain or ConnDoctrine), from the request's
	// goroutine.
	Trace func(conn, sql string)
}

// Storefront is the simulated PrestaShop storefront: an http.Handler whose
// pages send PrestaShop-shaped SQL over the MySQL protocol.
type Storefront struct {
	cfg     Config
	cat     *Catalogue
	prefix  string
	db      *sql.DB
	log     *slog.Logger
	workers chan struct{}

	mu      sync.Mutex
	warm    map[string]bool // page keys rendered since the last app-cache reset
	resets  int
	handler http.Handler
}

// New returns a storefront; it connects lazily, per request.
func New(cfg Config) (*Storefront, error) {
	if cfg.Catalogue == nil {
		return nil, errors.New("storefront: no catalogue")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 60 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 32
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	mc, err := mysql.ParseDSN(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("storefront: DSN: %w", err)
	}
	mc.InterpolateParams = true
	if mc.Timeout == 0 {
		mc.Timeout = cfg.ConnectTimeout
	}
	if mc.ReadTimeout == 0 {
		mc.ReadTimeout = cfg.ReadTimeout
	}
	if mc.WriteTimeout == 0 {
		mc.WriteTimeout = cfg.WriteTimeout
	}
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, fmt.Errorf("storefront: %w", err)
	}
	db := sql.OpenDB(conn)
	// Every request opens and closes its own connections, like PHP without
	// persistent connections: nothing is kept idle.
	db.SetMaxIdleConns(0)
	s := &Storefront{
		cfg: cfg, cat: cfg.Catalogue, prefix: cfg.Prefix, db: db,
		log:     cfg.Logger.With("component", "storefront"),
		workers: make(chan struct{}, cfg.Workers),
		warm:    map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ResetPath, s.serveReset)
	mux.HandleFunc("/", s.servePage)
	s.handler = mux
	return s, nil
}

// Close releases the storefront's connection pool.
func (s *Storefront) Close() error { return s.db.Close() }

// Catalogue returns the catalogue the storefront serves.
func (s *Storefront) Catalogue() *Catalogue { return s.cat }

// ResetAppCaches wipes the simulated application caches (PrestaShop's
// file caches): the next request of every URL is app-cold.
func (s *Storefront) ResetAppCaches() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.warm)
	s.resets++
}

// Handler serves the storefront.
func (s *Storefront) Handler() http.Handler { return s.handler }

// ServeHTTP implements http.Handler.
func (s *Storefront) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Storefront) serveReset(w http.ResponseWriter, _ *http.Request) {
	s.ResetAppCaches()
	w.Header().Set(HeaderStorefront, "simulated")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"reset":true,"label":"simulated storefront"}` + "\n"))
}

// Page identifies a storefront page.
type Page struct {
	Kind string // product, category, home, cms, search, pagenotfound
	ID   int    // product, category or CMS id
	Term string // search term, normalised
}

// key is the page's app-cache key.
func (p Page) key() string {
	if p.Kind == KindSearch {
		return p.Kind + ":" + p.Term
	}
	return p.Kind + ":" + strconv.Itoa(p.ID)
}

// ParsePage maps a storefront URL's path and query to a page. Paths other
// than / and /index.php return ok=false (a static 404 without SQL).
func ParsePage(path string, q map[string][]string) (p Page, ok bool) {
	if path != "/" && path != "/index.php" {
		return Page{}, false
	}
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	num := func(k string) int {
		n, err := strconv.Atoi(get(k))
		if err != nil || n < 0 {
			return 0
		}
		return n
	}
	switch c := strings.ToLower(get("controller")); c {
	case "", "index":
		return Page{Kind: KindHome}, true
	case "product":
		return Page{Kind: KindProduct, ID: num("id_product")}, true
	case "category":
		return Page{Kind: KindCategory, ID: num("id_category")}, true
	case "cms":
		return Page{Kind: KindCMS, ID: num("id_cms")}, true
	case "search":
		return Page{Kind: KindSearch, Term: NormalizeSearch(get("s"))}, true
	default:
		return Page{Kind: KindNotFound}, true
	}
}

// URL returns the page's storefront URL (path and query).
func (p Page) URL() string {
	switch p.Kind {
	case KindProduct:
		return ProductURL(p.ID)
	case KindCategory:
		return CategoryURL(p.ID)
	case KindCMS:
		return CMSURL(p.ID)
	case KindSearch:
		return SearchURL(p.Term)
	case KindHome:
		return HomeURL()
	}
	return "/index.php?controller=pagenotfound"
}

// URL builders of the storefront's pages.
func ProductURL(id int) string { return "/index.php?controller=product&id_product=" + strconv.Itoa(id) }
func CategoryURL(id int) string {
	return "/index.php?controller=category&id_category=" + strconv.Itoa(id)
}
func CMSURL(id int) string { return "/index.php?controller=cms&id_cms=" + strconv.Itoa(id) }
func SearchURL(term string) string {
	return "/index.php?controller=search&s=" + NormalizeSearch(term)
}
func HomeURL() string { return "/index.php" }

// servePage renders one page.
func (s *Storefront) servePage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set(HeaderStorefront, "simulated")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "simulated storefront: method not allowed", http.StatusMethodNotAllowed)
		return
	}
	page, ok := ParsePage(r.URL.Path, r.URL.Query())
	if !ok {
		http.Error(w, "simulated storefront: no such file", http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	select {
	case s.workers <- struct{}{}:
		defer func() { <-s.workers }()
	case <-ctx.Done():
		http.Error(w, "simulated storefront: no worker available: "+ctx.Err().Error(), http.StatusServiceUnavailable)
		return
	}

	cold := s.markWarm(page)
	req := &request{s: s, ctx: ctx, g: s.gen(), now: s.cfg.Now()}
	req.visitor = parseVisitor(r)
	req.requestURI = r.URL.RequestURI()
	res, err := req.render(page, cold)
	req.close()
	h := w.Header()
	h.Set(HeaderStatements, strconv.Itoa(req.n))
	h.Set(HeaderPageKind, res.kind)
	if cold {
		h.Set(HeaderAppCache, "cold")
	} else {
		h.Set(HeaderAppCache, "warm")
	}
	if err != nil {
		if cold {
			s.unmarkWarm(page)
		}
		s.log.Error("page failed", "url", req.requestURI, "statements", req.n, "err", err)
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "simulated storefront: database error on %s after %d statements: %v\n", req.requestURI, req.n, err)
		return
	}
	if req.newVisitor {
		h.Set(HeaderVisitor, "new")
		http.SetCookie(w, &http.Cookie{Name: CookieName, Value: fmt.Sprintf("%d.%d", req.guestID, req.connectionID), Path: "/", HttpOnly: true, MaxAge: 86400 * 390})
	} else {
		h.Set(HeaderVisitor, "returning")
	}
	if req.pageCreated {
		h.Set(HeaderPageVisit, "first")
	} else {
		h.Set(HeaderPageVisit, "repeat")
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if res.notFound {
		w.WriteHeader(http.StatusNotFound)
	}
	if r.Method == http.MethodGet {
		_, _ = w.Write(res.html)
	}
}

// markWarm reports whether the page is app-cold and marks it warm.
func (s *Storefront) markWarm(p Page) (cold bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := p.key()
	if s.warm[k] {
		return false
	}
	s.warm[k] = true
	return true
}

func (s *Storefront) unmarkWarm(p Page) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.warm, p.key())
}

func (s *Storefront) gen() *gen {
	return &gen{p: s.prefix, c: s.cat, day: today(s.cfg.Now())}
}

// visitorCookie is a parsed visitor cookie.
type visitorCookie struct{ guest, connection int }

func parseVisitor(r *http.Request) visitorCookie {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return visitorCookie{}
	}
	g, conn, ok := strings.Cut(c.Value, ".")
	if !ok {
		return visitorCookie{}
	}
	gi, err1 := strconv.Atoi(g)
	ci, err2 := strconv.Atoi(conn)
	if err1 != nil || err2 != nil || gi <= 0 || ci <= 0 {
		return visitorCookie{}
	}
	return visitorCookie{guest: gi, connection: ci}
}
