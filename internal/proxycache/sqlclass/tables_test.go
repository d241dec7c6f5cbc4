package sqlclass

import "testing"

func TestClassifyTablesRead(t *testing.T) {
	c := newTestClassifier(t)
	cases := []struct {
		name string
		sql  string
		want Classification
	}{
		{"back-quoted, mixed case, schema", "SELECT * FROM `Other`.`PS_Cart` JOIN `PS_Product`", selectOK("other.ps_cart", "ps_product")},
		{"aliases are not tables", "SELECT p.a, pl.b FROM ps_product p JOIN ps_product_lang AS pl ON p.id = pl.id", selectOK("ps_product", "ps_product_lang")},
		{"alias named like a table", "SELECT ps_x.a FROM ps_y AS ps_x", selectOK("ps_y")},
		{"deduplicated in order", "SELECT * FROM b JOIN a ON 1 JOIN b b2 ON 1 WHERE EXISTS (SELECT 1 FROM a)", selectOK("b", "a")},
		{"join kinds", "SELECT * FROM a LEFT JOIN b USING (id) RIGHT JOIN c ON 1 CROSS JOIN d STRAIGHT_JOIN e NATURAL JOIN f", selectOK("a", "b", "c", "d", "e", "f")},
		{"comma joins", "SELECT * FROM a, b, shop2.c", selectOK("a", "b", "shop2.c")},
		{"parenthesised join", "SELECT * FROM a JOIN (b JOIN c ON b.id = c.id) ON a.id = b.id", selectOK("a", "b", "c")},
		{"derived table", "SELECT d.n FROM (SELECT COUNT(*) n FROM a JOIN b ON 1) AS d", selectOK("a", "b")},
		{"lateral derived table", "SELECT * FROM a, LATERAL (SELECT * FROM b WHERE b.id = a.id) d", selectOK("a", "b")},
		{"subquery in select list", "SELECT (SELECT MAX(x) FROM b WHERE b.id = a.id) FROM a", selectOK("b", "a")},
		{"subqueries in WHERE", "SELECT 1 FROM a WHERE x IN (SELECT x FROM b) AND EXISTS (SELECT 1 FROM c) AND y > (SELECT AVG(y) FROM d) AND z NOT IN (SELECT z FROM e)", selectOK("a", "b", "c", "d", "e")},
		{"subquery in HAVING and ORDER BY", "SELECT x FROM a GROUP BY x HAVING COUNT(*) > (SELECT 1 FROM b) ORDER BY (SELECT 2 FROM c)", selectOK("a", "b", "c")},
		{"union branches", "SELECT x FROM a UNION (SELECT x FROM b UNION SELECT x FROM c) ORDER BY x", selectOK("a", "b", "c")},
		{"CTE name is not a table", "WITH top AS (SELECT id FROM ps_product ORDER BY sales LIMIT 5) SELECT * FROM top JOIN ps_product_lang pl ON pl.id = top.id", selectOK("ps_product", "ps_product_lang")},
		{"CTE chain", "WITH a AS (SELECT * FROM t1), b AS (SELECT * FROM a JOIN t2) SELECT * FROM b", selectOK("t1", "t2")},
		{"recursive CTE", "WITH RECURSIVE tree AS (SELECT id FROM ps_category WHERE id = 1 UNION ALL SELECT c.id FROM ps_category c JOIN tree ON c.parent = tree.id) SELECT * FROM tree", selectOK("ps_category")},
		{"non-recursive CTE naming its own table", "WITH t AS (SELECT * FROM t) SELECT * FROM t", selectOK("t")},
		{"CTE shadowing is unqualified only", "WITH t AS (SELECT 1) SELECT * FROM t JOIN shop.t", selectOK("t")},
		{"CTE scope ends with its query", "SELECT * FROM (WITH c AS (SELECT 1) SELECT * FROM c) d JOIN c", selectOK("c")},
		{"CTE inside a union branch", "SELECT 1 UNION (WITH c AS (SELECT * FROM u) SELECT * FROM c)", selectOK("u")},
		{"CTE in a subquery", "SELECT * FROM a WHERE id IN (WITH c AS (SELECT id FROM b) SELECT id FROM c)", selectOK("a", "b")},
		{"index hints and partitions", "SELECT * FROM a USE INDEX (i1) JOIN b FORCE INDEX FOR JOIN (i2) ON 1 JOIN c PARTITION (p0) ON 1", selectOK("a", "b", "c")},
		{"optimizer hints name aliases", "SELECT /*+ JOIN_ORDER(x, y) */ * FROM a x JOIN b y ON 1", selectOK("a", "b")},
		{"TABLE statement", "TABLE shop2.t", selectOK("shop2.t")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertClassification(t, tc.sql, c.Classify(tc.sql, testDB), tc.want)
		})
	}
}

