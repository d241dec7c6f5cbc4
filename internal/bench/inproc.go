package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/psbench/psbench/internal/proxycache"
)

// inprocProxy is a psbench proxy served by this process on a free loopback
// port.
type inprocProxy struct {
	P    *proxycache.Proxy
	Addr string
	Port int

	cancel context.CancelFunc
	done   chan error
}

// startProxy builds the proxy (which reads the backend's greeting and
// connects to Redis when configured) and serves it on a free loopback port
// until Stop or until ctx ends.
func startProxy(ctx context.Context, cfg proxycache.Config, log *slog.Logger, opts ...proxycache.Option) (*inprocProxy, error) {
	nctx, ncancel := context.WithTimeout(ctx, 30*time.Second)
	p, err := proxycache.New(nctx, cfg, append([]proxycache.Option{proxycache.WithLogger(log)}, opts...)...)
	ncancel()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy listen: %w", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	ip := &inprocProxy{P: p, Addr: ln.Addr().String(), Port: ln.Addr().(*net.TCPAddr).Port, cancel: cancel, done: make(chan error, 1)}
	go func() { ip.done <- p.Serve(sctx, ln) }()
	return ip, nil
}

// Stop stops serving, closes every session and the cache tier, and waits
// (at most 15s) for the proxy to finish.
func (ip *inprocProxy) Stop() error {
	ip.cancel()
	select {
	case err := <-ip.done:
		return err
	case <-time.After(15 * time.Second):
		return fmt.Errorf("proxy on %s did not stop within 15s", ip.Addr)
	}
}

// outcomeCounts are the proxy's cumulative statement outcomes.
type outcomeCounts struct {
	Hits, Misses, Stores, Bypass uint64
}

func (ip *inprocProxy) counts() outcomeCounts {
	s := ip.P.Stats().Snapshot()
	c := outcomeCounts{Hits: s.Hits, Misses: s.Misses, Stores: s.Stores}
	for _, n := range s.Bypass {
		c.Bypass += n
	}
	return c
}

func (c outcomeCounts) sub(o outcomeCounts) outcomeCounts {
	return outcomeCounts{Hits: c.Hits - o.Hits, Misses: c.Misses - o.Misses, Stores: c.Stores - o.Stores, Bypass: c.Bypass - o.Bypass}
}

// benchRedisTimeout replaces the 50ms default Redis timeout: on a small,
// saturated machine Redis answers can stall past 50ms, and the tier then
// passes statements through for a second, so the run would measure
// pass-through instead of Redis hits.
const benchRedisTimeout = time.Second

// proxyConfig is the proxy configuration of a benchmark target: the given
// cache mode, no admin API, entries that outlive the whole benchmark.
func proxyConfig(o *Options, mode string, localMaxBytes int64, redisPrefix string) proxycache.Config {
	cfg := proxycache.DefaultConfig()
	cfg.Listen = "127.0.0.1:0" // Serve gets its own listener
	cfg.Admin = ""
	cfg.Backend.Addr = net.JoinHostPort(o.MySQL.Host, strconv.Itoa(o.MySQL.Port))
	cfg.Backend.User = o.MySQL.User
	cfg.Backend.Password = o.MySQL.Password
	cfg.Cache.Mode = mode
	cfg.Cache.TTL = proxycache.Duration(24 * time.Hour)
	if localMaxBytes > int64(cfg.Cache.Local.MaxBytes) {
		cfg.Cache.Local.MaxBytes = proxycache.ByteSize(localMaxBytes)
	}
	cfg.Cache.Redis.Addr = o.Redis
	cfg.Cache.Redis.KeyPrefix = redisPrefix
	cfg.Cache.Redis.Timeout = proxycache.Duration(benchRedisTimeout)
	return cfg
}
