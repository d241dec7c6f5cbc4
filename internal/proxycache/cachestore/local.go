package cachestore

import (
	"context"
	"fmt"
	"math"
	"time"
	"unsafe"

	"github.com/maypok86/otter/v2"
)

// LocalEntryOverhead is the fixed number of bytes a Local entry is weighed
// at on top of its payload, key and versions: otter's node (list and timer
// wheel links, expiry, weight, state), its hash-table slot, the slice
// headers of the value and allocator rounding. Measured with
// BenchmarkLocalMemoryPerEntry: 100k entries of 1 KiB reading one table
// hold 183 bytes of heap each beyond the payload, 32+16 of them key and
// versions.
const LocalEntryOverhead = 136

// localEntry is a Local cache value. It is stored inline in otter's node, so
// an entry costs the node, the payload and the versions, nothing more.
type localEntry struct {
	payload  []byte        // exact-size copy, returned as is on a hit
	versions []uint64      // in-process versions of the entry's tables, then the epoch
	ttl      time.Duration // time to live from the write
}

// weight is the entry's accounted size in bytes.
func (e localEntry) weight() uint32 {
	w := uint64(len(e.payload)) + uint64(len(e.versions))*8 + uint64(unsafe.Sizeof(Key{})) + LocalEntryOverhead
	return uint32(min(w, math.MaxUint32))
}

// Local is the in-process cache tier: an otter cache bounded in bytes, with
// a time to live per entry, whose entries are validated against in-process
// table versions. It is safe for concurrent use and never blocks on I/O.
type Local struct {
	cache    *otter.Cache[Key, localEntry]
	versions *Versions
	maxBytes int64
}

var _ Store = (*Local)(nil)

// NewLocal returns an in-process tier holding at most maxBytes bytes of
// entries, as weighed by payload, key, versions and LocalEntryOverhead.
// It panics if maxBytes is not positive.
func NewLocal(maxBytes int64) *Local {
	if maxBytes <= 0 {
		panic(fmt.Sprintf("cachestore: NewLocal: non-positive maxBytes %d", maxBytes))
	}
	c := otter.Must(&otter.Options[Key, localEntry]{
		MaximumWeight: uint64(maxBytes),
		Weigher:       func(_ Key, e localEntry) uint32 { return e.weight() },
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[Key, localEntry]) time.Duration {
			return e.Value.ttl
		}),
	})
	return &Local{cache: c, versions: NewVersions(), maxBytes: maxBytes}
}

// Versions returns the tier's in-process table versions.
func (l *Local) Versions() *Versions { return l.versions }

// Get returns the payload cached under key if every table in tables (and the
// epoch) still has the version the entry was filled under. A hit costs no
// allocation and returns the stored slice, which must not be modified. On a
// miss the Fill carries the current in-process snapshot in Local. Get never
// fails.
func (l *Local) Get(_ context.Context, key Key, tables []string) ([]byte, Fill, error) {
	if p, ok := l.lookup(key, tables); ok {
		return p, Fill{}, nil
	}
	return nil, Fill{Key: key, Tables: tables, Local: l.versions.Snapshot(tables), Ready: true}, nil
}

// lookup returns the payload of key when present and valid for tables. An
// entry found invalid is deleted, unless it was replaced meanwhile.
func (l *Local) lookup(key Key, tables []string) ([]byte, bool) {
	e, ok := l.cache.GetIfPresent(key)
	if !ok {
		return nil, false
	}
	if l.versions.Valid(tables, e.versions) {
		return e.payload, true
	}
	l.cache.ComputeIfPresent(key, func(cur localEntry) (localEntry, otter.ComputeOp) {
		if unsafe.SliceData(cur.versions) == unsafe.SliceData(e.versions) {
			return cur, otter.InvalidateOp
		}
		return cur, otter.CancelOp
	})
	return nil, false
}

// Put stores a copy of payload for fill.Key with the given time to live,
// under the in-process snapshot fill.Local. It stores nothing when the fill
// is not Ready, has no valid local snapshot, is already stale, or when ttl
// is not positive or the entry alone exceeds the byte bound. fill.Local is
// retained and must not be modified afterwards.
func (l *Local) Put(_ context.Context, fill Fill, payload []byte, ttl time.Duration) error {
	if !fill.Ready || ttl <= 0 || !l.versions.Valid(fill.Tables, fill.Local) {
		return nil
	}
	p := make([]byte, len(payload))
	copy(p, payload)
	l.store(fill.Key, p, fill.Local, ttl)
	return nil
}

// store inserts an entry whose payload the tier now owns. versions must not
// be modified afterwards.
func (l *Local) store(key Key, payload []byte, versions []uint64, ttl time.Duration) {
	e := localEntry{payload: payload, versions: versions, ttl: ttl}
	if int64(e.weight()) > l.maxBytes {
		return
	}
	l.cache.Set(key, e)
}

// Invalidate bumps the in-process version of every table in tables: every
// entry that read one of them is invalid from now on and is deleted lazily.
func (l *Local) Invalidate(_ context.Context, tables []string) error {
	l.versions.Bump(tables)
	return nil
}

// InvalidateAll bumps the epoch: every entry is invalid from now on.
func (l *Local) InvalidateAll(context.Context) error {
	l.versions.BumpAll()
	return nil
}

// Flush removes every entry. It also bumps the epoch, so that fills taken
// before the flush are not stored afterwards.
func (l *Local) Flush(context.Context) error {
	l.versions.BumpAll()
	l.cache.InvalidateAll()
	return nil
}

// Usage reports the number of entries, their weighed bytes and the bound.
// Both are read after running otter's pending maintenance (buffered writes
// are only weighed and evicted then: between maintenance passes the cache
// may briefly exceed the bound by up to 128×GOMAXPROCS recent writes).
func (l *Local) Usage() StoreUsage {
	l.cache.CleanUp() // apply buffered writes and evictions first
	return StoreUsage{
		Mode:      "local",
		Entries:   int64(l.cache.EstimatedSize()),
		Bytes:     int64(l.cache.WeightedSize()),
		MaxBytes:  l.maxBytes,
		Available: true,
	}
}

// Close stops otter's background goroutines. The tier must not be used
// afterwards.
func (l *Local) Close() error {
	l.cache.StopAllGoroutines()
	return nil
}
