package sqlclass

import (
	"strings"
	"sync"
	"testing"
	"unsafe"
)

func TestClassifySelectReasons(t *testing.T) {
	c := newTestClassifier(t)
	cases := []struct {
		sql  string
		want Classification
	}{
		// cacheable shapes
		{"SELECT 1", selectOK()},
		{"SELECT 1 FROM DUAL", selectOK()},
		{"select a from t where b = 'x' order by a limit 10", selectOK("t")},
		{"SELECT a FROM t UNION SELECT b FROM u", selectOK("t", "u")},
		{"SELECT a FROM t UNION ALL SELECT b FROM u EXCEPT SELECT c FROM v", selectOK("t", "u", "v")},
		{"SELECT a FROM t INTERSECT SELECT a FROM u", selectOK("t", "u")},
		{"(SELECT a FROM t)", selectOK("t")},
		{"((SELECT a FROM t) UNION (SELECT a FROM u)) ORDER BY a", selectOK("t", "u")},
		{"TABLE ps_cart", selectOK("ps_cart")},
		{"VALUES ROW(1, 2)", selectOK()},
		{"WITH c AS (SELECT a FROM t) SELECT * FROM c", selectOK("t")},
		{"SELECT SQL_CACHE a FROM t", selectOK("t")},
		{"SELECT DATABASE(), SCHEMA()", selectOK()},
		{"SELECT UNIX_TIMESTAMP('2024-01-01')", selectOK()},
		{"SELECT HIGH_PRIORITY STRAIGHT_JOIN SQL_BUFFER_RESULT a FROM t", selectOK("t")},
		{"SELECT COUNT(*), GROUP_CONCAT(DISTINCT a ORDER BY a SEPARATOR ','), ROW_NUMBER() OVER (ORDER BY a) FROM t GROUP BY a", selectOK("t")},
		{"SELECT CAST(a AS CHAR), CONVERT(a USING utf8mb4), a COLLATE utf8mb4_bin, BINARY a FROM t", selectOK("t")},
		{"SELECT DATE '2024-01-01', TIMESTAMP '2024-01-01 00:00:00', INTERVAL 1 DAY + d FROM t", selectOK("t")},
		{"SELECT a->'$.x', a->>'$.y', 1 MEMBER OF (a) FROM t", selectOK("t")},
		{"SELECT MATCH(a) AGAINST ('x' IN BOOLEAN MODE) FROM t WHERE a REGEXP '^x' AND b LIKE 'y%'", selectOK("t")},

		// locking reads
		{"SELECT a FROM t FOR UPDATE", selectNot(ReasonLockingRead, "t")},
		{"SELECT a FROM t FOR SHARE", selectNot(ReasonLockingRead, "t")},
		{"SELECT a FROM t LOCK IN SHARE MODE", selectNot(ReasonLockingRead, "t")},
		{"SELECT a FROM t FOR UPDATE NOWAIT", selectNot(ReasonLockingRead, "t")},
		{"SELECT a FROM t FOR SHARE SKIP LOCKED", selectNot(ReasonLockingRead, "t")},
		{"SELECT a FROM t x FOR UPDATE OF x", selectNot(ReasonLockingRead, "t")},
		{"SELECT a FROM t WHERE a IN (SELECT a FROM u FOR UPDATE)", selectNot(ReasonLockingRead, "t", "u")},

		// SQL_NO_CACHE, SQL_CALC_FOUND_ROWS
		{"SELECT SQL_NO_CACHE a FROM t", selectNot(ReasonNoCache, "t")},
		{"SELECT SQL_CALC_FOUND_ROWS a FROM t LIMIT 10", selectNot(ReasonNondeterministic, "t")},

		// non-deterministic functions, anywhere
		{"SELECT NOW()", selectNot(ReasonNondeterministic)},
		{"SELECT a FROM t WHERE d > NOW() - INTERVAL 1 DAY", selectNot(ReasonNondeterministic, "t")},
		{"SELECT a FROM t WHERE a IN (SELECT a FROM u WHERE d < CURDATE())", selectNot(ReasonNondeterministic, "t", "u")},
		{"SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.r = RAND())", selectNot(ReasonNondeterministic, "t", "u")},
		{"SELECT (SELECT MAX(d) FROM u WHERE d < UTC_TIMESTAMP()) FROM t", selectNot(ReasonNondeterministic, "u", "t")},
		{"SELECT * FROM (SELECT UUID() AS id FROM u) d", selectNot(ReasonNondeterministic, "u")},
		{"WITH c AS (SELECT CONNECTION_ID() AS id) SELECT * FROM c", selectNot(ReasonNondeterministic)},
		{"SELECT a FROM t UNION SELECT LAST_INSERT_ID()", selectNot(ReasonNondeterministic, "t")},
		{"SELECT a FROM t ORDER BY RAND() LIMIT 1", selectNot(ReasonNondeterministic, "t")},
		{"SELECT a FROM t GROUP BY a HAVING MAX(d) < SYSDATE()", selectNot(ReasonNondeterministic, "t")},
		{"SELECT UNIX_TIMESTAMP()", selectNot(ReasonNondeterministic)},
		{"SELECT CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIME, LOCALTIME, LOCALTIMESTAMP", selectNot(ReasonNondeterministic)},
		{"SELECT CURRENT_USER", selectNot(ReasonNondeterministic)},
		{"SELECT NEXT VALUE FOR s", selectNot(ReasonNondeterministic, "s")},
		{"SELECT my_function(a) FROM t", selectNot(ReasonNondeterministic, "t")},
		{"SELECT shop.price_with_tax(a) FROM t", selectNot(ReasonNondeterministic, "t")},
		{"SELECT ROUND(a, 2) FROM t WHERE b = my_udf()", selectNot(ReasonNondeterministic, "t")},

		// variables
		{"SELECT @x", selectNot(ReasonVariables)},
		{"SELECT a FROM t WHERE b = @@sql_mode", selectNot(ReasonVariables, "t")},
		{"SELECT @@session.time_zone", selectNot(ReasonVariables)},
		{"SELECT @rownum := @rownum + 1 FROM t", selectNot(ReasonVariables, "t")},
		{"SELECT a FROM t WHERE b IN (SELECT b FROM u WHERE c = @id)", selectNot(ReasonVariables, "t", "u")},

		// SELECT ... INTO
		{"SELECT a FROM t INTO OUTFILE '/tmp/x'", selectNot(ReasonSelectInto, "t")},
		{"SELECT a FROM t UNION SELECT b FROM u INTO OUTFILE '/tmp/x'", selectNot(ReasonSelectInto, "t", "u")},

		// system schemas, explicit or current
		{"SELECT * FROM information_schema.tables", selectNot(ReasonSystemSchema, "information_schema.tables")},
		{"SELECT * FROM INFORMATION_SCHEMA.TABLES", selectNot(ReasonSystemSchema, "information_schema.tables")},
		{"SELECT * FROM performance_schema.threads", selectNot(ReasonSystemSchema, "performance_schema.threads")},
		{"SELECT user FROM mysql.user", selectNot(ReasonSystemSchema, "mysql.user")},
		{"SELECT * FROM sys.version", selectNot(ReasonSystemSchema, "sys.version")},
		{"SELECT a FROM t WHERE a IN (SELECT table_name FROM information_schema.tables)", selectNot(ReasonSystemSchema, "t", "information_schema.tables")},

		// precedence when several reasons apply
		{"SELECT SQL_NO_CACHE NOW() FROM t FOR UPDATE", selectNot(ReasonLockingRead, "t")},
		{"SELECT SQL_NO_CACHE NOW(), @x FROM t", selectNot(ReasonNoCache, "t")},
		{"SELECT NOW(), @x FROM information_schema.tables", selectNot(ReasonNondeterministic, "information_schema.tables")},
		{"SELECT @x FROM mysql.user", selectNot(ReasonVariables, "mysql.user")},
	}
	for _, tc := range cases {
		assertClassification(t, tc.sql, c.Classify(tc.sql, testDB), tc.want)
	}
}

