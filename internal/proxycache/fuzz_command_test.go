package proxycache

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/psbench/psbench/internal/proxycache/cachestore"
	"github.com/psbench/psbench/internal/proxycache/sqlclass"
	"github.com/psbench/psbench/internal/proxycache/stats"
)

// okBackend is a backend connection that answers reads with a bounded
// stream of OK packets, then EOF, and swallows writes: enough to drive the
// session's command handling with arbitrary client input.
type okBackend struct {
	pending []byte
	left    int
}

func (b *okBackend) Read(p []byte) (int, error) {
	if len(b.pending) == 0 {
		if b.left == 0 {
			return 0, io.EOF
		}
		b.left--
		b.pending = []byte{7, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0}
	}
	n := copy(p, b.pending)
	b.pending = b.pending[n:]
	return n, nil
}
func (b *okBackend) Write(p []byte) (int, error)      { return len(p), nil }
func (b *okBackend) Close() error                     { return nil }
func (b *okBackend) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (b *okBackend) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (b *okBackend) SetDeadline(time.Time) error      { return nil }
func (b *okBackend) SetReadDeadline(time.Time) error  { return nil }
func (b *okBackend) SetWriteDeadline(time.Time) error { return nil }

func fuzzProxy(tb testing.TB) *Proxy {
	cfg := DefaultConfig()
	bl, err := sqlclass.NewTableSet("ps_", []string{"cart"})
	if err != nil {
		tb.Fatal(err)
	}
	return &Proxy{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), stats: stats.New(stats.Options{}),
		classifier: sqlclass.NewClassifier(1 << 20), blacklist: bl, store: cachestore.NewLocal(4 << 20)}
}

func fuzzSession(p *Proxy) *session {
	be := &okBackend{left: 64}
	return &session{p: p, log: p.log, client: nil, cr: newPacketReader(bytes.NewReader(nil)), cw: bufio.NewWriter(io.Discard),
		backend: be, br: newPacketReader(be), bw: bufio.NewWriter(io.Discard), status: serverStatusAutocommit,
		tempTables: map[string]struct{}{}, txWrites: map[string]struct{}{}, stmts: map[uint32]preparedStmt{}}
}

func FuzzClientCommand(f *testing.F) {
	for _, seed := range [][]byte{
		append([]byte{0x03}, "SELECT id FROM ps_product WHERE id = 1"...),
		append([]byte{0x03}, "UPDATE ps_product SET x = 1"...),
		append([]byte{0x03}, "SET NAMES utf8mb4"...),
		append([]byte{0x03}, "SELECT * FROM ps_cart; SELECT 1"...),
		{0x16}, append([]byte{0x16}, "SELECT ?"...),
		{0x17, 1, 0, 0, 0, 1, 1, 0, 0, 0}, {0x17}, {0x19, 1, 0}, {0x02}, {0x0e}, {0x11}, {0x1f}, {0xff}, {0x04, 't', 0},
	} {
		f.Add(seed)
	}
	p := fuzzProxy(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) == 0 {
			return
		}
		s := fuzzSession(p)
		// Twice: the second pass goes through the parse memo and, for
		// SELECTs, the cache.
		for i := 0; i < 2; i++ {
			err := s.command(context.Background(), payload)
			if err != nil && err != errQuit {
				if _, ok := err.(*relayError); !ok {
					t.Fatalf("command %x: unexpected error type %T: %v", payload, err, err)
				}
				return
			}
		}
	})
}
