package bench

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// e2eOptions are the options of a short run through the real processes:
// MariaDB and Redis from PSB_TEST_MYSQL_ADDR / PSB_TEST_MYSQL_ROOT /
// PSB_TEST_MYSQL_ROOT_PW / PSB_TEST_REDIS_ADDR (defaults: the local
// servers), sysbench and haproxy from PATH. Without them the test is
// skipped, or fails when CI is set.
func e2eOptions(t *testing.T) Options {
	t.Helper()
	needTool(t, findSysbench)
	needTool(t, findHAProxy)
	o := DefaultOptions()
	host, port, err := net.SplitHostPort(getenv("PSB_TEST_MYSQL_ADDR", "127.0.0.1:3306"))
	if err != nil {
		t.Fatal(err)
	}
	o.MySQL.Host = host
	o.MySQL.Port, _ = strconv.Atoi(port)
	o.MySQL.User = getenv("PSB_TEST_MYSQL_ROOT", "root")
	o.MySQL.Password = os.Getenv("PSB_TEST_MYSQL_ROOT_PW")
	o.Redis = getenv("PSB_TEST_REDIS_ADDR", "127.0.0.1:6379")
	needService(t, "MariaDB", func(ctx context.Context) error {
		db, err := openDB(o.MySQL, o.MySQL.Addr(), "", 1)
		if err != nil {
			return err
		}
		defer db.Close()
		return db.PingContext(ctx)
	})
	needService(t, "Redis", func(ctx context.Context) error {
		rc := redis.NewClient(&redis.Options{Addr: o.Redis})
		defer rc.Close()
		return rc.Ping(ctx).Err()
	})
	o.DB = "psbench_bench_test_" + randomHex(3)
	o.Log = slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return o
}

