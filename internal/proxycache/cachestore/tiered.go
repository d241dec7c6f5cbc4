package cachestore

import (
	"context"
	"errors"
	"time"
)

// Tiered stacks the in-process tier (L1) over the Redis tier (L2). L1 entries
// are validated against in-process versions only; invalidations made by
// other nodes reach them through Redis pub/sub (Redis.Subscribe).
//
// When L2 is unavailable, L1 hits are still served; an L1 miss returns an
// error wrapping ErrUnavailable together with a Fill that is Ready for L1
// only (Remote nil), which Put stores in L1 alone.
type Tiered struct {
	l1     *Local
	l2     *Redis
	cancel context.CancelFunc

	testHookAfterL2Read func() // set by tests only
}

var _ Store = (*Tiered)(nil)

// NewTiered stacks l1 over l2 and subscribes to other nodes' invalidations
// on l2 (waiting at most about l2's RetryBackoff for the subscription; it
// keeps retrying in the background). The Tiered owns both tiers: Close
// closes them.
func NewTiered(l1 *Local, l2 *Redis) *Tiered {
	ctx, cancel := context.WithCancel(context.Background())
	t := &Tiered{l1: l1, l2: l2, cancel: cancel}
	if err := l2.Subscribe(ctx, t.remoteInvalidation); err != nil {
		l2.log.Warn("tiered cache: no invalidation subscription yet", "err", err)
	}
	return t
}

// remoteInvalidation applies another node's invalidation (or a subscription
// gap, all) to L1.
func (t *Tiered) remoteInvalidation(tables []string, all bool) {
	if all {
		t.l1.versions.BumpAll()
		return
	}
	t.l1.versions.Bump(tables)
}

// Get tries L1, then L2. An L2 hit is copied into L1 for the entry's
// remaining Redis TTL, under the in-process snapshot taken before the L2
// read, so an invalidation that ran meanwhile leaves it invalid in L1. On a
// miss the Fill carries both snapshots (Remote nil if L2 failed).
func (t *Tiered) Get(ctx context.Context, key Key, tables []string) ([]byte, Fill, error) {
	if p, ok := t.l1.lookup(key, tables); ok {
		return p, Fill{}, nil
	}
	local := t.l1.versions.Snapshot(tables)
	fill := Fill{Key: key, Tables: tables, Local: local, Ready: true}
	p, remote, ttl, err := t.l2.get(ctx, key, tables)
	if t.testHookAfterL2Read != nil {
		t.testHookAfterL2Read()
	}
	if err != nil {
		return nil, fill, err
	}
	if p != nil {
		if ttl > 0 && t.l1.versions.Valid(tables, local) {
			t.l1.store(key, p, local, ttl) // p is a fresh copy nobody else writes
		}
		return p, Fill{}, nil
	}
	fill.Remote = remote
	return nil, fill, nil
}

// Put stores payload in L1 and, if the fill has Redis versions, in L2. An L2
// error is returned; L1 has stored the entry regardless.
func (t *Tiered) Put(ctx context.Context, fill Fill, payload []byte, ttl time.Duration) error {
	_ = t.l1.Put(ctx, fill, payload, ttl) // never fails
	if fill.Remote == nil {
		return nil
	}
	return t.l2.Put(ctx, fill, payload, ttl)
}

// Invalidate bumps the in-process versions at once, then L2's (deferred if
// L2 is unavailable, in which case its ErrUnavailable is returned), then the
// in-process ones again: an L2 hit read before the L2 bump and filled into
// L1 under a snapshot taken after the first bump is killed by the second.
func (t *Tiered) Invalidate(ctx context.Context, tables []string) error {
	if len(tables) == 0 {
		return nil
	}
	t.l1.versions.Bump(tables)
	err := t.l2.Invalidate(ctx, tables)
	t.l1.versions.Bump(tables)
	return err
}

// InvalidateAll is Invalidate for every entry, with the same ordering.
func (t *Tiered) InvalidateAll(ctx context.Context) error {
	t.l1.versions.BumpAll()
	err := t.l2.InvalidateAll(ctx)
	t.l1.versions.BumpAll()
	return err
}

// Flush empties L1 and L2 (L2 only under its prefix).
func (t *Tiered) Flush(ctx context.Context) error {
	_ = t.l1.Flush(ctx)
	err := t.l2.Flush(ctx)
	_ = t.l1.Flush(ctx) // drop what L2 hits copied in meanwhile
	return err
}

// Usage reports L1's entries and bytes (the memory this process holds), L2's
// availability and pending invalidations, and both tiers in Tiers.
// Available false means degraded: L1 hits only.
func (t *Tiered) Usage() StoreUsage {
	u1, u2 := t.l1.Usage(), t.l2.Usage()
	return StoreUsage{
		Mode:                 "local+redis",
		Entries:              u1.Entries,
		Bytes:                u1.Bytes,
		MaxBytes:             u1.MaxBytes,
		Available:            u2.Available,
		PendingInvalidations: u2.PendingInvalidations,
		Tiers:                []StoreUsage{u1, u2},
	}
}

// Close ends the subscription and closes both tiers.
func (t *Tiered) Close() error {
	t.cancel()
	return errors.Join(t.l2.Close(), t.l1.Close())
}