func TestClassifyTablesWritten(t *testing.T) {
	c := newTestClassifier(t)
	cases := []struct {
		name string
		sql  string
		want Classification
	}{
		// INSERT, REPLACE, LOAD DATA
		{"insert values", "INSERT INTO `ps_connections` (`id_guest`, `date_add`) VALUES (1, '2024-05-06 10:00:00')", write(KindInsert, refs("ps_connections"))},
		{"insert set", "INSERT INTO shop2.t SET a = 1", write(KindInsert, refs("shop2.t"))},
		{"insert ignore, multi-row", "INSERT IGNORE INTO t (a) VALUES (1), (2)", write(KindInsert, refs("t"))},
		{"insert select", "INSERT INTO t (a) SELECT a FROM u JOIN v ON 1", write(KindInsert, refs("t"), "u", "v")},
		{"insert select from itself", "INSERT INTO t SELECT * FROM t", write(KindInsert, refs("t"), "t")},
		{"insert with subquery value", "INSERT INTO t (a) VALUES ((SELECT MAX(a) FROM u))", write(KindInsert, refs("t"), "u")},
		{"on duplicate key update", "INSERT INTO ps_page_viewed (id_page, counter) VALUES (1, 1) ON DUPLICATE KEY UPDATE counter = counter + 1", write(KindInsert, refs("ps_page_viewed"))},
		{"on duplicate key update with subquery", "INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(a) + (SELECT 1 FROM u)", write(KindInsert, refs("t"), "u")},
		{"insert with CTE", "INSERT INTO t WITH c AS (SELECT a FROM u) SELECT * FROM c", write(KindInsert, refs("t"), "u")},
		{"replace", "REPLACE INTO t (a) VALUES (1)", write(KindReplace, refs("t"))},
		{"replace select", "REPLACE INTO t SELECT * FROM u", write(KindReplace, refs("t"), "u")},
		{"load data", "LOAD DATA LOCAL INFILE '/tmp/x.csv' INTO TABLE shop2.t FIELDS TERMINATED BY ','", write(KindLoad, refs("shop2.t"))},

		// UPDATE
		{"update", "UPDATE `ps_configuration` SET `value` = '1' WHERE `name` = 'PS_X'", write(KindUpdate, refs("ps_configuration"))},
		{"update with subquery", "UPDATE t SET a = (SELECT MAX(a) FROM u) WHERE id IN (SELECT id FROM v)", write(KindUpdate, refs("t"), "u", "v")},
		{"multi-table update, qualified", "UPDATE ps_a a JOIN ps_b b ON a.id = b.id SET a.x = b.x WHERE b.y = 1", write(KindUpdate, refs("ps_a"), "ps_b")},
		{"multi-table update, both", "UPDATE ps_a a, ps_b b SET a.x = 1, b.y = 2 WHERE a.id = b.id", write(KindUpdate, refs("ps_a", "ps_b"))},
		{"multi-table update by table name", "UPDATE ps_a JOIN ps_b ON ps_a.id = ps_b.id SET ps_b.x = 1", write(KindUpdate, refs("ps_b"), "ps_a")},
		{"multi-table update schema-qualified", "UPDATE shop2.a JOIN b ON 1 SET shop2.a.x = 1", write(KindUpdate, refs("shop2.a"), "b")},
		{"multi-table update, unqualified column", "UPDATE ps_a a JOIN ps_b b ON a.id = b.id SET x = 1", write(KindUpdate, refs("ps_a", "ps_b"))},
		{"update joined with derived table", "UPDATE t JOIN (SELECT id, MAX(v) m FROM u GROUP BY id) d ON d.id = t.id SET t.v = d.m", write(KindUpdate, refs("t"), "u")},
		{"update joined with CTE", "WITH c AS (SELECT id FROM u) UPDATE t JOIN c ON t.id = c.id SET t.a = 1", write(KindUpdate, refs("t"), "u")},
		{"update with unknown qualifier", "UPDATE a JOIN b ON 1 SET zz.x = 1",
			Classification{Kind: KindUpdate, Reason: ReasonNotSelect, Reads: refs("a", "b"), InvalidatesAll: true}},

		// DELETE
		{"delete", "DELETE FROM `ps_cart_product` WHERE `id_cart` = 5", write(KindDelete, refs("ps_cart_product"))},
		{"delete with subquery", "DELETE FROM t WHERE id IN (SELECT id FROM u)", write(KindDelete, refs("t"), "u")},
		{"delete with CTE", "WITH c AS (SELECT id FROM u) DELETE FROM t WHERE id IN (SELECT id FROM c)", write(KindDelete, refs("t"), "u")},
		{"multi-table delete by alias", "DELETE cp FROM ps_cart_product cp LEFT JOIN ps_product p ON cp.id_product = p.id_product WHERE p.id_product IS NULL", write(KindDelete, refs("ps_cart_product"), "ps_product")},
		{"multi-table delete, two targets", "DELETE a, b FROM ps_x a JOIN ps_y AS b ON a.id = b.id JOIN ps_z c ON 1", write(KindDelete, refs("ps_x", "ps_y"), "ps_z")},
		{"multi-table delete, USING", "DELETE FROM a USING ps_x a JOIN ps_y ON 1", write(KindDelete, refs("ps_x"), "ps_y")},
		{"multi-table delete by name with .*", "DELETE ps_x.* FROM ps_x JOIN ps_y ON 1", write(KindDelete, refs("ps_x"), "ps_y")},
		{"multi-table delete, schema-qualified", "DELETE shop2.t FROM shop2.t JOIN u ON 1", write(KindDelete, refs("shop2.t"), "u")},
		{"multi-table delete, unknown target", "DELETE zz FROM a JOIN b ON 1",
			Classification{Kind: KindDelete, Reason: ReasonNotSelect, Reads: refs("a", "b"), Writes: refs("zz"), InvalidatesAll: true}},

		// DDL
		{"truncate", "TRUNCATE TABLE ps_log", write(KindDDL, refs("ps_log"))},
		{"create table", "CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY, a VARCHAR(10))", write(KindDDL, refs("t"))},
		{"create table like", "CREATE TABLE t2 LIKE shop2.t", write(KindDDL, refs("t2"), "shop2.t")},
		{"create table select", "CREATE TABLE t2 AS SELECT a FROM t JOIN u ON 1", write(KindDDL, refs("t2"), "t", "u")},
		{"create table with foreign key", "CREATE TABLE c (id INT, p INT, FOREIGN KEY (p) REFERENCES parent (id))", write(KindDDL, refs("c"), "parent")},
		{"alter table", "ALTER TABLE ps_x ADD COLUMN y INT", write(KindDDL, refs("ps_x"))},
		{"alter table rename", "ALTER TABLE ps_x RENAME TO ps_y", write(KindDDL, refs("ps_x", "ps_y"))},
		{"alter table exchange partition", "ALTER TABLE t EXCHANGE PARTITION p0 WITH TABLE u", write(KindDDL, refs("t", "u"))},
		{"rename table", "RENAME TABLE a TO b, shop2.c TO d", write(KindDDL, refs("a", "b", "shop2.c", "d"))},
		{"create index", "CREATE INDEX i ON t (a)", write(KindDDL, refs("t"))},
		{"drop index", "DROP INDEX i ON t", write(KindDDL, refs("t"))},
		{"create view", "CREATE OR REPLACE VIEW v AS SELECT a FROM t JOIN u ON 1", write(KindDDL, refs("v"), "t", "u")},
		{"drop view", "DROP VIEW IF EXISTS v", write(KindDDL, refs("v"))},
		{"optimize table", "OPTIMIZE TABLE t, u", write(KindDDL, refs("t", "u"))},
		{"drop table", "DROP TABLE IF EXISTS a, shop2.b", Classification{Kind: KindDDL, Reason: ReasonNotSelect,
			Writes: refs("a", "shop2.b"), Session: SessionEffect{DropsTables: refs("a", "shop2.b")}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertClassification(t, tc.sql, c.Classify(tc.sql, testDB), tc.want)
		})
	}
}
