package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/psbench/psbench/internal/proxycache"
	"github.com/redis/go-redis/v9"
)

// target is one running benchmark target.
type target struct {
	name  string
	host  string
	port  int
	proxy *inprocProxy // nil for direct and haproxy
	cpu   cpuClock     // the hop's CPU time; nil for direct
}

// bench holds one run's state.
type bench struct {
	o       *Options
	sb      *Sysbench
	admin   *sql.DB // MariaDB, no default database
	direct  *sql.DB // MariaDB, in the benchmark database
	haproxy *HAProxy
	targets []*target
	prefix  string // Redis key prefix of the proxy-redis target
	report  *Report
}

// Run runs the proxy benchmark: it prepares the sysbench tables directly on
// MariaDB, starts every target, warms the caches, measures every target at
// every thread count, then measures the proxy's memory per cached entry,
// and cleans up (database, Redis keys, processes), also when interrupted.
// The returned report's Problems say when a measurement is invalid;
// missed targets are reported in its Checks, not as an error.
func Run(ctx context.Context, o Options) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	b := &bench{o: &o, report: &Report{Command: o.Command, StartedAt: time.Now().UTC(), Machine: machineInfo()}}
	defer b.cleanup()
	if err := b.setup(ctx); err != nil {
		return nil, err
	}
	if err := b.measure(ctx); err != nil {
		return nil, err
	}
	b.stopTargets()
	if !o.SkipMemory {
		o.Log.Info("measuring memory", "entries", o.Entries)
		if err := createMemoryTable(ctx, b.direct, o.Entries); err != nil {
			return nil, err
		}
		m, err := measureMemory(ctx, &o, o.Entries)
		if err != nil {
			return nil, err
		}
		b.report.Memory = m
	}
	r := b.report
	r.Ratios, r.Checks = Evaluate(r.Runs)
	r.Problems = Problems(r.Runs, r.Memory)
	r.FinishedAt = time.Now().UTC()
	return r, nil
}

// setup finds the tools, prepares the database and starts the targets.
func (b *bench) setup(ctx context.Context) error {
	o, r := b.o, b.report
	sbBin, err := findSysbench()
	if err != nil {
		return err
	}
	var haBin string
	if o.has(TargetHAProxy) {
		if haBin, err = findHAProxy(); err != nil {
			return err
		}
		r.Versions.HAProxy = versionField(toolVersion(ctx, haBin, "-v"), "version")
	}
	r.Versions.Sysbench = versionField(toolVersion(ctx, sbBin, "--version"), "sysbench")
	r.Versions.Go = runtime.Version()
	r.Versions.Proxy = proxycache.Version
	r.Settings = Settings{Workload: "oltp_point_select", Protocol: "text", RandType: "uniform",
		Tables: o.Tables, TableSize: o.TableSize, DurationSeconds: o.Duration.Seconds(), Threads: o.Threads,
		Targets: o.Targets, Backend: o.MySQL.Addr(), Database: o.DB, HAProxyThreads: "default (one per CPU)"}
	if o.has(TargetProxyRedis) {
		r.Settings.Redis, r.Settings.RedisTimeout = o.Redis, benchRedisTimeout.String()
	}
	if !o.SkipMemory {
		r.Settings.MemoryEntries = o.Entries
	}

	if b.admin, err = openDB(o.MySQL, o.MySQL.Addr(), "", 1); err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := b.admin.QueryRowContext(cctx, "SELECT VERSION()").Scan(&r.Versions.MariaDB); err != nil {
		return fmt.Errorf("MariaDB at %s: %w", o.MySQL.Addr(), err)
	}
	for _, s := range []string{"DROP DATABASE IF EXISTS `" + o.DB + "`", "CREATE DATABASE `" + o.DB + "`"} {
		if _, err := b.admin.ExecContext(cctx, s); err != nil {
			return fmt.Errorf("MariaDB at %s: %s: %w", o.MySQL.Addr(), s, err)
		}
	}
	if b.direct, err = openDB(o.MySQL, o.MySQL.Addr(), o.DB, 2); err != nil {
		return err
	}
	b.sb = &Sysbench{Bin: sbBin, User: o.MySQL.User, Password: o.MySQL.Password, DB: o.DB, Tables: o.Tables, TableSize: o.TableSize}
	o.Log.Info("preparing sysbench tables", "db", o.DB, "tables", o.Tables, "table_size", o.TableSize)
	if err := b.sb.Prepare(ctx, o.MySQL.Host, o.MySQL.Port); err != nil {
		return err
	}

	for _, name := range o.Targets {
		t := &target{name: name, host: "127.0.0.1"}
		switch name {
		case TargetDirect:
			t.host, t.port = o.MySQL.Host, o.MySQL.Port
		case TargetHAProxy:
			addr, err := freeLoopbackAddr()
			if err != nil {
				return err
			}
			if b.haproxy, err = StartHAProxy(ctx, haBin, HAProxyConfig{Listen: addr, Backend: o.MySQL.Addr()}); err != nil {
				return err
			}
			t.port, t.cpu = b.haproxy.Port(), processCPU(b.haproxy.Pid())
		case TargetProxyOff, TargetProxyLocal, TargetProxyRedis:
			if err := b.startProxyTarget(ctx, t); err != nil {
				return fmt.Errorf("target %s: %w", name, err)
			}
			t.cpu = selfCPU
		}
		b.targets = append(b.targets, t)
	}
	return nil
}

