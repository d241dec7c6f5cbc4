package cachestore

import (
	"context"
	"testing"
	"time"
)

func newTestTiered(t *testing.T, addr string, o RedisOptions) *Tiered {
	t.Helper()
	tr := NewTiered(NewLocal(16<<20), newTestRedis(t, addr, o))
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

func TestTieredL2HitFillsL1(t *testing.T) {
	addr := requireRedis(t)
	prefix := testPrefix(t, addr)
	a := newTestTiered(t, addr, RedisOptions{KeyPrefix: prefix, NodeID: "a"})
	b := newTestTiered(t, addr, RedisOptions{KeyPrefix: prefix, NodeID: "b", KeepEntriesOnStart: true})
	k, tables := key("q"), []string{"db.a"}
	fill(t, a, k, tables, []byte("x"), time.Minute)
	if _, ok := b.l1.lookup(k, tables); ok {
		t.Fatal("b's L1 has the entry before any Get")
	}
	wantHit(t, b, k, tables, []byte("x")) // from L2
	if p, ok := b.l1.lookup(k, tables); !ok || string(p) != "x" {
		t.Fatal("L2 hit not copied into L1")
	}
	e, _ := b.l1.cache.GetEntry(k)
	if d := time.Until(e.ExpiresAt()); d > time.Minute || d < 50*time.Second {
		t.Fatalf("L1 copy expires in %s, want the remaining Redis TTL", d)
	}
}

// TestTieredStaleFillFromL2 interleaves an invalidation between the L2 read
// and the L1 fill: the copy in L1 must not be served.
func TestTieredStaleFillFromL2(t *testing.T) {
	addr := requireRedis(t)
	prefix := testPrefix(t, addr)
	a := newTestTiered(t, addr, RedisOptions{KeyPrefix: prefix, NodeID: "a"})
	b := newTestTiered(t, addr, RedisOptions{KeyPrefix: prefix, NodeID: "b", KeepEntriesOnStart: true})
	ctx := context.Background()
	k, tables := key("q"), []string{"db.a"}
	for name, inval := range map[string]func(){
		"local":          func() { _ = b.Invalidate(ctx, tables) },
		"other-node":     func() { b.remoteInvalidation(tables, false) }, // as delivered by Subscribe
		"invalidate-all": func() { _ = b.InvalidateAll(ctx) },
	} {
		t.Run(name, func(t *testing.T) {
			_ = a.Invalidate(ctx, tables)
			fill(t, a, k, tables, []byte("old"), time.Minute)
			b.testHookAfterL2Read = func() { b.testHookAfterL2Read = nil; inval() }
			p, _ := mustGet(t, b, k, tables) // L2 hit read before the invalidation
			if string(p) != "old" {
				t.Fatalf("Get = %q, want the L2 hit", p)
			}
			if p, ok := b.l1.lookup(k, tables); ok {
				t.Fatalf("L1 serves %q filled from an L2 read that preceded an invalidation", p)
			}
		})
	}
}

func TestTieredOtherNodeInvalidationReachesL1(t *testing.T) {
	addr := requireRedis(t)
	prefix := testPrefix(t, addr)
	a := newTestTiered(t, addr, RedisOptions{KeyPrefix: prefix, NodeID: "a"})
	b := newTestTiered(t, addr, RedisOptions{KeyPrefix: prefix, NodeID: "b", KeepEntriesOnStart: true})
	ctx := context.Background()
	k, tables := key("q"), []string{"db.a", "db.b"}
	fill(t, b, k, tables, []byte("x"), time.Minute)
	if _, ok := b.l1.lookup(k, tables); !ok {
		t.Fatal("b's L1 lacks its own fill")
	}
	if err := a.Invalidate(ctx, []string{"db.b"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "b's L1 stops serving the entry", func() bool {
		_, ok := b.l1.lookup(k, tables)
		return !ok
	})
	wantMiss(t, b, k, tables)
}

func TestTieredL2Down(t *testing.T) {
	p := startRedisProc(t)
	tr := newTestTiered(t, p.addr(), RedisOptions{Timeout: outageTimeout, RetryBackoff: outageBackoff})
	ctx := context.Background()
	k, tables := key("q"), []string{"db.a"}
	fill(t, tr, k, tables, []byte("x"), time.Minute)

	epoch := tr.l1.versions.Epoch()
	p.kill()
	// Losing the subscription may have lost other nodes' invalidations:
	// L1 drops everything.
	waitFor(t, 5*time.Second, "subscription loss empties L1", func() bool { return tr.l1.versions.Epoch() > epoch })
	// An L1 miss reports L2's unavailability, quickly, with a fill for L1.
	var f Fill
	err := timed(t, "Get miss", func() error { var err error; _, f, err = tr.Get(ctx, k, tables); return err })
	wantUnavailable(t, "Get miss with L2 down", err)
	if !f.Ready || f.Local == nil || f.Remote != nil {
		t.Fatalf("Fill with L2 down = %+v, want Ready for L1 only", f)
	}
	if err := tr.Put(ctx, f, []byte("y"), time.Minute); err != nil {
		t.Fatalf("Put with L2 down: %v", err)
	}
	wantHit(t, tr, k, tables, []byte("y")) // from L1, L2 untouched
	if u := tr.Usage(); u.Available || u.Mode != "local+redis" || u.Entries != 1 || len(u.Tiers) != 2 {
		t.Fatalf("Usage with L2 down = %+v", u)
	}
	// An invalidation takes effect in L1 at once and is remembered for L2.
	err = timed(t, "Invalidate", func() error { return tr.Invalidate(ctx, tables) })
	wantUnavailable(t, "Invalidate with L2 down", err)
	if _, _, err := tr.Get(ctx, k, tables); !isUnavailable(err) {
		t.Fatalf("Get after invalidation with L2 down: %v, want an L1 miss", err)
	}
	if n := tr.Usage().PendingInvalidations; n != 1 {
		t.Fatalf("pending = %d", n)
	}

	p.start()
	waitFor(t, 5*time.Second, "L2 back", func() bool { return tr.Usage().Available })
	wantMiss(t, tr, k, tables)
	fill(t, tr, k, tables, []byte("z"), time.Minute)
	wantHit(t, tr, k, tables, []byte("z"))
}
