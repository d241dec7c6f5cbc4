package storefront

import (
	"context"
	"database/sql"
	"fmt"
	"html"
	"strings"
	"time"
)

// request is one page rendering: its two connections (the shop's own and
// the lazily opened Doctrine one), the statements it sent and the visitor.
type request struct {
	s          *Storefront
	ctx        context.Context
	g          *gen
	now        time.Time
	requestURI string

	main, doctrine *sql.Conn
	n              int

	visitor      visitorCookie
	newVisitor   bool
	guestID      int
	connectionID int
	pageCreated  bool
}

type result struct {
	kind     string
	notFound bool
	html     []byte
}

// Connection names passed to Config.Trace.
const (
	ConnMain     = "main"
	ConnDoctrine = "doctrine"
)

func (r *request) conn(name string) (*sql.Conn, error) {
	switch name {
	case ConnMain:
		if r.main == nil {
			c, err := r.s.db.Conn(r.ctx)
			if err != nil {
				return nil, fmt.Errorf("connect: %w", err)
			}
			r.main = c
		}
		return r.main, nil
	default:
		if r.doctrine == nil {
			c, err := r.s.db.Conn(r.ctx)
			if err != nil {
				return nil, fmt.Errorf("connect (doctrine): %w", err)
			}
			r.doctrine = c
		}
		return r.doctrine, nil
	}
}

// close closes both connections (each sends COM_QUIT).
func (r *request) close() {
	if r.main != nil {
		_ = r.main.Close()
		r.main = nil
	}
	if r.doctrine != nil {
		_ = r.doctrine.Close()
		r.doctrine = nil
	}
}

func (r *request) trace(conn, q string) {
	r.n++
	if t := r.s.cfg.Trace; t != nil {
		t(conn, q)
	}
}

// isQuery reports whether a statement returns rows the page reads.
func isQuery(q string) bool {
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

// exec sends one statement and discards its result. EXPLAIN and writes go
// through Exec: their result sets are drained without being decoded.
func (r *request) exec(connName, q string) error {
	c, err := r.conn(connName)
	if err != nil {
		return err
	}
	r.trace(connName, q)
	if !isQuery(q) {
		if _, err := c.ExecContext(r.ctx, q); err != nil {
			return fmt.Errorf("%s: %w", firstLine(q), err)
		}
		return nil
	}
	rows, err := c.QueryContext(r.ctx, q)
	if err != nil {
		return fmt.Errorf("%s: %w", firstLine(q), err)
	}
	for rows.Next() {
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", firstLine(q), err)
	}
	return nil
}

func (r *request) execAll(connName string, qs []string) error {
	for _, q := range qs {
		if err := r.exec(connName, q); err != nil {
			return err
		}
	}
	return nil
}

// insert sends an INSERT and returns the new row's id.
func (r *request) insert(q string) (int, error) {
	c, err := r.conn(ConnMain)
	if err != nil {
		return 0, err
	}
	r.trace(ConnMain, q)
	res, err := c.ExecContext(r.ctx, q)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", firstLine(q), err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("%s: last insert id: %w", firstLine(q), err)
	}
	return int(id), nil
}

// rows sends a query and returns its rows as strings keyed by column
// (the first column of a name wins, as PHP's fetch of a SELECT *).
func (r *request) rows(q string) ([]map[string]string, error) {
	c, err := r.conn(ConnMain)
	if err != nil {
		return nil, err
	}
	r.trace(ConnMain, q)
	rs, err := c.QueryContext(r.ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", firstLine(q), err)
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]string
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("%s: %w", firstLine(q), err)
		}
		m := make(map[string]string, len(cols))
		for i, col := range cols {
			if _, dup := m[col]; !dup {
				m[col] = string(vals[i])
			}
		}
		out = append(out, m)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", firstLine(q), err)
	}
	return out, nil
}

func (r *request) date() string { return r.now.Format("2006-01-02 15:04:05") }

// metaPage is the ps_meta page of a kind.
func metaPage(kind string) string {
	switch kind {
	case KindHome:
		return "index"
	case KindProduct, KindCategory, KindCMS, KindSearch:
		return kind
	}
	return "pagenotfound"
}

