package bench

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Benchmark targets, in the order they are run and reported.
const (
	TargetDirect     = "direct"      // MariaDB itself
	TargetHAProxy    = "haproxy"     // haproxy in TCP mode: the cost of one hop
	TargetProxyOff   = "proxy-off"   // the psbench proxy, cache off
	TargetProxyLocal = "proxy-local" // the psbench proxy, warm in-process cache
	TargetProxyRedis = "proxy-redis" // the psbench proxy, warm Redis cache
)

// AllTargets lists every target in run order.
var AllTargets = []string{TargetDirect, TargetHAProxy, TargetProxyOff, TargetProxyLocal, TargetProxyRedis}

// targetLabels are the targets' names in the rendered table.
var targetLabels = map[string]string{
	TargetDirect:     "MariaDB direct",
	TargetHAProxy:    "haproxy (mode tcp)",
	TargetProxyOff:   "psbench proxy, cache off",
	TargetProxyLocal: "psbench proxy, local cache (warm)",
	TargetProxyRedis: "psbench proxy, Redis cache (warm)",
}

// Options configure a benchmark run.
type Options struct {
	MySQL MySQL
	// Redis is the Redis address of the proxy-redis target.
	Redis string
	// DB is the database sysbench's tables and the memory test's table are
	// created in. It is dropped and re-created.
	DB string
	// Threads are the sysbench thread counts, one measured point each per
	// target.
	Threads []int
	// Duration of each measured point (whole seconds).
	Duration  time.Duration
	Tables    int
	TableSize int
	// Targets is the subset of AllTargets to measure (all when empty).
	Targets []string
	// SkipMemory skips the memory measurement; Entries is its number of
	// cached entries.
	SkipMemory bool
	Entries    int
	// Keep leaves the database in place afterwards.
	Keep bool
	// CPUProfile, when set, is written with a CPU profile of this process
	// (so of the in-process proxies) over the measured runs.
	CPUProfile string
	// Command is the command line recorded in the report.
	Command string
	Log     *slog.Logger
}

// DefaultOptions returns the defaults of `psbench bench proxy`.
func DefaultOptions() Options {
	return Options{
		MySQL:     MySQL{Host: "127.0.0.1", Port: 3306, User: "root"},
		Redis:     "127.0.0.1:6379",
		DB:        "psbench_bench",
		Threads:   []int{1, 16},
		Duration:  20 * time.Second,
		Tables:    1,
		TableSize: 10000,
		Targets:   AllTargets,
		Entries:   100000,
	}
}

// Validate checks the options and fills the defaults of unset optional
// fields.
func (o *Options) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if o.MySQL.Host == "" || o.MySQL.Port <= 0 || o.MySQL.Port > 65535 {
		bad("--mysql-host/--mysql-port: %q:%d is not a valid address", o.MySQL.Host, o.MySQL.Port)
	}
	if o.MySQL.User == "" {
		bad("--mysql-user is required")
	}
	if o.DB == "" || strings.ContainsAny(o.DB, "`'\"\\ ") {
		bad("database name %q is not a plain identifier", o.DB)
	}
	if len(o.Threads) == 0 {
		bad("--threads-list: at least one thread count")
	}
	for _, t := range o.Threads {
		if t < 1 || t > 1024 {
			bad("--threads-list: %d is not between 1 and 1024", t)
		}
	}
	if o.Duration < time.Second || o.Duration%time.Second != 0 {
		bad("--duration: %s is not a whole number of seconds (sysbench --time)", o.Duration)
	}
	if o.Tables < 1 {
		bad("tables: must be at least 1")
	}
	if o.TableSize < 1 {
		bad("--table-size: must be at least 1")
	}
	if len(o.Targets) == 0 {
		o.Targets = AllTargets
	}
	seen := map[string]bool{}
	for _, t := range o.Targets {
		if !slices.Contains(AllTargets, t) {
			bad("--targets: %q is not one of %s", t, strings.Join(AllTargets, ", "))
		}
		if seen[t] {
			bad("--targets: %q is listed twice", t)
		}
		seen[t] = true
	}
	// Run in the canonical order whatever order they were listed in.
	o.Targets = slices.DeleteFunc(slices.Clone(AllTargets), func(t string) bool { return !seen[t] })
	if o.has(TargetProxyRedis) && o.Redis == "" {
		bad("--redis is required for the %s target", TargetProxyRedis)
	}
	if !o.SkipMemory && o.Entries < 1 {
		bad("--entries: must be at least 1 (or --skip-memory)")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return errors.Join(errs...)
}

func (o *Options) has(target string) bool { return slices.Contains(o.Targets, target) }
