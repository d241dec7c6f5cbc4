package proxycache

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
)

// maxPhysicalPayload is the largest payload one physical MySQL packet can
// carry; a logical packet of that size or more continues in the next one.
const maxPhysicalPayload = 1<<24 - 1

// ioBufferSize is the size of each side's read and write buffer.
const ioBufferSize = 64 << 10

// errPacketTooLarge is returned when a client's logical packet exceeds the
// configured limit.
var errPacketTooLarge = errors.New("packet larger than max_packet_bytes")

// packetReader reads MySQL packets from a buffered stream. The payload it
// returns stays valid until the next read.
type packetReader struct {
	br  *bufio.Reader
	hdr [4]byte
	buf []byte
}

func newPacketReader(r io.Reader) *packetReader {
	return &packetReader{br: bufio.NewReaderSize(r, ioBufferSize), buf: make([]byte, 0, 4096)}
}

// readPhysical reads one physical packet: its sequence number and payload.
func (r *packetReader) readPhysical() (seq byte, payload []byte, err error) {
	if _, err := io.ReadFull(r.br, r.hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(uint32(r.hdr[0]) | uint32(r.hdr[1])<<8 | uint32(r.hdr[2])<<16)
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.br, r.buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return r.hdr[3], r.buf, nil
}

// readLogical reads a whole logical packet, joining continuation packets,
// refusing to grow beyond limit bytes. It returns the sequence number of the
// last physical packet.
func (r *packetReader) readLogical(limit int) (seq byte, payload []byte, err error) {
	seq, p, err := r.readPhysical()
	if err != nil || len(p) < maxPhysicalPayload {
		return seq, p, err
	}
	out := make([]byte, 0, 2*maxPhysicalPayload)
	out = append(out, p...)
	for len(p) == maxPhysicalPayload {
		if seq, p, err = r.readPhysical(); err != nil {
			return 0, nil, err
		}
		if len(out)+len(p) > limit {
			return 0, nil, errPacketTooLarge
		}
		out = append(out, p...)
	}
	r.shrink()
	return seq, out, nil
}

// shrink drops an oversized read buffer so one huge packet does not pin
// its memory for the rest of the connection.
func (r *packetReader) shrink() {
	if cap(r.buf) > 1<<20 {
		r.buf = make([]byte, 0, 4096)
	}
}

// writePacket frames payload as one logical packet starting at sequence
// number seq, splitting it as the protocol requires, and returns the next
// sequence number. It does not flush.
func writePacket(w *bufio.Writer, seq byte, payload []byte) (byte, error) {
	for {
		n := len(payload)
		if n > maxPhysicalPayload {
			n = maxPhysicalPayload
		}
		hdr := [4]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}
		if _, err := w.Write(hdr[:]); err != nil {
			return seq, err
		}
		if _, err := w.Write(payload[:n]); err != nil {
			return seq, err
		}
		seq++
		payload = payload[n:]
		if n < maxPhysicalPayload {
			return seq, nil
		}
	}
}

// Packet header bytes.
const (
	hdrOK          = 0x00
	hdrEOF         = 0xfe
	hdrErr         = 0xff
	hdrLocalInfile = 0xfb
)

// lenencInt decodes a length-encoded integer at the start of b, returning
// the value and the number of bytes used (0 when b is too short or holds a
// NULL/undefined marker).
func lenencInt(b []byte) (uint64, int) {
	if len(b) == 0 {
		return 0, 0
	}
	switch c := b[0]; {
	case c < 0xfb:
		return uint64(c), 1
	case c == 0xfc:
		if len(b) < 3 {
			return 0, 0
		}
		return uint64(binary.LittleEndian.Uint16(b[1:])), 3
	case c == 0xfd:
		if len(b) < 4 {
			return 0, 0
		}
		return uint64(b[1]) | uint64(b[2])<<8 | uint64(b[3])<<16, 4
	case c == 0xfe:
		if len(b) < 9 {
			return 0, 0
		}
		return binary.LittleEndian.Uint64(b[1:]), 9
	default:
		return 0, 0
	}
}

// okInfo is what the proxy needs from an OK packet or EOF packet.
type okInfo struct {
	status   uint16
	warnings uint16
}

// parseOK decodes status flags and warnings from an OK packet (also the
// 0xfe-headed OK that ends a result set under CLIENT_DEPRECATE_EOF).
func parseOK(p []byte) (okInfo, bool) {
	if len(p) < 1 {
		return okInfo{}, false
	}
	pos := 1
	_, n := lenencInt(p[pos:]) // affected rows
	if n == 0 {
		return okInfo{}, false
	}
	pos += n
	_, n = lenencInt(p[pos:]) // last insert id
	if n == 0 {
		return okInfo{}, false
	}
	pos += n
	if len(p) < pos+4 {
		return okInfo{}, false
	}
	return okInfo{
		status:   binary.LittleEndian.Uint16(p[pos:]),
		warnings: binary.LittleEndian.Uint16(p[pos+2:]),
	}, true
}

// parseEOF decodes a classic EOF packet (0xfe, warnings, status).
func parseEOF(p []byte) (okInfo, bool) {
	if len(p) < 5 {
		return okInfo{}, false
	}
	return okInfo{
		warnings: binary.LittleEndian.Uint16(p[1:]),
		status:   binary.LittleEndian.Uint16(p[3:]),
	}, true
}

// isEOFPacket reports whether p terminates a list of rows or column
// definitions: a 0xfe header in a packet too short to be a row. Under
// CLIENT_DEPRECATE_EOF the terminator is an OK packet with a 0xfe header,
// which only a row of 16 MiB or more could be mistaken for.
func isEOFPacket(p []byte, deprecateEOF bool) bool {
	if len(p) == 0 || p[0] != hdrEOF {
		return false
	}
	if deprecateEOF {
		return len(p) < maxPhysicalPayload
	}
	return len(p) < 9
}

// errPacket builds a MySQL error packet payload.
func errPacket(code uint16, state, msg string) []byte {
	if len(state) != 5 {
		state = "HY000"
	}
	p := make([]byte, 0, 9+len(msg))
	p = append(p, hdrErr, byte(code), byte(code>>8), '#')
	p = append(p, state...)
	return append(p, msg...)
}

// parseErr decodes an error packet's code (and message, for logs).
func parseErr(p []byte) (code uint16, msg string) {
	if len(p) < 3 {
		return 0, ""
	}
	code = binary.LittleEndian.Uint16(p[1:])
	rest := p[3:]
	if len(rest) >= 6 && rest[0] == '#' {
		rest = rest[6:]
	}
	return code, string(rest)
}

// Error numbers the proxy itself sends.
const (
	erUnknownCom      = 1047 // ER_UNKNOWN_COM_ERROR
	erNotSupportedYet = 1235 // ER_NOT_SUPPORTED_YET
	erNetPacketLarge  = 1153 // ER_NET_PACKET_TOO_LARGE
	erConCount        = 1040 // ER_CON_COUNT_ERROR
	crServerLost      = 2013 // CR_SERVER_LOST
	crConnHostError   = 2003 // CR_CONN_HOST_ERROR
)
