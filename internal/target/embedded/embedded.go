// Package embedded is psbench's default target, which needs nothing but Go:
// an in-process MySQL-compatible server (go-mysql-server, in memory)
// holding a PrestaShop-shaped catalogue, and the simulated storefront
// (package storefront) whose pages send PrestaShop-shaped SQL to the
// address where the harness runs its caching proxy.
//
// Everything it reports is labelled "simulated storefront": the SQL mix is
// grounded on measurements of a real PrestaShop 8.1, but no PHP runs.
//
// Questions: go-mysql-server counts every query in its global Questions
// status variable but not the other commands MariaDB counts. The target
// watches the client side of every backend connection and adds COM_QUIT,
// COM_INIT_DB, COM_FIELD_LIST, COM_SET_OPTION and COM_RESET_CONNECTION,
// so `SHOW GLOBAL STATUS LIKE 'Questions'` moves as on MariaDB 10.11
// (statements + one COM_QUIT per connection). go-mysql-server keeps that
// variable per process: with two embedded servers in one process their
// counts add up there, while Target.Questions counts this server only.
package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gms "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/server"
	gmssql "github.com/dolthub/go-mysql-server/sql"
	"github.com/go-sql-driver/mysql"

	"github.com/psbench/psbench/internal/results"
	"github.com/psbench/psbench/internal/scenario"
	"github.com/psbench/psbench/internal/storefront"
	"github.com/psbench/psbench/internal/target"
)

// seedStatementBytes bounds one seed INSERT on the embedded server.
const seedStatementBytes = 48 << 20

// Database is the name of the embedded shop's database.
const Database = "psbench"

// User is the embedded server's account (no password).
const User = "root"

// serverVersion is announced in the greeting and by VERSION(): MySQL 8.0
// compatible, marked as the embedded engine.
const serverVersion = "8.0.31-go-mysql-server"

// gmsModule is the go-mysql-server module, for the version in Info, and
// the version go.mod pins (test binaries carry no dependency versions).
const (
	gmsModule        = "github.com/dolthub/go-mysql-server"
	gmsPinnedVersion = "v0.20.0"
)

// interactiveProducts is the catalogue size above which go-mysql-server's
// memory tables get slow: they check each inserted row against every
// stored one, and join without statistics (2,000 products: a 35 s seed
// and 30 s category pages; 500 products: 1.5 s and 1 s).
const interactiveProducts = 1000

// Target is the embedded target. Create it with New.
type Target struct {
	cfg scenario.Embedded
	log *slog.Logger

	mu          sync.Mutex
	started     bool
	stopped     bool
	cat         *storefront.Catalogue
	srv         *server.Server
	backendAddr string
	proxyListen string
	baseURL     string
	sf          *storefront.Storefront
	httpSrv     *http.Server
	httpDone    chan error
	db          *sql.DB // direct backend connection for discovery
	counter     *commandCounter
	seedTime    time.Duration
	seedRows    int
}

// New returns the embedded target of cfg (zero sizes are PrestaShop
// 8.1's demo sizes, see storefront.Normalize).
func New(cfg scenario.Embedded, log *slog.Logger) *Target {
	if log == nil {
		log = slog.Default()
	}
	return &Target{cfg: storefront.Normalize(cfg), log: log.With("component", "embedded")}
}

var (
	_ target.Target           = (*Target)(nil)
	_ target.AppCacheResetter = (*Target)(nil)
)

