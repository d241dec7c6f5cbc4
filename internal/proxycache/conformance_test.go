package proxycache_test

// Conformance: the proxy must be invisible. The same statements run
// directly against MariaDB and through the proxy (cache off, local, redis)
// must give identical outcomes: rows, column metadata, errors (code,
// SQLSTATE, message), affected rows, insert ids, warnings, multiple result
// sets, transactions, prepared statements, LOCAL INFILE, 20 MiB packets.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"

	"github.com/psbench/psbench/internal/proxycache"
)

// ---------------------------------------------------------------------------
// Outcomes

// outcome is everything a client can observe of one step.
type outcome struct {
	Err      string      `json:"err,omitempty"`
	Sets     []resultSet `json:"sets,omitempty"`
	Affected *int64      `json:"affected,omitempty"`
	LastID   *int64      `json:"last_id,omitempty"`
	Extra    string      `json:"extra,omitempty"`
}

type resultSet struct {
	Cols []string   `json:"cols"`
	Rows [][]string `json:"rows"`
}

func (o outcome) String() string {
	var b strings.Builder
	if o.Err != "" {
		fmt.Fprintf(&b, "err=%q ", o.Err)
	}
	if o.Affected != nil {
		fmt.Fprintf(&b, "affected=%d ", *o.Affected)
	}
	if o.LastID != nil {
		fmt.Fprintf(&b, "last_id=%d ", *o.LastID)
	}
	if o.Extra != "" {
		fmt.Fprintf(&b, "extra=%q ", o.Extra)
	}
	for i, s := range o.Sets {
		fmt.Fprintf(&b, "set%d cols=%v rows=%v ", i, s.Cols, s.Rows)
	}
	return strings.TrimSpace(b.String())
}

// errString renders an error the way a client sees it: a server error as
// code, SQLSTATE and message; anything else as its text.
func errString(err error) string {
	if me := mysqlErr(err); me != nil {
		return fmt.Sprintf("%d %s %s", me.Number, string(me.SQLState[:]), me.Message)
	}
	return "client: " + err.Error()
}

// value renders one column value: NULL, text, hex for binary, a digest for
// large values.
func value(v sql.RawBytes) string {
	switch {
	case v == nil:
		return "NULL"
	case len(v) > 256:
		sum := sha256.Sum256(v)
		return fmt.Sprintf("big:len=%d,sha256=%x", len(v), sum[:8])
	case utf8.Valid(v) && !bytes.ContainsAny(v, "\x00"):
		return "s:" + string(v)
	default:
		return "x:" + hex.EncodeToString(v)
	}
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}

// runQuery reads every result set of a query.
func runQuery(ctx context.Context, q querier, query string, args ...any) outcome {
	var o outcome
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		o.Err = errString(err)
		return o
	}
	defer rows.Close()
	for {
		var rs resultSet
		cts, err := rows.ColumnTypes()
		if err != nil {
			o.Err = errString(err)
			return o
		}
		for _, ct := range cts {
			nullable, _ := ct.Nullable()
			length, _ := ct.Length()
			prec, scale, _ := ct.DecimalSize()
			rs.Cols = append(rs.Cols, fmt.Sprintf("%s:%s:null=%v:len=%d:dec=%d,%d", ct.Name(), ct.DatabaseTypeName(), nullable, length, prec, scale))
		}
		rs.Rows = [][]string{}
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cts))
			ptrs := make([]any, len(cts))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				o.Err = errString(err)
				return o
			}
			row := make([]string, len(vals))
			for i, v := range vals {
				row[i] = value(v)
			}
			rs.Rows = append(rs.Rows, row)
		}
		if err := rows.Err(); err != nil {
			o.Sets = append(o.Sets, rs)
			o.Err = errString(err)
			return o
		}
		o.Sets = append(o.Sets, rs)
		if !rows.NextResultSet() {
			if err := rows.Err(); err != nil {
				o.Err = errString(err)
			}
			return o
		}
	}
}

// runExec runs a statement and records affected rows and the insert id.
func runExec(ctx context.Context, q querier, query string, args ...any) outcome {
	var o outcome
	r, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		o.Err = errString(err)
		return o
	}
	a, err := r.RowsAffected()
	if err != nil {
		o.Err = errString(err)
		return o
	}
	id, err := r.LastInsertId()
	if err != nil {
		o.Err = errString(err)
		return o
	}
	o.Affected, o.LastID = &a, &id
	return o
}

// ---------------------------------------------------------------------------
// The scenario

// bigBlob is a 20 MiB value with every byte value (0x00 and 0xff included):
// as a row and as a statement it crosses the 16 MiB packet boundary.
var bigBlob = sync.OnceValue(func() []byte {
	b := make([]byte, 20<<20)
	for i := range b {
		b[i] = byte(i*31 + i>>9)
	}
	return b
})

var bigInsertSQL = sync.OnceValue(func() string {
	return "INSERT INTO big (id, data) VALUES (1, X'" + hex.EncodeToString(bigBlob()) + "')"
})

// confFixture is the schema and data both sides start from.
var confFixture = []string{
	`CREATE TABLE types (
		id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
		n INT NULL,
		d DECIMAL(12,4) NULL,
		dt DATE NULL,
		dtt DATETIME(3) NULL,
		j JSON NULL,
		s VARCHAR(64) CHARACTER SET utf8mb4 NULL,
		b VARBINARY(64) NULL,
		bl BLOB NULL,
		short VARCHAR(5) NULL
	) ENGINE=InnoDB`,
	`INSERT INTO types (n, d, dt, dtt, j, s, b, bl, short) VALUES
		(1, 1234.5678, '2024-02-29', '2024-02-29 23:59:58.123', '{"k": "v", "n": [1, 2.5, null]}', 'plain ascii', X'00FF00FF', X'000102FEFF', 'abc'),
		(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
		(-42, -0.0001, '1970-01-01', '1999-12-31 00:00:00.000', '[]', 'emoji 🙂 💥 𝄞 ünïcødé', X'FF', X'', ''),
		(0, 99999999.9999, '9999-12-31', '2038-01-19 03:14:08.999', '"str"', '', X'', NULL, 'x')`,
	`CREATE TABLE uniq (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, UNIQUE KEY (name)) ENGINE=InnoDB`,
	`INSERT INTO uniq VALUES (1, 'one'), (2, 'two')`,
	`CREATE TABLE big (id INT PRIMARY KEY, data LONGBLOB) ENGINE=InnoDB`,
	`CREATE TABLE tx (id INT PRIMARY KEY, v INT) ENGINE=InnoDB`,
	`CREATE TABLE loaded (a INT, b VARCHAR(20)) ENGINE=InnoDB`,
	`CREATE PROCEDURE two_sets()
	BEGIN
		SELECT 1 AS one, 'uno' AS name;
		SELECT s AS second FROM types WHERE id = 3;
	END`,
}

