package proxycache_test

// Shared helpers for the proxy's integration tests: a dedicated MariaDB test
// account and databases set up in TestMain, an in-process proxy on
// 127.0.0.1:0, client helpers and the environment checks.
//
// Environment:
//
//	PSB_TEST_MYSQL_ADDR      backend address (default 127.0.0.1:3306)
//	PSB_TEST_MYSQL_ROOT      admin user that may create users (default root)
//	PSB_TEST_MYSQL_ROOT_PW   its password (default empty)
//	PSB_TEST_REDIS_ADDR      Redis for the redis tiers (default 127.0.0.1:6379)
//	PSB_TEST_PROXY_LOG=1     show the proxy's log on stderr
//	CI=true                  a missing MariaDB, Redis, php, sysbench or
//	                         redis-server is a failure instead of a skip

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/client"
	"github.com/go-sql-driver/mysql"
	"github.com/redis/go-redis/v9"

	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/proxycache/stats"
)

// env is the test environment prepared by TestMain.
var env struct {
	mysqlAddr string
	redisAddr string
	rootUser  string
	rootPW    string

	mysqlErr error // MariaDB unreachable or set-up failed
	redisErr error // Redis unreachable

	suffix    string // random per run: names never collide with a concurrent run
	user      string // dedicated backend account (mysql_native_password)
	password  string
	user2     string // a second account with narrower grants
	password2 string

	root *sql.DB // admin connection (direct to MariaDB)
}

var keySeq atomic.Uint64

func isCI() bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv("CI")))
	return v != "" && v != "0" && v != "false"
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func TestMain(m *testing.M) {
	flag.Parse()
	env.mysqlAddr = getenv("PSB_TEST_MYSQL_ADDR", "127.0.0.1:3306")
	env.redisAddr = getenv("PSB_TEST_REDIS_ADDR", "127.0.0.1:6379")
	env.rootUser = getenv("PSB_TEST_MYSQL_ROOT", "root")
	env.rootPW = os.Getenv("PSB_TEST_MYSQL_ROOT_PW")
	var b [3]byte
	_, _ = rand.Read(b[:])
	env.suffix = hex.EncodeToString(b[:])
	env.user, env.password = "psbt_"+env.suffix, "psbt_pw_"+env.suffix
	env.user2, env.password2 = "psbt2_"+env.suffix, "psbt2_pw_"+env.suffix

	env.redisErr = pingRedis(env.redisAddr)
	restore, err := setUpMySQL()
	env.mysqlErr = err
	if err != nil {
		fmt.Fprintf(os.Stderr, "proxycache tests: MariaDB at %s is not usable: %v\n", env.mysqlAddr, err)
	}
	code := m.Run()
	if restore != nil {
		restore()
	}
	os.Exit(code)
}

// setUpMySQL creates the test accounts, enables LOCAL INFILE and raises
// max_allowed_packet for the 20 MiB blobs. The returned func undoes it all.
func setUpMySQL() (func(), error) {
	c := mysql.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr = env.rootUser, env.rootPW, "tcp", env.mysqlAddr
	c.Timeout = 3 * time.Second
	c.Logger = nopLogger{}
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(4)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	var oldInfile, oldPacket int64
	if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.local_infile, @@GLOBAL.max_allowed_packet").Scan(&oldInfile, &oldPacket); err != nil {
		db.Close()
		return nil, err
	}
	pattern := "`psbt\\_" + env.suffix + "\\_%`.*"
	stmts := []string{
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED VIA mysql_native_password USING PASSWORD('%s')", env.user, env.password),
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED VIA mysql_native_password USING PASSWORD('%s')", env.user2, env.password2),
		fmt.Sprintf("GRANT ALL PRIVILEGES ON %s TO '%s'@'%%'", pattern, env.user),
		"SET GLOBAL local_infile = 1",
		"SET GLOBAL max_allowed_packet = 67108864",
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			restoreMySQL(db, oldInfile, oldPacket)
			return nil, fmt.Errorf("%s: %w", s, err)
		}
	}
	env.root = db
	return func() { restoreMySQL(db, oldInfile, oldPacket) }, nil
}

