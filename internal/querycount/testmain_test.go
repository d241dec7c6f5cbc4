package querycount

// Shared helpers for querycount's integration tests: MariaDB back ends, a
// dedicated test database, an in-process proxy and its admin API.
//
// Environment:
//
//	PSB_TEST_MYSQL_ADDR       shared MariaDB (default 127.0.0.1:3306, root, no password)
//	PSB_TEST_MYSQL_ROOT       its admin user (default root)
//	PSB_TEST_MYSQL_ROOT_PW    its password (default empty)
//	PSB_TEST_PRIVATE_MARIADB  "0": never start a private MariaDB (see quietBackend)
//	PSB_TEST_PROXY_LOG=1      show the proxy's log on stderr
//	CI=true                   a missing MariaDB is a failure instead of a skip
//
// MariaDB's Questions counter is server-wide. Tests that compare it with a
// capture need a server nobody else talks to: quietBackend starts a private
// mariadbd (the installed MariaDB binary) in a temporary directory, and
// falls back to the shared server when that is impossible and the shared
// server's counter is quiet (a shared server that turns busy mid-test then
// makes those tests fail, naming the cause).

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
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
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/proxycache/stats"
)

// backend is a MariaDB server the tests may use.
type backend struct {
	addr   string
	user   string
	pw     string
	quiet  bool // nobody else sends it statements
	source string
}

var (
	suffix string // random per run: database names never collide

	sharedOnce sync.Once
	shared     *backend
	sharedErr  error

	quietOnce sync.Once
	quiet     *backend
	quietErr  error
	private   *privateMariaDB
)

func TestMain(m *testing.M) {
	flag.Parse()
	var b [3]byte
	_, _ = rand.Read(b[:])
	suffix = hex.EncodeToString(b[:])
	code := m.Run()
	if private != nil {
		private.stop()
	}
	os.Exit(code)
}

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

// missing skips the test, or fails it under CI.
func missing(t testing.TB, format string, a ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, a...)
	if isCI() {
		t.Fatalf("CI: %s", msg)
	}
	t.Skipf("skipping: %s (set CI=true to make this a failure)", msg)
}

type nopLogger struct{}

func (nopLogger) Print(...any) {}

// dsnConfig is a go-sql-driver configuration for b (database db).
func (b *backend) dsnConfig(db string) *mysql.Config {
	c := mysql.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr, c.DBName = b.user, b.pw, "tcp", b.addr, db
	c.Timeout = 5 * time.Second
	c.InterpolateParams = true
	c.Logger = nopLogger{}
	return c
}

// open returns a pool of direct connections to b.
func (b *backend) open(t testing.TB, db string) *sql.DB {
	t.Helper()
	conn, err := mysql.NewConnector(b.dsnConfig(db))
	if err != nil {
		t.Fatal(err)
	}
	d := sql.OpenDB(conn)
	t.Cleanup(func() { d.Close() })
	return d
}

// questions reads the Questions counter of b on a fresh connection.
func (b *backend) ping() error {
	conn, err := mysql.NewConnector(b.dsnConfig(""))
	if err != nil {
		return err
	}
	d := sql.OpenDB(conn)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return d.PingContext(ctx)
}

// sharedBackend returns the machine's MariaDB.
func sharedBackend(t testing.TB) *backend {
	t.Helper()
	sharedOnce.Do(func() {
		b := &backend{addr: getenv("PSB_TEST_MYSQL_ADDR", "127.0.0.1:3306"), user: getenv("PSB_TEST_MYSQL_ROOT", "root"),
			pw: os.Getenv("PSB_TEST_MYSQL_ROOT_PW"), source: "shared"}
		if err := b.ping(); err != nil {
			sharedErr = fmt.Errorf("MariaDB at %s: %w", b.addr, err)
			return
		}
		shared = b
	})
	if sharedErr != nil {
		missing(t, "%v", sharedErr)
	}
	return shared
}

// quietBackend returns a MariaDB whose Questions counter moves only for the
// test's own traffic.
func quietBackend(t testing.TB) *backend {
	t.Helper()
	quietOnce.Do(func() {
		perr := errors.New("PSB_TEST_PRIVATE_MARIADB=0")
		if os.Getenv("PSB_TEST_PRIVATE_MARIADB") != "0" {
			p, err := startPrivateMariaDB()
			if err == nil {
				private = p
				quiet = &backend{addr: p.addr, user: "root", quiet: true, source: "private mariadbd " + p.dir}
				return
			}
			perr = err
		}
		if b := sharedBackend(t); isQuiet(b) {
			b2 := *b
			b2.quiet = true
			b2.source = "shared " + b.addr
			quiet = &b2
			return
		}
		quietErr = fmt.Errorf("no MariaDB with a quiet Questions counter: no private mariadbd (%v) and other clients use the shared one", perr)
	})
	if quietErr != nil {
		missing(t, "%v", quietErr)
	}
	return quiet
}

