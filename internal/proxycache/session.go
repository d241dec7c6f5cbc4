package proxycache

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/psbench/psbench/internal/proxycache/sqlclass"
	"github.com/psbench/psbench/internal/proxycache/stats"
)

// session is one client connection and its own backend connection. All of
// its state is owned by the session's goroutine.
type session struct {
	p    *Proxy
	log  *slog.Logger
	info stats.ConnInfo

	client net.Conn
	cr     *packetReader
	cw     *bufio.Writer

	bconn   *client.Conn
	backend net.Conn
	br      *packetReader
	bw      *bufio.Writer

	caps         uint32 // client's capability flags
	deprecateEOF bool
	collation    uint8
	backendUser  string

	// Session state that cache keys depend on.
	db          string
	fingerprint [32]byte // running hash of every SET of a system variable
	status      uint16   // server status flags after the last response

	tempTables map[string]struct{}     // temporary tables of this session ("schema.name")
	txWrites   map[string]struct{}     // tables written in the open transaction
	txWriteAll bool                    // the open transaction did an unattributable write
	stmts      map[uint32]preparedStmt // prepared statements by backend id

	lastSeq byte // sequence number of the last packet written to the client
	capBuf  []byte
	keyBuf  []byte // reused to lay out cache-key and fingerprint inputs
	ev      stats.StatementEvent

	// lastBackendDone is when the backend connection last finished a
	// response (the end of the login before the first command): the
	// backend session has been idle since.
	lastBackendDone time.Time
	cost            cmdCost // the current command's, reset by command
}

// cmdCost is what the current client command cost besides its backend
// round trip; emit reports it in the StatementEvent.
type cmdCost struct {
	cacheTime   time.Duration // time inside cache-store calls so far
	cacheCalls  int           // cache-store calls so far
	backendIdle time.Duration // backend idle time before the command was sent
	// cacheOpen, when set, starts a span of cache time that emit's clock
	// read ends: a fill, from the end of the backend response through
	// Store.Put, which emit follows at once, so the fill costs no clock
	// read of its own.
	cacheOpen time.Time
}

// run serves the session's commands until the client quits, a side fails,
// or ctx is cancelled.
func (s *session) run(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() {
		_ = s.client.SetReadDeadline(time.Unix(1, 0))
	})
	defer stop()
	for {
		_, payload, err := s.cr.readLogical(int(s.p.cfg.MaxPacketBytes))
		if err != nil {
			switch {
			case errors.Is(err, errPacketTooLarge):
				s.log.Warn("client packet too large; closing", "limit", s.p.cfg.MaxPacketBytes.String())
				s.sendErr(0, erNetPacketLarge, "08S01", "Got a packet bigger than 'max_allowed_packet' bytes (psbench proxy max_packet_bytes)")
			case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
			case ctx.Err() != nil:
				s.log.Debug("session closed by shutdown")
			default:
				s.log.Debug("read client command", "err", err)
			}
			return
		}
		if len(payload) == 0 {
			s.sendErr(0, erUnknownCom, "08S01", "psbench proxy: empty command packet")
			if s.cw.Flush() != nil {
				return
			}
			continue
		}
		if err := s.command(ctx, payload); err != nil {
			var re *relayError
			if errors.As(err, &re) && re.backend {
				s.log.Warn("backend connection failed; closing client session", "err", err)
				s.sendErr(s.lastSeq+1, crServerLost, "HY000", "Lost connection to MySQL server during query (psbench proxy: "+re.err.Error()+")")
			} else if !errors.Is(err, errQuit) {
				s.log.Debug("session ended", "err", err)
			}
			return
		}
	}
}

// preparedStmt is a statement prepared on the backend connection.
type preparedStmt struct {
	sql   string
	class *sqlclass.Classification
}

// errQuit ends a session after COM_QUIT.
var errQuit = errors.New("client quit")

