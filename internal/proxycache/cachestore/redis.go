package cachestore

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of RedisOptions.
const (
	DefaultRedisKeyPrefix    = "psbench:"
	DefaultRedisTimeout      = 50 * time.Millisecond
	DefaultRedisRetryBackoff = time.Second
)

// maxPendingTables bounds the set of tables remembered while Redis is
// unavailable; beyond it the tier remembers a full invalidation instead.
const maxPendingTables = 1024

// RedisOptions configures a Redis tier. Only Addr is required.
type RedisOptions struct {
	Addr     string // host:port
	Password string
	DB       int
	// KeyPrefix namespaces every key and the invalidation channel
	// (default "psbench:"). Stores sharing a prefix share entries.
	KeyPrefix string
	// Timeout bounds every operation, from taking a pooled connection to
	// reading the reply (default 50ms). A timeout makes the tier unavailable.
	Timeout time.Duration
	// PoolSize is the number of connections (default: go-redis's, 10 per CPU).
	PoolSize int
	// RetryBackoff is how long the tier stays unavailable before it probes
	// Redis again (default 1s). It is also the subscription's health-check
	// interval.
	RetryBackoff time.Duration
	// NodeID identifies this proxy in published invalidations, so that
	// Subscribe skips its own (default: random).
	NodeID string
	// Logger receives state changes (default slog.Default()).
	Logger *slog.Logger
	// KeepEntriesOnStart keeps the entries a previous run left in Redis.
	// By default NewRedis invalidates every entry (a new epoch, published),
	// because a proxy that stopped abruptly may have forwarded writes whose
	// invalidation never reached Redis. Set it only when every proxy on the
	// prefix always shuts down cleanly.
	KeepEntriesOnStart bool
}