// render runs the page's statements in PrestaShop's order and renders its
// HTML.
func (r *request) render(p Page, cold bool) (res result, err error) {
	g, s := r.g, r.s
	res.kind = p.Kind
	if err := r.execAll(ConnMain, g.sessionMain()); err != nil {
		return res, err
	}
	if err := r.execAll(ConnMain, g.boot(metaPage(p.Kind))); err != nil {
		return res, err
	}
	if cold {
		if err := r.execAll(ConnMain, g.translations(s.cat.Langs[0].Locale)); err != nil {
			return res, err
		}
		if err := r.execAll(ConnMain, g.cold(p.Kind, p.ID)); err != nil {
			return res, err
		}
	}
	var title string
	found := true
	switch p.Kind {
	case KindProduct:
		rows, err := r.rows(g.productLoad(p.ID))
		if err != nil {
			return res, err
		}
		found = len(rows) == 1 && rows[0]["active"] == "1"
		if found {
			title = rows[0]["name"]
		}
	case KindCategory:
		rows, err := r.rows(g.categoryLoad(p.ID))
		if err != nil {
			return res, err
		}
		found = len(rows) == 1 && rows[0]["active"] == "1" && p.ID != rootCategoryID
		if found {
			title = rows[0]["name"]
		}
	case KindCMS:
		rows, err := r.rows(g.cmsLoad(p.ID))
		if err != nil {
			return res, err
		}
		found = len(rows) == 1 && rows[0]["active"] == "1"
		if found {
			title = rows[0]["meta_title"]
		}
	case KindNotFound:
		found = false
	}
	if !found {
		res.kind, res.notFound = KindNotFound, true
		if err := r.visit("pagenotfound", 0); err != nil {
			return res, err
		}
		if err := r.execAll(ConnMain, g.layout()); err != nil {
			return res, err
		}
		if err := r.execAll(ConnMain, g.hooks(s.hookStatements())); err != nil {
			return res, err
		}
		uri := r.requestURI
		if len(uri) > 250 {
			uri = uri[:250]
		}
		if _, err := r.insert(g.f("INSERT INTO `PREFIX_pagenotfound` (`request_uri`, `http_referer`, `date_add`, `id_shop`, `id_shop_group`) VALUES (%s, '', '%s', %d, 1)", quote(uri), r.date(), shopID)); err != nil {
			return res, err
		}
		res.html = page("Page not found", "<p>The page you are looking for was not found.</p>")
		return res, nil
	}

	var body strings.Builder
	switch p.Kind {
	case KindProduct:
		err = r.product(p.ID, title, &body)
	case KindCategory:
		err = r.category(p.ID, title, &body)
	case KindHome:
		title = "Home"
		err = r.home(&body)
	case KindCMS:
		err = r.cms(p.ID, title, &body)
	case KindSearch:
		title = "Search"
		err = r.search(p.Term, &body)
	}
	if err != nil {
		return res, err
	}
	res.html = page(title, body.String())
	return res, nil
}