// TestEndToEnd runs `--duration 2s --threads-list 1 --table-size 500
// --entries 2000` through MariaDB, haproxy, sysbench, Redis and the
// in-process proxies: every target must serve at a positive rate with zero
// errors, the warm caches must hit, the memory fill must be cached
// entirely, and the database and Redis keys must be gone afterwards.
func TestEndToEnd(t *testing.T) {
	o := e2eOptions(t)
	o.Duration, o.Threads, o.TableSize, o.Entries = 2*time.Second, []int{1}, 500, 2000
	o.CPUProfile = filepath.Join(t.TempDir(), "cpu.pprof")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	r, err := Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run took %s", time.Since(start).Round(time.Millisecond))
	if len(r.Runs) != len(AllTargets) {
		t.Fatalf("%d runs, want one per target: %+v", len(r.Runs), r.Runs)
	}
	for i, run := range r.Runs {
		if run.Target != AllTargets[i] || run.Threads != 1 {
			t.Errorf("run %d is %s at %d threads, want %s at 1", i, run.Target, run.Threads, AllTargets[i])
		}
		if run.QPS <= 0 || run.Queries <= 0 || run.Errors != 0 || run.Reconnects != 0 {
			t.Errorf("%s: %.0f queries/s, %d queries, %d errors, %d reconnects", run.Target, run.QPS, run.Queries, run.Errors, run.Reconnects)
		}
		if run.Latency.P50 <= 0 || run.Latency.P50 > run.Latency.P99 {
			t.Errorf("%s: latency %+v", run.Target, run.Latency)
		}
		if (run.Cache != nil) != (run.Target != TargetDirect && run.Target != TargetHAProxy) {
			t.Errorf("%s: cache outcomes %+v", run.Target, run.Cache)
		}
	}
	if len(r.Problems) > 0 {
		t.Errorf("problems: %v", r.Problems)
	}
	if len(r.Warmups) != 2 || r.Warmups[0].CachedEntries != 500 || r.Warmups[0].Passes < 1 || r.Warmups[1].Stored != 500 {
		t.Errorf("warm-ups %+v", r.Warmups)
	}
	if len(r.Ratios) != len(ratioDefs) || len(r.Checks) != len(checkDefs) {
		t.Errorf("%d ratios and %d checks, want %d and %d", len(r.Ratios), len(r.Checks), len(ratioDefs), len(checkDefs))
	}
	m := r.Memory
	if m == nil || m.CachedEntries != 2000 || m.Stores != 2000 || m.PayloadPerEntry < 150 || m.PayloadPerEntry > 400 ||
		m.AccountedBytes <= m.PayloadBytes || m.HeapAfter <= m.HeapBefore {
		t.Errorf("memory %+v", m)
	}
	if r.Versions.MariaDB == "" || r.Versions.Sysbench == "" || r.Versions.HAProxy == "" || r.Versions.Redis == "" || r.Machine.NProc < 1 {
		t.Errorf("versions %+v, machine %+v", r.Versions, r.Machine)
	}
	if fi, err := os.Stat(o.CPUProfile); err != nil || fi.Size() == 0 {
		t.Errorf("--cpuprofile: %v", err)
	}

	var md strings.Builder
	if err := RenderMarkdown(&md, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| psbench proxy, Redis cache (warm) | 1 |") || !strings.Contains(md.String(), "cached entries") {
		t.Errorf("markdown:\n%s", md.String())
	}
	path := filepath.Join(t.TempDir(), "bench.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	var back Report
	if b, err := os.ReadFile(path); err != nil || json.Unmarshal(b, &back) != nil || len(back.Runs) != len(r.Runs) || back.Memory == nil {
		t.Errorf("JSON report does not round-trip: %v", err)
	}
	t.Logf("\n%s", md.String())
	assertCleanedUp(t, o)
}

// TestInterruptCleansUp cancels a run during a measured point: Run must
// return promptly, with the database dropped and no Redis keys left.
func TestInterruptCleansUp(t *testing.T) {
	o := e2eOptions(t)
	o.Duration, o.Threads, o.TableSize, o.SkipMemory = 60*time.Second, []int{1}, 200, true
	o.Targets = []string{TargetProxyRedis}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once the measured run has started (after the warm-up).
		for ctx.Err() == nil {
			if sysbenchRunning() {
				time.Sleep(time.Second)
				cancel()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	start := time.Now()
	_, err := Run(ctx, o)
	if err == nil || !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("Run after cancel: %v", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("Run returned %s after start, the run was 60s: the interrupt was not prompt", d)
	}
	assertCleanedUp(t, o)
}

// sysbenchRunning reports whether one of this process's children is a
// sysbench run (not the prepare or the warm-up).
func sysbenchRunning() bool {
	self := strconv.Itoa(os.Getpid())
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		stat, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 || !strings.Contains(string(stat[:i]), "(sysbench") {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 || f[1] != self {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline"))
		if strings.Contains(string(cmdline), "oltp_point_select") && strings.Contains(string(cmdline), "--histogram=on") {
			return true
		}
	}
	return false
}

func assertCleanedUp(t *testing.T, o Options) {
	t.Helper()
	db, err := openDB(o.MySQL, o.MySQL.Addr(), "", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", o.DB).Scan(&n); err != nil || n != 0 {
		t.Errorf("database %s still exists (%d, %v)", o.DB, n, err)
	}
	rc := redis.NewClient(&redis.Options{Addr: o.Redis})
	defer rc.Close()
	iter := rc.Scan(context.Background(), 0, "psbench-bench:"+strconv.Itoa(os.Getpid())+"-*", 1000).Iterator()
	var keys []string
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil || len(keys) != 0 {
		t.Errorf("Redis keys left behind: %d %v", len(keys), err)
	}
}

// needService skips the test (fails it under CI) when ping fails.
func needService(t *testing.T, name string, ping func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ping(ctx); err != nil {
		if inCI() {
			t.Fatalf("%s is not reachable: %v (CI is set: this is a failure)", name, err)
		}
		t.Skipf("skipped: %s is not reachable: %v (set CI=true to make this a failure)", name, err)
	}
}

func getenv(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
