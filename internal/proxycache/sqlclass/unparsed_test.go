package sqlclass

import (
	"strings"
	"testing"
)

func TestClassifyUnparsed(t *testing.T) {
	c := newTestClassifier(t)
	cases := []struct {
		name           string
		sql            string
		invalidatesAll bool
	}{
		// MariaDB-only syntax the TiDB parser rejects.
		{"MariaDB DELETE RETURNING", "DELETE FROM ps_cart WHERE id_cart = 1 RETURNING id_cart", true},
		{"MariaDB INSERT RETURNING", "INSERT INTO t (a) VALUES (1) RETURNING id", true},
		{"MariaDB CREATE OR REPLACE TABLE", "CREATE OR REPLACE TABLE t (a INT)", true},
		{"MariaDB system versioning", "SELECT * FROM t FOR SYSTEM_TIME ALL", false},
		{"MariaDB LIMIT ROWS EXAMINED", "SELECT a FROM t LIMIT ROWS EXAMINED 1000", false},
		{"MariaDB compound statement", "BEGIN NOT ATOMIC SELECT 1; END", true},
		// MySQL syntax the TiDB parser rejects.
		{"SELECT INTO variable", "SELECT a INTO @v FROM t", false},
		{"SELECT INTO DUMPFILE", "SELECT a FROM t INTO DUMPFILE '/tmp/x'", false},
		{"JSON_TABLE", "SELECT * FROM JSON_TABLE('[1]', '$[*]' COLUMNS (a INT PATH '$')) jt", false},
		{"SOUNDS LIKE", "SELECT a FROM t WHERE a SOUNDS LIKE 'x'", false},
		{"LOCK TABLES with alias", "LOCK TABLES t AS x WRITE", true},
		{"REPAIR TABLE", "REPAIR TABLE t", true},
		{"CHECK TABLE", "CHECK TABLE t", true},
		{"CREATE TRIGGER", "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1", true},
		{"XA", "XA START 'x'", true},
		{"HANDLER", "HANDLER t OPEN", true},
		// The parser panics on numeric literals of more than 81 digits.
		{"huge literal in a SELECT", "SELECT " + strings.Repeat("1", 90) + " FROM t", false},
		{"huge literal in an INSERT", "INSERT INTO t VALUES (0." + strings.Repeat("5", 90) + ")", true},
		// Garbage and the read-only lead keywords.
		{"garbage", "this is not sql", true},
		{"unterminated string", "SELECT 'abc", false},
		{"unlexable", "'abc", true},
		{"bad SHOW", "SHOW TABLES FROM FROM", false},
		{"bad EXPLAIN", "EXPLAIN EXPLAIN SELECT 1", false},
		{"bad DESCRIBE", "DESCRIBE DESCRIBE", false},
		{"bad DESC", "DESC DESC", false},
		{"bad SET", "SET = 1", false},
		{"bad DO", "DO FROM", false},
		{"bad HELP", "HELP HELP HELP", false},
		{"bad USE", "USE a b c", false},
		{"parenthesised SELECT", "(SELECT a FROM t FOR SYSTEM_TIME ALL)", false},
		{"nested parentheses", "((SELECT a FROM t LIMIT ROWS EXAMINED 5))", false},
		{"parenthesis before something else", "(DELETE FROM t)", true},
		{"comment before the keyword", "/* note */ SELECT a FROM t FOR SYSTEM_TIME ALL", false},
		{"executable comment", "/*!50000 DELETE FROM t */ RETURNING x", true},
		{"keyword case", "sElEcT a FROM t FOR SYSTEM_TIME ALL", false},
		{"WITH may precede a write", "WITH c AS (SELECT 1) SELECT * FROM c FOR SYSTEM_TIME ALL", true},
		// Every statement of unparsed multi-statement text counts.
		{"read then write", "SELECT a FROM t FOR SYSTEM_TIME ALL; DELETE FROM t", true},
		{"read then read", "SELECT a FROM t FOR SYSTEM_TIME ALL; SHOW TABLES", false},
		{"semicolon in a string", "SELECT 'a;DELETE' FROM t FOR SYSTEM_TIME ALL", false},
		{"semicolon in a comment", "SELECT a FROM t FOR SYSTEM_TIME ALL /* ; DELETE */", false},
		{"semicolon in an identifier", "SELECT `a;DELETE` FROM t FOR SYSTEM_TIME ALL", true}, // over-splits: safe side
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cl := c.Classify(tc.sql, testDB)
			want := Classification{Kind: KindUnparsed, Reason: ReasonUnparsed, InvalidatesAll: tc.invalidatesAll}
			assertClassification(t, tc.sql, cl, want)
		})
	}
}

func TestUnparsedMayWrite(t *testing.T) {
	cases := map[string]bool{
		"":                       true,
		" ; ; ":                  true,
		"select ?":               false,
		"( ( select ? ) )":       false,
		"( show tables )":        true,
		"desc `t`":               false,
		"describe `t`":           false,
		"explain select ?":       false,
		"set @a = ? ; use `x`":   false,
		"set @a = ? ; drop `x`":  true,
		"selectx ?":              true,
		"`select` ?":             true,
		"help ?":                 false,
		"do ?":                   false,
		"select(?)":              false,
		"update `t` set `a` = ?": true,
	}
	for normalized, want := range cases {
		if got := unparsedMayWrite(normalized); got != want {
			t.Errorf("unparsedMayWrite(%q) = %v, want %v", normalized, got, want)
		}
	}
}
