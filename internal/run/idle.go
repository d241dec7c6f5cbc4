package run

import (
	"context"
	"fmt"
	"time"

	"github.com/psbench/psbench/internal/idleprobe"
	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/results"
	"github.com/redis/go-redis/v9"
)

// probeIdle measures MySQL's idle cost (and Redis's, when the cache uses
// it) straight at the servers, past the proxy and any injected latency:
// an input of `psbench plan`. A failed probe is logged and leaves the
// results without it; the plan then says the idle cost was not probed.
func (r *runner) probeIdle(ctx context.Context) {
	r.pr.step("probing idle cost of MySQL%s (round trips after 0.1–5 ms idle, for psbench plan)",
		map[bool]string{true: " and Redis", false: ""}[r.sc.Cache.UsesRedis()])
	if err := r.probeMySQL(ctx); err != nil {
		r.log.Warn("idle probe of MySQL failed; capacity plans from this run will not include its idle cost", "err", err)
	}
	if r.sc.Cache.UsesRedis() {
		if err := r.probeRedis(ctx, r.sc.Cache.Redis); err != nil {
			r.log.Warn("idle probe of Redis failed; capacity plans from this run will not include its idle cost", "err", err)
		}
	}
}

// probeMySQL probes the backend on the run's status connection.
func (r *runner) probeMySQL(ctx context.Context) error {
	b := r.tg.Backend()
	db, closeDB := r.backendDB()
	defer closeDB()
	if db == nil {
		return fmt.Errorf("connect %s: the backend settings do not make a MySQL connection", b.Addr)
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect %s as %s: %w", b.Addr, b.User, err)
	}
	defer c.Close()
	return r.record(idleprobe.Measure(ctx, idleprobe.MySQL(b.Addr, c), idleprobe.Options{}))
}

func (r *runner) probeRedis(ctx context.Context, cfg proxycache.RedisConfig) error {
	c := redis.NewClient(&redis.Options{Addr: cfg.Addr, Password: cfg.Password, DB: cfg.DB, PoolSize: 1,
		DialTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second})
	defer c.Close()
	return r.record(idleprobe.Measure(ctx, idleprobe.Redis(cfg.Addr, c), idleprobe.Options{}))
}

// record keeps a probe's result in the run.
func (r *runner) record(ic results.IdleCost, err error) error {
	if err != nil {
		return err
	}
	r.run.IdleCost = append(r.run.IdleCost, ic)
	r.log.Info("idle cost", "server", ic.Kind, "addr", ic.Addr, "hot", time.Duration(ic.HotNs), "points", len(ic.Points))
	return nil
}
