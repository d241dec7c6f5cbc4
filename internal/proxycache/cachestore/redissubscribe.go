package cachestore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Invalidation messages on KeyPrefix+"inval", fields separated by NUL
// (which no MySQL identifier contains):
//
//	1 NUL nodeID NUL A                 every entry (InvalidateAll)
//	1 NUL nodeID NUL T NUL t1 NUL t2…  the listed tables
const invalidationFormat = "1"

// encodeInvalidation encodes an invalidation published by node.
func encodeInvalidation(node string, tables []string, all bool) string {
	if all {
		return invalidationFormat + "\x00" + node + "\x00A"
	}
	return invalidationFormat + "\x00" + node + "\x00T\x00" + strings.Join(tables, "\x00")
}

// decodeInvalidation decodes a message; ok is false for an unknown format.
func decodeInvalidation(msg string) (node string, tables []string, all, ok bool) {
	f := strings.Split(msg, "\x00")
	if len(f) < 3 || f[0] != invalidationFormat {
		return "", nil, false, false
	}
	switch f[2] {
	case "A":
		return f[1], nil, true, true
	case "T":
		return f[1], f[3:], false, true
	}
	return "", nil, false, false
}

// Subscribe delivers the invalidations published by other nodes (other
// NodeIDs) on the same Redis and prefix to fn, on one background goroutine,
// until ctx is done or the store is closed. fn must be quick and must not
// call the store.
//
// The subscription reconnects by itself. Since messages published while it
// is down are lost, fn is also called with all set when the subscription is
// found dead (a PING unanswered within RetryBackoff, or a connection error)
// and again each time it is established, including the first.
//
// Subscribe returns once the first subscription is confirmed, or with an
// error wrapping ErrUnavailable if that attempt failed (the subscription
// keeps retrying in the background every RetryBackoff).
func (r *Redis) Subscribe(ctx context.Context, fn func(tables []string, all bool)) error {
	ready := make(chan error, 1)
	if !r.goBackground(func() { r.subscribeLoop(ctx, fn, ready) }) {
		return r.unavailableErr("subscribe")
	}
	select {
	case err := <-ready:
		if err != nil {
			return fmt.Errorf("redis subscribe %s: %w: %w", r.channel, ErrUnavailable, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("redis subscribe %s: %w", r.channel, ctx.Err())
	}
}

// subscribeLoop keeps a subscription alive; ready receives the outcome of
// the first attempt.
func (r *Redis) subscribeLoop(parent context.Context, fn func(tables []string, all bool), ready chan<- error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	stop := context.AfterFunc(r.baseCtx, cancel)
	defer stop()

	signalled := false
	signal := func(err error) {
		if !signalled {
			signalled = true
			ready <- err
		}
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		confirmed, err := r.subscribeOnce(ctx, fn, signal)
		if ctx.Err() != nil {
			signal(ctx.Err())
			return
		}
		if confirmed {
			fn(nil, true)
		}
		r.log.Warn("redis invalidation subscription lost", "err", err, "retry_in", r.opts.RetryBackoff)
		signal(err)
		t.Reset(r.opts.RetryBackoff)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// subscribeOnce runs one subscription until it fails; confirmed reports
// whether it was ever established.
func (r *Redis) subscribeOnce(ctx context.Context, fn func(tables []string, all bool), signal func(error)) (confirmed bool, err error) {
	ps := r.client.Subscribe(ctx, r.channel)
	defer ps.Close()
	// Unblock a read in progress when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stop()

	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, r.opts.RetryBackoff)
		if err != nil {
			if ctx.Err() != nil {
				return confirmed, ctx.Err()
			}
			var nerr net.Error
			if confirmed && !pinged && errors.As(err, &nerr) && nerr.Timeout() {
				// Idle: check the connection is alive; the Pong (or
				// anything else) must arrive within the next period.
				pinged = true
				if err := ps.Ping(ctx); err != nil {
					return confirmed, fmt.Errorf("ping: %w", err)
				}
				continue
			}
			return confirmed, err
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				// Messages may have been missed before this point.
				confirmed = true
				fn(nil, true)
				signal(nil)
			}
		case *redis.Message:
			node, tables, all, ok := decodeInvalidation(m.Payload)
			if !ok {
				r.log.Debug("unknown invalidation message", "payload", m.Payload)
				continue
			}
			if node != r.opts.NodeID {
				fn(tables, all)
			}
		}
	}
}
