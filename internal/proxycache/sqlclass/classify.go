package sqlclass

import (
	"math"
	"strings"
	"sync"
	"unsafe"

	"github.com/maypok86/otter/v2"
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"

	// The parser needs a driver for value expressions (literals).
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"
)

// DefaultMemoMaxBytes is the memo bound NewClassifier uses when given 0.
const DefaultMemoMaxBytes = 32 << 20

// memoEntryFraction bounds one memoised entry to a fraction of the memo, so
// that a few huge statements (bulk INSERTs) cannot flush it. Larger texts
// are classified on every call.
const memoEntryFraction = 64

// Classifier classifies statement texts with the TiDB SQL parser and
// memoises the results by (current database, text). It is safe for
// concurrent use. The zero value works, without a memo.
type Classifier struct {
	memo     *otter.Cache[memoKey, *Classification]
	maxEntry uint64
	parsers  sync.Pool
}

// memoKey identifies a classification: the same text can name different
// tables under different current databases.
type memoKey struct {
	db  string
	sql string
}

// NewClassifier returns a Classifier whose memo holds about memoMaxBytes of
// keys and results (0 means DefaultMemoMaxBytes; negative disables the
// memo).
func NewClassifier(memoMaxBytes int64) *Classifier {
	c := &Classifier{}
	if memoMaxBytes < 0 {
		return c
	}
	if memoMaxBytes == 0 {
		memoMaxBytes = DefaultMemoMaxBytes
	}
	c.maxEntry = max(uint64(memoMaxBytes)/memoEntryFraction, 1)
	// The options are valid by construction: Must cannot panic here.
	c.memo = otter.Must(&otter.Options[memoKey, *Classification]{
		MaximumWeight: uint64(memoMaxBytes),
		Weigher:       weigh,
	})
	return c
}

// Close stops the memo's background maintenance. It is optional: an
// unreachable Classifier releases it too. Classify still works afterwards.
func (c *Classifier) Close() {
	if c.memo != nil {
		c.memo.StopAllGoroutines()
	}
}

// Classify classifies one COM_QUERY text under the session's current
// database ("" when none). The result is shared with other callers and must
// not be modified. A repeated (currentDB, sql) pair is answered from the
// memo without parsing.
func (c *Classifier) Classify(sql, currentDB string) *Classification {
	if c.memo != nil {
		if cl, ok := c.memo.GetIfPresent(memoKey{db: currentDB, sql: sql}); ok {
			return cl
		}
	}
	// The result keeps substrings of the text it was parsed from: parse a
	// private copy, so that neither the memo nor the result pins or aliases
	// the caller's buffer.
	key := memoKey{db: strings.Clone(currentDB), sql: strings.Clone(sql)}
	cl := classify(key.sql, key.db, &c.parsers)
	cl.ReadKeys, cl.WriteKeys = refKeys(cl.Reads), refKeys(cl.Writes)
	if c.memo != nil && uint64(weigh(key, cl)) <= c.maxEntry {
		c.memo.Set(key, cl)
	}
	return cl
}

// refKeys returns the "schema.name" keys of refs (nil for none), computed
// once per memoised classification so the proxy's hot path need not.
func refKeys(refs []TableRef) []string {
	if len(refs) == 0 {
		return nil
	}
	keys := make([]string, len(refs))
	for i, r := range refs {
		keys[i] = r.String()
	}
	return keys
}

// repanic makes classify re-raise panics of this package's own analysis
// instead of absorbing them; tests set it so that such a panic fails them.
// Panics inside the parser are always absorbed (see parse).
var repanic bool

// classify parses sql and classifies it.
func classify(sql, currentDB string, parsers *sync.Pool) (cl *Classification) {
	normalized, digest := normalizeDigest(sql)
	p, _ := parsers.Get().(*parser.Parser)
	if p == nil {
		p = parser.New()
	}
	stmts, res := parse(p, sql)
	switch res {
	case parseRejected:
		parsers.Put(p)
		return unparsedClassification(normalized, digest)
	case parsePanicked:
		// Drop the parser: its state is unknown.
		return unparsedClassification(normalized, digest)
	}
	defer func() {
		if v := recover(); v != nil {
			if repanic {
				panic(v)
			}
			// A bug in the analysis: fall back to the lexer's verdict.
			cl = unparsedClassification(normalized, digest)
		}
	}()
	// The statements live in the parser's buffers: finish with them before
	// the parser goes back to the pool.
	cl = combine(stmts, currentDB)
	parsers.Put(p)
	cl.Digest, cl.Normalized = digest, normalized
	return cl
}

