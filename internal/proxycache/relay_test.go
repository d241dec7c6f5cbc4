package proxycache

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
)

// stream builds a sequence of physical packets with sequence numbers from 1.
type stream struct {
	buf bytes.Buffer
	seq byte
}

func (s *stream) add(payloads ...[]byte) *stream {
	for _, p := range payloads {
		if s.seq == 0 {
			s.seq = 1
		}
		w := bufio.NewWriter(&s.buf)
		s.seq, _ = writePacket(w, s.seq, p)
		_ = w.Flush()
	}
	return s
}

func okPkt(status, warnings uint16) []byte {
	return []byte{0x00, 0x00, 0x00, byte(status), byte(status >> 8), byte(warnings), byte(warnings >> 8)}
}

func eofPkt(status, warnings uint16) []byte {
	return []byte{0xfe, byte(warnings), byte(warnings >> 8), byte(status), byte(status >> 8)}
}

func colDef(name string) []byte {
	// catalog "def", schema, table, org_table, name, org_name, then fixed fields.
	p := []byte{3, 'd', 'e', 'f', 0, 0, 0, byte(len(name))}
	p = append(p, name...)
	p = append(p, 0, 0x0c, 0x21, 0, 0x0b, 0, 0, 0, 0x03, 0, 0, 0, 0, 0)
	return p
}

func row(vals ...string) []byte {
	var p []byte
	for _, v := range vals {
		if v == "NULL" {
			p = append(p, 0xfb)
			continue
		}
		p = append(p, byte(len(v)))
		p = append(p, v...)
	}
	return p
}

// relaySession returns a session whose backend is the given byte stream
// and whose client output is captured.
func relaySession(backend []byte) (*session, *bytes.Buffer) {
	out := &bytes.Buffer{}
	s := &session{
		br: newPacketReader(bytes.NewReader(backend)),
		cw: bufio.NewWriter(out),
		cr: newPacketReader(bytes.NewReader(nil)),
		bw: bufio.NewWriter(io.Discard),
	}
	return s, out
}

