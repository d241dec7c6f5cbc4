package cachestore

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestLocalByteBound(t *testing.T) {
	const maxBytes = 1 << 20
	l := NewLocal(maxBytes)
	defer l.Close()
	ctx := context.Background()
	payload := make([]byte, 1000)
	for i := range 20000 {
		k := key(fmt.Sprint("q", i))
		_, f, _ := l.Get(ctx, k, []string{"db.a"})
		if err := l.Put(ctx, f, payload, time.Minute); err != nil {
			t.Fatal(err)
		}
		if i%1000 == 999 {
			if u := l.Usage(); u.Bytes > maxBytes {
				t.Fatalf("after %d puts Usage().Bytes = %d > MaxBytes %d", i+1, u.Bytes, u.MaxBytes)
			}
		}
	}
	u := l.Usage()
	if u.Bytes > u.MaxBytes || u.MaxBytes != maxBytes || u.Mode != "local" || !u.Available {
		t.Fatalf("Usage = %+v", u)
	}
	perEntry := int64(1000 + 2*8 + 32 + LocalEntryOverhead)
	if u.Entries < maxBytes/perEntry/2 || u.Entries > maxBytes/perEntry {
		t.Fatalf("Usage().Entries = %d, want about %d", u.Entries, maxBytes/perEntry)
	}
}

func TestLocalRejectsEntryLargerThanBound(t *testing.T) {
	l := NewLocal(4096)
	defer l.Close()
	ctx := context.Background()
	k := key("big")
	_, f, _ := l.Get(ctx, k, nil)
	_ = l.Put(ctx, f, make([]byte, 8192), time.Minute)
	if p, _, _ := l.Get(ctx, k, nil); p != nil {
		t.Fatal("entry larger than the bound was stored")
	}
}

func TestLocalHitReturnsStoredSliceWithoutAllocating(t *testing.T) {
	l := NewLocal(1 << 20)
	defer l.Close()
	ctx := context.Background()
	k, tables := key("q"), []string{"db.a", "db.b"}
	_, f, _ := l.Get(ctx, k, tables)
	_ = l.Put(ctx, f, []byte("payload"), time.Minute)
	p1, _, _ := l.Get(ctx, k, tables)
	p2, _, _ := l.Get(ctx, k, tables)
	if &p1[0] != &p2[0] || cap(p1) != len("payload") {
		t.Fatal("hit does not return the stored exact-size slice")
	}
	if n := testing.AllocsPerRun(1000, func() { _, _, _ = l.Get(ctx, k, tables) }); n != 0 {
		t.Fatalf("Get hit allocates %.1f times", n)
	}
}

func TestLocalDeletesInvalidEntryLazily(t *testing.T) {
	l := NewLocal(1 << 20)
	defer l.Close()
	ctx := context.Background()
	k, tables := key("q"), []string{"db.a"}
	_, f, _ := l.Get(ctx, k, tables)
	_ = l.Put(ctx, f, []byte("x"), time.Minute)
	_ = l.Invalidate(ctx, tables)
	if _, ok := l.cache.GetIfPresent(k); !ok {
		t.Fatal("entry gone before any Get")
	}
	_, _, _ = l.Get(ctx, k, tables)
	if _, ok := l.cache.GetIfPresent(k); ok {
		t.Fatal("invalid entry not deleted by Get")
	}
}
