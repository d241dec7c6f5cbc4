package proxycache

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"time"
	"unsafe"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/psbench/psbench/internal/proxycache/cachestore"
	"github.com/psbench/psbench/internal/proxycache/sqlclass"
	"github.com/psbench/psbench/internal/proxycache/stats"
)

// query handles COM_QUERY: classify, serve from the cache when allowed,
// otherwise relay (filling the cache on a miss), then invalidate what the
// statement wrote and apply its effect on the session.
func (s *session) query(ctx context.Context, payload []byte, start time.Time) error {
	// The text aliases the packet buffer: the classifier copies it before
	// memoising, and nothing below keeps it past this call.
	sql := unsafe.String(unsafe.SliceData(payload[1:]), len(payload)-1)
	class := s.p.classifier.Classify(sql, s.db)

	reason := s.bypassReason(class)
	if reason != sqlclass.ReasonNone {
		res, btime, err := s.roundTrip(payload, shapeResults, 0, false)
		if err != nil {
			return err
		}
		s.afterWrite(ctx, class, sql, res)
		return s.emit(mysql.COM_QUERY, class, stats.OutcomeBypass, reason, false, 1, btime, start, res)
	}

	key := s.cacheKey(sql)
	// The lookup is timed by two monotonic-only reads, as offsets from the
	// command's start (cheaper than two time.Now calls).
	getFrom := time.Since(start)
	cached, fill, err := s.p.store.Get(ctx, key, class.ReadKeys)
	s.cost.cacheTime += time.Since(start) - getFrom
	s.cost.cacheCalls++
	if err != nil && !errors.Is(err, cachestore.ErrUnavailable) {
		s.log.Warn("cache lookup failed; passing through", "err", err)
	}
	if err != nil && !fill.Ready {
		// No tier can answer or take the result: pass through.
		res, btime, err := s.roundTrip(payload, shapeResults, 0, false)
		if err != nil {
			return err
		}
		s.afterResponse(res)
		return s.emit(mysql.COM_QUERY, class, stats.OutcomeBypass, sqlclass.ReasonCacheUnavailable, false, 1, btime, start, res)
	}
	// With err set and fill.Ready, a lower tier is down but the in-process
	// tier still answers: a miss that fills it.
	if cached != nil {
		// Answering from the cache must not hide a backend session that
		// died (KILL, restart, wait_timeout): the client would otherwise
		// learn of it only at its next uncached statement.
		if err := s.backendAlive(); err != nil {
			return err
		}
		if _, err := s.cw.Write(cached); err != nil {
			return &relayError{err: err}
		}
		return s.emit(mysql.COM_QUERY, class, stats.OutcomeHit, sqlclass.ReasonNone, false, 0, 0, start, relayResult{bytes: len(cached)})
	}

	// Miss: relay while keeping a copy, then store it if it is a clean,
	// single, warning-free result set.
	res, btime, err := s.roundTrip(payload, shapeResults, int(s.p.cfg.Cache.MaxResultBytes), false)
	if err != nil {
		return err
	}
	s.afterResponse(res)
	notStored := storeVerdict(res)
	stored := false
	if notStored == sqlclass.ReasonNone && fill.Ready {
		ttl := s.p.ttlFor(class.Reads)
		// Timed from the end of the response to emit's clock read (cmdCost).
		s.cost.cacheOpen = s.lastBackendDone
		s.cost.cacheCalls++
		if perr := s.p.store.Put(ctx, fill, res.captured, ttl); perr != nil {
			notStored = sqlclass.ReasonCacheUnavailable
			if !errors.Is(perr, cachestore.ErrUnavailable) {
				s.log.Warn("cache store failed", "err", perr)
			}
		} else {
			stored = true
		}
	} else if notStored == sqlclass.ReasonNone {
		notStored = sqlclass.ReasonCacheUnavailable
	}
	return s.emit(mysql.COM_QUERY, class, stats.OutcomeMiss, notStored, stored, 1, btime, start, res)
}

// storeVerdict says why a relayed miss must not be stored ("" when it may).
func storeVerdict(res relayResult) sqlclass.Reason {
	switch {
	case res.err:
		return sqlclass.ReasonError
	case res.tooLarge:
		return sqlclass.ReasonTooLarge
	case res.warnings != 0:
		return sqlclass.ReasonWarnings
	case res.resultSets != 1 || res.oks != 0 || res.status&serverMoreResultsExists != 0:
		return sqlclass.ReasonMultiStatement
	case res.captured == nil:
		return sqlclass.ReasonTooLarge
	}
	return sqlclass.ReasonNone
}