func TestClassifySystemSchemaAsCurrentDB(t *testing.T) {
	c := newTestClassifier(t)
	const sql = "SELECT table_name FROM tables"
	assertClassification(t, sql, c.Classify(sql, "INFORMATION_SCHEMA"),
		Classification{Kind: KindSelect, Reason: ReasonSystemSchema,
			Reads: []TableRef{{Schema: "information_schema", Name: "tables"}}})
	assertClassification(t, sql, c.Classify(sql, "shop"), selectOK("tables"))
}

func TestNondeterministicFunctionsAreNeverCached(t *testing.T) {
	c := newTestClassifier(t)
	for name := range nondeterministicFuncs {
		if _, ok := deterministicFuncs[name]; ok {
			t.Errorf("%s is listed both as deterministic and not", name)
		}
		args := "()"
		switch name {
		case "nextval", "lastval":
			args = "(s)"
		case "setval":
			args = "(s, 1)"
		}
		sql := "SELECT " + name + args + " FROM t"
		cl := c.Classify(sql, testDB)
		if cl.Kind == KindUnparsed {
			// Some (MASTER_POS_WAIT ...) need arguments to parse; the
			// unparsed text is not cacheable either.
			sql = "SELECT " + name + "('a', 1) FROM t"
			cl = c.Classify(sql, testDB)
		}
		if cl.Cacheable || cl.Reason != ReasonNondeterministic {
			t.Errorf("%q: cacheable=%v reason=%q, want nondeterministic", sql, cl.Cacheable, cl.Reason)
		}
	}
}