// confFixtureB is the second database (USE / COM_INIT_DB): a table with
// the same name and other data, so the current database must matter.
var confFixtureB = []string{
	`CREATE TABLE types (id INT PRIMARY KEY, s VARCHAR(20))`,
	`INSERT INTO types VALUES (1, 'from db B'), (2, 'second row of B')`,
	`CREATE TABLE only_b (v VARCHAR(10))`,
	`INSERT INTO only_b VALUES ('b-only')`,
}

type confStep struct {
	name  string
	conn  string // main (default), multi (multiStatements), found (clientFoundRows)
	query string
	args  []any
	exec  bool
	fn    func(ctx context.Context, c *sql.Conn) outcome
	// check validates the direct outcome (the test's own sanity) and,
	// since outcomes must be equal, the proxied one.
	check func(o outcome) error
}

func wantErr(code int) func(outcome) error {
	return func(o outcome) error {
		if !strings.HasPrefix(o.Err, fmt.Sprint(code)+" ") {
			return fmt.Errorf("want error %d, got %s", code, o)
		}
		return nil
	}
}

func wantRows(n int) func(outcome) error {
	return func(o outcome) error {
		if o.Err != "" || len(o.Sets) == 0 || len(o.Sets[0].Rows) != n {
			return fmt.Errorf("want %d rows, got %s", n, o)
		}
		return nil
	}
}

func wantSets(n int) func(outcome) error {
	return func(o outcome) error {
		if o.Err != "" || len(o.Sets) < n {
			return fmt.Errorf("want %d result sets, got %s", n, o)
		}
		return nil
	}
}

func wantAffected(n int64) func(outcome) error {
	return func(o outcome) error {
		if o.Err != "" || o.Affected == nil || *o.Affected != n {
			return fmt.Errorf("want %d affected rows, got %s", n, o)
		}
		return nil
	}
}

func wantNoErr(o outcome) error {
	if o.Err != "" {
		return fmt.Errorf("unexpected error %s", o.Err)
	}
	return nil
}