func TestRelayShapes(t *testing.T) {
	const auto = serverStatusAutocommit
	resultSet := func(st *stream, more bool) {
		status := uint16(auto)
		if more {
			status |= serverMoreResultsExists
		}
		st.add([]byte{2}, colDef("a"), colDef("b"), eofPkt(auto, 0), row("1", "x"), row("NULL", ""), eofPkt(status, 0))
	}
	tests := []struct {
		name      string
		shape     responseShape
		build     func(*stream)
		cursor    bool
		want      relayResult
		extraTail bool // bytes after the response must stay unread
	}{
		{name: "ok", shape: shapeResults, build: func(s *stream) { s.add(okPkt(auto, 0)) },
			want: relayResult{status: auto, sawStatus: true, oks: 1}},
		{name: "ok with warnings", shape: shapeResults, build: func(s *stream) { s.add(okPkt(auto, 3)) },
			want: relayResult{status: auto, warnings: 3, sawStatus: true, oks: 1}},
		{name: "error", shape: shapeResults, build: func(s *stream) { s.add(errPacket(1146, "42S02", "Table 'x.y' doesn't exist")) },
			want: relayResult{err: true, errCode: 1146, errMsg: "Table 'x.y' doesn't exist"}},
		{name: "result set", shape: shapeResults, build: func(s *stream) { resultSet(s, false) },
			want: relayResult{status: auto, sawStatus: true, resultSets: 1}},
		{name: "two result sets then ok", shape: shapeResults, build: func(s *stream) {
			resultSet(s, true)
			resultSet(s, true)
			s.add(okPkt(auto, 0))
		}, want: relayResult{status: auto, sawStatus: true, resultSets: 2, oks: 1}},
		{name: "error mid rows", shape: shapeResults, build: func(s *stream) {
			s.add([]byte{1}, colDef("a"), eofPkt(auto, 0), row("1"), errPacket(1317, "70100", "Query execution was interrupted"))
		}, want: relayResult{status: auto, sawStatus: true, resultSets: 1, err: true, errCode: 1317, errMsg: "Query execution was interrupted"}},
		{name: "cursor execute stops after column EOF", shape: shapeResults, cursor: true, build: func(s *stream) {
			s.add([]byte{1}, colDef("a"), eofPkt(auto|serverStatusCursorExists, 0))
		}, want: relayResult{status: auto | serverStatusCursorExists, sawStatus: true, resultSets: 1}},
		{name: "prepare with params and columns", shape: shapePrepare, build: func(s *stream) {
			s.add([]byte{0, 7, 0, 0, 0, 2, 0, 1, 0, 0, 0, 0}, colDef("?"), eofPkt(auto, 0), colDef("a"), colDef("b"), eofPkt(auto, 0))
		}, want: relayResult{stmtID: 7}},
		{name: "prepare without params or columns", shape: shapePrepare, build: func(s *stream) {
			s.add([]byte{0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
		}, want: relayResult{stmtID: 9}},
		{name: "field list", shape: shapeFieldList, build: func(s *stream) { s.add(colDef("a"), colDef("b"), eofPkt(auto, 0)) },
			want: relayResult{status: auto, sawStatus: true}},
		{name: "fetch rows", shape: shapeRows, build: func(s *stream) { s.add(row("1"), row("2"), eofPkt(auto|0x80, 0)) },
			want: relayResult{status: auto | 0x80, sawStatus: true}},
		{name: "statistics string", shape: shapeSingle, build: func(s *stream) { s.add([]byte("Uptime: 5  Threads: 1")) },
			want: relayResult{}},
		{name: "row starting with 0xfe is not EOF", shape: shapeResults, build: func(s *stream) {
			big := make([]byte, 9+300)
			big[0] = 0xfe
			big[1] = 0x2c
			big[2] = 0x01 // length 300 as 8-byte lenenc
			s.add([]byte{1}, colDef("a"), eofPkt(auto, 0), big, eofPkt(auto, 0))
		}, want: relayResult{status: auto, sawStatus: true, resultSets: 1}},
		{name: "stops at end of response", shape: shapeResults, build: func(s *stream) { s.add(okPkt(auto, 0), okPkt(0, 0)) },
			want: relayResult{status: auto, sawStatus: true, oks: 1}, extraTail: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &stream{}
			tc.build(st)
			input := st.buf.Bytes()
			s, out := relaySession(input)
			res, err := s.relay(tc.shape, 0, tc.cursor)
			if err != nil {
				t.Fatalf("relay: %v", err)
			}
			if err := s.cw.Flush(); err != nil {
				t.Fatal(err)
			}
			res.bytes, res.captured = 0, nil
			if !reflect.DeepEqual(res, tc.want) {
				t.Errorf("result = %+v, want %+v", res, tc.want)
			}
			if tc.extraTail {
				if out.Len() >= len(input) {
					t.Errorf("relay read past the end of the response (%d of %d bytes)", out.Len(), len(input))
				}
			} else if !bytes.Equal(out.Bytes(), input) {
				t.Errorf("client got %d bytes, backend sent %d: relay must be byte-exact", out.Len(), len(input))
			}
		})
	}
}

func TestRelayCaptureLimit(t *testing.T) {
	st := &stream{}
	st.add([]byte{1}, colDef("a"), eofPkt(2, 0), row("hello"), eofPkt(2, 0))
	input := st.buf.Bytes()

	s, _ := relaySession(input)
	res, err := s.relay(shapeResults, 1<<20, false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.captured, input) || res.tooLarge {
		t.Fatalf("captured %d bytes (tooLarge=%v), want the whole %d-byte response", len(res.captured), res.tooLarge, len(input))
	}

	s, out := relaySession(input)
	res, err = s.relay(shapeResults, 20, false)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.cw.Flush()
	if !res.tooLarge || res.captured != nil {
		t.Fatalf("over the limit: tooLarge=%v captured=%d bytes, want tooLarge and nothing captured", res.tooLarge, len(res.captured))
	}
	if !bytes.Equal(out.Bytes(), input) {
		t.Fatal("a result over the capture limit must still reach the client whole")
	}
}

func TestRelayLargeRowCrossesPacketBoundary(t *testing.T) {
	// A 17 MiB row is split into two physical packets; the second must not
	// be inspected as a packet of its own, even if it starts with 0xfe.
	val := bytes.Repeat([]byte{0xfe}, 17<<20)
	rowp := append([]byte{0xfd, byte(len(val)), byte(len(val) >> 8), byte(len(val) >> 16)}, val...)
	st := &stream{}
	st.add([]byte{1}, colDef("blob"), eofPkt(2, 0), rowp, eofPkt(2, 0))
	input := st.buf.Bytes()
	s, out := relaySession(input)
	res, err := s.relay(shapeResults, 1<<20, false)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.cw.Flush()
	if !bytes.Equal(out.Bytes(), input) {
		t.Fatalf("client got %d bytes, want %d", out.Len(), len(input))
	}
	if res.resultSets != 1 || !res.tooLarge {
		t.Fatalf("res = %+v, want one result set, too large to capture", res)
	}
}

func TestRelayTruncatedBackend(t *testing.T) {
	st := &stream{}
	st.add([]byte{1}, colDef("a"), eofPkt(2, 0), row("1"))
	s, _ := relaySession(st.buf.Bytes()[:st.buf.Len()-2])
	_, err := s.relay(shapeResults, 0, false)
	var re *relayError
	if !errors.As(err, &re) || !re.backend {
		t.Fatalf("err = %v, want a backend relay error", err)
	}
}

func TestLocalInfileRelay(t *testing.T) {
	st := &stream{}
	st.add([]byte("\xfb/tmp/data.csv"))
	st.seq = 4 // after the client's two file packets and its empty packet
	st.add(okPkt(2, 0))
	client := &stream{seq: 2}
	client.add([]byte("1,a\n2,b\n"), []byte{})
	backendOut := &bytes.Buffer{}
	s, out := relaySession(st.buf.Bytes())
	s.cr = newPacketReader(bytes.NewReader(client.buf.Bytes()))
	s.bw = bufio.NewWriter(backendOut)
	res, err := s.relay(shapeResults, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.cw.Flush()
	if res.oks != 1 || res.err {
		t.Fatalf("res = %+v, want the final OK", res)
	}
	if !bytes.Equal(backendOut.Bytes(), client.buf.Bytes()) {
		t.Fatal("the client's file packets must reach the backend unchanged")
	}
	if !bytes.Equal(out.Bytes(), st.buf.Bytes()) {
		t.Fatal("the backend's request and OK must reach the client unchanged")
	}
}

func TestParseGreeting(t *testing.T) {
	p := []byte{10}
	p = append(p, "5.5.5-10.11.19-MariaDB"...)
	p = append(p, 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0xff, 0xf7, 45, 2, 0, 0xff, 0x81)
	g, err := parseGreeting(p)
	if err != nil {
		t.Fatal(err)
	}
	if g.version != "5.5.5-10.11.19-MariaDB" || g.collation != 45 || g.caps != 0x81fff7ff {
		t.Fatalf("greeting = %+v", g)
	}
	for _, bad := range [][]byte{nil, {9}, {10, 'x'}, errPacket(1129, "HY000", "Host is blocked")} {
		if _, err := parseGreeting(bad); err == nil {
			t.Errorf("parseGreeting(%q) succeeded, want an error", bad)
		}
	}
}

func FuzzRelay(f *testing.F) {
	st := &stream{}
	st.add([]byte{2}, colDef("a"), colDef("b"), eofPkt(2, 0), row("1", "x"), eofPkt(10, 0), okPkt(2, 0))
	f.Add(byte(shapeResults), st.buf.Bytes())
	f.Add(byte(shapePrepare), (&stream{}).add([]byte{0, 7, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0}, colDef("?"), eofPkt(0, 0), colDef("a"), eofPkt(0, 0)).buf.Bytes())
	f.Add(byte(shapeFieldList), (&stream{}).add(colDef("a"), eofPkt(0, 0)).buf.Bytes())
	f.Fuzz(func(t *testing.T, shape byte, data []byte) {
		s, out := relaySession(data)
		res, err := s.relay(responseShape(shape%6), 64, shape&0x80 != 0)
		_ = s.cw.Flush()
		if out.Len() > len(data) {
			t.Fatalf("wrote %d bytes from %d bytes of input", out.Len(), len(data))
		}
		if err == nil && res.captured != nil && len(res.captured) > 64 {
			t.Fatalf("captured %d bytes over a 64-byte limit", len(res.captured))
		}
	})
}