func (o RedisOptions) withDefaults() RedisOptions {
	if o.KeyPrefix == "" {
		o.KeyPrefix = DefaultRedisKeyPrefix
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultRedisTimeout
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = DefaultRedisRetryBackoff
	}
	if o.NodeID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.NodeID = hex.EncodeToString(b[:])
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Redis is the Redis cache tier. Keys, under KeyPrefix:
//
//	e:<hex key>  an entry: its versions, then the payload (see redisentry.go), with a TTL
//	v:<table>    the table's version, a random 63-bit number set on every invalidation
//	epoch        the global epoch, a random number set by InvalidateAll and Flush
//	inval        the channel invalidations are published on
//
// Versions are random rather than incremented, so a version key that was
// evicted or lost can never come back to a value an old entry holds; a
// missing version is initialised to a fresh random value before use.
//
// A timeout or connection error makes the tier unavailable: every call then
// fails at once with ErrUnavailable, invalidations are remembered, and after
// RetryBackoff a background probe PINGs Redis, replays the remembered
// invalidations and only then makes the tier available again. It is safe
// for concurrent use.
type Redis struct {
	client   *redis.Client
	opts     RedisOptions
	log      *slog.Logger
	epochKey string
	channel  string

	baseCtx context.Context // cancelled by Close
	cancel  context.CancelFunc
	wg      sync.WaitGroup // background goroutines

	state atomic.Int32 // stateAvailable, stateUnavailable or stateClosed

	mu            sync.Mutex // guards the fields below and wg.Add
	closed        bool
	pendingTables map[string]uint64 // table -> generation it was last remembered at
	pendingAll    bool
	pendingAllGen uint64
	pendingGen    uint64
	runID         string // server run_id when last seen, to detect restarts

	stale chan staleEntry // entries found invalid, to delete lazily

	usage           atomic.Pointer[redisUsageSample]
	usageRefreshing atomic.Bool

	bufs sync.Pool // *[]byte for encoding entries
}

var _ Store = (*Redis)(nil)

// NewRedis returns a Redis tier. Unless KeepEntriesOnStart is set it first
// invalidates every entry under the prefix. It fails only on invalid
// options: when Redis cannot be reached (PINGed every Timeout for 10×Timeout,
// at least 1s, bounded by ctx) the tier starts unavailable, with that
// invalidation pending, and keeps probing every RetryBackoff.
func NewRedis(ctx context.Context, o RedisOptions) (*Redis, error) {
	if o.Addr == "" {
		return nil, errors.New("new redis cache store: empty Addr")
	}
	o = o.withDefaults()
	r := &Redis{
		client: redis.NewClient(&redis.Options{
			Addr:                  o.Addr,
			Password:              o.Password,
			DB:                    o.DB,
			DialTimeout:           o.Timeout,
			ReadTimeout:           o.Timeout,
			WriteTimeout:          o.Timeout,
			PoolTimeout:           o.Timeout,
			PoolSize:              o.PoolSize,
			MaxRetries:            -1, // a retry would double the time a statement waits
			ContextTimeoutEnabled: true,
			DisableIdentity:       true,
		}),
		opts:          o,
		log:           o.Logger.With("component", "cachestore.redis", "addr", o.Addr),
		epochKey:      o.KeyPrefix + "epoch",
		channel:       o.KeyPrefix + "inval",
		pendingTables: map[string]uint64{},
		stale:         make(chan staleEntry, 256),
	}
	r.baseCtx, r.cancel = context.WithCancel(context.Background())
	r.wg.Add(1)
	go r.deleteStale()

	// Start-up is off the statement path: keep trying for a while, so that
	// a Redis started alongside the proxy is found.
	pctx, cancel := context.WithTimeout(ctx, max(10*o.Timeout, time.Second))
	defer cancel()
	err := r.client.Ping(pctx).Err()
	for err != nil && pctx.Err() == nil {
		select {
		case <-pctx.Done():
		case <-time.After(o.Timeout):
			err = r.client.Ping(pctx).Err()
		}
	}
	if err == nil {
		r.runID = r.serverRunID(pctx)
		if !o.KeepEntriesOnStart {
			err = r.applyInvalidation(pctx, nil, true)
		}
	}
	if err != nil {
		r.log.Warn("redis cache tier starts unavailable", "err", err)
		r.mu.Lock()
		if !o.KeepEntriesOnStart {
			r.addPendingLocked(nil, true)
		}
		r.tripLocked(err)
		r.mu.Unlock()
	}
	return r, nil
}

// Options returns the options in effect, defaults applied.
func (r *Redis) Options() RedisOptions { return r.opts }

func (r *Redis) entryKey(k Key) string {
	var b [2 * len(Key{})]byte
	hex.Encode(b[:], k[:])
	return r.opts.KeyPrefix + "e:" + string(b[:])
}

func (r *Redis) versionKey(table string) string { return r.opts.KeyPrefix + "v:" + table }

// versionKeys returns the version keys of tables followed by the epoch key.
func (r *Redis) versionKeys(tables []string) []string {
	keys := make([]string, len(tables)+1)
	for i, t := range tables {
		keys[i] = r.versionKey(t)
	}
	keys[len(tables)] = r.epochKey
	return keys
}

// randomVersion returns a random non-zero 63-bit version.
func randomVersion() uint64 {
	for {
		if v := mrand.Uint64() >> 1; v != 0 {
			return v
		}
	}
}

// parseVersions converts an MGET reply to versions; a missing or malformed
// version is 0 and reported in missing.
func parseVersions(vals []any) (versions []uint64, missing bool) {
	versions = make([]uint64, len(vals))
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			missing = true
			continue
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == 0 {
			missing = true
			continue
		}
		versions[i] = n
	}
	return versions, missing
}