func TestDeterministicFunctionsAreCached(t *testing.T) {
	c := newTestClassifier(t)
	for _, call := range []string{
		"IF(a, 1, 2)", "IFNULL(a, 0)", "COALESCE(a, b)", "CONCAT(a, '-', b)",
		"LOWER(a)", "SUBSTRING(a, 1, 3)", "TRIM(LEADING 'x' FROM a)", "ROUND(a, 2)",
		"DATE_FORMAT(d, '%Y')", "DATE_ADD(d, INTERVAL 1 DAY)", "DATEDIFF(d, '2024-01-01')",
		"FIND_IN_SET('a', b)", "GREATEST(a, b)", "MD5(a)", "JSON_EXTRACT(a, '$.x')",
		"CHAR(65)", "INSERT(a, 1, 1, 'b')", "POSITION('a' IN b)", "EXTRACT(YEAR FROM d)",
		"FROM_UNIXTIME(a)", "LPAD(a, 5, '0')", "FORMAT(a, 2)", "CRC32(a)",
	} {
		sql := "SELECT " + call + " FROM t"
		assertClassification(t, sql, c.Classify(sql, testDB), selectOK("t"))
	}
}

func TestClassifyNotSelectKinds(t *testing.T) {
	c := newTestClassifier(t)
	cases := []struct {
		sql  string
		want Classification
	}{
		{"SET NAMES utf8mb4", Classification{Kind: KindSet, Reason: ReasonNotSelect, Session: SessionEffect{SetsSystemVariables: true}}},
		{"SET @a = 1", notSelect(KindSet)},
		{"USE shop2", Classification{Kind: KindUse, Reason: ReasonNotSelect, Session: SessionEffect{UseDB: "shop2"}}},
		{"BEGIN", notSelect(KindBegin)},
		{"START TRANSACTION", notSelect(KindBegin)},
		{"START TRANSACTION READ ONLY", notSelect(KindBegin)},
		{"COMMIT", notSelect(KindCommit)},
		{"ROLLBACK", notSelect(KindRollback)},
		{"ROLLBACK TO SAVEPOINT s1", notSelect(KindRollback)},
		{"SAVEPOINT s1", notSelect(KindOther)},
		{"RELEASE SAVEPOINT s1", notSelect(KindOther)},
		{"SHOW TABLES", notSelect(KindShow)},
		{"SHOW VARIABLES LIKE 'sql_mode'", notSelect(KindShow)},
		{"SHOW COLUMNS FROM ps_cart", Classification{Kind: KindShow, Reason: ReasonNotSelect, Reads: refs("ps_cart")}},
		{"EXPLAIN SELECT a FROM t", Classification{Kind: KindExplain, Reason: ReasonNotSelect, Reads: refs("t")}},
		{"DESCRIBE ps_cart", Classification{Kind: KindExplain, Reason: ReasonNotSelect, Reads: refs("ps_cart")}},
		{"DESC SELECT 1", notSelect(KindExplain)},
		{"EXPLAIN FORMAT=JSON DELETE FROM t", notSelect(KindExplain)},
		{"EXPLAIN ANALYZE SELECT a FROM t", Classification{Kind: KindExplain, Reason: ReasonNotSelect, Reads: refs("t")}},
		{"EXPLAIN ANALYZE DELETE FROM t", Classification{Kind: KindExplain, Reason: ReasonNotSelect, Writes: refs("t")}},
		{"LOCK TABLES t READ, u WRITE", Classification{Kind: KindLock, Reason: ReasonNotSelect, Reads: refs("t", "u")}},
		{"UNLOCK TABLES", notSelect(KindLock)},
		{"FLUSH TABLES WITH READ LOCK", notSelect(KindLock)},
		{"FLUSH PRIVILEGES", notSelect(KindOther)},
		{"DO 1", notSelect(KindOther)},
		{"DO (SELECT COUNT(*) FROM t)", Classification{Kind: KindOther, Reason: ReasonNotSelect, Reads: refs("t")}},
		{"HELP 'select'", notSelect(KindOther)},
		{"PREPARE s FROM 'DELETE FROM t'", notSelect(KindOther)},
		{"DEALLOCATE PREPARE s", notSelect(KindOther)},
		{"KILL QUERY 7", notSelect(KindOther)},
		{"ANALYZE TABLE t", Classification{Kind: KindOther, Reason: ReasonNotSelect, Reads: refs("t")}},
		{"GRANT SELECT ON shop.* TO 'u'@'%'", notSelect(KindOther)},
		{"CREATE USER 'u'@'%' IDENTIFIED BY 'p'", notSelect(KindOther)},
		{"SET PASSWORD = 'x'", notSelect(KindOther)},
		{"CREATE DATABASE shop2", notSelect(KindDDL)},
		{"CREATE PROCEDURE p() BEGIN DELETE FROM t; END", notSelect(KindDDL)},
		{"DROP PROCEDURE p", notSelect(KindDDL)},
		// Statements that may write what they do not name.
		{"EXECUTE s", Classification{Kind: KindOther, Reason: ReasonNotSelect, InvalidatesAll: true}},
		{"CALL p(1)", Classification{Kind: KindCall, Reason: ReasonNotSelect, InvalidatesAll: true}},
		{"CALL p((SELECT MAX(a) FROM t))", Classification{Kind: KindCall, Reason: ReasonNotSelect, InvalidatesAll: true, Reads: refs("t")}},
		{"DROP DATABASE shop", Classification{Kind: KindDDL, Reason: ReasonNotSelect, InvalidatesAll: true}},
		{"CREATE SEQUENCE s", Classification{Kind: KindDDL, Reason: ReasonNotSelect, InvalidatesAll: true}},
	}
	for _, tc := range cases {
		assertClassification(t, tc.sql, c.Classify(tc.sql, testDB), tc.want)
	}
}