// bypassReason decides whether a COM_QUERY may use the cache at all.
func (s *session) bypassReason(class *sqlclass.Classification) sqlclass.Reason {
	if s.p.store == nil {
		return sqlclass.ReasonCacheOff
	}
	if !class.Cacheable {
		if class.Reason == sqlclass.ReasonNone {
			return sqlclass.ReasonNotSelect
		}
		return class.Reason
	}
	if s.inTransaction() {
		return sqlclass.ReasonTransaction
	}
	for _, t := range class.Reads {
		if len(s.tempTables) > 0 {
			if _, ok := s.tempTables[t.String()]; ok {
				return sqlclass.ReasonTemporaryTable
			}
		}
		if s.p.blacklist.Match(t) {
			return sqlclass.ReasonBlacklisted
		}
	}
	return sqlclass.ReasonNone
}

// afterWrite runs after a statement that went to the backend: status
// tracking, invalidation of written tables and session effects.
func (s *session) afterWrite(ctx context.Context, class *sqlclass.Classification, sql string, res relayResult) {
	s.afterResponse(res)
	if class == nil {
		return
	}
	// Writes invalidate whether or not the backend reported success: a
	// failed multi-row write to a non-transactional table may still have
	// changed rows, and a needless invalidation costs only a refill.
	if s.p.store != nil && (len(class.Writes) > 0 || class.InvalidatesAll) {
		tables := class.WriteKeys
		if s.status&serverStatusInTrans != 0 {
			for _, t := range tables {
				s.txWrites[t] = struct{}{}
			}
			s.txWriteAll = s.txWriteAll || class.InvalidatesAll
		}
		s.invalidate(tables, class.InvalidatesAll)
	}
	if res.err && class.Statements <= 1 {
		return
	}
	eff := &class.Session
	if eff.UseDB != "" {
		s.db = eff.UseDB
	}
	if eff.SetsSystemVariables {
		s.foldFingerprint(sql)
	}
	for _, t := range eff.CreatesTemporary {
		s.tempTables[t.String()] = struct{}{}
	}
	for _, t := range eff.DropsTables {
		delete(s.tempTables, t.String())
	}
}

// execute handles COM_STMT_EXECUTE: passed through (binary protocol results
// are not cached) but its writes invalidate like any other.
func (s *session) execute(ctx context.Context, payload []byte, start time.Time) error {
	var ps preparedStmt
	cursor := false
	if len(payload) >= 6 {
		ps = s.stmts[binary.LittleEndian.Uint32(payload[1:])]
		cursor = payload[5]&0x07 != 0
	}
	class := ps.class
	res, btime, err := s.roundTrip(payload, shapeResults, 0, cursor)
	if err != nil {
		return err
	}
	s.afterWrite(ctx, class, ps.sql, res)
	return s.emit(mysql.COM_STMT_EXECUTE, class, stats.OutcomeBypass, sqlclass.ReasonPrepared, false, 1, btime, start, res)
}

// cacheKey hashes everything a result depends on besides the data: the
// backend user, current database, handshake collation, session fingerprint,
// protocol format and the exact statement text. The inputs are laid out in
// a reused buffer (user and database NUL-terminated, so no two splits of the
// same bytes collide) and hashed in one call, without allocating.
func (s *session) cacheKey(sql string) cachestore.Key {
	b := binary.LittleEndian.AppendUint32(s.keyBuf[:0], s.caps&formatCaps)
	b = append(b, s.collation)
	b = append(b, s.fingerprint[:]...)
	b = append(append(b, s.backendUser...), 0)
	b = append(append(b, s.db...), 0)
	b = append(b, sql...)
	s.keyBuf = b
	return sha256.Sum256(b)
}

// foldFingerprint mixes a successful SET statement's exact text into the
// session fingerprint. Two sessions share cache entries only if they ran
// the same SETs in the same order (on the same server defaults).
func (s *session) foldFingerprint(sql string) {
	b := append(append(s.keyBuf[:0], s.fingerprint[:]...), sql...)
	s.keyBuf = b
	s.fingerprint = sha256.Sum256(b)
}