// Get returns the payload cached under key if every table in tables (and the
// epoch) still has the version the entry was stored under, in one round trip
// (GET, PTTL and MGET pipelined; a second one, within the same Timeout, only
// when a version key is missing: a table's first use or a lost key). On a
// miss the Fill carries the Redis versions in Remote; it is not Ready if they
// could not be read. The payload returned is a fresh copy.
func (r *Redis) Get(ctx context.Context, key Key, tables []string) ([]byte, Fill, error) {
	p, versions, _, err := r.get(ctx, key, tables)
	if err != nil {
		return nil, Fill{}, err
	}
	if p != nil {
		return p, Fill{}, nil
	}
	return nil, Fill{Key: key, Tables: tables, Remote: versions, Ready: versions != nil}, nil
}

// get is Get that also returns, on a hit, the entry's remaining time to
// live, and on a miss the versions to store a fill under (nil if unknown).
func (r *Redis) get(parent context.Context, key Key, tables []string) (payload []byte, versions []uint64, ttl time.Duration, err error) {
	if !r.available() {
		return nil, nil, 0, r.unavailableErr("get")
	}
	ekey := r.entryKey(key)
	vkeys := r.versionKeys(tables)
	ctx, cancel := context.WithTimeout(parent, r.opts.Timeout)
	defer cancel()

	pipe := r.client.Pipeline()
	getCmd := pipe.Get(ctx, ekey)
	pttlCmd := pipe.PTTL(ctx, ekey)
	mgetCmd := pipe.MGet(ctx, vkeys...)
	_, err = pipe.Exec(ctx)
	// Exec may fail without setting the commands' errors (a cancelled
	// context), and its error hides the others when GET found nothing.
	if err := cmp.Or(ignoreNil(err), ignoreNil(getCmd.Err()), pttlCmd.Err(), mgetCmd.Err()); err != nil {
		return nil, nil, 0, r.fail(parent, "get "+ekey, err)
	}
	versions, missing := parseVersions(mgetCmd.Val())
	if getCmd.Err() == nil {
		e, derr := decodeRedisEntry(getCmd.Val())
		switch {
		case derr != nil:
			r.log.Debug("undecodable cache entry", "key", ekey, "err", derr)
		case !missing && e.matches(versions):
			return []byte(e.payload), nil, pttlCmd.Val(), nil
		default:
			r.enqueueStale(ekey, e.header)
		}
	}
	if missing {
		versions, err = r.initVersions(parent, ctx, vkeys, mgetCmd.Val())
		if err != nil {
			return nil, nil, 0, err
		}
	}
	return nil, versions, 0, nil
}

// initVersions gives every missing version key a random value (SET NX, so a
// concurrent invalidation wins) and reads the versions again. It returns nil
// versions when some are still unusable.
func (r *Redis) initVersions(parent, ctx context.Context, vkeys []string, vals []any) ([]uint64, error) {
	pipe := r.client.Pipeline()
	for i, v := range vals {
		if v == nil {
			pipe.SetNX(ctx, vkeys[i], strconv.FormatUint(randomVersion(), 10), 0)
		}
	}
	mget := pipe.MGet(ctx, vkeys...)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, r.fail(parent, "init versions", err)
	}
	versions, missing := parseVersions(mget.Val())
	if missing {
		return nil, nil
	}
	return versions, nil
}

func ignoreNil(err error) error {
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
}

// Put stores payload for fill.Key under the Redis versions fill.Remote with
// the given time to live (SET PX). It stores nothing when the fill is not
// Ready or has no Redis versions, or when ttl is not positive.
func (r *Redis) Put(parent context.Context, fill Fill, payload []byte, ttl time.Duration) error {
	if !fill.Ready || ttl <= 0 || len(fill.Remote) != len(fill.Tables)+1 || slices.Contains(fill.Remote, 0) {
		return nil
	}
	if !r.available() {
		return r.unavailableErr("put")
	}
	bp := r.buffer(redisEntryHeaderLen(len(fill.Remote)) + len(payload))
	buf := append(appendRedisEntryHeader((*bp)[:0], fill.Remote), payload...)
	ekey := r.entryKey(fill.Key)
	ctx, cancel := context.WithTimeout(parent, r.opts.Timeout)
	defer cancel()
	err := r.client.Set(ctx, ekey, buf, ttl).Err()
	*bp = buf
	r.releaseBuffer(bp)
	if err != nil {
		return r.fail(parent, "put "+ekey, err)
	}
	return nil
}

