package stats

import (
	"net"
	"sync"
)

// connShards is the number of shards of the connection registry.
const connShards = 16

// connRegistry remembers the client address and user of every open
// connection, so that a capture can describe connections that were opened
// before it started. It is touched once per connection open and close, and
// by a capture once per connection it has not seen open.
type connRegistry struct {
	shards [connShards]struct {
		mu sync.Mutex
		m  map[uint64]connLabel
	}
}

// connLabel is what a capture reports about a connection. The address is
// turned into text only when a capture reports it.
type connLabel struct {
	addr net.Addr
	user string
}

// label returns the connLabel of info.
func label(info ConnInfo) connLabel {
	return connLabel{addr: info.ClientAddr, user: info.User}
}

// addrString returns the client address as text ("" when unknown).
func (l connLabel) addrString() string {
	if l.addr == nil {
		return ""
	}
	return l.addr.String()
}

// add registers an open connection.
func (r *connRegistry) add(id uint64, l connLabel) {
	sh := &r.shards[id%connShards]
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = make(map[uint64]connLabel)
	}
	sh.m[id] = l
	sh.mu.Unlock()
}

// remove forgets a closed connection.
func (r *connRegistry) remove(id uint64) {
	sh := &r.shards[id%connShards]
	sh.mu.Lock()
	delete(sh.m, id)
	sh.mu.Unlock()
}

// get returns the label of an open connection (zero when unknown).
func (r *connRegistry) get(id uint64) connLabel {
	sh := &r.shards[id%connShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.m[id]
}