// startProxyTarget starts an in-process proxy target and warms its cache.
func (b *bench) startProxyTarget(ctx context.Context, t *target) error {
	o := b.o
	mode := map[string]string{TargetProxyOff: proxycache.CacheOff, TargetProxyLocal: proxycache.CacheLocal,
		TargetProxyRedis: proxycache.CacheRedis}[t.name]
	n := o.Tables * o.TableSize
	if mode == proxycache.CacheRedis {
		b.prefix = "psbench-bench:" + strconv.Itoa(os.Getpid()) + "-" + randomHex(4) + ":"
		if v, err := redisVersion(ctx, o.Redis); err == nil {
			b.report.Versions.Redis = v
		}
	}
	cfg := proxyConfig(o, mode, int64(n)*2048, b.prefix)
	ip, err := startProxy(ctx, cfg, o.Log.With("target", t.name))
	if err != nil {
		if mode == proxycache.CacheRedis {
			err = fmt.Errorf("%w (check --redis, or leave %s out of --targets)", err, t.name)
		}
		return err
	}
	t.proxy, t.port = ip, ip.Port
	if mode == proxycache.CacheOff {
		return nil
	}
	c0 := ip.counts()
	start := time.Now()
	w := Warmup{Target: t.name}
	// A pass stores what is not cached yet; another pass is needed only if
	// some results could not be stored (Redis briefly unavailable).
	for w.Passes < 3 && w.Stored < uint64(n) {
		w.Passes++
		o.Log.Info("warming the cache", "target", t.name, "statements", n, "pass", w.Passes)
		sent, err := b.sb.Warm(ctx, "127.0.0.1", ip.Port, 4)
		if err != nil {
			return err
		}
		if sent != int64(n) {
			return fmt.Errorf("warm-up sent %d point selects, want %d", sent, n)
		}
		w.Statements += sent
		w.Stored = ip.counts().sub(c0).Stores
	}
	w.Seconds = time.Since(start).Seconds()
	if mode == proxycache.CacheLocal {
		w.CachedEntries = ip.P.Usage().Entries
	}
	b.report.Warmups = append(b.report.Warmups, w)
	if w.Stored != uint64(n) {
		return fmt.Errorf("warm-up: after %d passes over the %d point selects the proxy stored %d results, want %d", w.Passes, n, w.Stored, n)
	}
	return nil
}