// confScenario is the list of steps run on each side. dbA is the main
// database (in the DSN), dbB the second one; infilePath a file registered for LOAD DATA LOCAL.
func confScenario(dbA, dbB, infilePath string) []confStep {
	selTypes := "SELECT * FROM types ORDER BY id"
	return []confStep{
		{name: "select_all_types", query: selTypes, check: wantRows(4)},
		{name: "select_all_types_again", query: selTypes, check: wantRows(4)},
		{name: "select_all_types_third", query: selTypes, check: wantRows(4)},
		{name: "nulls_literal", query: "SELECT NULL AS a, 1 AS b, '' AS c, NULL AS d", check: wantRows(1)},
		{name: "empty_result", query: "SELECT id, s FROM types WHERE id < 0", check: wantRows(0)},
		{name: "empty_result_again", query: "SELECT id, s FROM types WHERE id < 0", check: wantRows(0)},
		{name: "utf8mb4", query: "SELECT s, LENGTH(s), CHAR_LENGTH(s), HEX(s) FROM types WHERE s LIKE '%🙂%'", check: wantRows(1)},
		{name: "utf8mb4_literal", query: "SELECT '🚀 fusée', CHAR_LENGTH('🚀')", check: wantRows(1)},
		{name: "binary", query: "SELECT id, b, bl, HEX(b), LENGTH(bl) FROM types ORDER BY id", check: wantRows(4)},
		{name: "binary_literal", query: "SELECT X'00FF00', CAST(X'FF00' AS BINARY(4)), _binary 'a\\0b'", check: wantRows(1)},
		{name: "typed", query: "SELECT d, dt, dtt, j, JSON_EXTRACT(j, '$.k'), JSON_VALID(j), d * 2, CAST(dt AS DATETIME) FROM types ORDER BY id", check: wantRows(4)},
		{name: "typed_again", query: "SELECT d, dt, dtt, j, JSON_EXTRACT(j, '$.k'), JSON_VALID(j), d * 2, CAST(dt AS DATETIME) FROM types ORDER BY id", check: wantRows(4)},
		{name: "aggregate", query: "SELECT COUNT(*), SUM(n), AVG(d), MIN(dt), MAX(dtt), GROUP_CONCAT(id ORDER BY id) FROM types", check: wantRows(1)},
		{name: "err_unknown_table", query: "SELECT * FROM no_such_table", check: wantErr(1146)},
		{name: "err_unknown_table_again", query: "SELECT * FROM no_such_table", check: wantErr(1146)},
		{name: "err_unknown_column", query: "SELECT nope FROM types", check: wantErr(1054)},
		{name: "err_syntax", query: "SELEC 1 FROM", check: wantErr(1064)},
		{name: "err_duplicate_key", query: "INSERT INTO uniq VALUES (3, 'one')", exec: true, check: wantErr(1062)},
		{name: "insert_autoinc", query: "INSERT INTO types (n, s) VALUES (5, 'inserted')", exec: true, check: wantAffected(1)},
		{name: "insert_multi_row", query: "INSERT INTO types (n) VALUES (6), (7), (8)", exec: true, check: wantAffected(3)},
		{name: "after_insert", query: selTypes, check: wantRows(8)},
		{name: "set_sql_mode", query: "SET SESSION sql_mode = ''", exec: true, check: wantNoErr},
		{name: "insert_truncating", query: "INSERT INTO types (short, n) VALUES ('far too long', 'x')", exec: true, check: wantAffected(1)},
		{name: "show_warnings", query: "SHOW WARNINGS", check: wantRows(2)},
		{name: "warning_count", query: "SELECT @@warning_count", check: wantRows(1)},
		{name: "select_with_warning", query: "SELECT CAST('12abc' AS SIGNED)", check: wantRows(1)},
		{name: "select_with_warning_again", query: "SELECT CAST('12abc' AS SIGNED)", check: wantRows(1)},
		{name: "show_warnings_after_select", query: "SHOW WARNINGS", check: wantRows(1)},
		{name: "update_same_value", query: "UPDATE types SET n = n WHERE id = 1", exec: true, check: wantAffected(0)},
		{name: "update_changed", query: "UPDATE types SET n = n + 1 WHERE id <= 3", exec: true, check: wantAffected(2)},
		{name: "after_update", query: "SELECT id, n FROM types ORDER BY id", check: wantRows(9)},
		{name: "delete", query: "DELETE FROM types WHERE id > 5", exec: true, check: wantAffected(4)},
		{name: "after_delete", query: "SELECT id, n FROM types ORDER BY id", check: wantRows(5)},
		// Server-side prepared statements (interpolateParams=false).
		{name: "ps_select", query: "SELECT id, n, d, dt, dtt, j, s, b FROM types WHERE id = ? OR s = ?", args: []any{1, "emoji 🙂 💥 𝄞 ünïcødé"}, check: wantRows(2)},
		{name: "ps_select_null", query: "SELECT ? IS NULL, ?", args: []any{nil, []byte{0, 0xff, 0}}, check: wantRows(1)},
		{name: "ps_insert", query: "INSERT INTO types (n, s, b, d, dt) VALUES (?, ?, ?, ?, ?)", args: []any{77, "pré 🎉", []byte{0, 0xff, 0}, "12.5", "2020-01-02"}, exec: true, check: wantAffected(1)},
		{name: "ps_select_inserted", query: "SELECT n, s, b, d, dt FROM types WHERE n = ?", args: []any{77}, check: wantRows(1)},
		{name: "ps_error", query: "INSERT INTO uniq VALUES (?, ?)", args: []any{9, "two"}, exec: true, check: wantErr(1062)},
		{name: "ps_prepare_error", query: "SELECT * FROM missing_table WHERE id = ?", args: []any{1}, check: wantErr(1146)},
		// Transactions.
		{name: "tx_before", query: "SELECT * FROM tx ORDER BY id", check: wantRows(0)},
		{name: "tx_begin", query: "BEGIN", exec: true, check: wantNoErr},
		{name: "tx_insert", query: "INSERT INTO tx VALUES (1, 10), (2, 20)", exec: true, check: wantAffected(2)},
		{name: "tx_inside", query: "SELECT * FROM tx ORDER BY id", check: wantRows(2)},
		{name: "tx_rollback", query: "ROLLBACK", exec: true, check: wantNoErr},
		{name: "tx_after_rollback", query: "SELECT * FROM tx ORDER BY id", check: wantRows(0)},
		{name: "tx_after_rollback_again", query: "SELECT * FROM tx ORDER BY id", check: wantRows(0)},
		{name: "sql_tx_rollback", fn: func(ctx context.Context, c *sql.Conn) outcome {
			tx, err := c.BeginTx(ctx, nil)
			if err != nil {
				return outcome{Err: errString(err)}
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO tx VALUES (3, 30)"); err != nil {
				_ = tx.Rollback()
				return outcome{Err: errString(err)}
			}
			in := runQuery(ctx, tx, "SELECT COUNT(*) FROM tx")
			if err := tx.Rollback(); err != nil {
				return outcome{Err: errString(err)}
			}
			in.Extra = "rolled back"
			return in
		}, check: wantRows(1)},
		{name: "tx_commit_path", fn: func(ctx context.Context, c *sql.Conn) outcome {
			tx, err := c.BeginTx(ctx, nil)
			if err != nil {
				return outcome{Err: errString(err)}
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO tx VALUES (4, 40)"); err != nil {
				_ = tx.Rollback()
				return outcome{Err: errString(err)}
			}
			if err := tx.Commit(); err != nil {
				return outcome{Err: errString(err)}
			}
			return outcome{Extra: "committed"}
		}, check: wantNoErr},
		{name: "tx_after_commit", query: "SELECT * FROM tx ORDER BY id", check: wantRows(1)},
		// Multiple result sets.
		{name: "multi_select", conn: "multi", query: "SELECT 1 AS a; SELECT 2 AS b, 'two' AS c", check: wantSets(2)},
		{name: "multi_select_again", conn: "multi", query: "SELECT 1 AS a; SELECT 2 AS b, 'two' AS c", check: wantSets(2)},
		{name: "multi_tables", conn: "multi", query: "SELECT id FROM types WHERE id = 1; SELECT COUNT(*) FROM types", check: wantSets(2)},
		{name: "multi_error_second", conn: "multi", query: "SELECT 1; SELECT * FROM no_such_table", check: func(o outcome) error {
			if !strings.Contains(o.Err, "1146") {
				return fmt.Errorf("want error 1146 in the second statement, got %s", o)
			}
			return nil
		}},
		{name: "multi_after_error", conn: "multi", query: "SELECT 'still alive'", check: wantRows(1)},
		{name: "multi_exec", conn: "multi", query: "INSERT INTO tx VALUES (10, 1); INSERT INTO tx VALUES (11, 1), (12, 1)", exec: true, check: wantNoErr},
		{name: "multi_after_exec", conn: "multi", query: "SELECT * FROM tx ORDER BY id", check: wantRows(4)},
		{name: "call_two_sets", query: "CALL two_sets()", check: wantSets(2)},
		{name: "call_two_sets_again", query: "CALL two_sets()", check: wantSets(2)},
		{name: "call_multi_conn", conn: "multi", query: "CALL two_sets()", check: wantSets(2)},
		// CLIENT_FOUND_ROWS.
		{name: "found_rows_update_same", conn: "found", query: "UPDATE types SET n = n WHERE id = 1", exec: true, check: wantAffected(1)},
		{name: "found_rows_update_main", query: "UPDATE types SET n = n WHERE id = 1", exec: true, check: wantAffected(0)},
		{name: "found_rows_insert_dup_update", conn: "found", query: "INSERT INTO uniq VALUES (1, 'one') ON DUPLICATE KEY UPDATE name = name", exec: true, check: wantAffected(1)},
		{name: "insert_dup_update_main", query: "INSERT INTO uniq VALUES (1, 'one') ON DUPLICATE KEY UPDATE name = 'uno'", exec: true, check: wantAffected(2)},
		// USE switches the database unqualified names resolve in.
		{name: "use_b", query: "USE `" + dbB + "`", exec: true, check: wantNoErr},
		{name: "types_in_b", query: "SELECT * FROM types ORDER BY id", check: wantRows(2)},
		{name: "types_in_b_again", query: "SELECT * FROM types ORDER BY id", check: wantRows(2)},
		{name: "database_b", query: "SELECT DATABASE()", check: wantRows(1)},
		{name: "use_forbidden", query: "USE no_such_db_psbt", exec: true, check: wantErr(1044)},
		{name: "still_b", query: "SELECT * FROM only_b", check: wantRows(1)},
		{name: "use_back", query: "USE `" + dbA + "`", exec: true, check: wantNoErr},
		{name: "types_in_a", query: "SELECT id FROM types ORDER BY id", check: wantRows(6)},
		{name: "ping", fn: func(ctx context.Context, c *sql.Conn) outcome {
			if err := c.PingContext(ctx); err != nil {
				return outcome{Err: errString(err)}
			}
			return outcome{Extra: "pong"}
		}, check: wantNoErr},
		// LOAD DATA LOCAL INFILE.
		{name: "load_data_local", query: "LOAD DATA LOCAL INFILE '" + infilePath + "' INTO TABLE loaded FIELDS TERMINATED BY ',' LINES TERMINATED BY '\\n'", exec: true, check: wantAffected(3)},
		{name: "after_load_data", query: "SELECT * FROM loaded ORDER BY a", check: wantRows(3)},
		{name: "load_data_missing_file", query: "LOAD DATA LOCAL INFILE '/nonexistent/psbt.csv' INTO TABLE loaded", exec: true, check: func(o outcome) error {
			if o.Err == "" {
				return fmt.Errorf("want an error, got %s", o)
			}
			return nil
		}},
		{name: "after_failed_load_data", query: "SELECT COUNT(*) FROM loaded", check: wantRows(1)},
		// 20 MiB values: the statement (hex, 40 MiB) and the row (20 MiB)
		// cross the 16 MiB packet boundary, in both protocols.
		{name: "big_insert_text", fn: func(ctx context.Context, c *sql.Conn) outcome {
			return runExec(ctx, c, bigInsertSQL())
		}, check: wantAffected(1)},
		{name: "big_select_text", query: "SELECT id, data, LENGTH(data), SHA2(data, 256) FROM big WHERE id = 1", check: wantRows(1)},
		{name: "big_select_text_again", query: "SELECT id, data, LENGTH(data), SHA2(data, 256) FROM big WHERE id = 1", check: wantRows(1)},
		{name: "big_insert_prepared", fn: func(ctx context.Context, c *sql.Conn) outcome {
			return runExec(ctx, c, "INSERT INTO big (id, data) VALUES (?, ?)", 2, bigBlob())
		}, check: wantAffected(1)},
		{name: "big_select_prepared", query: "SELECT id, data, SHA2(data, 256) FROM big WHERE id = ?", args: []any{2}, check: wantRows(1)},
		{name: "big_equal", query: "SELECT COUNT(*), COUNT(DISTINCT SHA2(data, 256)), MIN(LENGTH(data)) FROM big", check: wantRows(1)},
		{name: "after_big", query: "SELECT 'small after big', id FROM types WHERE id = 1", check: wantRows(1)},
		{name: "big_delete", query: "DELETE FROM big", exec: true, check: wantAffected(2)},
	}
}