// visit records the visitor statistics: guest, page, connection and its
// source (ps_guest, ps_page, ps_connections, ps_connections_source).
func (r *request) visit(pageType string, object int) error {
	g := r.g
	guestLookup := func(id int) string {
		return g.f("SELECT SQL_NO_CACHE `id_guest`, `id_customer`, `accept_language`, `mobile_theme`\n\t\t\tFROM `PREFIX_guest`\n\t\t\tWHERE `id_guest` = %d\n\t\t\tLIMIT 1", id)
	}
	returning := false
	if r.visitor.guest > 0 {
		rows, err := r.rows(guestLookup(r.visitor.guest))
		if err != nil {
			return err
		}
		if len(rows) == 1 {
			returning = true
			r.guestID = r.visitor.guest
		}
	}
	if !returning {
		id, err := r.insert(g.f("INSERT INTO `PREFIX_guest` (`id_operating_system`, `id_web_browser`, `id_customer`, `javascript`, `accept_language`, `mobile_theme`) VALUES (7, 3, 0, 0, 'en', 0)"))
		if err != nil {
			return err
		}
		r.guestID, r.newVisitor = id, true
		if r.visitor.guest == 0 {
			// Guest::setNewGuest reloads the row it created
			if _, err := r.rows(guestLookup(id)); err != nil {
				return err
			}
		}
	}
	pt := pageTypeID(pageType)
	rows, err := r.rows(g.f("SELECT `id_page`\n\t\t\tFROM `PREFIX_page` p\n\t\t\tLEFT JOIN `PREFIX_page_type` pt ON (p.`id_page_type` = pt.`id_page_type`)\n\t\t\tWHERE pt.`name` = '%s' AND p.`id_object` = %d", pageType, object))
	if err != nil {
		return err
	}
	pageID := 0
	if len(rows) > 0 {
		fmt.Sscan(rows[0]["id_page"], &pageID)
	} else {
		if pageID, err = r.insert(g.f("INSERT INTO `PREFIX_page` (`id_page_type`, `id_object`) VALUES (%d, %d)", pt, object)); err != nil {
			return err
		}
		r.pageCreated = true
	}
	if returning {
		rows, err := r.rows(g.f("SELECT `id_guest`, `id_connections`, `date_add`\n\t\t\tFROM `PREFIX_connections`\n\t\t\tWHERE `id_guest` = %d AND `id_connections` = %d\n\t\t\tORDER BY `date_add` DESC LIMIT 1", r.guestID, r.visitor.connection))
		if err != nil {
			return err
		}
		if len(rows) == 1 {
			r.connectionID = r.visitor.connection
		}
	} else {
		if _, err := r.rows(g.f("SELECT `id_guest`, `id_connections`, `date_add`\n\t\t\tFROM `PREFIX_connections`\n\t\t\tWHERE `id_guest` = %d\n\t\t\tORDER BY `date_add` DESC LIMIT 1", r.guestID)); err != nil {
			return err
		}
	}
	if r.connectionID == 0 {
		id, err := r.insert(g.f("INSERT INTO `PREFIX_connections` (`id_guest`, `id_page`, `ip_address`, `date_add`, `id_shop`, `id_shop_group`) VALUES (%d, %d, 2130706433, '%s', %d, 1)", r.guestID, pageID, r.date(), shopID))
		if err != nil {
			return err
		}
		r.connectionID = id
	}
	uri := shopDomain + r.requestURI
	if len(uri) > 250 {
		uri = uri[:250]
	}
	_, err = r.insert(g.f("INSERT INTO `PREFIX_connections_source` (`id_connections`, `http_referer`, `request_uri`, `keywords`, `date_add`) VALUES (%d, '', %s, '', '%s')", r.connectionID, quote(uri), r.date()))
	return err
}

func (r *request) explain(pid int) error {
	return r.exec(ConnMain, r.g.f("EXPLAIN SELECT `id_specific_price` FROM `PREFIX_specific_price` WHERE `id_product` = %d LIMIT 1", pid))
}

// comments runs product-comments on the lazily opened Doctrine connection.
func (r *request) comments(qs []string) error {
	if err := r.exec(ConnDoctrine, sqlSetDoctrine); err != nil {
		return err
	}
	return r.execAll(ConnDoctrine, qs)
}

// tiles runs the per-tile work of listed products and renders them.
func (r *request) tiles(list []map[string]string, listing bool, n int, body *strings.Builder) error {
	body.WriteString("<ul class=\"products\">\n")
	for _, row := range list {
		var id int
		fmt.Sscan(row["id_product"], &id)
		if err := r.execAll(ConnMain, r.g.tile(id, listing, n)); err != nil {
			return err
		}
		fmt.Fprintf(body, "<li><a href=\"%s\">%s</a></li>\n", html.EscapeString(ProductURL(id)), html.EscapeString(row["name"]))
	}
	body.WriteString("</ul>\n")
	return nil
}

func productIDs(list []map[string]string) []int {
	out := make([]int, 0, len(list))
	for _, row := range list {
		var id int
		fmt.Sscan(row["id_product"], &id)
		out = append(out, id)
	}
	return out
}

func (r *request) product(pid int, name string, body *strings.Builder) error {
	g, s := r.g, r.s
	if err := r.visit("product", pid); err != nil {
		return err
	}
	if err := r.execAll(ConnMain, g.layout()); err != nil {
		return err
	}
	if err := r.explain(pid); err != nil {
		return err
	}
	if err := r.execAll(ConnMain, g.productCore(pid)); err != nil {
		return err
	}
	related, err := r.rows(g.accessories(pid))
	if err != nil {
		return err
	}
	groups, err := r.rows(g.attributeGroups(pid))
	if err != nil {
		return err
	}
	if err := r.exec(ConnMain, g.combinationImages(pid)); err != nil {
		return err
	}
	var combos []int
	seen := map[string]bool{}
	for _, row := range groups {
		if id := row["id_product_attribute"]; !seen[id] {
			seen[id] = true
			var n int
			fmt.Sscan(id, &n)
			combos = append(combos, n)
		}
	}
	for _, c := range combos {
		if err := r.execAll(ConnMain, g.combination(pid, c)); err != nil {
			return err
		}
	}
	if err := r.execAll(ConnMain, g.hooks(s.hookStatements())); err != nil {
		return err
	}
	if err := r.comments(g.commentsProduct(pid)); err != nil {
		return err
	}
	fmt.Fprintf(body, "<h1 class=\"product\">%s</h1>\n<p>%d combinations</p>\n", html.EscapeString(name), len(combos))
	if len(related) > 0 {
		body.WriteString("<h2>You might also like</h2>\n")
	}
	return r.tiles(related, false, s.relatedTileStatements(), body)
}

