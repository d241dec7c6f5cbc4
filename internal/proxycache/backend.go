package proxycache

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/pingcap/tidb/pkg/parser/charset"
)

// greeting is what the backend announces in its initial handshake. The
// proxy greets clients with the same server version and collation so the
// shop sees the database it expects.
type greeting struct {
	version   string
	caps      uint32
	collation uint8
}

// probeBackend reads the backend's initial handshake packet and hangs up.
func probeBackend(ctx context.Context, addr string, timeout time.Duration) (greeting, error) {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return greeting{}, fmt.Errorf("connect backend %s: %w", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	_, p, err := newPacketReader(conn).readPhysical()
	if err != nil {
		return greeting{}, fmt.Errorf("read handshake from backend %s: %w", addr, err)
	}
	g, err := parseGreeting(p)
	if err != nil {
		return greeting{}, fmt.Errorf("backend %s: %w", addr, err)
	}
	return g, nil
}

// parseGreeting decodes a protocol-10 initial handshake.
func parseGreeting(p []byte) (greeting, error) {
	if len(p) > 0 && p[0] == hdrErr {
		code, msg := parseErr(p)
		return greeting{}, fmt.Errorf("refused the connection: error %d: %s", code, msg)
	}
	if len(p) < 1 || p[0] != 10 {
		return greeting{}, fmt.Errorf("unsupported handshake protocol version %d (not a MySQL server?)", firstByte(p))
	}
	end := bytes.IndexByte(p[1:], 0)
	if end < 0 {
		return greeting{}, fmt.Errorf("malformed handshake: no server version terminator")
	}
	g := greeting{version: string(p[1 : 1+end])}
	pos := 1 + end + 1 + 4 + 8 + 1 // version, NUL, connection id, scramble part 1, filler
	if len(p) < pos+2 {
		return greeting{}, fmt.Errorf("malformed handshake: %d bytes", len(p))
	}
	g.caps = uint32(binary.LittleEndian.Uint16(p[pos:]))
	pos += 2
	if len(p) >= pos+5 {
		g.collation = p[pos]
		g.caps |= uint32(binary.LittleEndian.Uint16(p[pos+3:])) << 16
	}
	return g, nil
}

// mirroredCaps are the client capability flags the proxy reproduces on the
// backend connection, so that the backend frames its packets exactly as the
// client expects and applies the same session semantics.
const mirroredCaps = mysql.CLIENT_FOUND_ROWS | mysql.CLIENT_IGNORE_SPACE | mysql.CLIENT_MULTI_STATEMENTS |
	mysql.CLIENT_MULTI_RESULTS | mysql.CLIENT_PS_MULTI_RESULTS | mysql.CLIENT_LOCAL_FILES |
	mysql.CLIENT_SESSION_TRACK

// formatCaps are the negotiated flags that change how packets are framed;
// they are part of every cache key.
const formatCaps = mysql.CLIENT_DEPRECATE_EOF | mysql.CLIENT_SESSION_TRACK | mysql.CLIENT_PROTOCOL_41

// backendLogin is who a client session logs into the backend as.
type backendLogin struct {
	user, password, db string
	collation          uint8
	clientCaps         uint32
	attrs              map[string]string
}

// dialBackend opens the session's own backend connection with the client's
// capabilities, collation, database and connection attributes.
func dialBackend(ctx context.Context, addr string, timeout time.Duration, l backendLogin) (*client.Conn, error) {
	opts := []client.Option{func(c *client.Conn) error {
		for _, flag := range []uint32{mysql.CLIENT_FOUND_ROWS, mysql.CLIENT_IGNORE_SPACE, mysql.CLIENT_MULTI_STATEMENTS,
			mysql.CLIENT_MULTI_RESULTS, mysql.CLIENT_PS_MULTI_RESULTS, mysql.CLIENT_LOCAL_FILES, mysql.CLIENT_SESSION_TRACK} {
			if l.clientCaps&flag != 0 {
				if err := c.SetCapability(flag); err != nil {
					return err
				}
			} else {
				c.UnsetCapability(flag)
			}
		}
		// The proxy does not offer these to clients, so the backend must not use them either.
		c.UnsetCapability(mysql.CLIENT_DEPRECATE_EOF)
		c.UnsetCapability(mysql.CLIENT_QUERY_ATTRIBUTES)
		c.UnsetCapability(mysql.CLIENT_COMPRESS)
		c.UnsetCapability(mysql.CLIENT_ZSTD_COMPRESSION_ALGORITHM)
		if col, err := charset.GetCollationByID(int(l.collation)); err == nil && l.collation != 0 {
			if err := c.SetCollation(col.Name); err != nil {
				return err
			}
		}
		attrs := make(map[string]string, len(l.attrs)+1)
		for k, v := range l.attrs {
			attrs[k] = v
		}
		attrs["_proxy"] = "psbench"
		c.SetAttributes(attrs)
		return nil
	}}
	dialer := func(ctx context.Context, network, address string) (net.Conn, error) {
		d := net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
		return d.DialContext(ctx, network, address)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		c   *client.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := client.ConnectWithDialer(ctx, "tcp", addr, l.user, l.password, l.db, dialer, opts...)
		done <- result{c, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("connect backend %s as %s: %w", addr, l.user, r.err)
		}
		return r.c, nil
	case <-ctx.Done():
		go func() {
			if r := <-done; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, fmt.Errorf("connect backend %s as %s: %w", addr, l.user, ctx.Err())
	}
}