// Start launches go-mysql-server on a free loopback port, creates and
// seeds the catalogue, reserves a free loopback port for the harness's
// proxy and starts the storefront's HTTP server, whose pages connect to
// that port lazily (per request).
func (t *Target) Start(ctx context.Context) (target.Info, error) {
	info := target.Info{Kind: scenario.KindEmbedded, Simulated: true, Label: results.LabelSimulated, Nodes: 1,
		ShopVersion: "simulated storefront (PrestaShop 8.1-shaped SQL)"}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.started {
		return info, errors.New("embedded target: already started")
	}
	t.started = true
	routeLogs(t.log)
	if t.cfg.Products > interactiveProducts {
		t.log.Warn("large simulated catalogue: go-mysql-server seeds and joins slowly beyond ~1,000 products; raise scale instead of products to reach large-shop statement counts",
			"products", t.cfg.Products)
	}

	if err := t.startServer(); err != nil {
		t.stopLocked(ctx)
		return info, err
	}
	t.cat = storefront.NewCatalogue(t.cfg)
	start := time.Now()
	if err := t.seed(ctx); err != nil {
		t.stopLocked(ctx)
		return info, err
	}
	t.seedTime = time.Since(start)
	t.log.Info("simulated storefront catalogue seeded", "rows", t.seedRows, "products", t.cfg.Products,
		"categories", t.cfg.Categories, "took", t.seedTime.Round(time.Millisecond))

	var version string
	if err := t.db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		t.stopLocked(ctx)
		return info, fmt.Errorf("embedded target: read server version: %w", err)
	}
	info.DBVersion = version + " (go-mysql-server " + gmsVersion() + ", in-process, in-memory)"

	proxyListen, err := freeLoopbackAddr()
	if err != nil {
		t.stopLocked(ctx)
		return info, fmt.Errorf("embedded target: reserve the proxy port: %w", err)
	}
	t.proxyListen = proxyListen
	if err := t.startStorefront(); err != nil {
		t.stopLocked(ctx)
		return info, err
	}
	t.log.Info("simulated storefront started", "url", t.baseURL, "db_via_proxy", t.proxyListen, "backend", t.backendAddr)
	return info, nil
}

// startServer runs go-mysql-server on 127.0.0.1 with an in-memory database.
func (t *Target) startServer() error {
	db := memory.NewDatabase(Database)
	db.BaseDatabase.EnablePrimaryKeyIndexes()
	pro := memory.NewDBProvider(db)
	engine := gms.NewDefault(pro)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("embedded target: listen: %w", err)
	}
	t.counter = &commandCounter{}
	cl := &countingListener{Listener: ln, c: t.counter}
	cfg := server.Config{
		Protocol: "tcp",
		Address:  ln.Addr().String(),
		Listener: cl,
		Version:  serverVersion,
		// generous bounds: the proxy keeps backend connections as long as its clients
		ConnReadTimeout:  0,
		ConnWriteTimeout: 0,
		MaxConnections:   0,
	}
	srv, err := server.NewServer(cfg, engine, gmssql.NewContext, memory.NewSessionBuilder(pro), nil)
	if err != nil {
		ln.Close()
		return fmt.Errorf("embedded target: go-mysql-server: %w", err)
	}
	t.srv = srv
	t.backendAddr = ln.Addr().String()
	go func() { _ = srv.Start() }()

	mc := mysql.NewConfig()
	mc.Net, mc.Addr, mc.User, mc.DBName = "tcp", t.backendAddr, User, Database
	mc.Timeout, mc.ReadTimeout, mc.WriteTimeout = 5*time.Second, 60*time.Second, 60*time.Second
	mc.InterpolateParams = true
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return fmt.Errorf("embedded target: %w", err)
	}
	t.db = sql.OpenDB(conn)
	t.db.SetMaxOpenConns(2)
	t.db.SetMaxIdleConns(2)
	return nil
}

// seed creates the schema and inserts the catalogue over one connection.
func (t *Target) seed(ctx context.Context) error {
	conn, err := t.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("embedded target: connect to the embedded server: %w", err)
	}
	defer conn.Close()
	// one large INSERT per table: go-mysql-server checks each new row
	// against the stored ones by a linear scan
	n, err := storefront.InstallWith(ctx, conn, storefront.DefaultPrefix, t.cat, seedStatementBytes)
	if err != nil {
		return fmt.Errorf("embedded target: seed the catalogue: %w", err)
	}
	t.seedRows = n
	return nil
}

func (t *Target) startStorefront() error {
	mc := mysql.NewConfig()
	mc.Net, mc.Addr, mc.User, mc.DBName = "tcp", t.proxyListen, User, Database
	sf, err := storefront.New(storefront.Config{DSN: mc.FormatDSN(), Catalogue: t.cat, Logger: t.log})
	if err != nil {
		return fmt.Errorf("embedded target: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		sf.Close()
		return fmt.Errorf("embedded target: storefront listen: %w", err)
	}
	t.sf = sf
	t.baseURL = "http://" + ln.Addr().String()
	t.httpSrv = &http.Server{Handler: sf, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second}
	t.httpDone = make(chan error, 1)
	go func() {
		err := t.httpSrv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		t.httpDone <- err
	}()
	return nil
}

// BaseURL is the storefront's URL, e.g. http://127.0.0.1:40123.
func (t *Target) BaseURL() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.baseURL
}

// Backend is the embedded go-mysql-server (root, no password).
func (t *Target) Backend() target.Backend {
	t.mu.Lock()
	defer t.mu.Unlock()
	return target.Backend{Addr: t.backendAddr, User: User, Database: Database}
}

