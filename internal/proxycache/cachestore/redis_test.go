package cachestore

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestRedisVersionsAreRandomAndSet(t *testing.T) {
	addr := requireRedis(t)
	r := newTestRedis(t, addr, RedisOptions{})
	c := rawClient(t, addr)
	ctx := context.Background()
	vkey := r.Options().KeyPrefix + "v:db.a"
	seen := map[string]bool{}
	for range 3 {
		if err := r.Invalidate(ctx, []string{"db.a"}); err != nil {
			t.Fatal(err)
		}
		v, err := c.Get(ctx, vkey).Result()
		if err != nil {
			t.Fatalf("GET %s: %v", vkey, err)
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 || n >= 1<<63 || seen[v] {
			t.Fatalf("version %q: not a fresh non-zero 63-bit number (%v)", v, err)
		}
		seen[v] = true
	}
}

func TestRedisLostVersionKeyInvalidates(t *testing.T) {
	addr := requireRedis(t)
	r := newTestRedis(t, addr, RedisOptions{})
	c := rawClient(t, addr)
	k, tables := key("q"), []string{"db.a"}
	fill(t, r, k, tables, []byte("x"), time.Minute)
	wantHit(t, r, k, tables, []byte("x"))
	// An evicted (or lost) version key must not let the entry validate.
	if err := c.Del(context.Background(), r.Options().KeyPrefix+"v:db.a").Err(); err != nil {
		t.Fatal(err)
	}
	wantMiss(t, r, k, tables)
	fill(t, r, k, tables, []byte("y"), time.Minute)
	wantHit(t, r, k, tables, []byte("y"))
	if err := c.Del(context.Background(), r.Options().KeyPrefix+"epoch").Err(); err != nil {
		t.Fatal(err)
	}
	wantMiss(t, r, k, tables)
}

func TestRedisUndecodableEntryIsAMiss(t *testing.T) {
	addr := requireRedis(t)
	r := newTestRedis(t, addr, RedisOptions{})
	c := rawClient(t, addr)
	k, tables := key("q"), []string{"db.a"}
	for _, garbage := range []string{"", "\x00", "\x02abc", "\x01\xff", "\x01\x05short"} {
		if err := c.Set(context.Background(), r.entryKey(k), garbage, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		wantMiss(t, r, k, tables)
	}
	fill(t, r, k, tables, []byte("ok"), time.Minute)
	wantHit(t, r, k, tables, []byte("ok"))
}

func TestRedisDeletesInvalidEntryLazily(t *testing.T) {
	addr := requireRedis(t)
	r := newTestRedis(t, addr, RedisOptions{})
	c := rawClient(t, addr)
	ctx := context.Background()
	k, tables := key("q"), []string{"db.a"}
	fill(t, r, k, tables, []byte("x"), time.Minute)
	_ = r.Invalidate(ctx, tables)
	wantMiss(t, r, k, tables)
	waitFor(t, 2*time.Second, "stale entry deleted", func() bool {
		return c.Exists(ctx, r.entryKey(k)).Val() == 0
	})
	// A fresh entry put right after the miss survives the lazy deletion.
	fill(t, r, k, tables, []byte("y"), time.Minute)
	_ = r.Invalidate(ctx, tables)
	fill(t, r, k, tables, []byte("z"), time.Minute)
	time.Sleep(100 * time.Millisecond)
	wantHit(t, r, k, tables, []byte("z"))
}

func TestRedisFlushScopedToPrefix(t *testing.T) {
	addr := requireRedis(t)
	a := newTestRedis(t, addr, RedisOptions{})
	b := newTestRedis(t, addr, RedisOptions{})
	c := rawClient(t, addr)
	ctx := context.Background()
	foreign := testPrefix(t, addr) + "not-a-cache-key"
	if err := c.Set(ctx, foreign, "keep", 0).Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		k := key(strconv.Itoa(i))
		fill(t, a, k, []string{"db.a"}, []byte("a"), time.Minute)
		fill(t, b, k, []string{"db.a"}, []byte("b"), time.Minute)
	}
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Keys(ctx, globEscape(a.Options().KeyPrefix)+"e:*").Val()); n != 0 {
		t.Fatalf("%d entries left under the flushed prefix", n)
	}
	if n := len(c.Keys(ctx, globEscape(b.Options().KeyPrefix)+"e:*").Val()); n != 50 {
		t.Fatalf("other prefix has %d entries after flush, want 50", n)
	}
	if v := c.Get(ctx, foreign).Val(); v != "keep" {
		t.Fatalf("foreign key = %q after flush", v)
	}
	wantHit(t, b, key("7"), []string{"db.a"}, []byte("b"))
	wantMiss(t, a, key("7"), []string{"db.a"})
}