// isQuiet reports whether b's Questions counter grows only by the reads
// themselves over half a second.
func isQuiet(b *backend) bool {
	conn, err := mysql.NewConnector(b.dsnConfig(""))
	if err != nil {
		return false
	}
	d := sql.OpenDB(conn)
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := d.Conn(ctx)
	if err != nil {
		return false
	}
	defer c.Close()
	q0, err := readQuestions(ctx, c)
	if err != nil {
		return false
	}
	time.Sleep(500 * time.Millisecond)
	q1, err := readQuestions(ctx, c)
	return err == nil && q1-q0 == 1
}

// privateMariaDB is a mariadbd started by the tests in a temporary
// directory, listening on 127.0.0.1 only.
type privateMariaDB struct {
	dir  string
	addr string
	cmd  *exec.Cmd
	done chan struct{}
}

// startPrivateMariaDB initialises a data directory and starts mariadbd.
func startPrivateMariaDB() (*privateMariaDB, error) {
	server, err := lookTool("mariadbd", "mysqld")
	if err != nil {
		return nil, err
	}
	install, err := lookTool("mariadb-install-db", "mysql_install_db")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "psbqc-mariadb-")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*privateMariaDB, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	args := []string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		return fail(fmt.Errorf("%s: %w\n%s", install, err, lastLines(string(out), 10)))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return fail(err)
	}
	sargs := []string{"--no-defaults", "--datadir=" + data, "--socket=" + filepath.Join(dir, "sock"),
		fmt.Sprintf("--port=%d", port), "--bind-address=127.0.0.1", "--skip-log-bin",
		"--innodb-buffer-pool-size=32M", "--pid-file=" + filepath.Join(dir, "pid")}
	if os.Geteuid() == 0 {
		sargs = append(sargs, "--user=root")
	}
	cmd := exec.Command(server, sargs...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fail(err)
	}
	p := &privateMariaDB{dir: dir, addr: fmt.Sprintf("127.0.0.1:%d", port), cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	b := &backend{addr: p.addr, user: "root"}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err = b.ping(); err == nil {
			return p, nil
		}
		select {
		case <-p.done:
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("mariadbd exited: %s", lastLines(string(log), 10))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("mariadbd did not accept connections within 60s: %w", err)
		}
	}
}

// stop ends mariadbd and removes its directory.
func (p *privateMariaDB) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	os.RemoveAll(p.dir)
}

// lookTool finds the first of names on PATH or in /usr/sbin.
func lookTool(names ...string) (string, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
		if p := filepath.Join("/usr/sbin", n); fileExists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("none of %s found", strings.Join(names, ", "))
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// newDatabase creates a dedicated database on b with the statements of
// setup run in it, and drops it when the test ends.
func newDatabase(t testing.TB, b *backend, tag string, setup ...string) string {
	t.Helper()
	name := fmt.Sprintf("psbqc_%s_%s", suffix, tag)
	d := b.open(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := d.ExecContext(ctx, "CREATE DATABASE `"+name+"`"); err != nil {
		t.Fatalf("create database %s on %s: %v", name, b.addr, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := d.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	c, err := d.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "USE `"+name+"`"); err != nil {
		t.Fatal(err)
	}
	for _, s := range setup {
		if _, err := c.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return name
}

// testProxy is an in-process proxy with its admin API on an httptest
// server.
type testProxy struct {
	Addr  string // MySQL address
	Admin *stats.Client
	URL   string // admin API base URL
}

// startProxy starts a proxy in front of b with cache mode mode (local or
// off), the prestashop never-cache preset and table prefix ps_.
func startProxy(t testing.TB, b *backend, mode string) *testProxy {
	t.Helper()
	cfg := proxycache.DefaultConfig()
	cfg.Listen, cfg.Admin = "127.0.0.1:0", ""
	cfg.Backend.Addr, cfg.Backend.User, cfg.Backend.Password = b.addr, b.user, b.pw
	cfg.Cache.Mode = mode
	cfg.Cache.Blacklist.Preset = "prestashop"
	cfg.Cache.TablePrefix = "ps_"
	cfg.Cache.Local.MaxBytes = 16 << 20
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("PSB_TEST_PROXY_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	nctx, ncancel := context.WithTimeout(ctx, 15*time.Second)
	p, err := proxycache.New(nctx, cfg, proxycache.WithLogger(logger))
	ncancel()
	if err != nil {
		cancel()
		t.Fatalf("proxycache.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, ln) }()
	admin := httptest.NewServer(p.AdminHandler())
	t.Cleanup(func() {
		admin.Close()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("proxy Serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("proxy did not stop within 15s")
		}
	})
	return &testProxy{Addr: ln.Addr().String(), Admin: stats.NewClient(admin.URL, &http.Client{Timeout: 10 * time.Second}), URL: admin.URL}
}
