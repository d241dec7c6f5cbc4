package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/psbench/psbench/internal/load"
	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/proxycache/stats"
	"github.com/psbench/psbench/internal/target"
)

// runningProxy is the harness's caching proxy in front of the target's
// database, with its admin API on a loopback port. The harness talks to it
// only through that API, as it would to a sidecar.
type runningProxy struct {
	admin    *stats.Client
	adminURL string
	mode     string
	stop     func()
}

// startProxy starts the proxy on the target's ProxyListen address with the
// given cache configuration and waits until it accepts connections.
// withNetwork(sc.Network) puts latency relays between the proxy and its
// backend / Redis (see network.go).
func startProxy(ctx context.Context, cache proxycache.CacheConfig, tg target.Target, log *slog.Logger, opts ...proxyOption) (*runningProxy, error) {
	var po proxyOptions
	for _, o := range opts {
		o(&po)
	}
	cfg := proxycache.DefaultConfig()
	cfg.Cache = cache
	b := tg.Backend()
	cfg.Listen = tg.ProxyListen()
	cfg.Backend.Addr, cfg.Backend.User, cfg.Backend.Password = b.Addr, b.User, b.Password
	cfg.Admin = ""
	stopRelays, err := injectLatency(&cfg, po.network, log)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithCancel(ctx)
	fail := func() { cancel(); stopRelays() }
	p, err := proxycache.New(pctx, cfg, proxycache.WithLogger(log))
	if err != nil {
		fail()
		return nil, fmt.Errorf("start proxy (cache %s) in front of %s: %w", cache.Mode, b.Addr, err)
	}
	ln, err := listenRetry(pctx, cfg.Listen)
	if err != nil {
		fail()
		return nil, fmt.Errorf("start proxy: listen %s: %w", cfg.Listen, err)
	}
	aln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail()
		ln.Close()
		return nil, fmt.Errorf("start proxy admin API: %w", err)
	}
	adminSrv := &http.Server{Handler: p.AdminHandler(), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := p.Serve(pctx, ln); err != nil {
			log.Error("proxy stopped", "err", err)
		}
	}()
	go func() { _ = adminSrv.Serve(aln) }()
	url := "http://" + aln.Addr().String()
	rp := &runningProxy{admin: stats.NewClient(url, &http.Client{Timeout: 10 * time.Second}), adminURL: url, mode: cache.Mode}
	rp.stop = func() {
		cancel()
		<-served
		sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
		_ = adminSrv.Shutdown(sctx)
		c()
		stopRelays()
	}
	if err := rp.admin.Health(ctx); err != nil {
		rp.stop()
		return nil, fmt.Errorf("proxy health check: %w", err)
	}
	return rp, nil
}

// listenRetry listens on addr, retrying briefly: a proxy that was just
// stopped may still hold the port for a moment.
func listenRetry(ctx context.Context, addr string) (net.Listener, error) {
	var lastErr error
	for i := 0; i < 50; i++ {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln, nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			return nil, errors.Join(ctx.Err(), lastErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil, lastErr
}

// sampler reads the proxy's cumulative counters for load timelines.
func (rp *runningProxy) sampler() load.Sampler {
	return func(ctx context.Context) (load.Counters, error) {
		s, err := rp.admin.Stats(ctx)
		if err != nil {
			return load.Counters{}, err
		}
		backend := s.BackendCommands.Total - s.BackendCommands.ByCommand["COM_QUIT"]
		return load.Counters{Hits: s.Hits, Misses: s.Misses, ClientStatements: s.ClientStatements.Total, BackendStatements: backend}, nil
	}
}

// waitIdle waits (at most max) until the proxy has no client connection
// open, so that what the shop did before is over.
func (rp *runningProxy) waitIdle(ctx context.Context, max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		s, err := rp.admin.Stats(ctx)
		if err == nil && s.Connections.Active == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
