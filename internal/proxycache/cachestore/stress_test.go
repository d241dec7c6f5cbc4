package cachestore

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestStress runs readers, writers and full invalidations concurrently
// against each tier, with a model of MySQL: every table has a committed
// generation, a write commits a new one and then invalidates the table.
// Invariant: a hit never returns data older than a write whose invalidation
// completed before the Get started.
func TestStress(t *testing.T) {
	duration := 2 * time.Second
	if testing.Short() {
		duration = 300 * time.Millisecond
	}
	forEachStore(t, func(t *testing.T, s Store) { stress(t, s, duration) })
}

func stress(t *testing.T, s Store, duration time.Duration) {
	tables := []string{"db.t0", "db.t1", "db.t2", "db.t3"}
	// Query q reads the tables whose bit is set in q+1.
	const nQueries = 15
	queryTables := func(q int) (idx []int, names []string) {
		for i := range tables {
			if (q+1)&(1<<i) != 0 {
				idx = append(idx, i)
				names = append(names, tables[i])
			}
		}
		return idx, names
	}
	var committed, invalidated [4]atomic.Uint64
	raise := func(a *atomic.Uint64, v uint64) {
		for {
			cur := a.Load()
			if cur >= v || a.CompareAndSwap(cur, v) {
				return
			}
		}
	}
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var hits, misses, writes atomic.Int64

	for w := range 2 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if rng.IntN(50) == 0 { // a write the proxy cannot attribute
					var gens [4]uint64
					for i := range tables {
						gens[i] = committed[i].Add(1)
					}
					_ = s.InvalidateAll(ctx) // ErrUnavailable: deferred, still guaranteed
					for i := range tables {
						raise(&invalidated[i], gens[i])
					}
				} else {
					i := rng.IntN(len(tables))
					g := committed[i].Add(1)
					_ = s.Invalidate(ctx, tables[i:i+1])
					raise(&invalidated[i], g)
				}
				writes.Add(1)
				time.Sleep(time.Duration(rng.IntN(200)) * time.Microsecond)
			}
		})
	}
	for r := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 2))
			for {
				select {
				case <-stop:
					return
				default:
				}
				q := rng.IntN(nQueries)
				idx, names := queryTables(q)
				var need [4]uint64
				for _, i := range idx {
					need[i] = invalidated[i].Load()
				}
				k := key(fmt.Sprint("query", q))
				p, f, err := s.Get(ctx, k, names)
				if p != nil {
					hits.Add(1)
					if got := int(binary.BigEndian.Uint64(p)); got != q {
						t.Errorf("query %d got the payload of query %d", q, got)
						return
					}
					for j, i := range idx {
						if g := binary.BigEndian.Uint64(p[8+8*j:]); g < need[i] {
							t.Errorf("query %d: stale hit: %s at generation %d, invalidated up to %d", q, tables[i], g, need[i])
							return
						}
					}
					continue
				}
				misses.Add(1)
				if err != nil && !f.Ready {
					continue
				}
				// The statement runs on MySQL: it sees the committed data.
				payload := binary.BigEndian.AppendUint64(nil, uint64(q))
				for _, i := range idx {
					payload = binary.BigEndian.AppendUint64(payload, committed[i].Load())
				}
				if rng.IntN(4) == 0 {
					time.Sleep(time.Duration(rng.IntN(300)) * time.Microsecond) // a slow statement
				}
				_ = s.Put(ctx, f, payload, time.Minute)
			}
		})
	}
	time.Sleep(duration)
	close(stop)
	wg.Wait()
	t.Logf("%d hits, %d misses, %d writes", hits.Load(), misses.Load(), writes.Load())
	if hits.Load() == 0 {
		t.Error("no hit at all: the stress test exercised nothing")
	}
}
