package proxycache

import (
	"encoding/binary"
	"fmt"
	"io"
)

// responseShape says how the backend frames its response to a command, so
// the relay knows where the response ends without buffering it.
type responseShape uint8

const (
	shapeNone      responseShape = iota // no response (COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA)
	shapeSingle                         // one packet: OK, ERR, EOF or a string (COM_PING, COM_STATISTICS, ...)
	shapeResults                        // result sets / OK / ERR, repeated while MORE_RESULTS (COM_QUERY, COM_STMT_EXECUTE)
	shapeFieldList                      // column definitions until EOF, or ERR (COM_FIELD_LIST)
	shapePrepare                        // prepare-OK, parameter and column definitions, or ERR (COM_STMT_PREPARE)
	shapeRows                           // rows until EOF, or ERR (COM_STMT_FETCH)
)

// relayResult is what the relay learned while passing a response through.
type relayResult struct {
	status     uint16 // server status flags of the last OK/EOF seen
	sawStatus  bool
	warnings   uint16 // warnings of the last OK/EOF seen
	err        bool   // the response ended with an error packet
	errCode    uint16
	errMsg     string
	resultSets int // result sets (column-count headed) seen
	oks        int // OK packets ending a statement
	bytes      int // bytes written to the client
	stmtID     uint32
	// captured holds the raw response (headers included) when capture was
	// requested and the response fit in the limit; tooLarge says it did not.
	captured []byte
	tooLarge bool
}

// relayError is a failure of the backend side (read) or the client side
// (write) during a relay. Either ends the session.
type relayError struct {
	backend bool
	err     error
}

func (e *relayError) Error() string {
	side := "client"
	if e.backend {
		side = "backend"
	}
	return fmt.Sprintf("relay %s: %v", side, e.err)
}

func (e *relayError) Unwrap() error { return e.err }

// relay copies one response from the backend to the client packet by packet,
// raw, never holding more than one physical packet in memory. When
// captureLimit > 0 it also keeps a copy of the response up to that many
// bytes. cursor says a COM_STMT_EXECUTE asked for a cursor.
func (s *session) relay(shape responseShape, captureLimit int, cursor bool) (relayResult, error) {
	var res relayResult
	if shape == shapeNone {
		return res, nil
	}
	capture := captureLimit > 0
	if capture {
		s.capBuf = s.capBuf[:0]
	}
	deprecate := s.deprecateEOF

	state := stFirst
	var remaining uint64 // definitions left in stCols / stParams
	var prepCols uint64  // prepare: column definitions after the parameters
	switch shape {
	case shapeFieldList:
		state = stCols
		remaining = ^uint64(0) // until EOF
	case shapeRows:
		state = stRows
	}
	continuation := false // the previous physical packet was full: this one continues it

	for state != stDone {
		_, p, err := s.br.readPhysical()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return res, &relayError{backend: true, err: err}
		}
		if werr := s.writeRaw(s.br.hdr[:], p, &res, capture, captureLimit); werr != nil {
			return res, &relayError{err: werr}
		}
		s.lastSeq = s.br.hdr[3]
		isCont := continuation
		continuation = len(p) == maxPhysicalPayload
		if isCont {
			continue // only the first physical packet of a logical packet is inspected
		}
		if len(p) == 0 && state != stFirst {
			// Definitions, rows and terminators are never empty.
			return res, &relayError{backend: true, err: fmt.Errorf("empty packet inside a response")}
		}

		switch state {
		case stFirst:
			if shape == shapeSingle {
				if len(p) > 0 && p[0] == hdrErr {
					res.err = true
					res.errCode, res.errMsg = parseErr(p)
				} else if len(p) > 0 && p[0] == hdrOK {
					if ok, good := parseOK(p); good {
						res.status, res.warnings, res.sawStatus = ok.status, ok.warnings, true
					}
				} else if len(p) > 0 && p[0] == hdrEOF && len(p) < 9 {
					if eof, good := parseEOF(p); good {
						res.status, res.warnings, res.sawStatus = eof.status, eof.warnings, true
					}
				}
				if !continuation {
					state = stDone
				}
				continue
			}
			if len(p) == 0 {
				return res, &relayError{backend: true, err: fmt.Errorf("empty response packet")}
			}
			switch p[0] {
			case hdrErr:
				res.err = true
				res.errCode, res.errMsg = parseErr(p)
				state = stDone
			case hdrOK:
				if shape == shapePrepare {
					if len(p) < 12 {
						return res, &relayError{backend: true, err: fmt.Errorf("short prepare-OK packet (%d bytes)", len(p))}
					}
					res.stmtID = binary.LittleEndian.Uint32(p[1:])
					prepCols = uint64(binary.LittleEndian.Uint16(p[5:]))
					remaining = uint64(binary.LittleEndian.Uint16(p[7:]))
					res.warnings = binary.LittleEndian.Uint16(p[10:])
					state = stParams
					if remaining == 0 {
						state, remaining = s.prepareColumns(prepCols)
					}
					continue
				}
				ok, good := parseOK(p)
				if !good {
					return res, &relayError{backend: true, err: fmt.Errorf("malformed OK packet")}
				}
				res.oks++
				res.status, res.warnings, res.sawStatus = ok.status, ok.warnings, true
				if ok.status&serverMoreResultsExists == 0 {
					state = stDone
				}
			case hdrLocalInfile:
				if shape != shapeResults {
					return res, &relayError{backend: true, err: fmt.Errorf("unexpected LOCAL INFILE request")}
				}
				if err := s.relayLocalInfile(); err != nil {
					return res, err
				}
				// The backend now answers with OK or ERR: stay in stFirst.
			default:
				n, used := lenencInt(p)
				if used == 0 || n == 0 {
					return res, &relayError{backend: true, err: fmt.Errorf("malformed column count packet")}
				}
				res.resultSets++
				remaining = n
				state = stCols
			}

		case stParams:
			remaining--
			if remaining == 0 {
				if deprecate {
					state, remaining = s.prepareColumns(prepCols)
				} else {
					state = stParamsEOF
				}
			}
		case stParamsEOF:
			state, remaining = s.prepareColumns(prepCols)

		case stCols:
			if shape == shapeFieldList {
				if p[0] == hdrErr {
					res.err = true
					res.errCode, res.errMsg = parseErr(p)
					state = stDone
				} else if isEOFPacket(p, false) {
					if eof, good := parseEOF(p); good {
						res.status, res.warnings, res.sawStatus = eof.status, eof.warnings, true
					}
					state = stDone
				}
				continue
			}
			remaining--
			if remaining == 0 {
				switch {
				case shape == shapePrepare && deprecate:
					state = stDone
				case shape == shapePrepare:
					state = stColsEOF
				case deprecate:
					state = stRows
				default:
					state = stColsEOF
				}
			}
		case stColsEOF:
			if len(p) == 0 || p[0] != hdrEOF {
				return res, &relayError{backend: true, err: fmt.Errorf("expected EOF after column definitions, got 0x%02x", firstByte(p))}
			}
			if shape == shapePrepare {
				state = stDone
				continue
			}
			eof, _ := parseEOF(p)
			res.status, res.sawStatus = eof.status, true
			if cursor && eof.status&serverStatusCursorExists != 0 {
				state = stDone // rows come later through COM_STMT_FETCH
				continue
			}
			state = stRows
		case stRows:
			if p[0] == hdrErr {
				res.err = true
				res.errCode, res.errMsg = parseErr(p)
				state = stDone
				continue
			}
			if !isEOFPacket(p, deprecate) {
				continue
			}
			var info okInfo
			if deprecate {
				info, _ = parseOK(p)
			} else {
				info, _ = parseEOF(p)
			}
			res.status, res.warnings, res.sawStatus = info.status, info.warnings, true
			if shape == shapeResults && info.status&serverMoreResultsExists != 0 {
				state = stFirst
			} else {
				state = stDone
			}
		}
	}
	if capture && !res.tooLarge {
		res.captured = s.capBuf
	}
	return res, nil
}