const maxPooledBuffer = 64 << 10

func (r *Redis) buffer(n int) *[]byte {
	if n <= maxPooledBuffer {
		if bp, ok := r.bufs.Get().(*[]byte); ok {
			return bp
		}
	}
	b := make([]byte, 0, n)
	return &b
}

func (r *Redis) releaseBuffer(bp *[]byte) {
	if cap(*bp) <= maxPooledBuffer {
		r.bufs.Put(bp)
	}
}

// Invalidate gives every table in tables a new random version and publishes
// the invalidation to the other nodes, in one round trip. If Redis cannot be
// reached the invalidation is remembered, the tier becomes unavailable and
// an error wrapping ErrUnavailable is returned; the invalidation is applied
// before the tier serves again.
func (r *Redis) Invalidate(ctx context.Context, tables []string) error {
	if len(tables) == 0 {
		return nil
	}
	return r.invalidate(ctx, tables, false)
}

// InvalidateAll gives the epoch a new random value and publishes it, with
// the same guarantees as Invalidate.
func (r *Redis) InvalidateAll(ctx context.Context) error {
	return r.invalidate(ctx, nil, true)
}

func (r *Redis) invalidate(ctx context.Context, tables []string, all bool) error {
	what := func() string {
		if all {
			return "invalidate all"
		}
		return "invalidate " + strings.Join(tables, ",")
	}
	if r.deferIfUnavailable(tables, all) {
		return r.unavailableErr(what())
	}
	err := r.applyInvalidation(ctx, tables, all)
	if err == nil {
		return nil
	}
	// Whatever the error, the new versions may not be in Redis: entries
	// that should be dead could still validate, so nothing may be served
	// until the invalidation is replayed.
	r.mu.Lock()
	r.addPendingLocked(tables, all)
	r.tripLocked(err)
	r.mu.Unlock()
	return fmt.Errorf("redis %s: %w: %w", what(), ErrUnavailable, err)
}

// applyInvalidation writes new versions (or a new epoch) and publishes them.
func (r *Redis) applyInvalidation(parent context.Context, tables []string, all bool) error {
	ctx, cancel := context.WithTimeout(parent, r.opts.Timeout)
	defer cancel()
	pipe := r.client.Pipeline()
	if all {
		pipe.Set(ctx, r.epochKey, strconv.FormatUint(randomVersion(), 10), 0)
	} else {
		pairs := make([]any, 0, 2*len(tables))
		for _, t := range tables {
			pairs = append(pairs, r.versionKey(t), strconv.FormatUint(randomVersion(), 10))
		}
		pipe.MSet(ctx, pairs...)
	}
	pipe.Publish(ctx, r.channel, encodeInvalidation(r.opts.NodeID, tables, all))
	_, err := pipe.Exec(ctx)
	return err
}

