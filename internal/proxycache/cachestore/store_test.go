package cachestore

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// storeKinds builds a fresh store of each kind for the conformance tests.
func storeKinds() map[string]func(t *testing.T) Store {
	return map[string]func(t *testing.T) Store{
		"local": func(t *testing.T) Store {
			l := NewLocal(64 << 20)
			t.Cleanup(func() { _ = l.Close() })
			return l
		},
		"redis": func(t *testing.T) Store {
			return newTestRedis(t, requireRedis(t), RedisOptions{Timeout: time.Second})
		},
		"tiered": func(t *testing.T) Store {
			r := newTestRedis(t, requireRedis(t), RedisOptions{Timeout: time.Second})
			tr := NewTiered(NewLocal(64<<20), r)
			t.Cleanup(func() { _ = tr.Close() })
			return tr
		},
	}
}

// forEachStore runs fn as a subtest against every kind of store.
func forEachStore(t *testing.T, fn func(t *testing.T, s Store)) {
	for name, mk := range storeKinds() {
		t.Run(name, func(t *testing.T) { fn(t, mk(t)) })
	}
}

// fill runs a Get that must miss and Puts payload for it.
func fill(t *testing.T, s Store, k Key, tables []string, payload []byte, ttl time.Duration) {
	t.Helper()
	p, f := mustGet(t, s, k, tables)
	if p != nil {
		t.Fatalf("Get before fill: hit %q, want miss", p)
	}
	if !f.Ready {
		t.Fatalf("miss Fill not Ready: %+v", f)
	}
	if err := s.Put(context.Background(), f, payload, ttl); err != nil {
		t.Fatalf("Put: %v", err)
	}
}

func wantHit(t *testing.T, s Store, k Key, tables []string, want []byte) {
	t.Helper()
	p, _ := mustGet(t, s, k, tables)
	if !bytes.Equal(p, want) {
		t.Fatalf("Get = %q, want hit %q", p, want)
	}
}

func wantMiss(t *testing.T, s Store, k Key, tables []string) {
	t.Helper()
	p, f := mustGet(t, s, k, tables)
	if p != nil {
		t.Fatalf("Get = hit %q, want miss", p)
	}
	if !f.Ready || f.Key != k {
		t.Fatalf("miss Fill = %+v, want Ready for the key", f)
	}
}

func TestStoreHitAfterPut(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		k, tables := key("SELECT 1 FROM a JOIN b"), []string{"db.a", "db.b"}
		buf := []byte("result-1")
		fill(t, s, k, tables, buf, time.Minute)
		copy(buf, "XXXXXXXX") // the caller reuses its buffer
		wantHit(t, s, k, tables, []byte("result-1"))
		wantHit(t, s, k, tables, []byte("result-1"))
	})
}

func TestStoreMissAfterInvalidateOfAnyTable(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		k, tables := key("SELECT * FROM a JOIN b"), []string{"db.a", "db.b"}
		for _, tbl := range tables {
			fill(t, s, k, tables, []byte("r"), time.Minute)
			if err := s.Invalidate(ctx, []string{"db.other"}); err != nil {
				t.Fatal(err)
			}
			wantHit(t, s, k, tables, []byte("r"))
			if err := s.Invalidate(ctx, []string{tbl}); err != nil {
				t.Fatal(err)
			}
			wantMiss(t, s, k, tables)
		}
	})
}

func TestStoreStaleFillRace(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		k, tables := key("SELECT * FROM a"), []string{"db.a"}
		_, f := mustGet(t, s, k, tables)                  // snapshot, then the statement goes to MySQL
		if err := s.Invalidate(ctx, tables); err != nil { // a write lands meanwhile
			t.Fatal(err)
		}
		if err := s.Put(ctx, f, []byte("stale"), time.Minute); err != nil {
			t.Fatal(err)
		}
		wantMiss(t, s, k, tables)
	})
}

func TestStoreTTL(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		k, tables := key("SELECT ttl"), []string{"db.a"}
		fill(t, s, k, tables, []byte("short"), 300*time.Millisecond)
		wantHit(t, s, k, tables, []byte("short"))
		time.Sleep(600 * time.Millisecond)
		wantMiss(t, s, k, tables)
	})
}

func TestStoreInvalidateAll(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		k1, k2 := key("q1"), key("q2")
		fill(t, s, k1, []string{"db.a"}, []byte("1"), time.Minute)
		fill(t, s, k2, nil, []byte("2"), time.Minute) // reads no table
		wantHit(t, s, k2, nil, []byte("2"))
		if err := s.InvalidateAll(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantMiss(t, s, k1, []string{"db.a"})
		wantMiss(t, s, k2, nil)
	})
}

func TestStoreFlush(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		k := key("q")
		_, stale := mustGet(t, s, key("inflight"), []string{"db.a"})
		fill(t, s, k, []string{"db.a"}, []byte("1"), time.Minute)
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		wantMiss(t, s, k, []string{"db.a"})
		// A fill taken before the flush is not stored after it.
		if err := s.Put(ctx, stale, []byte("x"), time.Minute); err != nil {
			t.Fatal(err)
		}
		wantMiss(t, s, key("inflight"), []string{"db.a"})
	})
}

func TestStoreIgnoresUnreadyFill(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		k := key("q")
		_, f := mustGet(t, s, k, []string{"db.a"})
		f.Ready = false
		if err := s.Put(context.Background(), f, []byte("x"), time.Minute); err != nil {
			t.Fatal(err)
		}
		wantMiss(t, s, k, []string{"db.a"})
	})
}

func TestStoreDistinctKeysAndTables(t *testing.T) {
	forEachStore(t, func(t *testing.T, s Store) {
		fill(t, s, key("q1"), []string{"db.a"}, []byte("one"), time.Minute)
		fill(t, s, key("q2"), []string{"db.b"}, []byte("two"), time.Minute)
		if err := s.Invalidate(context.Background(), []string{"db.a"}); err != nil {
			t.Fatal(err)
		}
		wantMiss(t, s, key("q1"), []string{"db.a"})
		wantHit(t, s, key("q2"), []string{"db.b"}, []byte("two"))
		// An entry checked against a different table list is not served.
		wantMiss(t, s, key("q2"), []string{"db.b", "db.c"})
	})
}
