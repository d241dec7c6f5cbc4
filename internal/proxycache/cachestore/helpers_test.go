package cachestore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testRedisAddr is the machine's Redis the tests run against.
const testRedisAddr = "127.0.0.1:6379"

// requireRedis skips the test when the machine's Redis is unreachable, or
// fails it when CI is set.
func requireRedis(tb testing.TB) string {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: testRedisAddr, DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("Redis at %s unreachable and CI is set: %v", testRedisAddr, err)
		}
		tb.Skipf("Redis at %s unreachable (%v); skipping (set CI=true to fail instead)", testRedisAddr, err)
	}
	return testRedisAddr
}

// testPrefix returns a key prefix unique to the test, and deletes every key
// under it when the test ends.
func testPrefix(tb testing.TB, addr string) string {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := strings.NewReplacer("/", "_", " ", "_").Replace(tb.Name())
	prefix := fmt.Sprintf("psbench-test:%s:%s:", name, hex.EncodeToString(b[:]))
	tb.Cleanup(func() { deletePrefix(tb, addr, prefix) })
	return prefix
}

// deletePrefix deletes every key under prefix, if the server is still up.
func deletePrefix(tb testing.TB, addr, prefix string) {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, globEscape(prefix)+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if len(keys) > 0 {
		_ = c.Unlink(ctx, keys...).Err()
	}
}

// rawClient returns a plain client for inspecting Redis.
func rawClient(tb testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// testLogger logs to the test's output.
func testLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tb.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// newTestRedis returns a Redis tier on addr under a fresh prefix unless o
// sets one, closed when the test ends.
func newTestRedis(tb testing.TB, addr string, o RedisOptions) *Redis {
	tb.Helper()
	o.Addr = addr
	if o.KeyPrefix == "" {
		o.KeyPrefix = testPrefix(tb, addr)
	}
	if o.Logger == nil {
		o.Logger = testLogger(tb)
	}
	if o.Timeout == 0 {
		o.Timeout = time.Second // the machine may be loaded; outage tests set their own
	}
	r, err := NewRedis(context.Background(), o)
	if err != nil {
		tb.Fatalf("NewRedis: %v", err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	return r
}

// key returns the Key of a test statement.
func key(s string) Key { return sha256.Sum256([]byte(s)) }

// redisProc is a redis-server child process the test owns, on a free
// loopback port, to kill, stall and restart.
type redisProc struct {
	tb   testing.TB
	port int
	cmd  *exec.Cmd
}

// startRedisProc starts a private redis-server, skipped if the binary is
// missing (a failure under CI).
func startRedisProc(tb testing.TB) *redisProc {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("redis-server not found and CI is set: %v", err)
		}
		tb.Skipf("redis-server not found (%v); skipping", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("free port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	p := &redisProc{tb: tb, port: port}
	p.start()
	tb.Cleanup(p.kill)
	return p
}

func (p *redisProc) addr() string { return "127.0.0.1:" + strconv.Itoa(p.port) }

// start runs redis-server on p.port and waits until it answers.
func (p *redisProc) start() {
	p.tb.Helper()
	p.cmd = exec.Command("redis-server", "--port", strconv.Itoa(p.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--loglevel", "warning")
	if err := p.cmd.Start(); err != nil {
		p.tb.Fatalf("start redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: p.addr(), MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			p.tb.Fatalf("redis-server on %s not answering: %v", p.addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill kills the server (idempotent) and reaps it.
func (p *redisProc) kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

// restart starts the server again on the same port.
func (p *redisProc) restart() {
	p.kill()
	p.start()
}

// stall stops the server with SIGSTOP: connections stay open, nothing
// answers.
func (p *redisProc) stall() {
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		p.tb.Fatalf("SIGSTOP: %v", err)
	}
}

// resume continues a stalled server.
func (p *redisProc) resume() {
	if err := p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		p.tb.Fatalf("SIGCONT: %v", err)
	}
}

// mustGet calls Get and fails the test on error.
func mustGet(tb testing.TB, s Store, k Key, tables []string) ([]byte, Fill) {
	tb.Helper()
	p, f, err := s.Get(context.Background(), k, tables)
	if err != nil {
		tb.Fatalf("Get: %v", err)
	}
	return p, f
}

// waitFor polls cond every 10ms until it holds or timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// isUnavailable reports whether err wraps ErrUnavailable.
func isUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }
