package cachestore

import (
	"context"
	"testing"
	"time"
)

const (
	outageTimeout = 100 * time.Millisecond
	outageBackoff = 200 * time.Millisecond
	// fastBound is the upper bound asserted for a call against a dead or
	// stalled Redis: well above Timeout, far below "stalled".
	fastBound = 10 * outageTimeout
)

// timed runs fn and fails the test if it takes fastBound or more.
func timed(t *testing.T, what string, fn func() error) error {
	t.Helper()
	start := time.Now()
	err := fn()
	if d := time.Since(start); d >= fastBound {
		t.Fatalf("%s took %s against an unavailable Redis, want < %s", what, d, fastBound)
	}
	return err
}

// wantUnavailable asserts err wraps ErrUnavailable.
func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if !isUnavailable(err) {
		t.Fatalf("%s: err = %v, want ErrUnavailable", what, err)
	}
}

func newOutageRedis(t *testing.T, p *redisProc) *Redis {
	return newTestRedis(t, p.addr(), RedisOptions{Timeout: outageTimeout, RetryBackoff: outageBackoff})
}

func TestRedisKilledAndRestarted(t *testing.T) {
	p := startRedisProc(t)
	r := newOutageRedis(t, p)
	ctx := context.Background()
	k, tables := key("q"), []string{"db.a"}
	fill(t, r, k, tables, []byte("x"), time.Minute)

	p.kill()
	err := timed(t, "Get", func() error { _, _, err := r.Get(ctx, k, tables); return err })
	wantUnavailable(t, "Get after kill", err)
	err = timed(t, "Put", func() error {
		return r.Put(ctx, Fill{Key: k, Tables: tables, Remote: []uint64{1, 1}, Ready: true}, []byte("y"), time.Minute)
	})
	wantUnavailable(t, "Put after kill", err)
	wantUnavailable(t, "Invalidate after kill", timed(t, "Invalidate", func() error { return r.Invalidate(ctx, []string{"db.b", "db.c"}) }))
	wantUnavailable(t, "InvalidateAll after kill", timed(t, "InvalidateAll", func() error { return r.InvalidateAll(ctx) }))
	wantUnavailable(t, "Flush after kill", timed(t, "Flush", func() error { return r.Flush(ctx) }))
	if u := r.Usage(); u.Available || u.PendingInvalidations != 1 { // InvalidateAll subsumes the tables
		t.Fatalf("Usage during outage = %+v", u)
	}
	time.Sleep(3 * outageBackoff) // probes fail meanwhile, without a panic
	if r.Usage().Available {
		t.Fatal("available while Redis is down")
	}

	p.restart()
	waitFor(t, 5*time.Second, "recovery without intervention", func() bool { return r.Usage().Available })
	if u := r.Usage(); u.PendingInvalidations != 0 {
		t.Fatalf("pending after recovery: %+v", u)
	}
	// The replay reached the new server before it served.
	if n := rawClient(t, p.addr()).Exists(ctx, r.epochKey).Val(); n != 1 {
		t.Fatal("InvalidateAll made during the outage was not replayed")
	}
	wantMiss(t, r, k, tables)
	fill(t, r, k, tables, []byte("z"), time.Minute)
	wantHit(t, r, k, tables, []byte("z"))
}