// command handles one client command.
func (s *session) command(ctx context.Context, payload []byte) error {
	start := time.Now()
	s.cost = cmdCost{}
	cmd := payload[0]
	switch cmd {
	case mysql.COM_QUERY:
		return s.query(ctx, payload, start)
	case mysql.COM_QUIT:
		return errQuit // run's caller sends the backend its COM_QUIT
	case mysql.COM_INIT_DB:
		res, err := s.forward(cmd, payload, shapeSingle, start, nil)
		if err == nil && !res.err {
			s.db = string(payload[1:])
		}
		return err
	case mysql.COM_PING, mysql.COM_STATISTICS, mysql.COM_REFRESH, mysql.COM_DEBUG,
		mysql.COM_PROCESS_KILL, mysql.COM_SET_OPTION, mysql.COM_STMT_RESET, mysql.COM_SHUTDOWN:
		_, err := s.forward(cmd, payload, shapeSingle, start, nil)
		return err
	case mysql.COM_RESET_CONNECTION:
		res, err := s.forward(cmd, payload, shapeSingle, start, nil)
		if err == nil && !res.err {
			s.resetState()
		}
		return err
	case mysql.COM_FIELD_LIST:
		_, err := s.forward(cmd, payload, shapeFieldList, start, nil)
		return err
	case mysql.COM_PROCESS_INFO:
		_, err := s.forward(cmd, payload, shapeResults, start, nil)
		return err
	case mysql.COM_STMT_PREPARE:
		sql := string(payload[1:])
		class := s.p.classifier.Classify(sql, s.db)
		res, err := s.forward(cmd, payload, shapePrepare, start, class)
		if err == nil && !res.err {
			s.stmts[res.stmtID] = preparedStmt{sql: sql, class: class}
		}
		return err
	case mysql.COM_STMT_EXECUTE:
		return s.execute(ctx, payload, start)
	case mysql.COM_STMT_FETCH:
		_, err := s.forward(cmd, payload, shapeRows, start, nil)
		return err
	case mysql.COM_STMT_CLOSE:
		if len(payload) >= 5 {
			delete(s.stmts, binary.LittleEndian.Uint32(payload[1:]))
		}
		_, err := s.forward(cmd, payload, shapeNone, start, nil)
		return err
	case mysql.COM_STMT_SEND_LONG_DATA:
		_, err := s.forward(cmd, payload, shapeNone, start, nil)
		return err
	case mysql.COM_CHANGE_USER:
		return s.refuse(cmd, start, erNotSupportedYet, "42000",
			"psbench proxy does not support COM_CHANGE_USER; open a new connection as the other user")
	default:
		return s.refuse(cmd, start, erUnknownCom, "08S01", "Unknown command ("+stats.CommandName(cmd)+" is not relayed by psbench proxy)")
	}
}

// forward sends a command to the backend and relays its response without
// consulting the cache.
func (s *session) forward(cmd byte, payload []byte, shape responseShape, start time.Time, class *sqlclass.Classification) (relayResult, error) {
	res, btime, err := s.roundTrip(payload, shape, 0, false)
	if err != nil {
		return res, err
	}
	s.afterResponse(res)
	return res, s.emit(cmd, class, stats.OutcomeBypass, reasonForCommand(class), false, 1, btime, start, res)
}

// roundTrip writes a command to the backend and relays the response to the
// client's buffer; emit sends the rest of it. It charges the command with
// the backend session's idle time before it and records when the response
// ended (lastBackendDone).
func (s *session) roundTrip(payload []byte, shape responseShape, captureLimit int, cursor bool) (relayResult, time.Duration, error) {
	bstart := time.Now()
	if !s.lastBackendDone.IsZero() {
		s.cost.backendIdle += bstart.Sub(s.lastBackendDone)
	}
	if _, err := writePacket(s.bw, 0, payload); err != nil {
		return relayResult{}, 0, &relayError{backend: true, err: err}
	}
	if err := s.bw.Flush(); err != nil {
		return relayResult{}, 0, &relayError{backend: true, err: err}
	}
	s.lastSeq = 0
	res, err := s.relay(shape, captureLimit, cursor)
	btime := time.Since(bstart)
	s.lastBackendDone = bstart.Add(btime) // keeps the monotonic reading
	return res, btime, err
}