// parseResult tells how parse ended.
type parseResult int

const (
	parseOK       parseResult = iota
	parseRejected             // a syntax error
	parsePanicked             // the parser panicked
)

// parse runs the parser with default settings (no sql_mode). The parser
// panics on some input it lexes, for instance numeric literals longer than
// 81 digits, which its test_driver cannot represent; that counts as
// unparsed.
func parse(p *parser.Parser, sql string) (stmts []ast.StmtNode, res parseResult) {
	defer func() {
		if recover() != nil {
			stmts, res = nil, parsePanicked
		}
	}()
	stmts, _, err := p.Parse(sql, "", "")
	if err != nil {
		return nil, parseRejected
	}
	return stmts, parseOK
}

// normalizeDigest returns the parser's normalised text and hex digest. If
// the normaliser panics, the normalised text is empty (so unparsed text is
// taken for a possible write) and the digest is that of the raw text.
func normalizeDigest(sql string) (normalized, digest string) {
	defer func() {
		if recover() != nil {
			normalized, digest = "", parser.DigestNormalized(sql).String()
		}
	}()
	n, d := parser.NormalizeDigest(sql)
	return n, d.String()
}

// combine merges the classifications of the statements of one text.
func combine(stmts []ast.StmtNode, currentDB string) *Classification {
	cl := &Classification{Statements: len(stmts)}
	if len(stmts) == 0 {
		// Empty or comment-only text: the server answers with an error.
		cl.Kind, cl.Reason = KindOther, ReasonNotSelect
		return cl
	}
	var reads, writes, created, dropped refList
	db := currentDB
	wrote := false
	for i, stmt := range stmts {
		r := analyze(stmt, db)
		if i == 0 {
			cl.Kind, cl.Reason = r.kind, r.reason
		}
		if !wrote && isWriteKind(r.kind) {
			cl.Kind, wrote = r.kind, true
		}
		reads.addAll(r.reads)
		writes.addAll(r.writes)
		created.addAll(r.session.CreatesTemporary)
		dropped.addAll(r.session.DropsTables)
		cl.InvalidatesAll = cl.InvalidatesAll || r.invalidatesAll
		cl.Session.SetsSystemVariables = cl.Session.SetsSystemVariables || r.session.SetsSystemVariables
		if r.session.UseDB != "" {
			// Later statements resolve names in the new database.
			cl.Session.UseDB, db = r.session.UseDB, r.session.UseDB
		}
	}
	cl.Reads, cl.Writes = reads.slice(), writes.slice()
	cl.Session.CreatesTemporary, cl.Session.DropsTables = created.slice(), dropped.slice()
	if len(stmts) > 1 {
		cl.Reason = ReasonMultiStatement
	}
	cl.Cacheable = cl.Kind == KindSelect && cl.Reason == ReasonNone
	return cl
}

// isWriteKind reports whether statements of kind k may change table data.
func isWriteKind(k Kind) bool {
	switch k {
	case KindInsert, KindReplace, KindUpdate, KindDelete, KindLoad, KindDDL, KindCall:
		return true
	}
	return false
}

// Approximate memory costs for weigh: an otter node with its key, a
// Classification, and one TableRef.
const (
	memoNodeBytes     = 96
	classificationSz  = int(unsafe.Sizeof(Classification{}))
	tableRefBytes     = int(unsafe.Sizeof(TableRef{}))
	memoFixedOverhead = memoNodeBytes + classificationSz
)

// weigh approximates the bytes a memo entry keeps alive. Table names are
// usually substrings of the key's text and are not counted twice.
func weigh(k memoKey, cl *Classification) uint32 {
	n := memoFixedOverhead + len(k.db) + len(k.sql) + len(cl.Digest) + len(cl.Normalized)
	n += tableRefBytes * (len(cl.Reads) + len(cl.Writes) +
		len(cl.Session.CreatesTemporary) + len(cl.Session.DropsTables))
	n += len(cl.Session.UseDB)
	if n > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(n)
}
