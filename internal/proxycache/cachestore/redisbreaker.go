package cachestore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// States of a Redis tier.
const (
	stateAvailable int32 = iota
	stateUnavailable
	stateClosed
)

// available reports whether calls may go to Redis. It is one atomic load.
func (r *Redis) available() bool { return r.state.Load() == stateAvailable }

// unavailableErr is returned without touching the network while the tier is
// unavailable or closed.
func (r *Redis) unavailableErr(what string) error {
	if r.state.Load() == stateClosed {
		return fmt.Errorf("redis %s: store closed: %w", what, ErrUnavailable)
	}
	return fmt.Errorf("redis %s: %w (probing every %s)", what, ErrUnavailable, r.opts.RetryBackoff)
}

// fail classifies an error of a call made with the caller's context parent.
// A caller that cancelled is not Redis's fault, and an error reply means
// Redis answered; anything else (timeout, connection error, a server that
// is loading or busy) makes the tier unavailable.
func (r *Redis) fail(parent context.Context, what string, err error) error {
	if errors.Is(parent.Err(), context.Canceled) || !unavailableCause(err) {
		return fmt.Errorf("redis %s: %w", what, err)
	}
	r.mu.Lock()
	r.tripLocked(err)
	r.mu.Unlock()
	return fmt.Errorf("redis %s: %w: %w", what, ErrUnavailable, err)
}

// unavailableCause reports whether err means Redis cannot serve right now.
func unavailableCause(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return true // network, timeout, pool exhausted, closed
	}
	msg := rerr.Error()
	for _, p := range []string{"LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// tripLocked makes the tier unavailable and starts the probe, unless it is
// already unavailable or closed. r.mu must be held.
func (r *Redis) tripLocked(cause error) {
	if r.closed || !r.state.CompareAndSwap(stateAvailable, stateUnavailable) {
		return
	}
	r.log.Warn("redis cache tier unavailable", "err", cause, "retry_in", r.opts.RetryBackoff)
	r.wg.Add(1)
	go r.recoverLoop()
}

// deferIfUnavailable remembers an invalidation if the tier is unavailable and
// reports whether it did; if the tier is available the caller must apply it.
func (r *Redis) deferIfUnavailable(tables []string, all bool) bool {
	if r.available() {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state.Load() == stateAvailable {
		return false
	}
	r.addPendingLocked(tables, all)
	return true
}

// addPendingLocked remembers an invalidation to replay. r.mu must be held.
func (r *Redis) addPendingLocked(tables []string, all bool) {
	r.pendingGen++
	if all || r.pendingAll || len(r.pendingTables)+len(tables) > maxPendingTables {
		r.pendingAll = true
		r.pendingAllGen = r.pendingGen
		clear(r.pendingTables)
		return
	}
	for _, t := range tables {
		r.pendingTables[t] = r.pendingGen
	}
}

// recoverLoop probes Redis every RetryBackoff until it is back and every
// remembered invalidation has been replayed, or the store is closed.
func (r *Redis) recoverLoop() {
	defer r.wg.Done()
	t := time.NewTimer(r.opts.RetryBackoff)
	defer t.Stop()
	for {
		select {
		case <-r.baseCtx.Done():
			return
		case <-t.C:
		}
		err := r.tryRecover()
		if err == nil {
			r.log.Info("redis cache tier available again")
			return
		}
		r.log.Debug("redis cache tier still unavailable", "err", err)
		t.Reset(r.opts.RetryBackoff)
	}
}

// tryRecover pings Redis, replays the remembered invalidations and makes the
// tier available. The tier becomes available only under r.mu with nothing
// left to replay, and invalidations are only remembered under r.mu while the
// tier is unavailable, so none can be lost in between. Each remembered
// invalidation carries a generation, so one remembered again while it is
// being replayed is replayed once more.
func (r *Redis) tryRecover() error {
	ctx, cancel := context.WithTimeout(r.baseCtx, r.opts.Timeout)
	err := r.client.Ping(ctx).Err()
	var runID string
	if err == nil {
		runID = r.serverRunID(ctx)
	}
	cancel()
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	r.mu.Lock()
	if runID != "" && r.runID != "" && runID != r.runID {
		// A restarted server may have reloaded entries (and versions)
		// from before invalidations it never saw.
		r.log.Warn("redis restarted: invalidating every entry", "old_run_id", r.runID, "run_id", runID)
		r.addPendingLocked(nil, true)
	}
	if runID != "" {
		r.runID = runID
	}
	r.mu.Unlock()
	for {
		r.mu.Lock()
		if r.closed {
			r.mu.Unlock()
			return errors.New("store closed")
		}
		all, allGen := r.pendingAll, r.pendingAllGen
		gens := maps.Clone(r.pendingTables)
		tables := slices.Collect(maps.Keys(gens))
		if !all && len(tables) == 0 {
			r.state.Store(stateAvailable)
			r.mu.Unlock()
			return nil
		}
		r.mu.Unlock()
		if err := r.applyInvalidation(r.baseCtx, tables, all); err != nil {
			return fmt.Errorf("replay invalidations: %w", err)
		}
		// Forget only what was replayed: an invalidation remembered again
		// during the replay has a newer generation and stays.
		r.mu.Lock()
		if all && r.pendingAllGen == allGen {
			r.pendingAll = false
		}
		for t, g := range gens {
			if r.pendingTables[t] == g {
				delete(r.pendingTables, t)
			}
		}
		r.mu.Unlock()
	}
}
