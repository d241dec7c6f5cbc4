package bench

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"time"

	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/proxycache/stats"
)

// memoryTable is a PrestaShop-like catalogue table (ps_product_lang with
// the shop's price); memoryQuery reads one product's name and price, a
// result of about 250 bytes on the wire (column definitions included).
const (
	memoryTable = "psb_product_lang"
	memoryQuery = "SELECT name, price FROM psb_product_lang WHERE id_product=%d AND id_lang=1"
)

// memoryConns is the number of client connections filling the cache.
const memoryConns = 4

// Memory is the in-process cache's memory with Entries cached results.
// Heap figures are the live heap after a full GC, in bytes.
type Memory struct {
	Entries     int     `json:"entries"`
	Query       string  `json:"query"`
	Connections int     `json:"connections"`
	FillSeconds float64 `json:"fill_seconds"`
	// Stores counts the results the proxy stored; CachedEntries is what the
	// cache holds afterwards (both must equal Entries: no eviction).
	Stores        uint64 `json:"stores"`
	CachedEntries int64  `json:"cached_entries"`
	// PayloadBytes is the size of the stored results (the raw MySQL
	// response packets, headers included).
	PayloadBytes int64 `json:"payload_bytes"`
	// AccountedBytes is the cache tier's own byte accounting (Usage().Bytes),
	// what cache.local.max_bytes bounds.
	AccountedBytes int64 `json:"cache_accounted_bytes"`
	MaxBytes       int64 `json:"cache_max_bytes"`
	// HeapBefore: proxy running, client connections open, cache empty.
	// HeapAfter: after the fill. HeapAfterFlush: after emptying the cache
	// again (what remains is the parse memo and statistics).
	HeapBefore     uint64 `json:"heap_live_before"`
	HeapAfter      uint64 `json:"heap_live_after"`
	HeapAfterFlush uint64 `json:"heap_live_after_flush"`

	PayloadPerEntry   float64 `json:"payload_bytes_per_entry"`
	AccountedPerEntry float64 `json:"cache_accounted_bytes_per_entry"`
	// HeapPerEntry is (HeapAfter-HeapBefore)/Entries: everything the fill
	// cost the process. OverheadPerEntry subtracts the payload.
	HeapPerEntry     float64 `json:"heap_bytes_per_entry"`
	OverheadPerEntry float64 `json:"overhead_bytes_per_entry"`
	// CacheHeapPerEntry is (HeapAfter-HeapAfterFlush)/Entries: what the
	// cache tier alone holds; CacheOverheadPerEntry subtracts the payload.
	CacheHeapPerEntry     float64 `json:"cache_heap_bytes_per_entry"`
	CacheOverheadPerEntry float64 `json:"cache_overhead_bytes_per_entry"`
}