// relayState is the response parser's position.
type relayState uint8

const (
	stFirst     relayState = iota // expecting OK / ERR / LOCAL INFILE / column count
	stCols                        // reading column definitions
	stColsEOF                     // expecting the EOF after column definitions
	stRows                        // reading rows
	stParams                      // prepare: parameter definitions
	stParamsEOF                   // prepare: the EOF after parameter definitions
	stDone
)

// prepareColumns moves the prepare parser to the column definitions, or ends
// it when there are none.
func (s *session) prepareColumns(cols uint64) (relayState, uint64) {
	if cols == 0 {
		return stDone, 0
	}
	return stCols, cols
}

// writeRaw writes one physical packet to the client as received and keeps
// a copy when capturing.
func (s *session) writeRaw(hdr, p []byte, res *relayResult, capture bool, limit int) error {
	if _, err := s.cw.Write(hdr); err != nil {
		return err
	}
	if _, err := s.cw.Write(p); err != nil {
		return err
	}
	res.bytes += len(hdr) + len(p)
	if capture && !res.tooLarge {
		if len(s.capBuf)+len(hdr)+len(p) > limit {
			res.tooLarge = true
			s.capBuf = s.capBuf[:0]
		} else {
			s.capBuf = append(s.capBuf, hdr...)
			s.capBuf = append(s.capBuf, p...)
		}
	}
	return nil
}

// relayLocalInfile handles LOAD DATA LOCAL: the backend asked for a file
// (its request is already buffered for the client). The client's file
// packets are copied to the backend until the empty packet that ends them.
func (s *session) relayLocalInfile() error {
	if err := s.cw.Flush(); err != nil {
		return &relayError{err: err}
	}
	for {
		_, p, err := s.cr.readPhysical()
		if err != nil {
			return &relayError{err: err}
		}
		if _, err := s.bw.Write(s.cr.hdr[:]); err != nil {
			return &relayError{backend: true, err: err}
		}
		if _, err := s.bw.Write(p); err != nil {
			return &relayError{backend: true, err: err}
		}
		if len(p) == 0 {
			break
		}
	}
	if err := s.bw.Flush(); err != nil {
		return &relayError{backend: true, err: err}
	}
	return nil
}

func firstByte(p []byte) byte {
	if len(p) == 0 {
		return 0
	}
	return p[0]
}

// Server status flags the proxy reads.
const (
	serverStatusInTrans      = 0x0001
	serverStatusAutocommit   = 0x0002
	serverMoreResultsExists  = 0x0008
	serverStatusCursorExists = 0x0040
)
