package sqlclass

import (
	"reflect"
	"testing"
)

func TestClassifySessionEffects(t *testing.T) {
	c := newTestClassifier(t)
	sysvar := SessionEffect{SetsSystemVariables: true}
	cases := []struct {
		sql  string
		kind Kind
		want SessionEffect
	}{
		{"USE shop2", KindUse, SessionEffect{UseDB: "shop2"}},
		{"USE `My-Shop`", KindUse, SessionEffect{UseDB: "My-Shop"}},
		{"SET NAMES utf8mb4", KindSet, sysvar},
		{"SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'", KindSet, sysvar},
		{"/*!40101 SET NAMES utf8 */", KindSet, sysvar},
		{"SET CHARACTER SET utf8mb4", KindSet, sysvar},
		{"SET CHARSET utf8mb4", KindSet, sysvar},
		{"SET sql_mode = ''", KindSet, sysvar},
		{"SET SESSION sql_mode = ''", KindSet, sysvar},
		{"SET LOCAL sql_mode = ''", KindSet, sysvar},
		{"SET @@sql_mode = ''", KindSet, sysvar},
		{"SET @@session.time_zone = '+00:00'", KindSet, sysvar},
		{"SET @@local.autocommit = 0", KindSet, sysvar},
		{"SET GLOBAL max_connections = 100", KindSet, sysvar},
		{"SET sql_mode = (SELECT REPLACE(@@sql_mode, 'ONLY_FULL_GROUP_BY', ''))", KindSet, sysvar},
		{"SET @a = 1, time_zone = '+01:00'", KindSet, sysvar},
		{"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", KindSet, sysvar},
		{"SET ROLE ALL", KindSet, sysvar},
		{"SET @a = 1", KindSet, SessionEffect{}},
		{"SET @a = 1, @b := (SELECT 2)", KindSet, SessionEffect{}},
		{"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", KindSet, SessionEffect{}},
		{"CREATE TEMPORARY TABLE tmp_cart (id INT)", KindDDL, SessionEffect{CreatesTemporary: refs("tmp_cart")}},
		{"CREATE TEMPORARY TABLE IF NOT EXISTS shop2.tmp SELECT * FROM t", KindDDL, SessionEffect{CreatesTemporary: refs("shop2.tmp")}},
		{"CREATE TEMPORARY TABLE tmp LIKE ps_product", KindDDL, SessionEffect{CreatesTemporary: refs("tmp")}},
		{"CREATE TABLE not_tmp (id INT)", KindDDL, SessionEffect{}},
		{"DROP TEMPORARY TABLE IF EXISTS tmp", KindDDL, SessionEffect{DropsTables: refs("tmp")}},
		{"DROP TABLE tmp, shop2.other", KindDDL, SessionEffect{DropsTables: refs("tmp", "shop2.other")}},
		{"DROP VIEW v", KindDDL, SessionEffect{}},
		{"SELECT 1", KindSelect, SessionEffect{}},
	}
	for _, tc := range cases {
		cl := c.Classify(tc.sql, testDB)
		if cl.Kind != tc.kind {
			t.Errorf("%q: kind %q, want %q", tc.sql, cl.Kind, tc.kind)
		}
		if !reflect.DeepEqual(cl.Session, tc.want) {
			t.Errorf("%q: session %+v, want %+v", tc.sql, cl.Session, tc.want)
		}
	}
}

func TestClassifySessionPrestaShopConnectionSetup(t *testing.T) {
	// The statements PrestaShop's PDO and Doctrine connections send on
	// connect; the Doctrine one reads @@sql_mode in a subquery.
	c := newTestClassifier(t)
	for _, sql := range []string{
		"SET NAMES utf8mb4",
		"SET SESSION sql_mode = ''",
		"SET sql_mode = (SELECT REPLACE(@@sql_mode, 'ONLY_FULL_GROUP_BY', ''))",
		"SET SESSION sql_mode = (SELECT REPLACE(@@sql_mode, 'ONLY_FULL_GROUP_BY', ''))",
	} {
		assertClassification(t, sql, c.Classify(sql, testDB), Classification{
			Kind: KindSet, Reason: ReasonNotSelect, Session: SessionEffect{SetsSystemVariables: true}})
	}
}