// refuse answers a command the proxy does not relay with an error packet.
func (s *session) refuse(cmd byte, start time.Time, code uint16, state, msg string) error {
	if _, err := writePacket(s.cw, 1, errPacket(code, state, msg)); err != nil {
		return &relayError{err: err}
	}
	return s.emit(cmd, nil, stats.OutcomeLocal, sqlclass.ReasonNone, false, 0, 0, start, relayResult{err: true, errCode: code})
}

// sendErr buffers an error packet for the client.
func (s *session) sendErr(seq byte, code uint16, state, msg string) {
	if _, err := writePacket(s.cw, seq, errPacket(code, state, msg)); err == nil {
		_ = s.cw.Flush()
	}
}

// afterResponse tracks transaction state from the status flags and applies
// the second invalidation of a transaction's writes when it ends.
func (s *session) afterResponse(res relayResult) {
	if !res.sawStatus {
		return
	}
	wasIn := s.status&serverStatusInTrans != 0
	s.status = res.status
	if wasIn && s.status&serverStatusInTrans == 0 && (len(s.txWrites) > 0 || s.txWriteAll) {
		tables := make([]string, 0, len(s.txWrites))
		for t := range s.txWrites {
			tables = append(tables, t)
		}
		s.invalidate(tables, s.txWriteAll)
		clear(s.txWrites)
		s.txWriteAll = false
	}
}

// invalidate invalidates tables (or everything) in the cache on behalf of
// the current command, which the store call's time is charged to.
func (s *session) invalidate(tables []string, all bool) {
	if took, called := s.p.invalidate(tables, all); called {
		s.cost.cacheTime += took
		s.cost.cacheCalls++
	}
}

// inTransaction reports whether reads must bypass the cache because a
// transaction is open or autocommit is off.
func (s *session) inTransaction() bool {
	return s.status&serverStatusInTrans != 0 || s.status&serverStatusAutocommit == 0
}

// resetState forgets session state after COM_RESET_CONNECTION.
func (s *session) resetState() {
	s.fingerprint = [32]byte{}
	clear(s.tempTables)
	clear(s.txWrites)
	s.txWriteAll = false
	clear(s.stmts)
}

// emit reports one command to the hooks, then sends the client the rest of
// its response: a client never sees a response its statement is not yet
// counted for, so capture windows closed right after a page are exact.
func (s *session) emit(cmd byte, class *sqlclass.Classification, outcome stats.Outcome, reason sqlclass.Reason,
	stored bool, backendCmds int, btime time.Duration, start time.Time, res relayResult) error {
	now := time.Now()
	if !s.cost.cacheOpen.IsZero() {
		s.cost.cacheTime += now.Sub(s.cost.cacheOpen)
	}
	ev := &s.ev
	*ev = stats.StatementEvent{
		At:              now,
		ConnID:          s.info.ID,
		Command:         cmd,
		Class:           class,
		Outcome:         outcome,
		Reason:          reason,
		Stored:          stored,
		BackendCommands: backendCmds,
		BackendTime:     btime,
		BackendIdle:     s.cost.backendIdle,
		CacheTime:       s.cost.cacheTime,
		CacheCalls:      s.cost.cacheCalls,
		Latency:         now.Sub(start),
		ResponseBytes:   res.bytes,
		Err:             res.err,
		ErrCode:         res.errCode,
	}
	s.p.statement(ev)
	if err := s.cw.Flush(); err != nil {
		return &relayError{err: err}
	}
	return nil
}

// reasonForCommand is the bypass reason of a command sent straight through.
func reasonForCommand(class *sqlclass.Classification) sqlclass.Reason {
	if class == nil {
		return sqlclass.ReasonNotSelect
	}
	return sqlclass.ReasonPrepared
}

// quitBackend ends the backend session politely, whether or not the client
// sent COM_QUIT, so the backend counts exactly one COM_QUIT per session.
func (s *session) quitBackend() {
	_ = s.backend.SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := writePacket(s.bw, 0, []byte{mysql.COM_QUIT}); err == nil {
		_ = s.bw.Flush()
	}
}