func TestClassifyMultiStatement(t *testing.T) {
	c := newTestClassifier(t)
	cases := []struct {
		sql  string
		want Classification
	}{
		{"SELECT 1; SELECT a FROM t", Classification{Kind: KindSelect, Statements: 2, Reason: ReasonMultiStatement, Reads: refs("t")}},
		{"SELECT a FROM t; DELETE FROM u WHERE a = 1; UPDATE v SET a = 2",
			Classification{Kind: KindDelete, Statements: 3, Reason: ReasonMultiStatement, Reads: refs("t"), Writes: refs("u", "v")}},
		{"SET NAMES utf8mb4; SET @a = 1; SELECT @a",
			Classification{Kind: KindSet, Statements: 3, Reason: ReasonMultiStatement, Session: SessionEffect{SetsSystemVariables: true}}},
		{"USE other; INSERT INTO ps_log (a) VALUES (1); USE third; SELECT a FROM t",
			Classification{Kind: KindInsert, Statements: 4, Reason: ReasonMultiStatement,
				Writes: refs("other.ps_log"), Reads: refs("third.t"), Session: SessionEffect{UseDB: "third"}}},
		{"CREATE TEMPORARY TABLE tmp (a INT); DROP TABLE t; CALL p()",
			Classification{Kind: KindDDL, Statements: 3, Reason: ReasonMultiStatement, InvalidatesAll: true,
				Writes: refs("tmp", "t"), Session: SessionEffect{CreatesTemporary: refs("tmp"), DropsTables: refs("t")}}},
		{"SELECT 1;", selectOK()},
		{"BEGIN; UPDATE t SET a = 1; COMMIT",
			Classification{Kind: KindUpdate, Statements: 3, Reason: ReasonMultiStatement, Writes: refs("t")}},
	}
	for _, tc := range cases {
		assertClassification(t, tc.sql, c.Classify(tc.sql, testDB), tc.want)
	}
}

func TestClassifyEmptyText(t *testing.T) {
	c := newTestClassifier(t)
	for _, sql := range []string{"", "   ", "/* nothing */", ";"} {
		cl := c.Classify(sql, testDB)
		if cl.Kind != KindOther || cl.Statements != 0 || cl.Cacheable || cl.Reason != ReasonNotSelect || cl.InvalidatesAll {
			t.Errorf("%q: %+v", sql, cl)
		}
	}
}

