package external

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	"github.com/psbench/psbench/internal/scenario"
)

// testDB creates a small PrestaShop-shaped database on the machine's MariaDB.
func testDB(t *testing.T) (*sql.DB, string) {
	t.Helper()
	root, err := sql.Open("mysql", "root:@tcp(127.0.0.1:3306)/?multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	if err := root.Ping(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("MariaDB at 127.0.0.1:3306: %v", err)
		}
		t.Skipf("MariaDB at 127.0.0.1:3306 not reachable: %v", err)
	}
	const db = "psbench_external_test"
	_, err = root.Exec(`DROP DATABASE IF EXISTS ` + db + `; CREATE DATABASE ` + db + `; USE ` + db + `;
CREATE TABLE shop_product (id_product INT PRIMARY KEY, active TINYINT);
CREATE TABLE shop_category (id_category INT PRIMARY KEY, id_parent INT, active TINYINT, is_root_category TINYINT);
CREATE TABLE shop_category_product (id_category INT, id_product INT);
CREATE TABLE shop_cms (id_cms INT PRIMARY KEY, active TINYINT);
CREATE TABLE shop_configuration (name VARCHAR(64), value TEXT);
INSERT INTO shop_product VALUES (1,1),(2,0),(3,1),(4,1);
INSERT INTO shop_category VALUES (1,0,1,0),(2,1,1,1),(3,2,1,0),(4,2,1,0),(5,2,0,0);
INSERT INTO shop_category_product VALUES (3,1),(5,3);
INSERT INTO shop_cms VALUES (1,1),(2,1);
INSERT INTO shop_configuration VALUES ('PS_VERSION_DB','8.1.2');`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = root.Exec("DROP DATABASE IF EXISTS " + db) })
	return root, db
}

func TestExternalDiscoversPagesReadOnly(t *testing.T) {
	root, db := testDB(t)
	// The target logs in as a user that may only read: any write it tried
	// would fail the test with MariaDB's own error. (Server-wide write
	// counters would be moved by other tests running at the same time.)
	const ro, roPass = "psb_ext_ro", "psb_ext_ro_pw"
	for _, q := range []string{
		"DROP USER IF EXISTS '" + ro + "'@'%'",
		"CREATE USER '" + ro + "'@'%' IDENTIFIED BY '" + roPass + "'",
		"GRANT SELECT ON `" + db + "`.* TO '" + ro + "'@'%'",
	} {
		if _, err := root.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = root.Exec("DROP USER IF EXISTS '" + ro + "'@'%'") })
	tg := New(scenario.External{BaseURL: "http://shop.test/", Backend: scenario.BackendDSN{Addr: "127.0.0.1:3306", User: ro, Password: roPass},
		ProxyListen: "127.0.0.1:3399", Database: db, TablePrefix: "shop_"})
	ctx := context.Background()
	info, err := tg.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Stop(ctx)
	if info.Simulated || info.Label != "real shop" || info.DBVersion == "" || info.ShopVersion != "PrestaShop 8.1.2" {
		t.Errorf("info = %+v", info)
	}
	want := map[string][]string{
		"product":  {"http://shop.test/index.php?controller=product&id_product=1", "http://shop.test/index.php?controller=product&id_product=3"},
		"category": {"http://shop.test/index.php?controller=category&id_category=3"},
		"cms":      {"http://shop.test/index.php?controller=cms&id_cms=1", "http://shop.test/index.php?controller=cms&id_cms=2"},
		"home":     {"http://shop.test/"},
	}
	for kind, w := range want {
		got, err := tg.Pages(ctx, kind, 2)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if len(got) != len(w) {
			t.Fatalf("%s pages = %v, want %v", kind, got, w)
		}
		for i := range w {
			if got[i] != w[i] {
				t.Fatalf("%s pages = %v, want %v", kind, got, w)
			}
		}
	}
	if _, err := tg.Pages(ctx, "search", 1); err == nil {
		t.Error("discovering search pages must be an error naming the kind")
	}
}

func TestExternalWrongCredentials(t *testing.T) {
	testDB(t)
	tg := New(scenario.External{BaseURL: "http://shop.test", Backend: scenario.BackendDSN{Addr: "127.0.0.1:3306", User: "nobody_psbench", Password: "x"}})
	_, err := tg.Start(context.Background())
	if err == nil {
		t.Fatal("wrong credentials must fail Start")
	}
	if msg := err.Error(); !strings.Contains(msg, "127.0.0.1:3306") || !strings.Contains(msg, "nobody_psbench") {
		t.Errorf("error %q must name the backend and the user", msg)
	}
}
