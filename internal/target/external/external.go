// Package external is the target for a shop the user already runs (a
// staging PrestaShop): psbench checks that it answers, runs its proxy where
// the shop's database settings point, and discovers pages from the shop's
// database. It never writes to that database; it reads catalogue ids for
// discovery and status counters for cross-checks only.
package external

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/psbench/psbench/internal/results"
	"github.com/psbench/psbench/internal/scenario"
	"github.com/psbench/psbench/internal/target"
)

// Target is an existing shop.
type Target struct {
	cfg  scenario.External
	http *http.Client
	db   *sql.DB
}

// New returns the target for cfg.
func New(cfg scenario.External) *Target {
	return &Target{cfg: cfg, http: &http.Client{Timeout: 30 * time.Second}}
}

// Start checks that the backend database answers (read-only) and returns
// the shop's description. The storefront itself is checked by the harness
// once its proxy is up, since the shop reaches its database through it.
func (t *Target) Start(ctx context.Context) (target.Info, error) {
	info := target.Info{Kind: scenario.KindExternal, Label: results.LabelRealShop, Nodes: 1}
	mc := mysql.NewConfig()
	mc.Net, mc.Addr, mc.User, mc.Passwd, mc.DBName = "tcp", t.cfg.Backend.Addr, t.cfg.Backend.User, t.cfg.Backend.Password, t.cfg.Database
	mc.Timeout, mc.ReadTimeout = 5*time.Second, 30*time.Second
	connector, err := mysql.NewConnector(mc)
	if err != nil {
		return info, fmt.Errorf("external target: backend DSN: %w", err)
	}
	t.db = sql.OpenDB(connector)
	t.db.SetMaxOpenConns(2)
	if err := t.db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&info.DBVersion); err != nil {
		return info, fmt.Errorf("external target: backend %s as %s: %w", t.cfg.Backend.Addr, t.cfg.Backend.User, err)
	}
	var psVersion string
	q := fmt.Sprintf("SELECT value FROM `%sconfiguration` WHERE name = 'PS_VERSION_DB' LIMIT 1", t.prefix())
	if err := t.db.QueryRowContext(ctx, q).Scan(&psVersion); err == nil {
		info.ShopVersion = "PrestaShop " + psVersion
	}
	return info, nil
}

// BaseURL is the shop's storefront URL.
func (t *Target) BaseURL() string { return strings.TrimRight(t.cfg.BaseURL, "/") }

// Backend is the shop's real database.
func (t *Target) Backend() target.Backend {
	return target.Backend{Addr: t.cfg.Backend.Addr, User: t.cfg.Backend.User, Password: t.cfg.Backend.Password, Database: t.cfg.Database}
}

// ProxyListen is where the shop's database settings point.
func (t *Target) ProxyListen() string { return t.cfg.ProxyListen }

func (t *Target) prefix() string {
	if t.cfg.TablePrefix == "" {
		return "ps_"
	}
	return t.cfg.TablePrefix
}

// Pages discovers PrestaShop pages from the catalogue: active products,
// active categories holding active products, CMS pages, and the home page.
// URLs use PrestaShop's non-friendly form, which every shop answers (with a
// redirect to the friendly URL when friendly URLs are on).
func (t *Target) Pages(ctx context.Context, kind string, n int) ([]string, error) {
	if t.db == nil {
		return nil, errors.New("external target: Pages before Start")
	}
	p := t.prefix()
	var q, format string
	switch kind {
	case "product":
		q = fmt.Sprintf("SELECT id_product FROM `%sproduct` WHERE active = 1 ORDER BY id_product LIMIT %d", p, n)
		format = "/index.php?controller=product&id_product=%d"
	case "category":
		q = fmt.Sprintf("SELECT c.id_category FROM `%scategory` c WHERE c.active = 1 AND c.is_root_category = 0 AND c.id_parent > 1 "+
			"AND EXISTS (SELECT 1 FROM `%scategory_product` cp WHERE cp.id_category = c.id_category) ORDER BY c.id_category LIMIT %d", p, p, n)
		format = "/index.php?controller=category&id_category=%d"
	case "cms":
		q = fmt.Sprintf("SELECT id_cms FROM `%scms` WHERE active = 1 ORDER BY id_cms LIMIT %d", p, n)
		format = "/index.php?controller=cms&id_cms=%d"
	case "home":
		return []string{t.BaseURL() + "/"}, nil
	default:
		return nil, fmt.Errorf("external target: discover %q pages: %w (list its urls in the scenario)", kind, target.ErrUnknownKind)
	}
	rows, err := t.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("external target: discover %s pages: %w", kind, err)
	}
	defer rows.Close()
	var urls []string
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("external target: discover %s pages: %w", kind, err)
		}
		urls = append(urls, t.BaseURL()+fmt.Sprintf(format, id))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("external target: discover %s pages: %w", kind, err)
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("external target: no %s pages found in %s (table prefix %q)", kind, t.cfg.Database, p)
	}
	return urls, nil
}

// Stop releases the discovery connection; the shop itself is left alone.
func (t *Target) Stop(context.Context) error {
	if t.db != nil {
		err := t.db.Close()
		t.db = nil
		return err
	}
	return nil
}