func (r *request) category(cid int, name string, body *strings.Builder) error {
	heading := fmt.Sprintf("<h1 class=\"category\">%s</h1>\n", html.EscapeString(name))
	return r.listing("category", cid, r.g.categoryCore(cid), heading, body)
}

func (r *request) home(body *strings.Builder) error {
	return r.listing("index", 0, r.g.homeCore(), "<h1>Popular products</h1>\n", body)
}

// listing renders a product-listing page (a category, the home page): the
// visit statistics, the layout, the page's own statements whose last one
// lists the products, then the listing's preloads, hooks, comments and one
// tile per product.
func (r *request) listing(page string, id int, core []string, heading string, body *strings.Builder) error {
	g, s := r.g, r.s
	if err := r.visit(page, id); err != nil {
		return err
	}
	if err := r.execAll(ConnMain, g.layout()); err != nil {
		return err
	}
	if err := r.explain(0); err != nil {
		return err
	}
	if err := r.execAll(ConnMain, core[:len(core)-1]); err != nil {
		return err
	}
	list, err := r.rows(core[len(core)-1])
	if err != nil {
		return err
	}
	if err := r.execAll(ConnMain, g.listingPreload(productIDs(list))); err != nil {
		return err
	}
	if err := r.execAll(ConnMain, g.hooks(s.hookStatements())); err != nil {
		return err
	}
	if err := r.comments(g.commentsList(productIDs(list))); err != nil {
		return err
	}
	body.WriteString(heading)
	return r.tiles(list, true, s.listingTileStatements(), body)
}

func (r *request) cms(id int, title string, body *strings.Builder) error {
	g, s := r.g, r.s
	if err := r.visit("cms", id); err != nil {
		return err
	}
	if err := r.execAll(ConnMain, g.layout()); err != nil {
		return err
	}
	if err := r.execAll(ConnMain, g.cmsCore(id)); err != nil {
		return err
	}
	if err := r.execAll(ConnMain, g.hooks(s.hookStatements())); err != nil {
		return err
	}
	fmt.Fprintf(body, "<h1 class=\"cms\">%s</h1>\n", html.EscapeString(title))
	return nil
}

func (r *request) search(term string, body *strings.Builder) error {
	g, s := r.g, r.s
	if err := r.visit("search", 0); err != nil {
		return err
	}
	if err := r.execAll(ConnMain, g.layout()); err != nil {
		return err
	}
	if err := r.explain(0); err != nil {
		return err
	}
	var list []map[string]string
	if term != "" {
		if err := r.exec(ConnMain, g.searchCount(term)); err != nil {
			return err
		}
		var err error
		if list, err = r.rows(g.searchListing(term, s.cat.Cfg.ProductsPerCategoryPage)); err != nil {
			return err
		}
		if err := r.execAll(ConnMain, g.listingPreload(productIDs(list))); err != nil {
			return err
		}
		if _, err := r.insert(g.statsSearch(term, len(list), r.date())); err != nil {
			return err
		}
	}
	if err := r.execAll(ConnMain, g.hooks(s.hookStatements())); err != nil {
		return err
	}
	if err := r.comments(g.commentsList(productIDs(list))); err != nil {
		return err
	}
	fmt.Fprintf(body, "<h1 class=\"search\">Search results for &quot;%s&quot;</h1>\n", html.EscapeString(term))
	return r.tiles(list, true, s.listingTileStatements(), body)
}

// page wraps a body in the storefront's HTML.
func page(title, body string) []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>")
	b.WriteString(html.EscapeString(title))
	b.WriteString(" | psbench simulated storefront</title></head>\n<body data-storefront=\"simulated\">\n")
	b.WriteString(body)
	b.WriteString("<footer>psbench simulated storefront (PrestaShop-shaped SQL, not a real shop)</footer>\n</body>\n</html>\n")
	return []byte(b.String())
}
