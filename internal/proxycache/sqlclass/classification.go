// Package sqlclass classifies MySQL statements for the caching proxy with
// the TiDB SQL parser: kind, cacheability and why not, tables read and
// written, session effects and statement digests. It also matches tables
// against never-cache lists.
package sqlclass

// Kind is the broad class of a statement, as decided by the SQL parser.
type Kind string

// Statement kinds. They are used as metric label values and in JSON.
const (
	KindSelect   Kind = "select"   // SELECT, UNION, parenthesised SELECT, TABLE, VALUES
	KindInsert   Kind = "insert"   // INSERT, INSERT ... SELECT
	KindReplace  Kind = "replace"  // REPLACE
	KindUpdate   Kind = "update"   // UPDATE, multi-table UPDATE
	KindDelete   Kind = "delete"   // DELETE, multi-table DELETE
	KindLoad     Kind = "load"     // LOAD DATA
	KindDDL      Kind = "ddl"      // CREATE/ALTER/DROP/TRUNCATE/RENAME ...
	KindSet      Kind = "set"      // SET (system or user variables), SET NAMES, SET CHARSET
	KindUse      Kind = "use"      // USE db
	KindBegin    Kind = "begin"    // BEGIN, START TRANSACTION
	KindCommit   Kind = "commit"   // COMMIT
	KindRollback Kind = "rollback" // ROLLBACK (also ROLLBACK TO SAVEPOINT)
	KindShow     Kind = "show"     // SHOW ...
	KindExplain  Kind = "explain"  // EXPLAIN, DESCRIBE
	KindCall     Kind = "call"     // CALL procedure
	KindLock     Kind = "lock"     // LOCK TABLES, UNLOCK TABLES, FLUSH TABLES WITH READ LOCK
	KindOther    Kind = "other"    // anything else the parser understood
	KindUnparsed Kind = "unparsed" // the parser could not handle the text
)

// Reason says why a statement was not served from (or stored in) the cache.
// Reasons are metric label values and JSON keys; keep them stable.
type Reason string

// Bypass and store-skip reasons.
const (
	ReasonNone             Reason = ""
	ReasonNotSelect        Reason = "not_select"        // writes, SET, SHOW, EXPLAIN, DDL, ...
	ReasonTransaction      Reason = "transaction"       // inside an explicit transaction or autocommit off
	ReasonLockingRead      Reason = "locking_read"      // FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE
	ReasonNoCache          Reason = "sql_no_cache"      // SELECT SQL_NO_CACHE
	ReasonNondeterministic Reason = "nondeterministic"  // NOW(), RAND(), UUID(), user-defined functions, ...
	ReasonVariables        Reason = "variables"         // @user or @@system variables
	ReasonSelectInto       Reason = "select_into"       // SELECT ... INTO
	ReasonBlacklisted      Reason = "blacklisted"       // names a never-cache table
	ReasonSystemSchema     Reason = "system_schema"     // information_schema, performance_schema, mysql, sys
	ReasonTemporaryTable   Reason = "temporary_table"   // names a temporary table of this session
	ReasonMultiStatement   Reason = "multi_statement"   // several statements in one COM_QUERY
	ReasonPrepared         Reason = "prepared"          // binary protocol (COM_STMT_*): passed through
	ReasonUnparsed         Reason = "unparsed"          // the parser could not handle it
	ReasonTooLarge         Reason = "too_large"         // result larger than max_result_bytes (not stored)
	ReasonWarnings         Reason = "warnings"          // result carried warnings (not stored)
	ReasonCacheUnavailable Reason = "cache_unavailable" // the cache tier failed or is recovering
	ReasonCacheOff         Reason = "cache_off"         // the proxy runs with cache mode off
	ReasonError            Reason = "error"             // the backend answered with an error (not stored)
)

// TableRef names a table a statement reads or writes. Schema is the explicit
// schema, or the session's current database when the statement did not name
// one (empty when there is none). Both are lower-cased.
type TableRef struct {
	Schema string
	Name   string
}

// String returns "schema.name", or "name" when the schema is unknown.
func (t TableRef) String() string {
	if t.Schema == "" {
		return t.Name
	}
	return t.Schema + "." + t.Name
}

// SessionEffect describes how a statement changes the session state that
// cache keys depend on. It is applied only after the backend reports success.
type SessionEffect struct {
	// UseDB is the database selected by a USE statement ("" when none).
	UseDB string
	// SetsSystemVariables is true when the statement assigns a session or
	// system variable (SET sql_mode, SET NAMES, SET CHARACTER SET, ...).
	// The proxy folds the statement text into the session fingerprint.
	SetsSystemVariables bool
	// CreatesTemporary and DropsTables list temporary tables created, and
	// tables dropped (which may be temporary), by the statement.
	CreatesTemporary []TableRef
	DropsTables      []TableRef
}

// Classification is what the parser tells the proxy about one COM_QUERY text.
// It is computed once per (current database, statement text) and memoised;
// it must be treated as read-only.
type Classification struct {
	Kind Kind
	// Statements is the number of statements in the text (more than one for
	// multi-statement COM_QUERY packets).
	Statements int
	// Cacheable is true when the statement may be served from the cache as
	// far as its text is concerned. Session conditions (transactions,
	// temporary tables) and the blacklist are checked separately.
	Cacheable bool
	// Reason explains why Cacheable is false.
	Reason Reason
	// Reads and Writes are the tables the statement reads and writes,
	// deduplicated, in order of first appearance. A write to a table counts
	// also as a read when the statement reads it (INSERT ... SELECT).
	Reads  []TableRef
	Writes []TableRef
	// ReadKeys and WriteKeys are Reads and Writes as "schema.name" strings
	// (TableRef.String), the cache's table version keys.
	ReadKeys  []string
	WriteKeys []string
	// InvalidatesAll is true when the statement may change data the proxy
	// cannot attribute to tables (CALL, unparsed non-SELECT text, a write
	// with an unresolved target); the proxy then invalidates every entry.
	InvalidatesAll bool
	// Session carries the statement's effect on cache-key session state.
	Session SessionEffect
	// Digest is the parser's statement digest (hex) and Normalized its
	// normalised text, for per-shape statistics.
	Digest     string
	Normalized string
}
