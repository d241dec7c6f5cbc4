package cachestore

import (
	"context"
	"encoding/binary"
	"runtime"
	"testing"
	"time"
)

var benchTables = []string{"ps.ps_product", "ps.ps_product_lang", "ps.ps_category_product"}

// snapshotSink keeps Snapshot's result escaping, as it does in a Fill.
var snapshotSink []uint64

func BenchmarkVersionsSnapshot(b *testing.B) {
	v := NewVersions()
	for i := range 300 { // a PrestaShop schema's worth of tables
		v.Bump([]string{"ps.t" + string(rune('a'+i%26)) + string(rune('a'+i/26))})
	}
	v.Bump(benchTables)
	b.Run("Snapshot", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			snapshotSink = v.Snapshot(benchTables)
		}
	})
	b.Run("AppendSnapshot", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]uint64, 0, 8)
		for b.Loop() {
			buf = v.AppendSnapshot(buf[:0], benchTables)
		}
	})
	b.Run("Valid/parallel", func(b *testing.B) {
		b.ReportAllocs()
		snap := v.Snapshot(benchTables)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if !v.Valid(benchTables, snap) {
					b.Fatal("invalid")
				}
			}
		})
	})
}

func BenchmarkLocalGetHit(b *testing.B) {
	l := NewLocal(64 << 20)
	defer l.Close()
	ctx := context.Background()
	k := key("SELECT * FROM ps_product WHERE id_product = 1")
	_, f, _ := l.Get(ctx, k, benchTables)
	_ = l.Put(ctx, f, make([]byte, 1024), time.Hour)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if p, _, _ := l.Get(ctx, k, benchTables); p == nil {
				b.Fatal("miss")
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if p, _, _ := l.Get(ctx, k, benchTables); p == nil {
					b.Fatal("miss")
				}
			}
		})
	})
}

func BenchmarkRedisGetHit(b *testing.B) {
	r := newTestRedis(b, requireRedis(b), RedisOptions{Timeout: time.Second})
	ctx := context.Background()
	k := key("SELECT * FROM ps_product WHERE id_product = 1")
	_, f, err := r.Get(ctx, k, benchTables)
	if err != nil {
		b.Fatal(err)
	}
	_ = r.Put(ctx, f, make([]byte, 1024), time.Hour)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if p, _, err := r.Get(ctx, k, benchTables); p == nil {
				b.Fatal("miss", err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if p, _, err := r.Get(ctx, k, benchTables); p == nil {
					b.Fatal("miss", err)
				}
			}
		})
	})
}

// BenchmarkLocalMemoryPerEntry measures the heap held per entry for 100k
// entries of 1 KiB reading one table, against the weight Local charges.
func BenchmarkLocalMemoryPerEntry(b *testing.B) {
	const n, size = 100_000, 1024
	ctx := context.Background()
	tables := []string{"ps.ps_product"}
	payload := make([]byte, size)
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		l := NewLocal(1 << 30)
		var kb [8]byte
		for i := range n {
			binary.BigEndian.PutUint64(kb[:], uint64(i))
			k := key(string(kb[:]))
			_, f, _ := l.Get(ctx, k, tables)
			_ = l.Put(ctx, f, payload, time.Hour)
		}
		u := l.Usage()
		runtime.GC()
		runtime.ReadMemStats(&after)
		if u.Entries != n {
			b.Fatalf("%d entries, want %d", u.Entries, n)
		}
		perEntry := float64(after.HeapAlloc-before.HeapAlloc) / n
		b.ReportMetric(perEntry, "heap-B/entry")
		b.ReportMetric(perEntry-size, "overhead-B/entry")
		b.ReportMetric(float64(u.Bytes)/n-size, "charged-overhead-B/entry")
		runtime.KeepAlive(l)
		l.Close()
	}
}