func restoreMySQL(db *sql.DB, oldInfile, oldPacket int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?", "psbt\\_"+env.suffix+"\\_%")
	if err == nil {
		var names []string
		for rows.Next() {
			var n string
			if rows.Scan(&n) == nil {
				names = append(names, n)
			}
		}
		rows.Close()
		for _, n := range names {
			_, _ = db.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+n+"`")
		}
	}
	_, _ = db.ExecContext(ctx, fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%', '%s'@'%%'", env.user, env.user2))
	_, _ = db.ExecContext(ctx, fmt.Sprintf("SET GLOBAL local_infile = %d", oldInfile))
	_, _ = db.ExecContext(ctx, fmt.Sprintf("SET GLOBAL max_allowed_packet = %d", oldPacket))
	db.Close()
}

// pingRedis checks a Redis server answers PING.
func pingRedis(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "*1\r\n$4\r\nPING\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected PING reply %q", line)
	}
	return nil
}

// missing skips the test, or fails it under CI, because something the test
// needs is not there.
func missing(t testing.TB, format string, a ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, a...)
	if isCI() {
		t.Fatalf("CI: %s", msg)
	}
	t.Skipf("skipping: %s (set CI=true to make this a failure)", msg)
}

func needMySQL(t testing.TB) {
	t.Helper()
	if env.mysqlErr != nil {
		missing(t, "MariaDB at %s is not usable: %v", env.mysqlAddr, env.mysqlErr)
	}
}

func needRedis(t testing.TB) {
	t.Helper()
	needMySQL(t)
	if env.redisErr != nil {
		missing(t, "Redis at %s is not reachable: %v", env.redisAddr, env.redisErr)
	}
}

// needTool returns the path of a binary the test runs.
func needTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, "%s is not installed (apt-get install -y %s)", name, pkg)
	}
	return p
}

// needMode checks the services a cache mode needs.
func needMode(t testing.TB, mode string) {
	t.Helper()
	needMySQL(t)
	if strings.Contains(mode, "redis") {
		needRedis(t)
	}
}

type nopLogger struct{}

func (nopLogger) Print(...any) {}

// ---------------------------------------------------------------------------
// Databases