// createMemoryTable creates and fills memoryTable with rows products
// through db (a direct connection).
func createMemoryTable(ctx context.Context, db *sql.DB, rows int) error {
	stmts := []string{
		"DROP TABLE IF EXISTS " + memoryTable,
		"CREATE TABLE " + memoryTable + ` (
			id_product INT UNSIGNED NOT NULL,
			id_shop INT UNSIGNED NOT NULL DEFAULT 1,
			id_lang INT UNSIGNED NOT NULL,
			name VARCHAR(128) NOT NULL,
			link_rewrite VARCHAR(128) NOT NULL,
			price DECIMAL(20,6) NOT NULL,
			PRIMARY KEY (id_product, id_shop, id_lang)
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create %s: %w", memoryTable, err)
		}
	}
	adjectives := []string{"Hummingbird", "Brown bear", "Mountain fox", "Today is a good day", "Customizable", "Mug the adventure begins"}
	kinds := []string{"printed t-shirt", "printed sweater", "framed poster", "vector graphics", "cushion", "notebook"}
	const batch = 1000
	var b strings.Builder
	for start := 1; start <= rows; start += batch {
		b.Reset()
		b.WriteString("INSERT INTO " + memoryTable + " (id_product, id_lang, name, link_rewrite, price) VALUES ")
		for id := start; id < start+batch && id <= rows; id++ {
			if id > start {
				b.WriteByte(',')
			}
			name := fmt.Sprintf("%s %s - size %d", adjectives[id%len(adjectives)], kinds[(id/7)%len(kinds)], id)
			slug := strings.ToLower(strings.NewReplacer(" - ", "-", " ", "-").Replace(name))
			fmt.Fprintf(&b, "(%d,1,'%s','%s',%d.%06d)", id, name, slug, 5+id%95, (id*7919)%1000000)
		}
		if _, err := db.ExecContext(ctx, b.String()); err != nil {
			return fmt.Errorf("fill %s: %w", memoryTable, err)
		}
	}
	return nil
}

// measureMemory starts a proxy with a local cache large enough never to
// evict, fills it with entries distinct results through go-sql-driver
// connections, and measures the live heap before and after, and after
// emptying the cache again.
func measureMemory(ctx context.Context, o *Options, entries int) (*Memory, error) {
	m := &Memory{Entries: entries, Query: memoryQuery, Connections: memoryConns}
	// Far more than the entries weigh, so that nothing is evicted.
	maxBytes := max(int64(entries)*4096, 64<<20)
	cfg := proxyConfig(o, proxycache.CacheLocal, maxBytes, "")
	var payload atomic.Int64
	var stores atomic.Uint64
	hook := proxycache.WithHooks(proxycache.Hooks{Statement: func(ev *stats.StatementEvent) {
		if ev.Stored {
			payload.Add(int64(ev.ResponseBytes))
			stores.Add(1)
		}
	}})
	ip, err := startProxy(ctx, cfg, o.Log.With("target", "memory"), hook)
	if err != nil {
		return nil, fmt.Errorf("memory: start proxy: %w", err)
	}
	defer ip.Stop()
	pool, err := openDB(o.MySQL, ip.Addr, o.DB, memoryConns)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	if err := openConns(ctx, pool, memoryConns); err != nil {
		return nil, fmt.Errorf("memory: connect through the proxy: %w", err)
	}

	m.HeapBefore = liveHeap()
	start := time.Now()
	rows, err := queryEach(ctx, pool, entries, memoryConns, func(i int) string { return fmt.Sprintf(memoryQuery, i) })
	if err != nil {
		return nil, fmt.Errorf("memory: fill: %w", err)
	}
	m.FillSeconds = time.Since(start).Seconds()
	if rows != int64(entries) {
		return nil, fmt.Errorf("memory: the fill read %d rows, want %d", rows, entries)
	}
	m.HeapAfter = liveHeap()
	u := ip.P.Usage()
	m.CachedEntries, m.AccountedBytes, m.MaxBytes = u.Entries, u.Bytes, u.MaxBytes
	m.Stores, m.PayloadBytes = stores.Load(), payload.Load()
	if err := ip.P.Flush(ctx); err != nil {
		return nil, fmt.Errorf("memory: flush: %w", err)
	}
	ip.P.Usage() // runs the cache's pending maintenance
	m.HeapAfterFlush = liveHeap()
	runtime.KeepAlive(pool)

	n := float64(entries)
	m.PayloadPerEntry = float64(m.PayloadBytes) / n
	m.AccountedPerEntry = float64(m.AccountedBytes) / n
	m.HeapPerEntry = (float64(m.HeapAfter) - float64(m.HeapBefore)) / n
	m.OverheadPerEntry = m.HeapPerEntry - m.PayloadPerEntry
	m.CacheHeapPerEntry = (float64(m.HeapAfter) - float64(m.HeapAfterFlush)) / n
	m.CacheOverheadPerEntry = m.CacheHeapPerEntry - m.PayloadPerEntry
	return m, nil
}

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		return s[0].Value.Uint64()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