// ProxyListen is the loopback address the storefront's DSN points at,
// where the harness starts its proxy after Start.
func (t *Target) ProxyListen() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.proxyListen
}

// ResetAppCaches wipes the storefront's simulated application caches:
// the next request of each URL is app-cold.
func (t *Target) ResetAppCaches(context.Context) error {
	t.mu.Lock()
	sf := t.sf
	t.mu.Unlock()
	if sf == nil {
		return errors.New("embedded target: ResetAppCaches before Start")
	}
	sf.ResetAppCaches()
	return nil
}

// Storefront returns the simulated storefront (nil before Start), for its
// expectations (Storefront.Expect, ExpectURL, ExpectedStatements).
func (t *Target) Storefront() *storefront.Storefront {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sf
}

// Questions is the number of commands MariaDB would count in its
// Questions status variable that clients sent to this embedded server
// since Start (statements, plus one COM_QUIT per closed connection, ...),
// including the seed and discovery. Take deltas.
func (t *Target) Questions() int64 {
	t.mu.Lock()
	c := t.counter
	t.mu.Unlock()
	if c == nil {
		return 0
	}
	return c.questions.Load()
}

// SeedStats reports the seeded rows and how long seeding took.
func (t *Target) SeedStats() (rows int, took time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seedRows, t.seedTime
}

// Stop shuts the storefront, its connections and the embedded server
// down. It is safe to call twice.
func (t *Target) Stop(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stopLocked(ctx)
}