// newDB creates a fresh database for a test (dropped at cleanup) and runs
// the given set-up statements in it as the test account's admin.
func newDB(t testing.TB, tag string, setup ...string) string {
	t.Helper()
	needMySQL(t)
	name := fmt.Sprintf("psbt_%s_%s_%d", env.suffix, tag, keySeq.Add(1))
	if len(name) > 64 {
		name = name[:64]
	}
	rootExec(t, "DROP DATABASE IF EXISTS `"+name+"`")
	rootExec(t, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = env.root.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`")
	})
	if len(setup) > 0 {
		execIn(t, name, setup...)
	}
	return name
}

// resetDB drops and recreates a database and runs setup in it.
func resetDB(t testing.TB, name string, setup ...string) {
	t.Helper()
	rootExec(t, "DROP DATABASE IF EXISTS `"+name+"`")
	rootExec(t, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
	execIn(t, name, setup...)
}

// rootExec runs statements on the admin connection.
func rootExec(t testing.TB, stmts ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, s := range stmts {
		if _, err := env.root.ExecContext(ctx, s); err != nil {
			t.Fatalf("admin: %s: %v", short(s), err)
		}
	}
}

// execIn runs statements directly on MariaDB as the test account in db.
func execIn(t testing.TB, db string, stmts ...string) {
	t.Helper()
	d := openDirect(t, db)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := d.Conn(ctx)
	if err != nil {
		t.Fatalf("direct connect: %v", err)
	}
	defer c.Close()
	for _, s := range stmts {
		if _, err := c.ExecContext(ctx, s); err != nil {
			t.Fatalf("direct: %s: %v", short(s), err)
		}
	}
}

func short(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// ---------------------------------------------------------------------------
// Clients

// dsnOpts tweak a go-sql-driver configuration.
type dsnOpts func(*mysql.Config)

func withMulti(c *mysql.Config)     { c.MultiStatements = true }
func withFoundRows(c *mysql.Config) { c.ClientFoundRows = true }
func withUser(user, pw string) dsnOpts {
	return func(c *mysql.Config) { c.User, c.Passwd = user, pw }
}

// clientConfig is the go-sql-driver configuration of a test client: server
// side prepared statements (interpolateParams=false), utf8mb4, 64 MiB
// packets.
func clientConfig(addr, db string, opts ...dsnOpts) *mysql.Config {
	c := mysql.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr, c.DBName = env.user, env.password, "tcp", addr, db
	c.Timeout = 5 * time.Second
	c.ReadTimeout = 60 * time.Second
	c.WriteTimeout = 60 * time.Second
	c.MaxAllowedPacket = 64 << 20
	c.InterpolateParams = false
	c.Logger = nopLogger{}
	for _, o := range opts {
		o(c)
	}
	return c
}

// openClient opens a *sql.DB on addr (MariaDB or the proxy), closed at
// cleanup.
func openClient(t testing.TB, addr, db string, opts ...dsnOpts) *sql.DB {
	t.Helper()
	conn, err := mysql.NewConnector(clientConfig(addr, db, opts...))
	if err != nil {
		t.Fatalf("connector: %v", err)
	}
	d := sql.OpenDB(conn)
	d.SetMaxIdleConns(4)
	t.Cleanup(func() { d.Close() })
	return d
}

// openDirect opens a *sql.DB straight to MariaDB as the test account.
func openDirect(t testing.TB, db string, opts ...dsnOpts) *sql.DB {
	t.Helper()
	return openClient(t, env.mysqlAddr, db, opts...)
}

// oneConn returns one dedicated connection of d (session state sticks).
func oneConn(t testing.TB, d *sql.DB) *sql.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.Conn(ctx)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rawClient logs in with go-mysql's client, whose packet connection the
// tests write raw commands on.
func rawClient(t testing.TB, addr, user, pw, db string) *gomysql.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := gomysql.ConnectWithContext(ctx, addr, user, pw, db, 10*time.Second)
	if err != nil {
		t.Fatalf("go-mysql connect %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// queryStrings runs a query and returns its rows as strings ("NULL" for
// NULL).
func queryStrings(t testing.TB, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) [][]string {
	t.Helper()
	out, err := tryQueryStrings(q, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", short(query), err)
	}
	return out
}

func tryQueryStrings(q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([][]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := [][]string{}
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = string(v)
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// mustExec runs a statement and returns its result.
func mustExec(t testing.TB, e interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, query string, args ...any) sql.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := e.ExecContext(ctx, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", short(query), err)
	}
	return r
}

// mysqlErr extracts a server error.
func mysqlErr(err error) *mysql.MySQLError {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me
	}
	return nil
}

// ---------------------------------------------------------------------------
// The proxy

// counts is a snapshot of the outcomes the proxy's hooks reported.
type counts struct {
	Hits, Misses, Bypass, Local, Stored int
	Reasons                             map[string]int // bypass reasons
	NotStored                           map[string]int // reasons a miss was not stored
	Invalid                             int            // invalidation events
}

func (c counts) sub(o counts) counts {
	d := counts{Hits: c.Hits - o.Hits, Misses: c.Misses - o.Misses, Bypass: c.Bypass - o.Bypass,
		Local: c.Local - o.Local, Stored: c.Stored - o.Stored, Invalid: c.Invalid - o.Invalid,
		Reasons: map[string]int{}, NotStored: map[string]int{}}
	for k, v := range c.Reasons {
		if v-o.Reasons[k] != 0 {
			d.Reasons[k] = v - o.Reasons[k]
		}
	}
	for k, v := range c.NotStored {
		if v-o.NotStored[k] != 0 {
			d.NotStored[k] = v - o.NotStored[k]
		}
	}
	return d
}

// hookCounter counts statement outcomes through proxycache.Hooks and,
// once a test asks for it (testProxy.recordEvents), keeps a copy of every
// event.
type hookCounter struct {
	mu     sync.Mutex
	c      counts
	events []stats.StatementEvent // nil: not recording
}

func (h *hookCounter) statement(ev *stats.StatementEvent) {
	if ev.Class != nil && strings.Contains(ev.Class.Normalized, barrierName) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.events != nil {
		h.events = append(h.events, *ev)
	}
	switch ev.Outcome {
	case stats.OutcomeHit:
		h.c.Hits++
	case stats.OutcomeMiss:
		h.c.Misses++
		if ev.Stored {
			h.c.Stored++
		} else {
			h.c.NotStored[string(ev.Reason)]++
		}
	case stats.OutcomeLocal:
		h.c.Local++
	default:
		h.c.Bypass++
		h.c.Reasons[string(ev.Reason)]++
	}
}

func (h *hookCounter) invalidated([]string, bool) {
	h.mu.Lock()
	h.c.Invalid++
	h.mu.Unlock()
}

func (h *hookCounter) snapshot() counts {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.c
	s.Reasons, s.NotStored = map[string]int{}, map[string]int{}
	for k, v := range h.c.Reasons {
		s.Reasons[k] = v
	}
	for k, v := range h.c.NotStored {
		s.NotStored[k] = v
	}
	return s
}

// The proxy reports a statement to its hooks after the client has its
// response, so a client can see an answer before the statement is counted.
// A barrier statement on the same connection closes that gap: the session
// reports statement N before it reads statement N+1, so once the barrier is
// answered every earlier statement of that connection is counted. Barriers
// themselves are not counted.
const (
	barrierName = "psbt_barrier"
	barrierSQL  = "SELECT 1 AS " + barrierName
)

// settle runs a barrier on each connection.
func settle(t testing.TB, conns ...querier) {
	t.Helper()
	for _, c := range conns {
		if got := queryStrings(t, c, barrierSQL); len(got) != 1 || got[0][0] != "1" {
			t.Fatalf("barrier: %v", got)
		}
	}
}

// window measures the outcomes of the statements sent on conns between
// its creation and delta.
type window struct {
	tp    *testProxy
	conns []querier
	start counts
}

func (tp *testProxy) window(t testing.TB, conns ...querier) *window {
	t.Helper()
	settle(t, conns...)
	return &window{tp: tp, conns: conns, start: tp.counts()}
}

func (w *window) delta(t testing.TB) counts {
	t.Helper()
	settle(t, w.conns...)
	return w.tp.counts().sub(w.start)
}

// testProxy is a proxy running in-process on 127.0.0.1:0.
type testProxy struct {
	P      *proxycache.Proxy
	Addr   string
	Port   int
	Cfg    proxycache.Config
	hooks  *hookCounter
	cancel context.CancelFunc
	done   chan error
}

func (tp *testProxy) counts() counts { return tp.hooks.snapshot() }

// recordEvents starts (or restarts) recording the statement events the
// hooks report, barriers excepted; events returns them.
func (tp *testProxy) recordEvents() {
	tp.hooks.mu.Lock()
	tp.hooks.events = []stats.StatementEvent{}
	tp.hooks.mu.Unlock()
}

// events returns the events recorded since recordEvents.
func (tp *testProxy) events() []stats.StatementEvent {
	tp.hooks.mu.Lock()
	defer tp.hooks.mu.Unlock()
	return slices.Clone(tp.hooks.events)
}

// proxyConfig is the configuration the tests start from: the test account
// as the backend account, a unique Redis key prefix.
func proxyConfig(mode string) proxycache.Config {
	cfg := proxycache.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Admin = ""
	cfg.Backend.Addr = env.mysqlAddr
	cfg.Backend.User = env.user
	cfg.Backend.Password = env.password
	cfg.Cache.Mode = mode
	cfg.Cache.Redis.Addr = env.redisAddr
	cfg.Cache.Redis.KeyPrefix = fmt.Sprintf("psbt:%s:%d:", env.suffix, keySeq.Add(1))
	// These tests check behaviour, not latency: on a loaded 2-core CI box a
	// Redis round trip can exceed the 50ms production timeout and trip the
	// breaker, which would turn cache tests into pass-through tests. The
	// outage tests set their own timeout.
	cfg.Cache.Redis.Timeout = proxycache.Duration(time.Second)
	return cfg
}

// startProxy starts a proxy with cache mode and the given tweaks; it is
// stopped (and must stop) at cleanup.
func startProxy(t testing.TB, mode string, tweak ...func(*proxycache.Config)) *testProxy {
	t.Helper()
	needMode(t, mode)
	cfg := proxyConfig(mode)
	for _, f := range tweak {
		f(&cfg)
	}
	return startProxyCfg(t, cfg)
}

func startProxyCfg(t testing.TB, cfg proxycache.Config) *testProxy {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("PSB_TEST_PROXY_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	hc := &hookCounter{c: counts{Reasons: map[string]int{}, NotStored: map[string]int{}}}
	ctx, cancel := context.WithCancel(context.Background())
	nctx, ncancel := context.WithTimeout(ctx, 15*time.Second)
	p, err := proxycache.New(nctx, cfg, proxycache.WithLogger(logger),
		proxycache.WithHooks(proxycache.Hooks{Statement: hc.statement, Invalidated: hc.invalidated}))
	ncancel()
	if err != nil {
		cancel()
		t.Fatalf("proxycache.New (cache %s): %v", cfg.Cache.Mode, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatalf("listen: %v", err)
	}
	tp := &testProxy{P: p, Addr: ln.Addr().String(), Port: ln.Addr().(*net.TCPAddr).Port, Cfg: cfg,
		hooks: hc, cancel: cancel, done: make(chan error, 1)}
	go func() { tp.done <- p.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-tp.done:
			if err != nil {
				t.Errorf("proxy Serve returned %v after its context was cancelled", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("proxy Serve did not return within 15s of its context being cancelled")
		}
		if strings.Contains(cfg.Cache.Mode, "redis") {
			deleteRedisPrefix(cfg.Cache.Redis.Addr, cfg.Cache.Redis.KeyPrefix)
		}
	})
	return tp
}

// deleteRedisPrefix removes the keys a test proxy wrote (best effort).
func deleteRedisPrefix(addr, prefix string) {
	rc := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := rc.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 500 {
			rc.Del(ctx, keys...)
			keys = keys[:0]
		}
	}
	if len(keys) > 0 {
		rc.Del(ctx, keys...)
	}
}

// adminStats fetches GET /stats from the proxy's admin handler.
func (tp *testProxy) adminStats(t testing.TB) map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	tp.P.AdminHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/stats", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /stats: %d %s", rec.Code, rec.Body.String())
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("GET /stats: %v: %s", err, rec.Body.String())
	}
	return m
}

// adminFlush posts /cache/flush.
func (tp *testProxy) adminFlush(t testing.TB) {
	t.Helper()
	rec := httptest.NewRecorder()
	tp.P.AdminHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/cache/flush", nil))
	if rec.Code/100 != 2 {
		t.Fatalf("POST /cache/flush: %d %s", rec.Code, rec.Body.String())
	}
}

// statNumber finds a numeric counter in the admin JSON: the shallowest key
// named name (breadth first) whose value is a number.
func statNumber(m map[string]any, name string) (float64, bool) {
	queue := []map[string]any{m}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if v, ok := cur[name]; ok {
			if f, ok := v.(float64); ok {
				return f, true
			}
		}
		for _, v := range cur {
			if sub, ok := v.(map[string]any); ok {
				queue = append(queue, sub)
			}
		}
	}
	return 0, false
}

// statBypass finds the bypass counter of a reason in the admin JSON: the
// shallowest object named "bypass" that holds reason.
func statBypass(m map[string]any, reason string) (float64, bool) {
	queue := []map[string]any{m}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if b, ok := cur["bypass"].(map[string]any); ok {
			if f, ok := b[reason].(float64); ok {
				return f, true
			}
		}
		for _, v := range cur {
			if sub, ok := v.(map[string]any); ok {
				queue = append(queue, sub)
			}
		}
	}
	return 0, false
}

// backendSessionAlive says whether MariaDB still lists a session.
func backendSessionAlive(t testing.TB, id int64) bool {
	t.Helper()
	var n int
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := env.root.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?", id).Scan(&n); err != nil {
		t.Fatalf("processlist: %v", err)
	}
	return n > 0
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cacheModes are the modes every conformance check runs through.
var cacheModes = []string{proxycache.CacheOff, proxycache.CacheLocal, proxycache.CacheRedis}

// cacheTiers are the modes that cache.
var cacheTiers = []string{proxycache.CacheLocal, proxycache.CacheRedis, proxycache.CacheLocalRedis}
