package cachestore

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Redis entry value layout, format 1:
//
//	byte 0      format (1)
//	uvarint     n, the number of versions (tables then the epoch)
//	n × 8 bytes versions, big-endian
//	rest        payload
//
// A reader that meets an unknown format treats the entry as a miss, so the
// format can change with a rolling deploy.
const redisEntryFormat = 1

// errBadEntry reports a Redis entry value this version cannot decode.
var errBadEntry = errors.New("malformed cache entry")

// redisEntryHeaderLen returns the length of the header for n versions.
func redisEntryHeaderLen(n int) int {
	var tmp [binary.MaxVarintLen64]byte
	return 1 + binary.PutUvarint(tmp[:], uint64(n)) + 8*n
}

// appendRedisEntryHeader appends the header for versions to dst.
func appendRedisEntryHeader(dst []byte, versions []uint64) []byte {
	dst = append(dst, redisEntryFormat)
	dst = binary.AppendUvarint(dst, uint64(len(versions)))
	for _, v := range versions {
		dst = binary.BigEndian.AppendUint64(dst, v)
	}
	return dst
}

// redisEntry is a decoded entry value: header holds the encoded header, and
// the versions are read from it on demand.
type redisEntry struct {
	header  string
	n       int
	payload string
}

// decodeRedisEntry splits an entry value into header and payload.
func decodeRedisEntry(val string) (redisEntry, error) {
	if len(val) < 2 || val[0] != redisEntryFormat {
		return redisEntry{}, fmt.Errorf("decode entry: %w", errBadEntry)
	}
	n, w := binary.Uvarint([]byte(val[1:min(len(val), 1+binary.MaxVarintLen64)]))
	if w <= 0 || n > uint64(len(val)) {
		return redisEntry{}, fmt.Errorf("decode entry: version count: %w", errBadEntry)
	}
	hl := 1 + w + 8*int(n)
	if hl > len(val) {
		return redisEntry{}, fmt.Errorf("decode entry: %d bytes for %d versions: %w", len(val), n, errBadEntry)
	}
	return redisEntry{header: val[:hl], n: int(n), payload: val[hl:]}, nil
}

// version returns the i-th version stored in the entry.
func (e redisEntry) version(i int) uint64 {
	off := len(e.header) - 8*(e.n-i)
	h := e.header[off : off+8]
	return uint64(h[0])<<56 | uint64(h[1])<<48 | uint64(h[2])<<40 | uint64(h[3])<<32 |
		uint64(h[4])<<24 | uint64(h[5])<<16 | uint64(h[6])<<8 | uint64(h[7])
}

// matches reports whether the entry was stored under exactly versions.
func (e redisEntry) matches(versions []uint64) bool {
	if e.n != len(versions) {
		return false
	}
	for i, v := range versions {
		if e.version(i) != v {
			return false
		}
	}
	return true
}
