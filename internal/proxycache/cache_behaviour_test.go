package proxycache_test

// Cache behaviour through the proxy with real clients: hits never reach
// MariaDB, entries are never shared across users, databases or sql_modes,
// some statements are never cached, every kind of write invalidates in every
// tier, temporary tables shadow real ones, and a Redis outage costs hits but
// never a client error.

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/psbench/psbench/internal/proxycache"
)

// productFixture is the PrestaShop-like schema most cache tests use.
var productFixture = []string{
	"CREATE TABLE ps_product (id INT PRIMARY KEY, name VARCHAR(32) NOT NULL) ENGINE=InnoDB",
	"INSERT INTO ps_product VALUES (1, 'one'), (2, 'two'), (3, 'three')",
	"CREATE TABLE ps_stock (id INT PRIMARY KEY, qty INT NOT NULL) ENGINE=InnoDB",
	"INSERT INTO ps_stock VALUES (1, 10), (2, 20), (3, 30)",
	"CREATE TABLE ps_cart (id INT PRIMARY KEY, qty INT NOT NULL) ENGINE=InnoDB",
	"INSERT INTO ps_cart VALUES (1, 1), (2, 2)",
}

// globalQuestions reads MariaDB's global Questions counter directly.
func globalQuestions(t testing.TB) int64 {
	t.Helper()
	var name string
	var v int64
	if err := env.root.QueryRow("SHOW GLOBAL STATUS LIKE 'Questions'").Scan(&name, &v); err != nil {
		t.Fatalf("SHOW GLOBAL STATUS: %v", err)
	}
	return v
}

