package sqlclass

import (
	"reflect"
	"strings"
	"testing"
)

// fuzzSeeds covers every statement family the classifier distinguishes.
var fuzzSeeds = []string{
	"SELECT 1",
	"SELECT `id_module` FROM `ps_module` WHERE `name` = \"ps_shoppingcart\"",
	"SELECT SQL_NO_CACHE `id_guest` FROM `ps_guest` WHERE `id_customer` = 0",
	"SELECT SQL_CALC_FOUND_ROWS a FROM t LIMIT 10",
	"SELECT a FROM t WHERE d > NOW() FOR UPDATE",
	"SELECT @a, @@sql_mode FROM information_schema.tables",
	"SELECT a FROM t UNION (SELECT b FROM u) ORDER BY 1 LIMIT 2",
	"WITH RECURSIVE c AS (SELECT 1 n UNION ALL SELECT n + 1 FROM c WHERE n < 5) SELECT * FROM c JOIN t",
	"SELECT * FROM (SELECT a FROM t) d WHERE EXISTS (SELECT 1 FROM u WHERE u.a = d.a)",
	"SELECT a FROM t INTO OUTFILE '/tmp/x'",
	"TABLE t",
	"VALUES ROW(1, 2)",
	"EXPLAIN SELECT 1 FROM `ps_specific_price` WHERE id_product = 1",
	"EXPLAIN ANALYZE DELETE FROM t",
	"INSERT INTO `ps_connections` (`id_guest`) VALUES (1) ON DUPLICATE KEY UPDATE `id_guest` = 2",
	"INSERT INTO t SELECT * FROM u",
	"REPLACE INTO t VALUES (1)",
	"UPDATE a JOIN b ON a.id = b.id SET a.x = 1, y = 2",
	"DELETE a, b FROM ps_x a JOIN ps_y b ON a.id = b.id",
	"DELETE FROM t WHERE id IN (SELECT id FROM u)",
	"LOAD DATA INFILE '/x' INTO TABLE t",
	"CREATE TEMPORARY TABLE tmp LIKE t",
	"CREATE TABLE t2 AS SELECT * FROM t",
	"DROP TEMPORARY TABLE IF EXISTS tmp",
	"ALTER TABLE t RENAME TO u",
	"RENAME TABLE a TO b, c TO d",
	"TRUNCATE ps_log",
	"DROP DATABASE shop",
	"CALL p(1)",
	"SET NAMES utf8mb4",
	"SET sql_mode = (SELECT REPLACE(@@sql_mode, 'ONLY_FULL_GROUP_BY', ''))",
	"SET @a = 1",
	"USE shop2; DELETE FROM t; SELECT 1",
	"BEGIN; COMMIT; ROLLBACK",
	"LOCK TABLES t READ; UNLOCK TABLES",
	"SHOW TABLES",
	"DELETE FROM t RETURNING id",
	"SELECT * FROM t FOR SYSTEM_TIME ALL",
	"(SELECT 1",
	"/*!40101 SET NAMES utf8 */; /* c */ SELECT 1 -- x\n",
	"",
	";;",
	"'",
	"`",
	"SELECT `a;b` FROM `c``d`",
}

func FuzzClassify(f *testing.F) {
	for i, s := range fuzzSeeds {
		db := []string{"shop", "", "Information_Schema"}[i%3]
		f.Add(s, db)
	}
	memo := NewClassifier(1 << 20)
	fresh := NewClassifier(-1)
	f.Fuzz(func(t *testing.T, sql, db string) {
		got := fresh.Classify(sql, db)
		if again := fresh.Classify(sql, db); !reflect.DeepEqual(got, again) {
			t.Fatalf("%q: not deterministic:\n%+v\n%+v", sql, got, again)
		}
		m1 := memo.Classify(sql, db)
		m2 := memo.Classify(sql, db)
		if !reflect.DeepEqual(m1, got) || !reflect.DeepEqual(m2, got) {
			t.Fatalf("%q: memo differs:\n%+v\n%+v\n%+v", sql, got, m1, m2)
		}
		checkInvariants(t, sql, got)
	})
}

// checkInvariants asserts what must hold for any classification.
func checkInvariants(t *testing.T, sql string, cl *Classification) {
	t.Helper()
	if cl.Cacheable && (cl.Kind != KindSelect || cl.Reason != ReasonNone || cl.Statements != 1) {
		t.Fatalf("%q: cacheable with kind %q, reason %q, %d statements", sql, cl.Kind, cl.Reason, cl.Statements)
	}
	if !cl.Cacheable && cl.Reason == ReasonNone {
		t.Fatalf("%q: not cacheable and no reason", sql)
	}
	if (cl.Kind == KindUnparsed) != (cl.Reason == ReasonUnparsed) {
		t.Fatalf("%q: kind %q with reason %q", sql, cl.Kind, cl.Reason)
	}
	if cl.Kind == KindUnparsed && cl.Statements != 0 {
		t.Fatalf("%q: unparsed with %d statements", sql, cl.Statements)
	}
	if cl.Statements > 1 && cl.Reason != ReasonMultiStatement {
		t.Fatalf("%q: %d statements, reason %q", sql, cl.Statements, cl.Reason)
	}
	if len(cl.Digest) != 64 {
		t.Fatalf("%q: digest %q", sql, cl.Digest)
	}
	for _, list := range [][]TableRef{cl.Reads, cl.Writes, cl.Session.CreatesTemporary, cl.Session.DropsTables} {
		seen := make(map[TableRef]bool)
		for _, r := range list {
			if seen[r] {
				t.Fatalf("%q: duplicate table %v in %v", sql, r, list)
			}
			seen[r] = true
			if r.Schema != strings.ToLower(r.Schema) || r.Name != strings.ToLower(r.Name) {
				t.Fatalf("%q: table %v is not lower-case", sql, r)
			}
		}
	}
	if cl.Kind == KindSelect && cl.Statements == 1 && len(cl.Writes) > 0 {
		t.Fatalf("%q: a SELECT writes %v", sql, cl.Writes)
	}
}

// TestSeedInvariants runs the invariants over the seed corpus and every
// test's statements without the fuzzer.
func TestSeedInvariants(t *testing.T) {
	c := newTestClassifier(t)
	for _, s := range fuzzSeeds {
		for _, db := range []string{"shop", ""} {
			checkInvariants(t, s, c.Classify(s, db))
		}
	}
}