func (t *Target) stopLocked(ctx context.Context) error {
	if t.stopped {
		return nil
	}
	t.stopped = true
	var errs []error
	if t.httpSrv != nil {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := t.httpSrv.Shutdown(sctx); err != nil {
			_ = t.httpSrv.Close()
		}
		cancel()
		if err := <-t.httpDone; err != nil {
			errs = append(errs, fmt.Errorf("storefront http: %w", err))
		}
	}
	if t.sf != nil {
		_ = t.sf.Close()
	}
	if t.db != nil {
		_ = t.db.Close()
	}
	if t.srv != nil {
		if err := t.srv.Close(); err != nil {
			errs = append(errs, fmt.Errorf("go-mysql-server: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Pages discovers page URLs from the embedded database: active products,
// active categories below Home holding active products, CMS pages, the
// home page, and search terms that find products.
func (t *Target) Pages(ctx context.Context, kind string, n int) ([]string, error) {
	t.mu.Lock()
	db, base := t.db, t.baseURL
	t.mu.Unlock()
	if db == nil || base == "" {
		return nil, errors.New("embedded target: Pages before Start")
	}
	if n <= 0 {
		return nil, nil
	}
	p := storefront.DefaultPrefix
	var q string
	var url func(v string) string
	switch kind {
	case storefront.KindProduct:
		q = fmt.Sprintf("SELECT p.id_product FROM `%sproduct_shop` p WHERE p.active = 1 AND p.id_shop = 1 ORDER BY p.id_product LIMIT %d", p, n)
		url = func(v string) string { return storefront.ProductURL(atoi(v)) }
	case storefront.KindCategory:
		q = fmt.Sprintf("SELECT c.id_category FROM `%scategory` c WHERE c.active = 1 AND c.is_root_category = 0 AND c.id_parent > 1 "+
			"AND c.id_category IN (SELECT cp.id_category FROM `%scategory_product` cp INNER JOIN `%sproduct_shop` ps ON (ps.id_product = cp.id_product AND ps.id_shop = 1) WHERE ps.active = 1) "+
			"ORDER BY c.id_category LIMIT %d", p, p, p, n)
		url = func(v string) string { return storefront.CategoryURL(atoi(v)) }
	case storefront.KindCMS:
		q = fmt.Sprintf("SELECT id_cms FROM `%scms` WHERE active = 1 ORDER BY id_cms LIMIT %d", p, n)
		url = func(v string) string { return storefront.CMSURL(atoi(v)) }
	case storefront.KindSearch:
		q = fmt.Sprintf("SELECT sw.word FROM `%ssearch_word` sw INNER JOIN `%ssearch_index` si ON (si.id_word = sw.id_word) "+
			"INNER JOIN `%sproduct_shop` ps ON (ps.id_product = si.id_product AND ps.id_shop = 1) WHERE ps.active = 1 "+
			"GROUP BY sw.word ORDER BY COUNT(DISTINCT si.id_product) DESC, sw.word LIMIT %d", p, p, p, n)
		url = storefront.SearchURL
	case storefront.KindHome, "index":
		return []string{base + storefront.HomeURL()}, nil
	default:
		return nil, fmt.Errorf("embedded target: discover %q pages: %w (kinds: product, category, cms, search, home)", kind, target.ErrUnknownKind)
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("embedded target: discover %s pages: %w", kind, err)
	}
	defer rows.Close()
	var urls []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("embedded target: discover %s pages: %w", kind, err)
		}
		urls = append(urls, base+url(v))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("embedded target: discover %s pages: %w", kind, err)
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("embedded target: no %s pages in the simulated catalogue", kind)
	}
	return urls, nil
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}

// freeLoopbackAddr returns a loopback address whose port was free a moment
// ago (the harness binds it right after Start).
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// gmsVersion is the go-mysql-server version this binary was built with.
func gmsVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == gmsModule {
				if d.Replace != nil {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return gmsPinnedVersion
}

// commandCounter counts the client commands of every backend connection.
type commandCounter struct {
	questions atomic.Int64
	byCommand [256]atomic.Int64
}

// MySQL command bytes.
const (
	comQuit             = 0x01
	comInitDB           = 0x02
	comQuery            = 0x03
	comFieldList        = 0x04
	comPing             = 0x0e
	comStatistics       = 0x09
	comStmtPrepare      = 0x16
	comStmtExecute      = 0x17
	comStmtClose        = 0x19
	comStmtReset        = 0x1a
	comSetOption        = 0x1b
	comResetConnection  = 0x1f
	comStmtSendLongData = 0x18
)

// command records one client command: MariaDB's Questions counts every
// command but COM_PING, COM_STATISTICS, COM_STMT_PREPARE, COM_STMT_CLOSE,
// COM_STMT_RESET (and COM_STMT_SEND_LONG_DATA, which has no reply).
// go-mysql-server already counts queries and executions; the others are
// added to its global Questions.
func (c *commandCounter) command(cmd byte) {
	c.byCommand[cmd].Add(1)
	switch cmd {
	case comPing, comStatistics, comStmtPrepare, comStmtClose, comStmtReset, comStmtSendLongData:
		return
	}
	c.questions.Add(1)
	switch cmd {
	case comQuery, comStmtExecute:
	default:
		if gmssql.StatusVariables != nil {
			gmssql.StatusVariables.IncrementGlobal("Questions", 1)
		}
	}
}

// countingListener wraps each accepted connection in a commandConn.
type countingListener struct {
	net.Listener
	c *commandCounter
}

func (l *countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &commandConn{Conn: conn, c: l.c}, nil
}

// commandConn follows the MySQL packets a client sends and reports the
// command byte of each packet with sequence id 0 (every command; the
// handshake, authentication and continuation packets have higher ids).
type commandConn struct {
	net.Conn
	c       *commandCounter
	hdr     [4]byte
	hdrN    int
	skip    int  // payload bytes left in the current packet
	wantCmd bool // the next payload byte is a command
}

func (cc *commandConn) Read(p []byte) (int, error) {
	n, err := cc.Conn.Read(p)
	b := p[:n]
	for len(b) > 0 {
		switch {
		case cc.wantCmd:
			cc.wantCmd = false
			cc.c.command(b[0])
			cc.skip--
			b = b[1:]
		case cc.skip > 0:
			k := min(cc.skip, len(b))
			cc.skip -= k
			b = b[k:]
		default:
			k := copy(cc.hdr[cc.hdrN:], b)
			cc.hdrN += k
			b = b[k:]
			if cc.hdrN == 4 {
				cc.hdrN = 0
				cc.skip = int(cc.hdr[0]) | int(cc.hdr[1])<<8 | int(cc.hdr[2])<<16
				cc.wantCmd = cc.hdr[3] == 0 && cc.skip > 0
			}
		}
	}
	return n, err
}

// routeLogs sends go-mysql-server's and vitess's logs to log: their
// per-connection chatter at debug, warnings and errors as such.
func routeLogs(log *slog.Logger) {
	logSink.Store(log)
	logOnce.Do(installLogRouting)
}

var (
	logSink atomic.Pointer[slog.Logger]
	logOnce sync.Once
)

func sinkf(level slog.Level, format string, a ...any) {
	if l := logSink.Load(); l != nil {
		l.Log(context.Background(), level, strings.TrimSpace(fmt.Sprintf(format, a...)), "source", "go-mysql-server")
	}
}