// runScenario runs the steps on addr against fixture databases dbA, dbB.
func runScenario(t *testing.T, addr, dbA string, steps []confStep) []outcome {
	t.Helper()
	conns := map[string]*sql.Conn{
		"main":  oneConn(t, openClient(t, addr, dbA)),
		"multi": oneConn(t, openClient(t, addr, dbA, withMulti)),
		"found": oneConn(t, openClient(t, addr, dbA, withFoundRows)),
	}
	out := make([]outcome, len(steps))
	for i, st := range steps {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		name := st.conn
		if name == "" {
			name = "main"
		}
		c := conns[name]
		switch {
		case st.fn != nil:
			out[i] = st.fn(ctx, c)
		case st.exec:
			out[i] = runExec(ctx, c, st.query, st.args...)
		default:
			out[i] = runQuery(ctx, c, st.query, st.args...)
		}
		cancel()
	}
	return out
}

func TestConformanceStatements(t *testing.T) {
	needMySQL(t)
	// Both fixture databases keep the same names on every side, so error
	// messages naming them compare equal.
	dbA := newDB(t, "conf_a")
	dbB := strings.Replace(dbA, "_conf_a_", "_conf_b_", 1)
	if !strings.Contains(dbA, "_a_") || !strings.Contains(dbB, "_b_") {
		t.Fatalf("fixture names %q %q must differ only in _a_/_b_", dbA, dbB)
	}
	t.Cleanup(func() { rootExec(t, "DROP DATABASE IF EXISTS `"+dbB+"`") })
	infile := filepath.Join(t.TempDir(), "psbt_infile.csv")
	if err := os.WriteFile(infile, []byte("1,one\n2,dos 🙂\n3,\\N\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mysql.RegisterLocalFile(infile)
	t.Cleanup(func() { mysql.DeregisterLocalFile(infile) })
	steps := confScenario(dbA, dbB, infile)
	reset := func() {
		resetDB(t, dbA, confFixture...)
		resetDB(t, dbB, confFixtureB...)
	}

	reset()
	want := runScenario(t, env.mysqlAddr, dbA, steps)
	for i, st := range steps {
		if st.check != nil {
			if err := st.check(want[i]); err != nil {
				t.Errorf("direct MariaDB, step %s: %v (the test's expectation is wrong)", st.name, err)
			}
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	for _, mode := range cacheModes {
		t.Run("cache="+mode, func(t *testing.T) {
			needMode(t, mode)
			reset()
			tp := startProxy(t, mode)
			got := runScenario(t, tp.Addr, dbA, steps)
			for i, st := range steps {
				if !reflect.DeepEqual(want[i], got[i]) {
					t.Errorf("step %s (%s) differs\n direct: %s\n  proxy: %s", st.name, short(st.query), want[i], got[i])
				}
			}
			c := tp.counts()
			t.Logf("proxy outcomes: hits=%d misses=%d stored=%d bypass=%v notStored=%v", c.Hits, c.Misses, c.Stored, c.Reasons, c.NotStored)
			if mode == proxycache.CacheOff {
				if c.Hits != 0 || c.Misses != 0 {
					t.Errorf("cache off: hits=%d misses=%d, want 0", c.Hits, c.Misses)
				}
			} else if c.Hits < 5 {
				// The repeated SELECTs must have been served from the cache,
				// so the comparison above covered cached responses.
				t.Errorf("cache %s: only %d hits; the cached path was not exercised", mode, c.Hits)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Logins

func TestConformanceLogin(t *testing.T) {
	needMySQL(t)
	db := newDB(t, "login", "CREATE TABLE t (v VARCHAR(10))", "INSERT INTO t VALUES ('row')")
	native := startProxy(t, proxycache.CacheLocal)
	sha2 := startProxy(t, proxycache.CacheLocal, func(c *proxycache.Config) { c.ClientAuth = proxycache.AuthCachingSHA2 })
	mapped := startProxy(t, proxycache.CacheLocal, func(c *proxycache.Config) {
		c.Clients = []proxycache.ClientAccount{
			{User: "app_ok", Password: "app_pw", BackendUser: env.user, BackendPassword: env.password},
			{User: "app_badbackend", Password: "app_pw", BackendUser: env.user, BackendPassword: "wrong-backend-pw"},
		}
	})

	connect := func(addr, user, pw, db string) (string, error) {
		d := openClient(t, addr, db, withUser(user, pw))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var v string
		err := d.QueryRowContext(ctx, "SELECT COALESCE(DATABASE(), '-')").Scan(&v)
		d.Close()
		return v, err
	}
	errCode := func(err error) (uint16, string) {
		if me := mysqlErr(err); me != nil {
			return me.Number, string(me.SQLState[:])
		}
		return 0, ""
	}

	tests := []struct {
		name      string
		user, pw  string
		db        string
		wantCode  uint16
		wantState string
		sameMsg   bool // the message must equal MariaDB's (errors the backend produced)
	}{
		{name: "ok", user: env.user, pw: env.password, db: db},
		{name: "ok_no_db", user: env.user, pw: env.password},
		{name: "wrong_password", user: env.user, pw: "wrong", db: db, wantCode: 1045, wantState: "28000"},
		{name: "empty_password", user: env.user, pw: "", db: db, wantCode: 1045, wantState: "28000"},
		{name: "unknown_user", user: "psbt_nobody", pw: "x", wantCode: 1045, wantState: "28000"},
		{name: "unknown_database", user: env.user, pw: env.password, db: "psbt_" + env.suffix + "_missing", wantCode: 1049, wantState: "42000", sameMsg: true},
		{name: "forbidden_database", user: env.user, pw: env.password, db: "mysql", wantCode: 1044, wantState: "42000", sameMsg: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dv, derr := connect(env.mysqlAddr, tc.user, tc.pw, tc.db)
			dcode, dstate := errCode(derr)
			if dcode != tc.wantCode || (tc.wantCode != 0 && dstate != tc.wantState) {
				t.Fatalf("direct: got %v (%d %s), want %d %s", derr, dcode, dstate, tc.wantCode, tc.wantState)
			}
			for _, p := range []struct {
				name string
				tp   *testProxy
			}{{"native", native}, {"caching_sha2", sha2}} {
				pv, perr := connect(p.tp.Addr, tc.user, tc.pw, tc.db)
				pcode, pstate := errCode(perr)
				if pcode != tc.wantCode || pstate != dstate {
					t.Errorf("proxy %s: got %v (%d %s), want %d %s like MariaDB (%v)", p.name, perr, pcode, pstate, tc.wantCode, dstate, derr)
					continue
				}
				if tc.wantCode == 0 && pv != dv {
					t.Errorf("proxy %s: DATABASE() = %q, MariaDB %q", p.name, pv, dv)
				}
				if tc.sameMsg && errString(perr) != errString(derr) {
					t.Errorf("proxy %s: error %q, MariaDB %q", p.name, errString(perr), errString(derr))
				}
				if tc.wantCode == 1045 && !strings.Contains(errString(perr), "Access denied for user '"+tc.user+"'") {
					t.Errorf("proxy %s: 1045 message %q does not name the user like MariaDB's %q", p.name, errString(perr), errString(derr))
				}
			}
		})
	}
	t.Run("default_account_empty_password", func(t *testing.T) {
		// DefaultConfig's shape: backend root with an empty password, no
		// client accounts: clients log in as root without a password.
		if env.rootPW != "" {
			t.Skip("the admin account has a password")
		}
		tp := startProxy(t, proxycache.CacheLocal, func(c *proxycache.Config) {
			c.Backend.User, c.Backend.Password = env.rootUser, ""
		})
		if v, err := connect(tp.Addr, env.rootUser, "", db); err != nil || v != db {
			t.Errorf("%s with an empty password through the proxy: %q %v", env.rootUser, v, err)
		}
		if _, err := connect(tp.Addr, env.rootUser, "not-empty", db); err == nil {
			t.Errorf("%s with a wrong password was let in", env.rootUser)
		} else if c, _ := errCode(err); c != 1045 {
			t.Errorf("%s with a wrong password: %v, want 1045", env.rootUser, err)
		}
	})
	t.Run("mapped_account", func(t *testing.T) {
		v, err := connect(mapped.Addr, "app_ok", "app_pw", db)
		if err != nil || v != db {
			t.Fatalf("mapped account: %q, %v", v, err)
		}
		// The backend account's own password does not open the client account.
		if _, err := connect(mapped.Addr, env.user, env.password, db); err == nil {
			t.Errorf("backend credentials were accepted by a proxy with explicit client accounts")
		} else if c, _ := errCode(err); c != 1045 {
			t.Errorf("backend credentials on a proxy with client accounts: %v, want 1045", err)
		}
		// A wrong backend password reaches the client as MariaDB's own 1045.
		_, err = connect(mapped.Addr, "app_badbackend", "app_pw", db)
		if c, s := errCode(err); c != 1045 || s != "28000" {
			t.Errorf("wrong backend password: %v, want 1045 (28000) from the backend", err)
		}
	})
}

// TestCachingSHA2ClientAuth: go-sql-driver over plain TCP logs in with
// caching_sha2_password: the first login takes the full path (RSA public
// key requested from the proxy), later ones the fast path.
func TestCachingSHA2ClientAuth(t *testing.T) {
	needMySQL(t)
	db := newDB(t, "sha2", "CREATE TABLE t (v VARCHAR(10))", "INSERT INTO t VALUES ('sha2 ok')")
	tp := startProxy(t, proxycache.CacheLocal, func(c *proxycache.Config) {
		c.ClientAuth = proxycache.AuthCachingSHA2
		c.Clients = []proxycache.ClientAccount{{User: "app_sha2", Password: "sha2 pw ü", BackendUser: env.user, BackendPassword: env.password}}
	})
	for i := range 3 {
		d := openClient(t, tp.Addr, db, withUser("app_sha2", "sha2 pw ü"))
		got := queryStrings(t, d, "SELECT v FROM t")
		if len(got) != 1 || got[0][0] != "sha2 ok" {
			t.Fatalf("login %d: got %v", i, got)
		}
		d.Close()
	}
	d := openClient(t, tp.Addr, db, withUser("app_sha2", "wrong"))
	err := d.PingContext(context.Background())
	if me := mysqlErr(err); me == nil || me.Number != 1045 {
		t.Fatalf("wrong password with caching_sha2_password: %v, want 1045", err)
	}
}

// ---------------------------------------------------------------------------
// COM_INIT_DB, COM_PING and raw commands (go-mysql client)

func TestConformanceInitDBAndPing(t *testing.T) {
	needMySQL(t)
	dbA := newDB(t, "initdb_a", "CREATE TABLE t (v VARCHAR(20))", "INSERT INTO t VALUES ('in A')")
	dbB := newDB(t, "initdb_b", "CREATE TABLE t (v VARCHAR(20))", "INSERT INTO t VALUES ('in B')")
	run := func(addr string) []string {
		c := rawClient(t, addr, env.user, env.password, dbA)
		var out []string
		rec := func(what string, r *gmysql.Result, err error) {
			switch {
			case err != nil:
				var me *gmysql.MyError
				if errors.As(err, &me) {
					out = append(out, fmt.Sprintf("%s: err %d %s %s", what, me.Code, me.State, me.Message))
				} else {
					out = append(out, fmt.Sprintf("%s: client error", what))
				}
			case r != nil && r.Resultset != nil:
				var vals []string
				for i := range r.RowNumber() {
					s, _ := r.GetString(i, 0)
					vals = append(vals, s)
				}
				out = append(out, fmt.Sprintf("%s: %v", what, vals))
			default:
				out = append(out, what+": ok")
			}
		}
		for range 2 {
			r, err := c.Execute("SELECT v FROM t")
			rec("select in A", r, err)
		}
		rec("init_db B", nil, c.UseDB(dbB))
		for range 2 {
			r, err := c.Execute("SELECT v FROM t")
			rec("select in B", r, err)
		}
		rec("init_db missing", nil, c.UseDB("psbt_"+env.suffix+"_nope"))
		r, err := c.Execute("SELECT v FROM t")
		rec("select after failed init_db", r, err)
		rec("ping", nil, c.Ping())
		// COM_FIELD_LIST (deprecated, still sent by old clients).
		fields, err := c.FieldList("t", "")
		if err != nil {
			rec("field_list", nil, err)
		} else {
			var names []string
			for _, f := range fields {
				names = append(names, fmt.Sprintf("%s/%d", f.Name, f.Type))
			}
			out = append(out, fmt.Sprintf("field_list: %v", names))
		}
		_, err = c.FieldList("no_such_table", "")
		rec("field_list missing", nil, err)
		rec("init_db A", nil, c.UseDB(dbA))
		r, err = c.Execute("SELECT v FROM t")
		rec("select back in A", r, err)
		return out
	}
	want := run(env.mysqlAddr)
	if strings.Join(want, "|") == "" || !strings.Contains(strings.Join(want, "|"), "[in B]") {
		t.Fatalf("direct outcome unexpected: %v", want)
	}
	for _, mode := range cacheModes {
		t.Run("cache="+mode, func(t *testing.T) {
			tp := startProxy(t, mode)
			got := run(tp.Addr)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("outcomes differ\n direct: %q\n  proxy: %q", want, got)
			}
		})
	}
}

// rawCommand writes one command packet on a logged-in go-mysql connection
// and reads one response packet.
func rawCommand(t *testing.T, c interface {
	ResetSequence()
	WritePacket([]byte) error
	ReadPacket() ([]byte, error)
}, payload []byte) []byte {
	t.Helper()
	c.ResetSequence()
	if err := c.WritePacket(append(make([]byte, 4), payload...)); err != nil {
		t.Fatalf("write raw command 0x%02x: %v", payload[0], err)
	}
	p, err := c.ReadPacket()
	if err != nil {
		t.Fatalf("read response to raw command 0x%02x: %v", payload[0], err)
	}
	return p
}

func parseErrPacket(t *testing.T, p []byte) (code uint16, state, msg string) {
	t.Helper()
	if len(p) < 9 || p[0] != 0xff || p[3] != '#' {
		t.Fatalf("want an error packet, got % x", p[:min(len(p), 32)])
	}
	return uint16(p[1]) | uint16(p[2])<<8, string(p[4:9]), string(p[9:])
}

func TestUnknownCommand(t *testing.T) {
	needMySQL(t)
	db := newDB(t, "unkcmd", "CREATE TABLE t (v INT)", "INSERT INTO t VALUES (7)")
	type result struct {
		code uint16
		rows string
	}
	run := func(addr string, cmd byte) result {
		c := rawClient(t, addr, env.user, env.password, db)
		p := rawCommand(t, c.Conn, []byte{cmd, 1, 2, 3})
		code, _, msg := parseErrPacket(t, p)
		t.Logf("%s: command 0x%02x -> %d %s", addr, cmd, code, msg)
		r, err := c.Execute("SELECT v FROM t")
		if err != nil {
			t.Fatalf("%s: connection unusable after unknown command 0x%02x: %v", addr, cmd, err)
		}
		v, _ := r.GetInt(0, 0)
		return result{code: code, rows: fmt.Sprint(v)}
	}
	tp := startProxy(t, proxycache.CacheLocal)
	for _, cmd := range []byte{0x20, 0x40, 0x99, 0xf0} {
		want := run(env.mysqlAddr, cmd)
		got := run(tp.Addr, cmd)
		if got != want {
			t.Errorf("command 0x%02x: proxy %+v, MariaDB %+v", cmd, got, want)
		}
		if got.code != 1047 {
			t.Errorf("command 0x%02x: proxy error %d, want 1047 (ER_UNKNOWN_COM_ERROR)", cmd, got.code)
		}
	}
}

func TestChangeUserRefused(t *testing.T) {
	needMySQL(t)
	db := newDB(t, "chuser", "CREATE TABLE t (v INT)", "INSERT INTO t VALUES (1)")
	tp := startProxy(t, proxycache.CacheLocal)
	c := rawClient(t, tp.Addr, env.user, env.password, db)
	// COM_CHANGE_USER: user, auth response (length-prefixed), schema,
	// character set, auth plugin.
	var pkt []byte
	pkt = append(pkt, 0x11)
	pkt = append(pkt, env.user2...)
	pkt = append(pkt, 0, 0)
	pkt = append(pkt, db...)
	pkt = append(pkt, 0, 45, 0)
	pkt = append(pkt, "mysql_native_password"...)
	pkt = append(pkt, 0)
	p := rawCommand(t, c.Conn, pkt)
	code, state, msg := parseErrPacket(t, p)
	if code != 1235 || state != "42000" || !strings.Contains(msg, "COM_CHANGE_USER") {
		t.Errorf("COM_CHANGE_USER: got %d %s %q, want 1235 42000 naming COM_CHANGE_USER", code, state, msg)
	}
	r, err := c.Execute("SELECT v, CURRENT_USER() FROM t")
	if err != nil {
		t.Fatalf("connection unusable after refused COM_CHANGE_USER: %v", err)
	}
	u, _ := r.GetString(0, 1)
	if !strings.HasPrefix(u, env.user+"@") {
		t.Errorf("after refused COM_CHANGE_USER the session runs as %q, want %s", u, env.user)
	}
}

// ---------------------------------------------------------------------------
// Failures on either side

// TestClientDisconnectMidResult: a client hangs up in the middle of a large
// result; its backend session is released and the proxy keeps serving.
func TestClientDisconnectMidResult(t *testing.T) {
	needMySQL(t)
	db := newDB(t, "midres", "CREATE TABLE t (v VARCHAR(10))", "INSERT INTO t VALUES ('alive')")
	for _, mode := range []string{proxycache.CacheOff, proxycache.CacheLocal} {
		t.Run("cache="+mode, func(t *testing.T) {
			tp := startProxy(t, mode)
			c := rawClient(t, tp.Addr, env.user, env.password, db)
			r, err := c.Execute("SELECT CONNECTION_ID()")
			if err != nil {
				t.Fatal(err)
			}
			backendID, _ := r.GetInt(0, 0)
			c.ResetSequence()
			q := append([]byte{0, 0, 0, 0, 0x03}, "SELECT seq, REPEAT('x', 2000) FROM seq_1_to_1000000"...)
			if err := c.WritePacket(q); err != nil {
				t.Fatal(err)
			}
			read := 0
			for range 200 {
				p, err := c.ReadPacket()
				if err != nil {
					t.Fatalf("reading the large result: %v", err)
				}
				read += len(p)
			}
			if read < 100_000 {
				t.Fatalf("read only %d bytes of the large result", read)
			}
			c.Close() // mid-result

			// Other clients are served while and after it happens.
			for i := range 5 {
				d := openClient(t, tp.Addr, db)
				got, err := tryQueryStrings(d, "SELECT v FROM t")
				if err != nil || len(got) != 1 || got[0][0] != "alive" {
					t.Fatalf("client %d after the disconnect: %v %v", i, got, err)
				}
				d.Close()
			}
			// The abandoned backend session goes away.
			waitFor(t, 20*time.Second, "the backend session of the disconnected client to end", func() bool {
				return !backendSessionAlive(t, backendID)
			})
		})
	}
}

// TestBackendKilledSession: MariaDB kills the client's backend session; the
// client's next statement gets an error (as it does without the proxy, even
// when the proxy could answer that statement from its cache) and the proxy
// keeps serving new clients.
func TestBackendKilledSession(t *testing.T) {
	needMySQL(t)
	db := newDB(t, "killed", "CREATE TABLE t (v VARCHAR(10))", "INSERT INTO t VALUES ('alive')")
	const cachedQ, uncachedQ = "SELECT v FROM t", "SELECT v, NOW() FROM t"
	victim := func(addr, next string) error {
		c := rawClient(t, addr, env.user, env.password, db)
		r, err := c.Execute("SELECT CONNECTION_ID()")
		if err != nil {
			t.Fatalf("%s: CONNECTION_ID(): %v", addr, err)
		}
		id, _ := r.GetInt(0, 0)
		for range 2 { // fills the cache (when there is one) with cachedQ
			if _, err := c.Execute(cachedQ); err != nil {
				t.Fatalf("%s: warm-up query: %v", addr, err)
			}
		}
		rootExec(t, fmt.Sprintf("KILL CONNECTION %d", id))
		waitFor(t, 10*time.Second, "the killed session to leave the processlist", func() bool {
			return !backendSessionAlive(t, id)
		})
		_, err = c.Execute(next)
		return err
	}
	for _, next := range []string{cachedQ, uncachedQ} {
		if err := victim(env.mysqlAddr, next); err == nil {
			t.Fatalf("direct: no error for %q after KILL CONNECTION", next)
		}
	}
	for _, mode := range []string{proxycache.CacheOff, proxycache.CacheLocal} {
		for _, next := range []string{uncachedQ, cachedQ} {
			t.Run(fmt.Sprintf("cache=%s/next=%s", mode, next), func(t *testing.T) {
				tp := startProxy(t, mode)
				perr := victim(tp.Addr, next)
				if perr == nil {
					t.Errorf("proxy: the client's next statement %q succeeded after its backend session was killed (MariaDB answers it with an error)", next)
				} else {
					t.Logf("after KILL: proxy %v", perr)
				}
				for i := range 3 {
					d := openClient(t, tp.Addr, db)
					got, err := tryQueryStrings(d, cachedQ)
					if err != nil || len(got) != 1 || got[0][0] != "alive" {
						t.Fatalf("new client %d after the kill: %v %v", i, got, err)
					}
					d.Close()
				}
			})
		}
	}
}

// TestMaxPacketFromClient: a client packet larger than the proxy's limit
// gets ER_NET_PACKET_TOO_LARGE, and the proxy keeps serving.
func TestMaxPacketFromClient(t *testing.T) {
	needMySQL(t)
	db := newDB(t, "maxpkt", "CREATE TABLE t (v INT)", "INSERT INTO t VALUES (1)")
	tp := startProxy(t, proxycache.CacheOff, func(c *proxycache.Config) { c.MaxPacketBytes = 17 << 20 })
	d := openClient(t, tp.Addr, db)
	_, err := d.Exec("SELECT LENGTH(?)", string(bytes.Repeat([]byte{'a'}, 18<<20)))
	if err == nil {
		t.Fatalf("an 18 MiB packet passed a 17 MiB max_packet_bytes")
	}
	if me := mysqlErr(err); me != nil && me.Number != 1153 {
		t.Errorf("oversized packet: %v, want 1153 or a closed connection", err)
	}
	t.Logf("oversized packet: %v", err)
	d2 := openClient(t, tp.Addr, db)
	if got := queryStrings(t, d2, "SELECT v FROM t"); len(got) != 1 {
		t.Fatalf("after an oversized packet: %v", got)
	}
}

// dialRefused checks that nothing listens any more (used after shutdown).
func dialRefused(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

// TestServeStopsOnCancel: cancelling Serve's context closes open sessions
// and the listener.
func TestServeStopsOnCancel(t *testing.T) {
	needMySQL(t)
	cfg := proxyConfig(proxycache.CacheLocal)
	tp := startProxyCfg(t, cfg)
	c := rawClient(t, tp.Addr, env.user, env.password, "")
	if _, err := c.Execute("SELECT 1"); err != nil {
		t.Fatal(err)
	}
	tp.cancel()
	select {
	case err := <-tp.done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
		tp.done <- nil // for the cleanup's check
	case <-time.After(15 * time.Second):
		t.Fatalf("Serve did not return after cancel")
	}
	if _, err := c.Execute("SELECT 1"); err == nil {
		t.Errorf("an open session kept working after Serve returned")
	}
	if !dialRefused(tp.Addr) {
		t.Errorf("the listener still accepts connections after Serve returned")
	}
}

// ---------------------------------------------------------------------------
// PHP: PDO and mysqli exactly as PrestaShop uses them

// phpFixture is the PrestaShop-like schema testdata/php/conformance.php
// expects; phpFixture2 is its second database (mysqli::select_db).
var phpFixture = []string{
	`CREATE TABLE ps_product (
		id_product INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
		price DECIMAL(20,6) NOT NULL DEFAULT 0,
		reference VARCHAR(64) NULL,
		date_add DATETIME NOT NULL,
		active TINYINT(1) UNSIGNED NOT NULL DEFAULT 0
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
	`INSERT INTO ps_product VALUES
		(1, 23.900000, 'demo_1', '2024-01-01 10:00:00', 1),
		(2, 35.900000, 'O''Reilly "ref"', '2024-01-02 11:30:00', 1),
		(3, 0.000000, NULL, '2024-01-03 00:00:00', 1),
		(4, 12.000000, 'inactive', '2024-01-04 00:00:00', 0)`,
	`CREATE TABLE ps_product_lang (
		id_product INT UNSIGNED NOT NULL,
		id_lang INT UNSIGNED NOT NULL,
		name VARCHAR(128) NOT NULL,
		description TEXT NULL,
		PRIMARY KEY (id_product, id_lang)
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
	`INSERT INTO ps_product_lang VALUES
		(1, 1, 'Hummingbird printed t-shirt', '<p>Regular fit 🙂</p>'),
		(1, 2, 'T-shirt imprimé colibri', NULL),
		(2, 1, 'Mug 🙂 The best is yet to come', ''),
		(3, 1, 'Ünïcødé 𝄞 poster', NULL)`,
	`CREATE TABLE ps_module (id_module INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) NOT NULL, active TINYINT(1) NOT NULL DEFAULT 1, KEY (name)) ENGINE=InnoDB`,
	`INSERT INTO ps_module (name) VALUES ('ps_linklist'), ('ps_shoppingcart'), ('productcomments')`,
	`CREATE TABLE ps_guest (id_guest INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, id_customer INT UNSIGNED NULL, accept_language VARCHAR(8) NULL, KEY (id_customer)) ENGINE=InnoDB`,
	`INSERT INTO ps_guest (id_customer, accept_language) VALUES (7, 'en'), (NULL, NULL)`,
	`CREATE TABLE ps_connections (id_connections INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, id_guest INT UNSIGNED NOT NULL, ip_address BIGINT NULL, http_referer VARCHAR(255) NULL) ENGINE=InnoDB`,
	`CREATE TABLE ps_specific_price (id_specific_price INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, id_product INT UNSIGNED NOT NULL, price DECIMAL(20,6) NOT NULL, KEY (id_product)) ENGINE=InnoDB`,
	`INSERT INTO ps_specific_price (id_product, price) VALUES (1, 19.9), (2, -1)`,
	`CREATE TABLE ps_configuration (id_configuration INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(32) NOT NULL, value TEXT NULL, UNIQUE KEY (name)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
	`INSERT INTO ps_configuration (name, value) VALUES ('PS_SHOP_NAME', 'Shop A'), ('PS_LANG_DEFAULT', '1'), ('PS_NULL', NULL)`,
	`CREATE TABLE ps_blob (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, data BLOB NULL) ENGINE=InnoDB`,
	`INSERT INTO ps_blob (data) VALUES (X'00FF00FF'), (X''), (NULL), (X'F09F9982'), (REPEAT(X'00FF', 300))`,
}

var phpFixture2 = []string{
	`CREATE TABLE ps_configuration (id_configuration INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(32) NOT NULL, value TEXT NULL, UNIQUE KEY (name)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
	`INSERT INTO ps_configuration (name, value) VALUES ('PS_SHOP_NAME', 'Shop B')`,
}

// runPHP runs conformance.php against addr and returns its JSON output.
func runPHP(t *testing.T, php, addr, db, db2 string) []byte {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, php, "-d", "display_errors=stderr", "-d", "error_reporting=-1",
		filepath.Join("testdata", "php", "conformance.php"))
	cmd.Env = append(os.Environ(), "PSB_HOST="+host, "PSB_PORT="+port, "PSB_USER="+env.user,
		"PSB_PASS="+env.password, "PSB_DB="+db, "PSB_DB2="+db2)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("php conformance.php against %s: %v\nstderr:\n%s\nstdout (tail):\n%s", addr, err, stderr.String(), tail(stdout.String(), 2000))
	}
	if stderr.Len() > 0 {
		t.Errorf("php conformance.php against %s wrote to stderr:\n%s", addr, stderr.String())
	}
	return stdout.Bytes()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// lineDiff reports the first differing lines of two texts with context.
func lineDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	var out strings.Builder
	shown := 0
	for i := 0; i < max(len(al), len(bl)) && shown < 8; i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x == y {
			continue
		}
		shown++
		// The step name: the nearest line above at indentation 4.
		step := ""
		for j := min(i, len(al)-1); j >= 0; j-- {
			if strings.HasPrefix(al[j], "    \"") {
				step = strings.TrimSpace(al[j])
				break
			}
		}
		fmt.Fprintf(&out, "line %d (in %s)\n  direct: %s\n  proxy:  %s\n", i+1, step, x, y)
	}
	return out.String()
}

func TestPHPConformance(t *testing.T) {
	needMySQL(t)
	php := needTool(t, "php", "php8.2-cli php8.2-mysql")
	if out, err := exec.Command(php, "-r", `exit(extension_loaded("pdo_mysql") && extension_loaded("mysqli") ? 0 : 1);`).CombinedOutput(); err != nil {
		missing(t, "php has no pdo_mysql/mysqli (apt-get install -y php8.2-mysql): %v %s", err, out)
	}
	db := newDB(t, "php_a")
	db2 := strings.Replace(db, "_php_a_", "_php_b_", 1)
	t.Cleanup(func() { rootExec(t, "DROP DATABASE IF EXISTS `"+db2+"`") })
	reset := func() {
		resetDB(t, db, phpFixture...)
		resetDB(t, db2, phpFixture2...)
	}
	reset()
	want := runPHP(t, php, env.mysqlAddr, db, db2)
	var doc map[string]any
	if err := json.Unmarshal(want, &doc); err != nil {
		t.Fatalf("direct output is not JSON: %v\n%s", err, tail(string(want), 2000))
	}
	// The script must really have exercised what it claims.
	for step, code := range map[string]string{
		"pdo_error_unknown_table": "1146", "pdo_error_syntax": "1064", "pdo_error_duplicate": "1062",
		"strict_group_by": "1055", "strict_truncation_error": "1406", "mysqli_error": "1054",
	} {
		b, _ := json.Marshal(doc[step])
		if !strings.Contains(string(b), code) {
			t.Errorf("direct run: step %s does not carry error %s: %s", step, code, b)
		}
	}
	for _, step := range []string{"doctrine_group_by_1", "pdo_multi_statement", "mysqli_multi_query", "mysqli_prepared", "pdo_truncation_warning"} {
		b, _ := json.Marshal(doc[step])
		if doc[step] == nil || strings.Contains(string(b), `"error"`) {
			t.Errorf("direct run: step %s failed: %s", step, b)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	type variant struct {
		name  string
		mode  string
		tweak func(*proxycache.Config)
	}
	variants := []variant{
		{name: "cache=off", mode: proxycache.CacheOff},
		{name: "cache=local", mode: proxycache.CacheLocal},
		{name: "cache=redis", mode: proxycache.CacheRedis},
		{name: "cache=local+caching_sha2_password", mode: proxycache.CacheLocal, tweak: func(c *proxycache.Config) {
			c.ClientAuth = proxycache.AuthCachingSHA2
		}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			needMode(t, v.mode)
			reset()
			var tweaks []func(*proxycache.Config)
			if v.tweak != nil {
				tweaks = append(tweaks, v.tweak)
			}
			tp := startProxy(t, v.mode, tweaks...)
			got := runPHP(t, php, tp.Addr, db, db2)
			if !bytes.Equal(got, want) {
				t.Errorf("PHP outcomes differ between MariaDB and the proxy:\n%s", lineDiff(want, got))
			}
			c := tp.counts()
			t.Logf("proxy outcomes: hits=%d misses=%d bypass=%v", c.Hits, c.Misses, c.Reasons)
			if v.mode != proxycache.CacheOff && c.Hits < 5 {
				t.Errorf("only %d hits: the cached path was not exercised", c.Hits)
			}
		})
	}
}
