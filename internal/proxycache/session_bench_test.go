package proxycache

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// cannedBackend is an in-memory backend connection: each flushed command
// queues a canned response (an OK packet for UPDATE, a one-row result set
// otherwise), so the session's command path runs without a network and
// without allocating on the backend's side.
type cannedBackend struct {
	ok, rows []byte
	pending  []byte
}

// newCannedBackend builds the canned responses (autocommit status, so reads
// stay cacheable).
func newCannedBackend() *cannedBackend {
	const auto = serverStatusAutocommit
	return &cannedBackend{
		ok:   new(stream).add(okPkt(auto, 0)).buf.Bytes(),
		rows: new(stream).add([]byte{1}, colDef("name"), eofPkt(auto, 0), row("one"), eofPkt(auto, 0)).buf.Bytes(),
	}
}

func (b *cannedBackend) Write(p []byte) (int, error) {
	// p is one command packet: 4-byte header, command byte, statement.
	if len(p) > 5 && bytes.HasPrefix(p[5:], []byte("UPDATE")) {
		b.pending = b.ok
	} else {
		b.pending = b.rows
	}
	return len(p), nil
}

func (b *cannedBackend) Read(p []byte) (int, error) {
	if len(b.pending) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.pending)
	b.pending = b.pending[n:]
	return n, nil
}
func (b *cannedBackend) Close() error                     { return nil }
func (b *cannedBackend) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (b *cannedBackend) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (b *cannedBackend) SetDeadline(time.Time) error      { return nil }
func (b *cannedBackend) SetReadDeadline(time.Time) error  { return nil }
func (b *cannedBackend) SetWriteDeadline(time.Time) error { return nil }

// benchSession returns a session on a canned backend, with the local cache
// tier of fuzzProxy, writing its client output nowhere.
func benchSession(tb testing.TB) *session {
	p := fuzzProxy(tb)
	be := newCannedBackend()
	return &session{p: p, log: p.log, cr: newPacketReader(bytes.NewReader(nil)), cw: bufio.NewWriter(io.Discard),
		backend: be, br: newPacketReader(be), bw: bufio.NewWriter(be), status: serverStatusAutocommit, db: "shop",
		tempTables: map[string]struct{}{}, txWrites: map[string]struct{}{}, stmts: map[uint32]preparedStmt{}}
}

// BenchmarkCommand measures the session's hot path per client command:
// a cache hit, a pass-through (nondeterministic SELECT), and a write that
// invalidates followed by the miss that refills the entry.
func BenchmarkCommand(b *testing.B) {
	sel := append([]byte{0x03}, "SELECT name FROM ps_product WHERE id = 1"...)
	now := append([]byte{0x03}, "SELECT NOW() FROM ps_product WHERE id = 1"...)
	upd := append([]byte{0x03}, "UPDATE ps_product SET name = 'x' WHERE id = 1"...)
	run := func(b *testing.B, s *session, payloads ...[]byte) {
		ctx := context.Background()
		for _, p := range payloads { // warm the parse memo, digests and cache
			if err := s.command(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range payloads {
				if err := s.command(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("hit", func(b *testing.B) {
		s := benchSession(b)
		run(b, s, sel)
		if h := s.p.stats.Snapshot().Hits; h == 0 {
			b.Fatalf("no hit counted")
		}
	})
	b.Run("bypass", func(b *testing.B) { run(b, benchSession(b), now) })
	b.Run("write+miss", func(b *testing.B) { run(b, benchSession(b), upd, sel) })
}
