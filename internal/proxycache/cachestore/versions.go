package cachestore

import (
	"maps"
	"sync"
	"sync/atomic"
)

// counter is a version counter alone on its cache line, so that bumping one
// table does not slow down readers of the others.
type counter struct {
	atomic.Uint64
	_ [56]byte
}

// Versions holds the in-process version of every table: a counter per table
// and a global epoch. A snapshot of a list of tables is the tables' versions
// followed by the epoch; it stays valid while none of them moves. Counters
// only ever increase, so any bump between a snapshot and a check is seen.
//
// Reads never lock and never allocate: the table map is copied on write and
// published through an atomic pointer, and a table is only added to it the
// first time it is bumped (a table never bumped has version 0). Bumping an
// existing table is a single atomic add. The zero value is not usable; call
// NewVersions.
type Versions struct {
	epoch  counter
	mu     sync.Mutex // serialises additions to tables
	tables atomic.Pointer[map[string]*counter]
}

// NewVersions returns an empty set of table versions.
func NewVersions() *Versions {
	v := &Versions{}
	m := map[string]*counter{}
	v.tables.Store(&m)
	return v
}

// Version returns the current version of table (0 if it was never bumped).
func (v *Versions) Version(table string) uint64 {
	if c := (*v.tables.Load())[table]; c != nil {
		return c.Load()
	}
	return 0
}

// Epoch returns the current global epoch, bumped by BumpAll.
func (v *Versions) Epoch() uint64 { return v.epoch.Load() }

// Bump moves the version of every table in tables, making every snapshot
// that includes one of them invalid.
func (v *Versions) Bump(tables []string) {
	for _, t := range tables {
		c := (*v.tables.Load())[t]
		if c == nil {
			c = v.add(t)
		}
		c.Add(1)
	}
}

// add returns the counter of table, creating it (at version 0) if needed.
func (v *Versions) add(table string) *counter {
	v.mu.Lock()
	defer v.mu.Unlock()
	old := *v.tables.Load()
	if c := old[table]; c != nil {
		return c
	}
	m := maps.Clone(old)
	c := &counter{}
	m[table] = c
	v.tables.Store(&m)
	return c
}

// BumpAll moves the global epoch, making every snapshot invalid in O(1).
func (v *Versions) BumpAll() { v.epoch.Add(1) }

// Snapshot returns the versions of tables followed by the epoch, so its
// length is len(tables)+1.
func (v *Versions) Snapshot(tables []string) []uint64 {
	return v.AppendSnapshot(make([]uint64, 0, len(tables)+1), tables)
}

// AppendSnapshot appends the versions of tables and then the epoch to dst
// and returns the extended slice.
func (v *Versions) AppendSnapshot(dst []uint64, tables []string) []uint64 {
	m := *v.tables.Load()
	for _, t := range tables {
		var ver uint64
		if c := m[t]; c != nil {
			ver = c.Load()
		}
		dst = append(dst, ver)
	}
	return append(dst, v.epoch.Load())
}

// Valid reports whether snap, a snapshot of tables, still matches the
// current versions: same length and every version (and the epoch) equal.
func (v *Versions) Valid(tables []string, snap []uint64) bool {
	if len(snap) != len(tables)+1 || snap[len(tables)] != v.epoch.Load() {
		return false
	}
	m := *v.tables.Load()
	for i, t := range tables {
		var ver uint64
		if c := m[t]; c != nil {
			ver = c.Load()
		}
		if ver != snap[i] {
			return false
		}
	}
	return true
}

// Len returns the number of tables that were ever bumped.
func (v *Versions) Len() int { return len(*v.tables.Load()) }
