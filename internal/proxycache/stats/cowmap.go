package stats

import (
	"sync"
	"sync/atomic"
)

// cowMap is a copy-on-write map for the hot path: lookups are one atomic
// load and a map read (no lock, no allocation); insertions copy the map
// under a mutex. It suits key sets that stop growing soon: statement kinds,
// reasons, error codes, tables, digest shards. The values are pointers that
// never change once published, so callers update them with atomics.
type cowMap[K comparable, V any] struct {
	mu sync.Mutex
	p  atomic.Pointer[map[K]*V]
}

// load returns the value stored under k, or nil.
func (c *cowMap[K, V]) load(k K) *V {
	if m := c.p.Load(); m != nil {
		return (*m)[k]
	}
	return nil
}

// loadOrNew returns the value stored under k, storing a new zero value
// first when there is none.
func (c *cowMap[K, V]) loadOrNew(k K) *V {
	if v := c.load(k); v != nil {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v := c.load(k); v != nil {
		return v
	}
	v := new(V)
	c.putLocked(k, v)
	return v
}

// putLocked publishes a copy of the map with k set to v. The caller holds
// c.mu (or another lock that serialises every writer of c).
func (c *cowMap[K, V]) putLocked(k K, v *V) {
	old := c.p.Load()
	var n map[K]*V
	if old == nil {
		n = make(map[K]*V, 8)
	} else {
		n = make(map[K]*V, len(*old)+1)
		for ok, ov := range *old {
			n[ok] = ov
		}
	}
	n[k] = v
	c.p.Store(&n)
}

// each calls f for every entry of the current version of the map.
func (c *cowMap[K, V]) each(f func(K, *V)) {
	if m := c.p.Load(); m != nil {
		for k, v := range *m {
			f(k, v)
		}
	}
}

// counterMap is a cowMap of counters.
type counterMap[K comparable] struct {
	cowMap[K, atomic.Uint64]
}

// add adds n to the counter of k.
func (c *counterMap[K]) add(k K, n uint64) {
	c.loadOrNew(k).Add(n)
}

// snapshot returns the non-zero counters keyed by name(k).
func (c *counterMap[K]) snapshot(name func(K) string) map[string]uint64 {
	out := make(map[string]uint64)
	c.each(func(k K, v *atomic.Uint64) {
		if n := v.Load(); n != 0 {
			out[name(k)] += n
		}
	})
	return out
}