func TestClassifyNoCurrentDatabase(t *testing.T) {
	c := newTestClassifier(t)
	const sel = "SELECT a FROM t JOIN other.u"
	assertClassification(t, sel, c.Classify(sel, ""), Classification{Kind: KindSelect, Cacheable: true,
		Reads: []TableRef{{Name: "t"}, {Schema: "other", Name: "u"}}})
	// A write whose table cannot be attributed to a schema invalidates all.
	const del = "DELETE FROM t"
	assertClassification(t, del, c.Classify(del, ""), Classification{Kind: KindDelete, Reason: ReasonNotSelect,
		Writes: []TableRef{{Name: "t"}}, InvalidatesAll: true})
	const qualified = "DELETE FROM shop.t"
	assertClassification(t, qualified, c.Classify(qualified, ""), write(KindDelete, refs("t")))
}

func TestClassifyDigest(t *testing.T) {
	c := newTestClassifier(t)
	a := c.Classify("SELECT a FROM t WHERE id = 1", testDB)
	b := c.Classify("select a\n  from t\n where id = 42", testDB)
	d := c.Classify("SELECT a FROM t WHERE id = 1 AND b = 2", testDB)
	if a.Digest != b.Digest || a.Normalized != b.Normalized {
		t.Errorf("same shape, different digests: %q %q / %q %q", a.Digest, a.Normalized, b.Digest, b.Normalized)
	}
	if a.Digest == d.Digest {
		t.Errorf("different shapes, same digest %q", a.Digest)
	}
	if a.Normalized != "select `a` from `t` where `id` = ?" {
		t.Errorf("normalized %q", a.Normalized)
	}
}

func TestClassifyMemo(t *testing.T) {
	c := newTestClassifier(t)
	const sql = "SELECT a FROM t WHERE id = 1"
	first := c.Classify(sql, "shop")
	if again := c.Classify(sql, "shop"); again != first {
		t.Error("repeated text was not served from the memo")
	}
	// The key includes the current database.
	other := c.Classify(sql, "other")
	if other == first || other.Reads[0].Schema != "other" {
		t.Errorf("memo ignored the current database: %+v", other.Reads)
	}
	// The memo keeps its own copy of the text: a caller passing a string
	// that aliases a reused packet buffer cannot corrupt it.
	buf := []byte("SELECT b FROM ps_cart")
	cl := c.Classify(unsafe.String(&buf[0], len(buf)), "shop")
	copy(buf, "SELECT b FROM ps_xxxx")
	if got := c.Classify("SELECT b FROM ps_cart", "shop"); got != cl || got.Reads[0].Name != "ps_cart" {
		t.Errorf("memo entry changed: %+v", got.Reads)
	}
}

func TestClassifierZeroValue(t *testing.T) {
	var c Classifier
	assertClassification(t, "SELECT a FROM t", c.Classify("SELECT a FROM t", "shop"), selectOK("t"))
	c.Close()
}

func TestClassifyMemoDisabledAndBounded(t *testing.T) {
	off := NewClassifier(-1)
	defer off.Close()
	a, b := off.Classify("SELECT 1", ""), off.Classify("SELECT 1", "")
	if a == b {
		t.Error("memo disabled, yet the same result was returned twice")
	}
	if !a.Cacheable || !b.Cacheable {
		t.Error("memo-less classification differs")
	}

	// A text larger than a 64th of the memo is not memoised.
	small := NewClassifier(64 << 10)
	defer small.Close()
	big := "SELECT a FROM t WHERE id IN (" + strings.Repeat("1,", 2000) + "1)"
	if small.Classify(big, "") == small.Classify(big, "") {
		t.Error("oversized text was memoised")
	}
	const short = "SELECT a FROM t WHERE id = 1"
	if small.Classify(short, "") != small.Classify(short, "") {
		t.Error("small text was not memoised")
	}
}

func TestClassifyConcurrent(t *testing.T) {
	c := newTestClassifier(t)
	texts := []string{
		"SELECT a FROM t WHERE id = 1",
		"SELECT NOW()",
		"UPDATE t SET a = 1",
		"SELECT * FROM t1 JOIN t2 ON t1.id = t2.id WHERE t2.x IN (SELECT x FROM t3)",
		"not sql at all",
	}
	want := make([]Classification, len(texts))
	for i, s := range texts {
		want[i] = *NewClassifier(-1).Classify(s, testDB)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				k := (g + i) % len(texts)
				sql := texts[k]
				if i%3 == 0 {
					sql += " /* " + strings.Repeat("x", i%7) + " */" // fresh text: parse again
				}
				got := c.Classify(sql, testDB)
				if got.Kind != want[k].Kind || got.Cacheable != want[k].Cacheable || got.Digest != want[k].Digest {
					t.Errorf("%q: got %+v", sql, got)
					return
				}
			}
		})
	}
	wg.Wait()
}