// measure runs sysbench against every target at every thread count,
// thread count by thread count, so that each ratio compares runs made
// close together in time.
func (b *bench) measure(ctx context.Context) error {
	o := b.o
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	for _, threads := range o.Threads {
		for _, t := range b.targets {
			if t.name == TargetHAProxy {
				if err := b.haproxy.Alive(); err != nil {
					return err
				}
			}
			var c0 outcomeCounts
			if t.proxy != nil {
				c0 = t.proxy.counts()
			}
			var cpu0 time.Duration
			cpuErr := errors.New("no CPU clock")
			if t.cpu != nil {
				cpu0, cpuErr = t.cpu()
			}
			o.Log.Info("sysbench run", "target", t.name, "threads", threads, "duration", o.Duration)
			res, _, err := b.sb.Run(ctx, t.host, t.port, threads, o.Duration)
			if err != nil {
				return fmt.Errorf("target %s, %d threads: %w", t.name, threads, err)
			}
			run := TargetRun{Target: t.name, RunResult: res}
			if cpuErr == nil {
				if cpu1, err := t.cpu(); err == nil {
					run.HopCPUSeconds = (cpu1 - cpu0).Seconds()
					if res.Queries > 0 {
						run.HopCPUPerQueryUs = 1e6 * run.HopCPUSeconds / float64(res.Queries)
					}
				}
			}
			if t.proxy != nil {
				run.Cache = newCacheOutcomes(t.proxy.counts().sub(c0))
			}
			o.Log.Info("sysbench result", "target", t.name, "threads", threads, "qps", fmt.Sprintf("%.0f", res.QPS),
				"p50_ms", res.Latency.P50, "p95_ms", res.Latency.P95, "errors", res.Errors, "hop_cpu_us_per_query", fmt.Sprintf("%.1f", run.HopCPUPerQueryUs))
			b.report.Runs = append(b.report.Runs, run)
		}
	}
	return nil
}

// stopTargets stops haproxy and the in-process proxies, and removes the
// Redis target's keys.
func (b *bench) stopTargets() {
	if b.haproxy != nil {
		if err := b.haproxy.Stop(); err != nil {
			b.o.Log.Warn("haproxy", "err", err)
		}
		b.haproxy = nil
	}
	for _, t := range b.targets {
		if t.proxy != nil {
			if err := t.proxy.Stop(); err != nil {
				b.o.Log.Warn("stop proxy", "target", t.name, "err", err)
			}
			t.proxy = nil
		}
	}
	if b.prefix != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := deleteRedisPrefix(ctx, b.o.Redis, b.prefix); err != nil {
			b.o.Log.Warn("remove the benchmark's Redis keys", "prefix", b.prefix, "err", err)
		}
		cancel()
		b.prefix = ""
	}
}

// cleanup stops what is still running and drops the database (unless
// --keep). It runs even when the benchmark was interrupted.
func (b *bench) cleanup() {
	b.stopTargets()
	if b.direct != nil {
		b.direct.Close()
	}
	if b.admin == nil {
		return
	}
	defer b.admin.Close()
	if b.o.Keep {
		b.o.Log.Info("keeping the benchmark database", "db", b.o.DB)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := b.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+b.o.DB+"`"); err != nil {
		b.o.Log.Warn("drop the benchmark database", "db", b.o.DB, "err", err)
	}
}

// freeLoopbackAddr returns a loopback address with a port that was free a
// moment ago.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// redisVersion returns the server's redis_version.
func redisVersion(ctx context.Context, addr string) (string, error) {
	rc := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second})
	defer rc.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := rc.Info(ctx, "server").Result()
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "redis_version:"); ok {
			return v, nil
		}
	}
	return "", errors.New("no redis_version in INFO server")
}

// deleteRedisPrefix removes every key under prefix.
func deleteRedisPrefix(ctx context.Context, addr, prefix string) error {
	rc := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 2 * time.Second, ReadTimeout: 5 * time.Second})
	defer rc.Close()
	// The prefix is "psbench-bench:PID-HEX:": no glob metacharacters.
	iter := rc.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	flush := func() error {
		if len(keys) == 0 {
			return nil
		}
		err := rc.Unlink(ctx, keys...).Err()
		keys = keys[:0]
		return err
	}
	for iter.Next(ctx) {
		if keys = append(keys, iter.Val()); len(keys) == 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	return flush()
}
