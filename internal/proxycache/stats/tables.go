package stats

import (
	"strings"
	"sync/atomic"

	"github.com/psbench/psbench/internal/proxycache/sqlclass"
)

// OtherLabel is the name under which tables beyond MaxTables and digests
// beyond MaxDigests are counted, in JSON and in metrics.
const OtherLabel = "other"

// tableEntry holds the cumulative counters of one table (or of "other").
// Captures key their own per-table counts by the entry's pointer.
type tableEntry struct {
	name          string // "schema.table" as sqlclass.TableRef.String
	hits          atomic.Uint64
	misses        atomic.Uint64
	bypass        atomic.Uint64
	local         atomic.Uint64
	backend       atomic.Uint64 // backend commands of statements reading the table
	invalidations atomic.Uint64
}

// tableIndex resolves table references to their entries. At most max
// distinct tables get their own entry; later ones share the "other" entry.
type tableIndex struct {
	m     cowMap[sqlclass.TableRef, tableEntry]
	n     atomic.Int64 // entries in m
	max   int64
	other *tableEntry
}

// newTableIndex returns an index holding at most max tables.
func newTableIndex(max int) *tableIndex {
	return &tableIndex{max: int64(max), other: &tableEntry{name: OtherLabel}}
}

// resolve returns the entry of ref, creating it when there is room.
func (x *tableIndex) resolve(ref sqlclass.TableRef) *tableEntry {
	if e := x.m.load(ref); e != nil {
		return e
	}
	if x.n.Load() >= x.max || (ref.Schema == "" && ref.Name == OtherLabel) {
		return x.other
	}
	x.m.mu.Lock()
	defer x.m.mu.Unlock()
	if e := x.m.load(ref); e != nil {
		return e
	}
	if x.n.Load() >= x.max {
		return x.other
	}
	e := &tableEntry{name: ref.String()}
	x.m.putLocked(ref, e)
	x.n.Add(1)
	return e
}

// resolveName returns the entry of a table named "schema.table" (or
// "table"), as the cache store names tables in invalidations. The name is
// split at its first dot, which matches sqlclass.TableRef.String for every
// schema name without a dot.
func (x *tableIndex) resolveName(name string) *tableEntry {
	schema, table, ok := strings.Cut(name, ".")
	if !ok {
		schema, table = "", name
	}
	return x.resolve(sqlclass.TableRef{Schema: schema, Name: table})
}

// each calls f for every entry, "other" last when it has counts.
func (x *tableIndex) each(f func(*tableEntry)) {
	x.m.each(func(_ sqlclass.TableRef, e *tableEntry) { f(e) })
	if x.other.counts() != (TableCounts{}) || x.other.invalidations.Load() != 0 {
		f(x.other)
	}
}

// TableCounts counts the client statements that read one table. Reads is
// every statement listing the table in Classification.Reads (whatever its
// outcome, so it includes the rare locally answered one); Backend is the
// number of backend commands those statements caused.
type TableCounts struct {
	Reads   uint64 `json:"reads"`
	Hits    uint64 `json:"hits"`
	Misses  uint64 `json:"misses"`
	Bypass  uint64 `json:"bypass"`
	Backend uint64 `json:"backend"`
}

// counts returns the entry's TableCounts.
func (e *tableEntry) counts() TableCounts {
	c := TableCounts{Hits: e.hits.Load(), Misses: e.misses.Load(), Bypass: e.bypass.Load(), Backend: e.backend.Load()}
	c.Reads = c.Hits + c.Misses + c.Bypass + e.local.Load()
	return c
}
