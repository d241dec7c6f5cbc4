package run

import (
	"fmt"
	"log/slog"

	"github.com/psbench/psbench/internal/netem"
	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/scenario"
)

// proxyOption adjusts startProxy.
type proxyOption func(*proxyOptions)

type proxyOptions struct {
	network *scenario.Network
}

// withNetwork injects the scenario's network latency around the proxy:
// a latency relay between proxy and backend when DBRTT > 0, and between
// proxy and Redis when CacheRTT > 0 and the cache mode uses Redis. Each
// relay delays each direction by RTT / 2 (± Jitter): a round trip costs
// the configured RTT on top of loopback's.
func withNetwork(n *scenario.Network) proxyOption {
	return func(o *proxyOptions) { o.network = n }
}

// injectLatency starts the relays n asks for and points cfg at them. The
// returned stop closes them (call it after the proxy stopped).
func injectLatency(cfg *proxycache.Config, n *scenario.Network, log *slog.Logger) (stop func(), err error) {
	var relays []*netem.Relay
	stop = func() {
		for _, r := range relays {
			_ = r.Close()
		}
	}
	if n == nil {
		return stop, nil
	}
	relay := func(what string, addr *string, rtt proxycache.Duration) error {
		r, err := netem.Start(netem.Config{Target: *addr, Delay: rtt.D() / 2, Jitter: n.Jitter.D()})
		if err != nil {
			return fmt.Errorf("inject %s latency (rtt %s): %w", what, rtt, err)
		}
		relays = append(relays, r)
		log.Info("injecting network latency", "between", "proxy and "+what, "rtt", rtt.String(), "jitter", n.Jitter.String(),
			"target", *addr, "relay", r.Addr())
		*addr = r.Addr()
		return nil
	}
	if n.DBRTT > 0 {
		if err := relay("MySQL", &cfg.Backend.Addr, n.DBRTT); err != nil {
			stop()
			return func() {}, err
		}
	}
	if n.CacheRTT > 0 && cfg.Cache.UsesRedis() {
		if err := relay("Redis", &cfg.Cache.Redis.Addr, n.CacheRTT); err != nil {
			stop()
			return func() {}, err
		}
	}
	return stop, nil
}