// sessionQuestions reads the Questions counter of the backend session
// behind a proxied connection (the SHOW itself counts once).
func sessionQuestions(t testing.TB, c querier) int64 {
	t.Helper()
	rows := queryStrings(t, c, "SHOW SESSION STATUS LIKE 'Questions'")
	if len(rows) != 1 {
		t.Fatalf("SHOW SESSION STATUS LIKE 'Questions': %v", rows)
	}
	v, err := strconv.ParseInt(rows[0][1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCacheHitAfterMiss(t *testing.T) {
	for _, mode := range cacheTiers {
		t.Run("cache="+mode, func(t *testing.T) {
			needMode(t, mode)
			db := newDB(t, "hit", productFixture...)
			tp := startProxy(t, mode)
			c := oneConn(t, openClient(t, tp.Addr, db))
			q := "SELECT `id`, `name`\n  FROM `ps_product`\n WHERE `id` = 1"

			w := tp.window(t, c)
			first := queryStrings(t, c, q)
			if d := w.delta(t); d.Misses != 1 || d.Stored != 1 || d.Hits != 0 {
				t.Fatalf("first read: %+v, want one stored miss", d)
			}
			w = tp.window(t, c)
			for range 5 {
				if got := queryStrings(t, c, q); !reflect.DeepEqual(got, first) {
					t.Fatalf("hit returned %v, miss returned %v", got, first)
				}
			}
			if d := w.delta(t); d.Hits != 5 || d.Misses != 0 {
				t.Fatalf("repeated reads: %+v, want 5 hits", d)
			}

			// The admin API reports the same counters.
			st := tp.adminStats(t)
			hits, okH := statNumber(st, "hits")
			misses, okM := statNumber(st, "misses")
			if !okH || !okM || hits < 5 || misses < 1 {
				t.Errorf("GET /stats: hits=%v (found %v) misses=%v (found %v), want >= 5 and >= 1: %v", hits, okH, misses, okM, st)
			}

			// The backend session saw none of the hits: between two
			// SHOW SESSION STATUS only the second SHOW itself counts.
			q0 := sessionQuestions(t, c)
			for range 20 {
				queryStrings(t, c, q)
			}
			if d := sessionQuestions(t, c) - q0; d != 1 {
				t.Errorf("backend session Questions grew by %d over 20 hits, want 1 (the SHOW itself)", d)
			}

			// MariaDB's global counter agrees, when the shared server is
			// quiet enough to tell: each try also measures the server's
			// background traffic over an equally long idle window, and only
			// a quiet try is judged. (Other test packages may be running
			// sysbench against the same server; the session check above is
			// the exact proof.)
			judged := false
			for range 5 {
				g0, t0 := globalQuestions(t), time.Now()
				for range 200 {
					queryStrings(t, c, q)
				}
				hitsDelta, took := globalQuestions(t)-g0, time.Since(t0)
				n0 := globalQuestions(t)
				time.Sleep(took)
				if noise := globalQuestions(t) - n0; noise > 5 {
					continue
				}
				judged = true
				if hitsDelta > 50 {
					t.Errorf("global Questions grew by %d over 200 hits on a quiet server: hits reached MariaDB", hitsDelta)
				}
				break
			}
			if !judged {
				t.Logf("MariaDB was too busy with other clients for the global cross-check; the session check stands")
			}

			// The answer really comes from the cache: a change made behind
			// the proxy's back is not seen until a write through the proxy.
			execIn(t, db, "UPDATE ps_product SET name = 'behind' WHERE id = 1")
			if got := queryStrings(t, c, q); !reflect.DeepEqual(got, first) {
				t.Fatalf("a write behind the proxy's back showed through a hit: %v", got)
			}
			mustExec(t, c, "UPDATE ps_product SET name = 'through' WHERE id = 1")
			if got := queryStrings(t, c, q); len(got) != 1 || got[0][1] != "through" {
				t.Fatalf("after a write through the proxy: %v, want name 'through'", got)
			}

			// POST /cache/flush empties the cache.
			execIn(t, db, "UPDATE ps_product SET name = 'flushed' WHERE id = 1")
			queryStrings(t, c, q)
			tp.adminFlush(t)
			w = tp.window(t, c)
			if got := queryStrings(t, c, q); len(got) != 1 || got[0][1] != "flushed" {
				t.Fatalf("after POST /cache/flush: %v, want name 'flushed'", got)
			}
			if d := w.delta(t); d.Misses != 1 {
				t.Errorf("after POST /cache/flush: %+v, want a miss", d)
			}
		})
	}
}

// TestCacheHitAcrossConnections: PrestaShop opens new connections per
// request with the same session set-up; they share entries.
func TestCacheHitAcrossConnections(t *testing.T) {
	db := newDB(t, "share", productFixture...)
	tp := startProxy(t, proxycache.CacheLocal)
	q := "SELECT name FROM ps_product WHERE id = 2"
	setup := []string{"SET NAMES utf8mb4", "SET SESSION sql_mode = ''"}
	for i := range 3 {
		d := openClient(t, tp.Addr, db)
		c := oneConn(t, d)
		for _, s := range setup {
			mustExec(t, c, s)
		}
		w := tp.window(t, c)
		got := queryStrings(t, c, q)
		if len(got) != 1 || got[0][0] != "two" {
			t.Fatalf("connection %d: %v", i, got)
		}
		d0 := w.delta(t)
		if i > 0 && d0.Hits != 1 {
			t.Errorf("connection %d with the same session set-up: %+v, want a hit", i, d0)
		}
		c.Close()
		d.Close()
	}
}

func TestCacheNoSharing(t *testing.T) {
	needMySQL(t)
	t.Run("users", func(t *testing.T) {
		db := newDB(t, "users",
			"CREATE TABLE ps_owned (owner VARCHAR(80) NOT NULL, v VARCHAR(20) NOT NULL)",
			fmt.Sprintf("INSERT INTO ps_owned VALUES ('%s', 'data of user 1'), ('%s', 'data of user 2')", env.user, env.user2),
			"CREATE SQL SECURITY INVOKER VIEW ps_mine AS SELECT v FROM ps_owned WHERE owner = SUBSTRING_INDEX(CURRENT_USER(), '@', 1)",
			"CREATE TABLE ps_secret (v VARCHAR(20))",
			"INSERT INTO ps_secret VALUES ('top secret')",
		)
		rootExec(t,
			fmt.Sprintf("GRANT SELECT ON `%s`.`ps_owned` TO '%s'@'%%'", db, env.user2),
			fmt.Sprintf("GRANT SELECT ON `%s`.`ps_mine` TO '%s'@'%%'", db, env.user2),
		)
		for _, mode := range cacheTiers {
			t.Run("cache="+mode, func(t *testing.T) {
				tp := startProxy(t, mode, func(c *proxycache.Config) {
					c.Clients = []proxycache.ClientAccount{
						{User: "app1", Password: "pw1", BackendUser: env.user, BackendPassword: env.password},
						{User: "app2", Password: "pw2", BackendUser: env.user2, BackendPassword: env.password2},
					}
				})
				c1 := oneConn(t, openClient(t, tp.Addr, db, withUser("app1", "pw1")))
				c2 := oneConn(t, openClient(t, tp.Addr, db, withUser("app2", "pw2")))
				for range 2 {
					if got := queryStrings(t, c1, "SELECT v FROM ps_mine"); len(got) != 1 || got[0][0] != "data of user 1" {
						t.Fatalf("app1: %v", got)
					}
					if got := queryStrings(t, c1, "SELECT v FROM ps_secret"); len(got) != 1 {
						t.Fatalf("app1 secret: %v", got)
					}
				}
				w := tp.window(t, c2)
				if got := queryStrings(t, c2, "SELECT v FROM ps_mine"); len(got) != 1 || got[0][0] != "data of user 2" {
					t.Errorf("app2 got %v from the same text: user 1's entry was shared", got)
				}
				_, err := tryQueryStrings(c2, "SELECT v FROM ps_secret")
				if me := mysqlErr(err); me == nil || me.Number != 1142 {
					t.Errorf("app2 reading a table it has no grant on: %v, want error 1142 (user 1's cached rows were shared?)", err)
				}
				if d := w.delta(t); d.Hits != 0 {
					t.Errorf("app2 got %d hits on entries only app1 filled", d.Hits)
				}
			})
		}
	})

	t.Run("databases", func(t *testing.T) {
		dbA := newDB(t, "dbs_a", "CREATE TABLE ps_product (id INT PRIMARY KEY, name VARCHAR(32))", "INSERT INTO ps_product VALUES (1, 'in A')")
		dbB := newDB(t, "dbs_b", "CREATE TABLE ps_product (id INT PRIMARY KEY, name VARCHAR(32))", "INSERT INTO ps_product VALUES (1, 'in B')")
		for _, mode := range cacheTiers {
			t.Run("cache="+mode, func(t *testing.T) {
				tp := startProxy(t, mode)
				q := "SELECT name FROM ps_product WHERE id = 1"
				ca := oneConn(t, openClient(t, tp.Addr, dbA))
				for range 2 {
					if got := queryStrings(t, ca, q); got[0][0] != "in A" {
						t.Fatalf("db A: %v", got)
					}
				}
				// Another connection with database B in its handshake.
				cb := oneConn(t, openClient(t, tp.Addr, dbB))
				if got := queryStrings(t, cb, q); got[0][0] != "in B" {
					t.Errorf("handshake database B got %v: db A's entry was shared", got)
				}
				// The same connection after USE.
				mustExec(t, ca, "USE `"+dbB+"`")
				if got := queryStrings(t, ca, q); got[0][0] != "in B" {
					t.Errorf("after USE db B got %v: db A's entry was shared", got)
				}
				mustExec(t, ca, "USE `"+dbA+"`")
				if got := queryStrings(t, ca, q); got[0][0] != "in A" {
					t.Errorf("back in db A got %v", got)
				}
			})
		}
	})

	t.Run("sql_mode", func(t *testing.T) {
		db := newDB(t, "sqlmode", productFixture...)
		for _, mode := range cacheTiers {
			t.Run("cache="+mode, func(t *testing.T) {
				tp := startProxy(t, mode)
				d := openClient(t, tp.Addr, db)
				q := "SELECT id || 0 AS x FROM ps_product WHERE id = 1"
				pipes := oneConn(t, d)
				mustExec(t, pipes, "SET SESSION sql_mode = 'PIPES_AS_CONCAT'")
				for range 2 {
					if got := queryStrings(t, pipes, q); got[0][0] != "10" {
						t.Fatalf("PIPES_AS_CONCAT: %v, want 10", got)
					}
				}
				plain := oneConn(t, d)
				if got := queryStrings(t, plain, q); got[0][0] != "1" {
					t.Errorf("default sql_mode got %v, want 1 (logical OR): the PIPES_AS_CONCAT entry was shared", got)
				}
				if got := queryStrings(t, plain, "SELECT 'a' || 'b'"); got[0][0] != "0" {
					t.Errorf("SELECT 'a' || 'b' in default sql_mode: %v, want 0", got)
				}
				if got := queryStrings(t, pipes, "SELECT 'a' || 'b'"); got[0][0] != "ab" {
					t.Errorf("SELECT 'a' || 'b' under PIPES_AS_CONCAT: %v, want ab", got)
				}
				// The Doctrine connection's sql_mode change counts too.
				doctrine := oneConn(t, d)
				mustExec(t, doctrine, "SET SESSION sql_mode = 'PIPES_AS_CONCAT'")
				mustExec(t, doctrine, "SET sql_mode = (SELECT REPLACE(@@sql_mode, 'PIPES_AS_CONCAT', ''))")
				if got := queryStrings(t, doctrine, q); got[0][0] != "1" {
					t.Errorf("after removing PIPES_AS_CONCAT with a subquery SET: %v, want 1", got)
				}
			})
		}
	})
}

func TestCacheNeverCached(t *testing.T) {
	db := newDB(t, "never", productFixture...)
	for _, mode := range []string{proxycache.CacheLocal, proxycache.CacheLocalRedis} {
		t.Run("cache="+mode, func(t *testing.T) {
			tp := startProxy(t, mode)
			d := openClient(t, tp.Addr, db)
			tests := []struct {
				name   string
				query  string
				inTx   bool
				reason string
				// differs: the statement's values change between calls.
				differs bool
				// behind: a direct change the next read must show.
				behind string
			}{
				{name: "blacklisted", query: "SELECT id, qty FROM ps_cart WHERE id = 1", reason: "blacklisted", behind: "UPDATE ps_cart SET qty = qty + 1 WHERE id = 1"},
				{name: "blacklisted_quoted", query: "SELECT `c`.`qty`\nFROM `" + db + "`.`ps_cart` `c`\nWHERE `c`.`id` = 1", reason: "blacklisted", behind: "UPDATE ps_cart SET qty = qty + 1 WHERE id = 1"},
				{name: "blacklisted_join", query: "SELECT p.name, c.qty FROM ps_product p JOIN ps_cart c ON c.id = p.id ORDER BY p.id", reason: "blacklisted", behind: "UPDATE ps_cart SET qty = qty + 1"},
				{name: "blacklisted_subquery", query: "SELECT name FROM ps_product WHERE id IN (SELECT id FROM ps_cart WHERE qty > 0) ORDER BY id", reason: "blacklisted", behind: "UPDATE ps_cart SET qty = 1 - qty WHERE id = 2"},
				{name: "for_update_in_tx", query: "SELECT name FROM ps_product WHERE id = 1 FOR UPDATE", inTx: true, reason: "locking_read"},
				{name: "lock_in_share_mode", query: "SELECT name FROM ps_product WHERE id = 1 LOCK IN SHARE MODE", reason: "locking_read", behind: "UPDATE ps_product SET name = CONCAT(name, '+') WHERE id = 1"},
				{name: "now", query: "SELECT NOW(6), name FROM ps_product WHERE id = 1", reason: "nondeterministic"},
				{name: "rand", query: "SELECT RAND(), name FROM ps_product WHERE id = 1", reason: "nondeterministic", differs: true},
				{name: "uuid", query: "SELECT UUID() FROM ps_product WHERE id = 1", reason: "nondeterministic", differs: true},
				{name: "sql_no_cache", query: "SELECT SQL_NO_CACHE name FROM ps_product WHERE id = 2", reason: "sql_no_cache", behind: "UPDATE ps_product SET name = CONCAT(name, '+') WHERE id = 2"},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					c := oneConn(t, d)
					w := tp.window(t, c)
					var results [][][]string
					for i := range 3 {
						if tc.inTx {
							mustExec(t, c, "BEGIN")
						}
						results = append(results, queryStrings(t, c, tc.query))
						if tc.inTx {
							mustExec(t, c, "COMMIT")
						}
						if tc.behind != "" && i < 2 {
							execIn(t, db, tc.behind)
						}
					}
					dd := w.delta(t)
					if dd.Hits != 0 || dd.Misses != 0 {
						t.Errorf("%s: %d hits, %d misses; it must bypass the cache", tc.query, dd.Hits, dd.Misses)
					}
					if dd.Reasons[tc.reason] != 3 {
						t.Errorf("bypass reasons %v, want %s x3", dd.Reasons, tc.reason)
					}
					if tc.behind != "" || tc.differs {
						if reflect.DeepEqual(results[0], results[1]) || reflect.DeepEqual(results[1], results[2]) {
							t.Errorf("results did not change between calls: %v", results)
						}
					}
					// Direct MariaDB agrees on the last value (for the
					// deterministic statements).
					if tc.behind != "" {
						want := queryStrings(t, openDirect(t, db), tc.query)
						if !reflect.DeepEqual(want, results[2]) {
							t.Errorf("proxy %v, MariaDB %v", results[2], want)
						}
					}
				})
			}
			if n, ok := statBypass(tp.adminStats(t), "blacklisted"); !ok || n < 3 {
				t.Errorf("GET /stats bypass.blacklisted = %v (found %v), want >= 3", n, ok)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Invalidation

// invEnv is what an invalidation case's write gets.
type invEnv struct {
	t      *testing.T
	tp     *testProxy
	db     string
	w      *sql.Conn // the writer's proxied connection
	r      *sql.Conn // the reader's proxied connection (cached reads)
	direct *sql.DB
}

type invCase struct {
	name  string
	setup []string
	reads []string
	write func(e invEnv)
}

func execs(stmts ...string) func(e invEnv) {
	return func(e invEnv) {
		for _, s := range stmts {
			mustExec(e.t, e.w, s)
		}
	}
}

func invCases(t *testing.T) []invCase {
	readProduct := "SELECT * FROM ps_product ORDER BY id"
	readStock := "SELECT `id`, `qty` FROM `ps_stock` ORDER BY `id`"
	readCount := "SELECT COUNT(*) FROM ps_product"
	readJoin := "SELECT p.name, s.qty FROM ps_product p JOIN ps_stock s ON s.id = p.id ORDER BY p.id"
	all := []string{readProduct, readStock, readCount, readJoin}
	csv := filepath.Join(t.TempDir(), "psbt_inv.csv")
	if err := os.WriteFile(csv, []byte("7\tseven\n8\teight\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mysql.RegisterLocalFile(csv)
	t.Cleanup(func() { mysql.DeregisterLocalFile(csv) })
	return []invCase{
		{name: "update", reads: all, write: execs("UPDATE ps_product SET name = 'new' WHERE id = 1")},
		{name: "update_qualified", reads: all, write: func(e invEnv) {
			mustExec(e.t, e.w, "UPDATE `"+e.db+"`.`ps_stock` SET `qty` = 99 WHERE `id` = 2")
		}},
		{name: "multi_table_update", reads: all, write: execs("UPDATE ps_product p JOIN ps_stock s ON s.id = p.id SET s.qty = s.qty + 5 WHERE p.name = 'one'")},
		{name: "multi_table_update_both", reads: all, write: execs("UPDATE ps_product p, ps_stock s SET p.name = 'both', s.qty = 0 WHERE p.id = s.id AND p.id = 3")},
		{name: "delete", reads: all, write: execs("DELETE FROM ps_product WHERE id = 2")},
		{name: "multi_table_delete", reads: all, write: execs("DELETE s FROM ps_stock s JOIN ps_product p ON p.id = s.id WHERE p.name = 'two'")},
		{name: "insert", reads: all, write: execs("INSERT INTO ps_product (id, name) VALUES (4, 'four')")},
		{name: "insert_select", reads: all, write: execs("INSERT INTO ps_product (id, name) SELECT id + 100, CONCAT('stock ', qty) FROM ps_stock")},
		{name: "insert_on_duplicate", reads: all, write: execs("INSERT INTO ps_product VALUES (1, 'dup') ON DUPLICATE KEY UPDATE name = VALUES(name)")},
		{name: "replace", reads: all, write: execs("REPLACE INTO ps_product (id, name) VALUES (1, 'replaced'), (9, 'nine')")},
		{name: "truncate", reads: all, write: execs("TRUNCATE TABLE ps_product")},
		{name: "alter_add_column", reads: all, write: execs("ALTER TABLE ps_product ADD COLUMN extra INT NOT NULL DEFAULT 7")},
		{name: "drop_create", reads: all, write: execs(
			"DROP TABLE ps_product",
			"CREATE TABLE ps_product (id INT PRIMARY KEY, name VARCHAR(32) NOT NULL, price DECIMAL(6,2))",
			"INSERT INTO ps_product VALUES (1, 'recreated', 1.50)")},
		{name: "rename", reads: all, write: execs("RENAME TABLE ps_product TO ps_product_old, ps_stock TO ps_product, ps_product_old TO ps_stock")},
		{name: "multi_statement", reads: all, write: func(e invEnv) {
			c := oneConn(e.t, openClient(e.t, e.tp.Addr, e.db, withMulti))
			mustExec(e.t, c, "UPDATE ps_product SET name = 'multi' WHERE id = 1; UPDATE ps_stock SET qty = 1 WHERE id = 1")
		}},
		{name: "stored_procedure", reads: all,
			setup: []string{"CREATE PROCEDURE upd() BEGIN UPDATE ps_product SET name = 'from proc' WHERE id = 3; END"},
			write: execs("CALL upd()")},
		{name: "load_data_local", reads: all, write: execs("LOAD DATA LOCAL INFILE '" + csv + "' INTO TABLE ps_product")},
		{name: "prepared_update", reads: all, write: func(e invEnv) {
			mustExec(e.t, e.w, "UPDATE ps_product SET name = ? WHERE id = ?", "prepared", 2)
		}},
		{name: "prepared_insert", reads: all, write: func(e invEnv) {
			mustExec(e.t, e.w, "INSERT INTO ps_stock (id, qty) VALUES (?, ?)", 4, 40)
		}},
		{name: "other_database_qualified", reads: all, write: func(e invEnv) {
			other := newDB(e.t, "inv_other")
			c := oneConn(e.t, openClient(e.t, e.tp.Addr, other))
			mustExec(e.t, c, "UPDATE `"+e.db+"`.ps_product SET name = 'cross-db' WHERE id = 1")
		}},
		{name: "tx_commit_later", reads: all, write: func(e invEnv) {
			mustExec(e.t, e.w, "BEGIN")
			mustExec(e.t, e.w, "UPDATE ps_product SET name = 'in tx' WHERE id = 1")
			mustExec(e.t, e.w, "UPDATE ps_stock SET qty = -1 WHERE id = 1")
			// Before COMMIT other sessions still read (and may cache) the
			// old rows.
			for range 2 {
				if got := queryStrings(e.t, e.r, readProduct); got[0][1] != "one" {
					e.t.Fatalf("uncommitted change visible to another session: %v", got)
				}
				queryStrings(e.t, e.r, readJoin)
			}
			mustExec(e.t, e.w, "COMMIT")
		}},
		{name: "tx_autocommit_off", reads: all, write: func(e invEnv) {
			mustExec(e.t, e.w, "SET autocommit = 0")
			mustExec(e.t, e.w, "UPDATE ps_product SET name = 'autocommit off' WHERE id = 2")
			for range 2 {
				if got := queryStrings(e.t, e.r, readProduct); got[1][1] != "two" {
					e.t.Fatalf("uncommitted change visible to another session: %v", got)
				}
			}
			mustExec(e.t, e.w, "COMMIT")
			mustExec(e.t, e.w, "SET autocommit = 1")
		}},
		{name: "tx_rollback", reads: all, write: func(e invEnv) {
			mustExec(e.t, e.w, "START TRANSACTION")
			mustExec(e.t, e.w, "DELETE FROM ps_product")
			if got := queryStrings(e.t, e.w, readCount); got[0][0] != "0" {
				e.t.Fatalf("inside the transaction: %v, want 0", got)
			}
			mustExec(e.t, e.w, "ROLLBACK")
		}},
	}
}

func TestCacheInvalidation(t *testing.T) {
	needMySQL(t)
	cases := invCases(t)
	for _, mode := range cacheTiers {
		t.Run("cache="+mode, func(t *testing.T) {
			needMode(t, mode)
			tp := startProxy(t, mode)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					db := newDB(t, "inv", append(append([]string{}, productFixture...), tc.setup...)...)
					pool := openClient(t, tp.Addr, db)
					e := invEnv{t: t, tp: tp, db: db, w: oneConn(t, pool), r: oneConn(t, pool), direct: openDirect(t, db)}
					// Fill the cache and check it serves these reads.
					w := tp.window(t, e.r)
					for _, q := range tc.reads {
						queryStrings(t, e.r, q)
						queryStrings(t, e.r, q)
					}
					if d := w.delta(t); d.Hits < len(tc.reads) {
						t.Fatalf("reads were not cached before the write (%+v): the case proves nothing", d)
					}
					tc.write(e)
					// Every read, on the reader's connection, on a new
					// connection, and once more (refilled), matches MariaDB.
					fresh := oneConn(t, openClient(t, tp.Addr, db))
					for _, q := range tc.reads {
						want, werr := tryQueryStrings(e.direct, q)
						for i, c := range []*sql.Conn{e.r, fresh, e.r} {
							got, gerr := tryQueryStrings(c, q)
							if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
								t.Errorf("%s (read %d after the write)\n  proxy: %v %v\n  MariaDB: %v %v", q, i, got, gerr, want, werr)
							}
						}
					}
				})
			}
		})
	}
}

// TestTemporaryTableShadowing: a temporary table with a real table's name
// hides it in its own session only, and its rows never enter the cache.
func TestTemporaryTableShadowing(t *testing.T) {
	for _, mode := range cacheTiers {
		t.Run("cache="+mode, func(t *testing.T) {
			needMode(t, mode)
			db := newDB(t, "temp", productFixture...)
			tp := startProxy(t, mode)
			d := openClient(t, tp.Addr, db)
			q := "SELECT id, name FROM ps_product ORDER BY id"
			real := [][]string{{"1", "one"}, {"2", "two"}, {"3", "three"}}
			temp := [][]string{{"9", "temporary"}}

			a := oneConn(t, d)
			for range 2 {
				if got := queryStrings(t, a, q); !reflect.DeepEqual(got, real) {
					t.Fatalf("before: %v", got)
				}
			}
			mustExec(t, a, "CREATE TEMPORARY TABLE ps_product (id INT, name VARCHAR(32))")
			mustExec(t, a, "INSERT INTO ps_product VALUES (9, 'temporary')")
			w := tp.window(t, a)
			for range 2 {
				if got := queryStrings(t, a, q); !reflect.DeepEqual(got, temp) {
					t.Fatalf("the session with the temporary table read %v, want %v", got, temp)
				}
			}
			if dd := w.delta(t); dd.Hits != 0 || dd.Reasons["temporary_table"] != 2 {
				t.Errorf("reads of the temporary table: %+v, want 2 bypasses (temporary_table)", dd)
			}
			b := oneConn(t, d)
			if got := queryStrings(t, b, q); !reflect.DeepEqual(got, real) {
				t.Errorf("another session read %v, want the real table %v", got, real)
			}
			mustExec(t, a, "DROP TEMPORARY TABLE ps_product")
			if got := queryStrings(t, a, q); !reflect.DeepEqual(got, real) {
				t.Errorf("after DROP TEMPORARY TABLE: %v", got)
			}

			// A temporary table created before anything was cached: its
			// rows must not be stored for others.
			c := oneConn(t, d)
			q2 := "SELECT id, qty FROM ps_stock WHERE id < 100 ORDER BY id"
			mustExec(t, c, "CREATE TEMPORARY TABLE ps_stock AS SELECT id + 1000 AS id, qty FROM ps_stock")
			for range 2 {
				if got := queryStrings(t, c, q2); len(got) != 0 {
					t.Fatalf("the temporary ps_stock has no id < 100, got %v", got)
				}
			}
			if got := queryStrings(t, b, q2); len(got) != 3 {
				t.Errorf("another session read %v from ps_stock: the temporary table's result was shared", got)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Redis failures

// redisChild is a redis-server the test owns.
type redisChild struct {
	t    *testing.T
	bin  string
	port int
	cmd  *exec.Cmd
	out  *bytes.Buffer
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startRedisChild(t *testing.T) *redisChild {
	t.Helper()
	bin := needTool(t, "redis-server", "redis-server")
	r := &redisChild{t: t, bin: bin, port: freePort(t)}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisChild) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)) }

func (r *redisChild) start() {
	r.t.Helper()
	r.out = &bytes.Buffer{}
	r.cmd = exec.Command(r.bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no")
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for pingRedis(r.addr()) != nil {
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on port %d did not come up: %s", r.port, r.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL and reaps the process.
func (r *redisChild) kill() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

func (r *redisChild) signal(sig syscall.Signal) {
	r.t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Fatalf("signal redis-server: %v", err)
	}
}

func (r *redisChild) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
	}
	r.kill()
}

func TestRedisKilledMidRun(t *testing.T) {
	needMySQL(t)
	for _, mode := range []string{proxycache.CacheRedis, proxycache.CacheLocalRedis} {
		t.Run("cache="+mode, func(t *testing.T) {
			rc := startRedisChild(t)
			db := newDB(t, "rkill", productFixture...)
			tp := startProxy(t, mode, func(c *proxycache.Config) { c.Cache.Redis.Addr = rc.addr() })
			d := oneConn(t, openClient(t, tp.Addr, db))
			queries := []string{
				"SELECT name FROM ps_product WHERE id = 1",
				"SELECT qty FROM ps_stock WHERE id = 2",
			}
			wants := []string{"one", "20"}
			check := func(i int) {
				for j, q := range queries {
					got, err := tryQueryStrings(d, q)
					if err != nil {
						t.Fatalf("iteration %d: client error: %v", i, err)
					}
					if len(got) != 1 || got[0][0] != wants[j] {
						t.Fatalf("iteration %d: %s = %v, want %s", i, q, got, wants[j])
					}
				}
			}
			w := tp.window(t, d)
			for i := range 10 {
				check(i)
			}
			if c := w.delta(t); c.Hits == 0 {
				t.Fatalf("no hits before the outage: %+v", c)
			}
			rc.kill()
			w = tp.window(t, d)
			start := time.Now()
			for i := range 60 {
				check(i)
			}
			// A write during the outage: the proxy must still serve it and
			// never serve the old row afterwards.
			mustExec(t, d, "UPDATE ps_product SET name = 'during outage' WHERE id = 1")
			wants[0] = "during outage"
			check(-1)
			dd := w.delta(t)
			t.Logf("during the outage (%v): %+v", time.Since(start).Round(time.Millisecond), dd)
			if mode == proxycache.CacheRedis {
				// The only tier is down: every read passes through.
				if dd.Reasons["cache_unavailable"] == 0 || dd.Hits != 0 {
					t.Errorf("with the only tier down: %+v, want cache_unavailable bypasses and no hits", dd)
				}
				if n, ok := statBypass(tp.adminStats(t), "cache_unavailable"); !ok || n == 0 {
					t.Errorf("GET /stats bypass.cache_unavailable = %v (found %v), want > 0", n, ok)
				}
			}
			// The tier reports itself unavailable (local+redis keeps serving
			// from the in-process tier, so this is its only sign).
			waitFor(t, 5*time.Second, "the cache to report Redis unavailable", func() bool {
				check(-4)
				return !tp.P.Usage().Available
			})

			rc.start()
			w = tp.window(t, d)
			waitFor(t, 15*time.Second, "hits to resume and Redis to be available again", func() bool {
				check(-2)
				return w.delta(t).Hits > 0 && tp.P.Usage().Available
			})
			check(-3)
		})
	}
}

// TestRedisStalled: Redis stops answering (SIGSTOP) while holding entries;
// a write through the proxy during the stall must not let the old entry be
// served once Redis answers again.
func TestRedisStalled(t *testing.T) {
	needMySQL(t)
	rc := startRedisChild(t)
	db := newDB(t, "rstall", productFixture...)
	tp := startProxy(t, proxycache.CacheRedis, func(c *proxycache.Config) { c.Cache.Redis.Addr = rc.addr() })
	d := oneConn(t, openClient(t, tp.Addr, db))
	q := "SELECT name FROM ps_product WHERE id = 1"
	w := tp.window(t, d)
	for range 3 {
		if got := queryStrings(t, d, q); got[0][0] != "one" {
			t.Fatalf("before: %v", got)
		}
	}
	if w.delta(t).Hits == 0 {
		t.Fatalf("no hits before the stall")
	}
	rc.signal(syscall.SIGSTOP)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	start := time.Now()
	_, err := d.ExecContext(ctx, "UPDATE ps_product SET name = 'while stalled' WHERE id = 1")
	cancel()
	if err != nil {
		t.Fatalf("write while Redis is stalled: %v", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("a write took %v while Redis was stalled (timeout %v)", el, tp.Cfg.Cache.Redis.Timeout)
	}
	for range 3 {
		if got := queryStrings(t, d, q); got[0][0] != "while stalled" {
			t.Fatalf("while stalled: %v", got)
		}
	}
	rc.signal(syscall.SIGCONT)
	w = tp.window(t, d)
	deadline := time.Now().Add(15 * time.Second)
	for w.delta(t).Hits == 0 && time.Now().Before(deadline) {
		if got := queryStrings(t, d, q); got[0][0] != "while stalled" {
			t.Fatalf("after Redis came back: %v: the entry invalidated during the stall was served", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if w.delta(t).Hits == 0 {
		t.Errorf("no hits within 15s after Redis came back")
	}
	if got := queryStrings(t, d, q); got[0][0] != "while stalled" {
		t.Fatalf("after recovery: %v", got)
	}
}

// TestTwoNodesShareRedis: two proxies (two shop nodes) on one Redis: a
// write through one node invalidates the other's entries, at once with the
// Redis tier alone, within a bounded delay through pub/sub with local+redis.
func TestTwoNodesShareRedis(t *testing.T) {
	for _, mode := range []string{proxycache.CacheRedis, proxycache.CacheLocalRedis} {
		t.Run("cache="+mode, func(t *testing.T) {
			needMode(t, mode)
			db := newDB(t, "nodes", productFixture...)
			a := startProxy(t, mode)
			b := startProxy(t, mode, func(c *proxycache.Config) { c.Cache.Redis.KeyPrefix = a.Cfg.Cache.Redis.KeyPrefix })
			ca := oneConn(t, openClient(t, a.Addr, db))
			cb := oneConn(t, openClient(t, b.Addr, db))
			q := "SELECT name FROM ps_product WHERE id = 3"
			w := b.window(t, cb)
			for range 3 {
				if got := queryStrings(t, cb, q); got[0][0] != "three" {
					t.Fatalf("node B: %v", got)
				}
			}
			if d := w.delta(t); d.Hits != 2 {
				t.Fatalf("node B: %+v, want 2 hits", d)
			}
			if mode == proxycache.CacheRedis {
				// Node A finds node B's entry in the shared Redis.
				wa := a.window(t, ca)
				if got := queryStrings(t, ca, q); got[0][0] != "three" {
					t.Fatalf("node A: %v", got)
				}
				if d := wa.delta(t); d.Hits != 1 {
					t.Errorf("node A did not hit node B's entry in the shared Redis: %+v", d)
				}
			}
			mustExec(t, ca, "UPDATE ps_product SET name = 'updated on A' WHERE id = 3")
			if mode == proxycache.CacheRedis {
				if got := queryStrings(t, cb, q); got[0][0] != "updated on A" {
					t.Fatalf("node B after node A's write: %v (stale entry served)", got)
				}
				return
			}
			waitFor(t, 5*time.Second, "node B to see node A's write", func() bool {
				return queryStrings(t, cb, q)[0][0] == "updated on A"
			})
			// And it stays fresh (no stale L2 entry refilled into L1).
			for range 5 {
				if got := queryStrings(t, cb, q); got[0][0] != "updated on A" {
					t.Fatalf("node B went back to a stale value: %v", got)
				}
			}
		})
	}
}
