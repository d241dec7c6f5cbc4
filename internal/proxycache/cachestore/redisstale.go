package cachestore

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// staleEntry is a Redis entry Get found invalid: its key and the encoded
// header (versions) it was read with.
type staleEntry struct {
	key    string
	header string
}

// deleteIfHeader deletes an entry only if it still starts with the header it
// was found invalid with, so that a fresh entry Put meanwhile survives.
var deleteIfHeader = redis.NewScript(`
if redis.call('GETRANGE', KEYS[1], 0, #ARGV[1] - 1) == ARGV[1] then
	return redis.call('UNLINK', KEYS[1])
end
return 0`)

// enqueueStale hands an invalid entry to the background deleter; it drops it
// when the deleter is behind (the entry then expires by its TTL or is
// overwritten by the next Put).
func (r *Redis) enqueueStale(key, header string) {
	select {
	case r.stale <- staleEntry{key: key, header: header}:
	default:
	}
}

// deleteStale deletes invalid entries off the statement path until Close.
func (r *Redis) deleteStale() {
	defer r.wg.Done()
	for {
		select {
		case <-r.baseCtx.Done():
			return
		case e := <-r.stale:
			if !r.available() {
				continue
			}
			ctx, cancel := context.WithTimeout(r.baseCtx, r.opts.Timeout)
			if err := deleteIfHeader.Run(ctx, r.client, []string{e.key}, e.header).Err(); err != nil {
				r.log.Debug("delete stale entry", "key", e.key, "err", err)
			}
			cancel()
		}
	}
}