// TestRedisStalledInvalidationReplayed is the exact scenario: an entry is
// stored, Redis is stalled (SIGSTOP), a table it read is invalidated during
// the stall, Redis continues (SIGCONT): the next Get must miss.
func TestRedisStalledInvalidationReplayed(t *testing.T) {
	for _, tc := range []struct {
		name string
		trip bool // a Get meets the stall first: Invalidate never touches the network
	}{{"invalidate-meets-stall", false}, {"invalidate-while-unavailable", true}} {
		t.Run(tc.name, func(t *testing.T) {
			p := startRedisProc(t)
			r := newOutageRedis(t, p)
			ctx := context.Background()
			k, tables := key("q"), []string{"db.a", "db.b"}
			fill(t, r, k, tables, []byte("x"), time.Minute)
			wantHit(t, r, k, tables, []byte("x"))
			before := rawClient(t, p.addr()).Get(ctx, r.versionKey("db.b")).Val()

			p.stall()
			if tc.trip {
				err := timed(t, "Get during stall", func() error { _, _, err := r.Get(ctx, k, tables); return err })
				wantUnavailable(t, "Get during stall", err)
				start := time.Now()
				wantUnavailable(t, "Get while unavailable", timed(t, "Get", func() error { _, _, err := r.Get(ctx, k, tables); return err }))
				if d := time.Since(start); d >= outageTimeout {
					t.Fatalf("Get while unavailable took %s: it touched the network", d)
				}
			}
			err := timed(t, "Invalidate during stall", func() error { return r.Invalidate(ctx, []string{"db.b"}) })
			wantUnavailable(t, "Invalidate during stall", err)
			if n := r.Usage().PendingInvalidations; n != 1 {
				t.Fatalf("pending = %d, want 1", n)
			}
			time.Sleep(2 * outageBackoff) // let a probe fail against the stalled server
			p.resume()

			deadline := time.Now().Add(5 * time.Second)
			for {
				payload, _, err := r.Get(ctx, k, tables)
				if err == nil {
					if payload != nil {
						t.Fatalf("first Get after the stall served %q: the invalidation was lost", payload)
					}
					break
				}
				wantUnavailable(t, "Get while recovering", err)
				if time.Now().After(deadline) {
					t.Fatal("no recovery within 5s")
				}
				time.Sleep(5 * time.Millisecond)
			}
			if after := rawClient(t, p.addr()).Get(ctx, r.versionKey("db.b")).Val(); after == before {
				t.Fatal("version of db.b unchanged after recovery")
			}
			if u := r.Usage(); !u.Available || u.PendingInvalidations != 0 {
				t.Fatalf("Usage after recovery = %+v", u)
			}
		})
	}
}

func TestRedisStartsUnavailableAndRecovers(t *testing.T) {
	p := startRedisProc(t)
	p.kill()
	r := newOutageRedis(t, p)
	if u := r.Usage(); u.Available || u.PendingInvalidations != 1 {
		t.Fatalf("Usage with Redis down at start = %+v", u)
	}
	p.start()
	waitFor(t, 5*time.Second, "recovery", func() bool { return r.Usage().Available })
	if n := rawClient(t, p.addr()).Exists(context.Background(), r.epochKey).Val(); n != 1 {
		t.Fatal("start-up InvalidateAll not replayed")
	}
}

func TestRedisSubscriptionReconnects(t *testing.T) {
	p := startRedisProc(t)
	prefix := testPrefix(t, p.addr())
	a := newTestRedis(t, p.addr(), RedisOptions{KeyPrefix: prefix, NodeID: "a", Timeout: outageTimeout, RetryBackoff: outageBackoff})
	b := newTestRedis(t, p.addr(), RedisOptions{KeyPrefix: prefix, NodeID: "b", Timeout: outageTimeout, RetryBackoff: outageBackoff})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rb invalRecorder
	if err := b.Subscribe(ctx, rb.fn); err != nil {
		t.Fatal(err)
	}
	p.kill()
	waitFor(t, 5*time.Second, "loss reported as all", func() bool { _, alls := rb.got(); return alls >= 2 })
	p.start()
	waitFor(t, 5*time.Second, "a available", func() bool { return a.Usage().Available })
	_, allsBefore := rb.got()
	waitFor(t, 5*time.Second, "b resubscribed", func() bool { _, alls := rb.got(); return alls > allsBefore })
	if err := a.Invalidate(ctx, []string{"db.t"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "invalidation after reconnect", func() bool {
		tables, _ := rb.got()
		return len(tables) == 1 && tables[0][0] == "db.t"
	})
}

func TestRedisStalledSubscriptionDetected(t *testing.T) {
	p := startRedisProc(t)
	b := newOutageRedis(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rb invalRecorder
	if err := b.Subscribe(ctx, rb.fn); err != nil {
		t.Fatal(err)
	}
	p.stall()
	defer p.resume()
	// Idle period, unanswered PING, then the loss: about 2×RetryBackoff.
	waitFor(t, 10*outageBackoff, "stall reported as all", func() bool { _, alls := rb.got(); return alls >= 2 })
}