func TestGlobEscape(t *testing.T) {
	if got := globEscape(`a*b?c[d]e\f`); got != `a\*b\?c\[d\]e\\f` {
		t.Fatalf("globEscape = %q", got)
	}
}

// invalRecorder collects what a Subscribe callback receives.
type invalRecorder struct {
	mu     sync.Mutex
	tables [][]string
	alls   int
}

func (r *invalRecorder) fn(tables []string, all bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if all {
		r.alls++
		return
	}
	r.tables = append(r.tables, slices.Clone(tables))
}

func (r *invalRecorder) got() ([][]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.tables), r.alls
}

func TestRedisSubscribeDeliversOtherNodesInvalidations(t *testing.T) {
	addr := requireRedis(t)
	prefix := testPrefix(t, addr)
	a := newTestRedis(t, addr, RedisOptions{KeyPrefix: prefix, NodeID: "node-a"})
	b := newTestRedis(t, addr, RedisOptions{KeyPrefix: prefix, NodeID: "node-b"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ra, rb invalRecorder
	if err := a.Subscribe(ctx, ra.fn); err != nil {
		t.Fatal(err)
	}
	if err := b.Subscribe(ctx, rb.fn); err != nil {
		t.Fatal(err)
	}
	if _, alls := rb.got(); alls != 1 {
		t.Fatalf("subscription established: %d all-invalidations, want 1", alls)
	}
	if err := a.Invalidate(ctx, []string{"db.x", "db.y"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "b receives a's invalidation", func() bool {
		tables, _ := rb.got()
		return len(tables) == 1 && slices.Equal(tables[0], []string{"db.x", "db.y"})
	})
	if err := a.InvalidateAll(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "b receives a's InvalidateAll", func() bool {
		_, alls := rb.got()
		return alls == 2
	})
	if err := b.Invalidate(ctx, []string{"db.z"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "a receives b's invalidation", func() bool {
		tables, _ := ra.got()
		return len(tables) == 1
	})
	if tables, alls := ra.got(); alls != 1 || !slices.Equal(tables[0], []string{"db.z"}) {
		t.Fatalf("a received %v and %d all: its own invalidations leaked", tables, alls)
	}
}

func TestRedisUsage(t *testing.T) {
	addr := requireRedis(t)
	r := newTestRedis(t, addr, RedisOptions{})
	fill(t, r, key("q"), []string{"db.a"}, []byte("x"), time.Minute)
	waitFor(t, 3*time.Second, "usage sampled", func() bool {
		u := r.Usage()
		return u.Mode == "redis" && u.Available && u.Entries > 0 && u.Bytes > 0
	})
}

func TestRedisCallerCancelDoesNotTrip(t *testing.T) {
	addr := requireRedis(t)
	r := newTestRedis(t, addr, RedisOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := r.Get(ctx, key("q"), []string{"db.a"})
	if err == nil || isUnavailable(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a cancelled context: %v", err)
	}
	if !r.Usage().Available {
		t.Fatal("a cancelled caller made the tier unavailable")
	}
}

func TestRedisUnusableVersionKey(t *testing.T) {
	addr := requireRedis(t)
	r := newTestRedis(t, addr, RedisOptions{})
	c := rawClient(t, addr)
	ctx := context.Background()
	// A version key of the wrong type reads as nil and SET NX leaves it:
	// the fill is not Ready, and the tier stays available.
	if err := c.RPush(ctx, r.Options().KeyPrefix+"v:db.list", "x").Err(); err != nil {
		t.Fatal(err)
	}
	_, f, err := r.Get(ctx, key("q"), []string{"db.list"})
	if err != nil || f.Ready {
		t.Fatalf("Get = %+v, %v; want a miss not Ready", f, err)
	}
	if !r.Usage().Available {
		t.Fatal("server error made the tier unavailable")
	}
}
