package run

import (
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/scenario"
)

func echoAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

// roundTrip is the median of a few one-byte exchanges on a new connection.
func roundTrip(t *testing.T, addr string) time.Duration {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	b := []byte{7}
	var best time.Duration = time.Hour
	for range 6 {
		s := time.Now()
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, b); err != nil {
			t.Fatal(err)
		}
		best = min(best, time.Since(s))
	}
	return best
}

func TestInjectLatency(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, redis := echoAddr(t), echoAddr(t)
	newCfg := func(mode string) proxycache.Config {
		cfg := proxycache.DefaultConfig()
		cfg.Backend.Addr, cfg.Cache.Redis.Addr, cfg.Cache.Mode = db, redis, mode
		return cfg
	}

	// no network block: nothing changes
	cfg := newCfg(proxycache.CacheRedis)
	stop, err := injectLatency(&cfg, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if cfg.Backend.Addr != db || cfg.Cache.Redis.Addr != redis {
		t.Fatalf("nil network changed the addresses: %s, %s", cfg.Backend.Addr, cfg.Cache.Redis.Addr)
	}

	// db and cache RTT with a Redis mode: both go through relays
	n := &scenario.Network{DBRTT: proxycache.Duration(4 * time.Millisecond), CacheRTT: proxycache.Duration(2 * time.Millisecond)}
	cfg = newCfg(proxycache.CacheRedis)
	stop, err = injectLatency(&cfg, n, log)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Backend.Addr == db || cfg.Cache.Redis.Addr == redis {
		t.Fatalf("addresses not relayed: backend %s, redis %s", cfg.Backend.Addr, cfg.Cache.Redis.Addr)
	}
	if rt := roundTrip(t, cfg.Backend.Addr); rt < 4*time.Millisecond || rt > 8*time.Millisecond {
		t.Errorf("backend round trip %s, want about 4ms", rt)
	}
	if rt := roundTrip(t, cfg.Cache.Redis.Addr); rt < 2*time.Millisecond || rt > 6*time.Millisecond {
		t.Errorf("redis round trip %s, want about 2ms", rt)
	}
	stop()
	if _, err := net.DialTimeout("tcp", cfg.Backend.Addr, time.Second); err == nil {
		t.Log("relay port answered after stop (reused?)")
	}

	// cache RTT without a Redis tier: only the backend is relayed
	cfg = newCfg(proxycache.CacheLocal)
	stop, err = injectLatency(&cfg, &scenario.Network{CacheRTT: proxycache.Duration(time.Millisecond)}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if cfg.Backend.Addr != db || cfg.Cache.Redis.Addr != redis {
		t.Fatalf("local mode with cache_rtt only: addresses changed to %s, %s", cfg.Backend.Addr, cfg.Cache.Redis.Addr)
	}
}