// Flush makes every entry invalid (new epoch, not published) and deletes
// every entry under KeyPrefix with SCAN and UNLINK; keys outside the prefix
// are never touched. Each round trip is bounded by Timeout.
func (r *Redis) Flush(parent context.Context) error {
	if !r.available() {
		return r.unavailableErr("flush")
	}
	ctx, cancel := context.WithTimeout(parent, r.opts.Timeout)
	err := r.client.Set(ctx, r.epochKey, strconv.FormatUint(randomVersion(), 10), 0).Err()
	cancel()
	if err != nil {
		return r.fail(parent, "flush: new epoch", err)
	}
	match := globEscape(r.opts.KeyPrefix) + "e:*"
	var cursor uint64
	for {
		ctx, cancel := context.WithTimeout(parent, r.opts.Timeout)
		keys, next, err := r.client.Scan(ctx, cursor, match, 1000).Result()
		if err == nil && len(keys) > 0 {
			err = r.client.Unlink(ctx, keys...).Err()
		}
		cancel()
		if err != nil {
			return r.fail(parent, "flush "+match, err)
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// globEscape escapes the glob metacharacters of a SCAN MATCH pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch c {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// redisUsageSample is the last size reading of the Redis server.
type redisUsageSample struct {
	at                     time.Time
	entries, bytes, maxMem int64
}

// usageMaxAge is how old a size reading may be before Usage refreshes it.
const usageMaxAge = time.Second

// Usage reports availability and pending invalidations, and the size of the
// Redis database: Entries is DBSIZE and Bytes used_memory, MaxBytes
// maxmemory (0 if unbounded), for the whole database, not only this prefix.
// The size is read in the background at most once per second, so Usage
// never waits for Redis; the first call may report zero sizes.
func (r *Redis) Usage() StoreUsage {
	s := r.usage.Load()
	if (s == nil || time.Since(s.at) > usageMaxAge) && r.available() && r.usageRefreshing.CompareAndSwap(false, true) {
		if !r.goBackground(r.refreshUsage) {
			r.usageRefreshing.Store(false)
		}
	}
	u := StoreUsage{Mode: "redis", Available: r.available()}
	if s != nil {
		u.Entries, u.Bytes, u.MaxBytes = s.entries, s.bytes, s.maxMem
	}
	r.mu.Lock()
	u.PendingInvalidations = len(r.pendingTables)
	if r.pendingAll {
		u.PendingInvalidations++
	}
	r.mu.Unlock()
	return u
}

func (r *Redis) refreshUsage() {
	defer r.usageRefreshing.Store(false)
	ctx, cancel := context.WithTimeout(r.baseCtx, r.opts.Timeout)
	defer cancel()
	pipe := r.client.Pipeline()
	size := pipe.DBSize(ctx)
	info := pipe.Info(ctx, "memory")
	if _, err := pipe.Exec(ctx); err != nil {
		r.log.Debug("redis usage", "err", err)
		return
	}
	s := &redisUsageSample{at: time.Now(), entries: size.Val()}
	s.bytes, _ = strconv.ParseInt(infoField(info.Val(), "used_memory"), 10, 64)
	s.maxMem, _ = strconv.ParseInt(infoField(info.Val(), "maxmemory"), 10, 64)
	r.usage.Store(s)
}

// infoField returns the value of field in an INFO reply.
func infoField(info, field string) string {
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// serverRunID returns the server's run_id, or "" if INFO is not allowed.
func (r *Redis) serverRunID(ctx context.Context) string {
	info, err := r.client.Info(ctx, "server").Result()
	if err != nil {
		return ""
	}
	return infoField(info, "run_id")
}

// goBackground runs fn on a goroutine Close waits for; it reports false if
// the store is closed.
func (r *Redis) goBackground(fn func()) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		fn()
	}()
	return true
}

// Close stops the background goroutines (probe, subscriptions, lazy
// deletion) and closes the connections. Invalidations still pending are
// tried once more (within Timeout); if Redis is still unreachable they are
// logged as lost, and the next NewRedis (without KeepEntriesOnStart) covers
// them.
func (r *Redis) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.state.Store(stateClosed)
	all, tables := r.pendingAll, slices.Collect(maps.Keys(r.pendingTables))
	r.mu.Unlock()
	if all || len(tables) > 0 {
		if err := r.applyInvalidation(context.Background(), tables, all); err != nil {
			r.log.Error("closing with invalidations redis never received", "all", all, "tables", tables, "err", err)
		}
	}
	r.cancel()
	r.wg.Wait()
	if err := r.client.Close(); err != nil {
		return fmt.Errorf("close redis client: %w", err)
	}
	return nil
}
