package run

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/psbench/psbench/internal/idleprobe"
	"github.com/psbench/psbench/internal/proxycache"
	"github.com/redis/go-redis/v9"
)

// probeIdle measures MySQL's idle cost (and Redis's, when the cache uses
// it) straight at the servers, past the proxy and any injected latency:
// an input of `psbench plan`. A failed probe is logged and leaves the
// results without it; the plan then says the idle cost was not probed.
func (r *runner) probeIdle(ctx context.Context) {
	r.pr.step("probing idle cost of MySQL%s (round trips after 0.1–5 ms idle, for psbench plan)",
		map[bool]string{true: " and Redis", false: ""}[r.sc.Cache.UsesRedis()])
	b := r.tg.Backend()
	if err := r.probeMySQL(ctx, b.Addr, b.User, b.Password); err != nil {
		r.log.Warn("idle probe of MySQL failed; capacity plans from this run will not include its idle cost", "err", err)
	}
	if r.sc.Cache.UsesRedis() {
		if err := r.probeRedis(ctx, r.sc.Cache.Redis); err != nil {
			r.log.Warn("idle probe of Redis failed; capacity plans from this run will not include its idle cost", "err", err)
		}
	}
}

func (r *runner) probeMySQL(ctx context.Context, addr, user, password string) error {
	mc := mysql.NewConfig()
	mc.Net, mc.Addr, mc.User, mc.Passwd = "tcp", addr, user, password
	mc.Timeout, mc.ReadTimeout = 5*time.Second, 5*time.Second
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return fmt.Errorf("connect %s: %w", addr, err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect %s as %s: %w", addr, user, err)
	}
	defer c.Close()
	ic, err := idleprobe.Measure(ctx, idleprobe.MySQL(addr, c), idleprobe.Options{})
	if err != nil {
		return err
	}
	r.run.IdleCost = append(r.run.IdleCost, ic)
	r.log.Info("idle cost", "server", "mysql", "addr", addr, "hot", time.Duration(ic.HotNs), "points", len(ic.Points))
	return nil
}

func (r *runner) probeRedis(ctx context.Context, cfg proxycache.RedisConfig) error {
	c := redis.NewClient(&redis.Options{Addr: cfg.Addr, Password: cfg.Password, DB: cfg.DB, PoolSize: 1,
		DialTimeout: 5 * time.Second, ReadTimeout: 5 * time.Second})
	defer c.Close()
	ic, err := idleprobe.Measure(ctx, idleprobe.Redis(cfg.Addr, c), idleprobe.Options{})
	if err != nil {
		return err
	}
	r.run.IdleCost = append(r.run.IdleCost, ic)
	r.log.Info("idle cost", "server", "redis", "addr", cfg.Addr, "hot", time.Duration(ic.HotNs), "points", len(ic.Points))
	return nil
}
