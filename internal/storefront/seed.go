package storefront

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// seedDate is the creation date of every seeded row, so seeds are
// byte-for-byte reproducible.
const seedDate = "2024-01-15 10:00:00"

// zeroDate is PrestaShop's "no date" in ps_specific_price.
const zeroDate = "0000-00-00 00:00:00"

// DefaultMaxStatementBytes bounds one multi-row INSERT of Install; it
// stays well below MySQL's and MariaDB's default max_allowed_packet.
const DefaultMaxStatementBytes = 1 << 20

// Execer runs one statement; *sql.DB, *sql.Conn and *sql.Tx satisfy it.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Install creates the schema and seeds the catalogue through db, which
// must be connected to an empty database, in INSERTs of at most
// DefaultMaxStatementBytes. It returns the number of rows inserted.
func Install(ctx context.Context, db Execer, prefix string, c *Catalogue) (rows int, err error) {
	return InstallWith(ctx, db, prefix, c, DefaultMaxStatementBytes)
}

// InstallWith is Install with INSERTs of at most maxStatementBytes (the
// server's max_allowed_packet must allow them).
func InstallWith(ctx context.Context, db Execer, prefix string, c *Catalogue, maxStatementBytes int) (rows int, err error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	// Seeding writes PrestaShop's zero dates; make the session as lenient
	// as the shop's own.
	if _, err := db.ExecContext(ctx, "SET SESSION sql_mode = ''"); err != nil {
		return 0, fmt.Errorf("seed: set sql_mode: %w", err)
	}
	for _, ddl := range Schema(prefix) {
		if _, err := db.ExecContext(ctx, ddl); err != nil {
			return 0, fmt.Errorf("seed: %s: %w", firstLine(ddl), err)
		}
	}
	for _, stmt := range c.SeedStatements(prefix, maxStatementBytes) {
		if _, err := db.ExecContext(ctx, stmt.SQL); err != nil {
			return rows, fmt.Errorf("seed %s: %w", stmt.Table, err)
		}
		rows += stmt.Rows
	}
	return rows, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// SeedStatement is one multi-row INSERT of the seed.
type SeedStatement struct {
	Table string
	Rows  int
	SQL   string
}

// table accumulates the rows of one table.
type table struct {
	name string
	cols []string
	rows [][]any
}

func (t *table) add(vals ...any) {
	if len(vals) != len(t.cols) {
		panic(fmt.Sprintf("seed %s: %d values for %d columns", t.name, len(vals), len(t.cols)))
	}
	t.rows = append(t.rows, vals)
}

// statements renders the rows as INSERTs of at most maxBytes each.
//
// go-mysql-server's memory tables key the rows pending in one statement by
// their primary-key values concatenated without a separator, so (46, 316)
// and (4, 6316) collide and the INSERT fails with a spurious "duplicate
// primary key"; a row whose concatenated key the statement already holds
// is deferred to a later statement. The same tables check each inserted
// row against every stored row by a linear scan, so few large statements
// seed much faster than many small ones.
func (t *table) statements(prefix string, maxBytes int) []SeedStatement {
	var out []SeedStatement
	head := "INSERT INTO `" + prefix + t.name + "` (`" + strings.Join(t.cols, "`, `") + "`) VALUES "
	pk := t.primaryKey()
	rows := t.rows
	for len(rows) > 0 {
		keys := map[string]bool{}
		var deferred [][]any
		var b strings.Builder
		n := 0
		flush := func() {
			if n > 0 {
				out = append(out, SeedStatement{Table: prefix + t.name, Rows: n, SQL: b.String()})
			}
			b.Reset()
			clear(keys)
			n = 0
		}
		for _, r := range rows {
			if n > 0 && b.Len() > maxBytes {
				flush()
			}
			if len(pk) > 1 {
				var kb strings.Builder
				for _, i := range pk {
					fmt.Fprint(&kb, r[i])
				}
				if key := kb.String(); keys[key] {
					deferred = append(deferred, r)
					continue
				} else {
					keys[key] = true
				}
			}
			if n == 0 {
				b.WriteString(head)
			} else {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for i, v := range r {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(sqlValue(v))
			}
			b.WriteByte(')')
			n++
		}
		flush()
		rows = deferred
	}
	return out
}

// primaryKey returns the indexes in cols of the table's primary-key
// columns, read from its DDL.
func (t *table) primaryKey() []int {
	for _, ddl := range schemaDDL {
		if !strings.HasPrefix(ddl, t.name+"`") {
			continue
		}
		_, rest, ok := strings.Cut(ddl, "PRIMARY KEY (")
		if !ok {
			return nil
		}
		list, _, _ := strings.Cut(rest, ")")
		var out []int
		for _, c := range strings.Split(list, ",") {
			c = strings.Trim(strings.TrimSpace(c), "`")
			for i, col := range t.cols {
				if col == c {
					out = append(out, i)
				}
			}
		}
		return out
	}
	return nil
}

// sqlValue renders a literal.
func sqlValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', 6, 64)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case string:
		return quote(x)
	}
	panic(fmt.Sprintf("sqlValue: %T", v))
}

// quote renders a single-quoted SQL string, escaped as PrestaShop's pSQL.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\x00", `\0`, "\n", `\n`, "\r", `\r`, "\x1a", `\Z`)
	return "'" + r.Replace(s) + "'"
}

// pageTypes are the ps_page_type rows, id = index + 1.
var pageTypes = []string{"index", "product", "category", "cms", "search", "pagenotfound"}

func pageTypeID(name string) int {
	for i, n := range pageTypes {
		if n == name {
			return i + 1
		}
	}
	return 0
}

// metaPages are the ps_meta rows, id = index + 1.
var metaPages = []string{"pagenotfound", "best-sales", "contact", "index", "manufacturer", "new-products", "password", "prices-drop",
	"sitemap", "supplier", "address", "addresses", "authentication", "cart", "discount", "history", "identity", "my-account",
	"order-follow", "order-slip", "order", "search", "stores", "guest-tracking", "order-confirmation", "product", "category", "cms",
	"module-ps_emailsubscription-verification", "module-ps_emailsubscription-subscription"}

var imageTypes = []struct {
	name string
	w, h int
}{{"cart_default", 125, 125}, {"small_default", 98, 98}, {"medium_default", 452, 452}, {"home_default", 250, 250}, {"large_default", 800, 800}, {"category_default", 141, 180}, {"stores_default", 170, 115}}

var countries = []string{"DE", "AT", "BE", "CA", "CN", "ES", "FI", "FR", "GR", "IT", "JP", "LU", "NL", "PL", "PT", "CZ", "GB", "SE", "CH", "DK", "US"}

// configuration keys of a fresh 8.1 install (a representative subset).
var configKeys = [][2]string{
	{"PS_LANG_DEFAULT", "1"}, {"PS_CURRENCY_DEFAULT", "1"}, {"PS_COUNTRY_DEFAULT", "8"}, {"PS_SHOP_DEFAULT", "1"},
	{"PS_SHOP_DOMAIN", "localhost"}, {"PS_SHOP_DOMAIN_SSL", "localhost"}, {"PS_SSL_ENABLED", "0"}, {"PS_REWRITING_SETTINGS", "0"},
	{"PS_SMARTY_CACHE", "1"}, {"PS_SMARTY_FORCE_COMPILE", "0"}, {"PS_CSS_THEME_CACHE", "0"}, {"PS_JS_THEME_CACHE", "0"},
	{"PS_STOCK_MANAGEMENT", "1"}, {"PS_ORDER_OUT_OF_STOCK", "0"}, {"PS_DISPLAY_QTIES", "1"}, {"PS_TAX", "1"},
	{"PS_PRICE_ROUND_MODE", "2"}, {"PS_ROUND_TYPE", "1"}, {"PS_PRICE_DISPLAY_PRECISION", "2"}, {"PS_UNIDENTIFIED_GROUP", "1"},
	{"PS_GUEST_GROUP", "2"}, {"PS_CUSTOMER_GROUP", "3"}, {"PS_GROUP_FEATURE_ACTIVE", "1"}, {"PS_SPECIFIC_PRICE_FEATURE_ACTIVE", "1"},
	{"PS_COMBINATION_FEATURE_ACTIVE", "1"}, {"PS_FEATURE_FEATURE_ACTIVE", "1"}, {"PS_PACK_FEATURE_ACTIVE", "1"},
	{"PS_VIRTUAL_PROD_FEATURE_ACTIVE", "0"}, {"PS_CUSTOMIZATION_FEATURE_ACTIVE", "0"}, {"PS_PRODUCTS_PER_PAGE", "12"},
	{"PS_PRODUCTS_ORDER_BY", "4"}, {"PS_PRODUCTS_ORDER_WAY", "0"}, {"PS_NB_DAYS_NEW_PRODUCT", "20"}, {"PS_CATALOG_MODE", "0"},
	{"PS_THEME_NAME", "classic"}, {"PS_SHOP_NAME", "psbench simulated storefront"}, {"PS_SHOP_EMAIL", "shop@example.invalid"},
	{"PS_TIMEZONE", "Europe/Paris"}, {"PS_LOCALE_LANGUAGE", "en"}, {"PS_LOCALE_COUNTRY", "fr"}, {"PS_STATSDATA_CUSTOMER_PAGESVIEWS", "1"},
	{"PS_STATSDATA_PAGESVIEWS", "1"}, {"PS_STATSDATA_PLUGINS", "1"}, {"PS_GEOLOCATION_ENABLED", "0"}, {"PS_CACHE_ENABLED", "0"},
	{"PS_MEDIA_SERVERS", "0"}, {"PS_HTACCESS_CACHE_CONTROL", "0"}, {"PS_BLOCK_CART_AJAX", "1"}, {"PS_SEARCH_MINWORDLEN", "3"},
	{"PS_SEARCH_INDEXATION", "1"}, {"PS_LAYERED_SHOW_QTIES", "1"}, {"PS_LAYERED_FULL_TREE", "1"}, {"HOME_FEATURED_NBR", "8"},
	{"HOME_FEATURED_CAT", "2"}, {"BLOCK_CATEG_MAX_DEPTH", "4"}, {"PRODUCT_COMMENTS_MODERATE", "1"}, {"CROSSSELLING_NBR", "8"},
}

var configLangKeys = []string{"PS_INVOICE_PREFIX", "PS_DELIVERY_PREFIX", "PS_RETURN_PREFIX", "PS_LABEL_IN_STOCK_PRODUCTS", "PS_LABEL_OOS_PRODUCTS_BOA", "PS_LABEL_OOS_PRODUCTS_BOD"}

var translationDomains = []string{"ShopThemeGlobal", "ShopThemeCatalog", "ShopThemeProduct", "ShopThemeCheckout", "ShopThemeActions", "ShopThemeCustomeraccount", "ModulesShoppingcartShop", "ModulesFacetedsearchShop", "ModulesProductcommentsShop", "ShopNotificationsSuccess"}

var hookAliases = [][2]string{{"payment", "displayPayment"}, {"top", "displayTop"}, {"footer", "displayFooter"}, {"home", "displayHome"}, {"header", "displayHeader"}, {"leftColumn", "displayLeftColumn"}, {"productfooter", "displayFooterProduct"}, {"extraRight", "displayRightColumnProduct"}}

// SeedStatements returns the INSERTs that seed the catalogue, each of at
// most maxStatementBytes (DefaultMaxStatementBytes when <= 0).
func (c *Catalogue) SeedStatements(prefix string, maxStatementBytes int) []SeedStatement {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if maxStatementBytes <= 0 {
		maxStatementBytes = DefaultMaxStatementBytes
	}
	var tables []*table
	T := func(name string, cols ...string) *table {
		t := &table{name: name, cols: cols}
		tables = append(tables, t)
		return t
	}
	rng := rand.New(rand.NewPCG(uint64(c.Cfg.Seed), 0x5eed))

	shop := T("shop", "id_shop", "id_shop_group", "name", "id_category", "theme_name", "active", "deleted")
	shop.add(shopID, 1, "psbench simulated storefront", homeCategoryID, "classic", 1, 0)
	T("shop_group", "id_shop_group", "name", "share_customer", "share_order", "share_stock", "active", "deleted").add(1, "Default", 0, 0, 0, 1, 0)
	T("shop_url", "id_shop_url", "id_shop", "domain", "domain_ssl", "physical_uri", "virtual_uri", "main", "active").add(1, shopID, shopDomain, shopDomain, "/", "", 1, 1)

	conf := T("configuration", "id_configuration", "id_shop_group", "id_shop", "name", "value", "date_add", "date_upd")
	confLang := T("configuration_lang", "id_configuration", "id_lang", "value", "date_upd")
	id := 1
	for _, kv := range configKeys {
		conf.add(id, nil, nil, kv[0], kv[1], seedDate, seedDate)
		id++
	}
	for _, k := range configLangKeys {
		conf.add(id, nil, nil, k, nil, seedDate, seedDate)
		for _, l := range c.Langs {
			confLang.add(id, l.ID, strings.ToLower(k[3:6])+"-"+l.ISO, seedDate)
		}
		id++
	}

	lang := T("lang", "id_lang", "name", "active", "iso_code", "language_code", "locale", "date_format_lite", "date_format_full", "is_rtl")
	langShop := T("lang_shop", "id_lang", "id_shop")
	for _, l := range c.Langs {
		lang.add(l.ID, l.Name, 1, l.ISO, l.LC, l.Locale, "Y-m-d", "Y-m-d H:i:s", 0)
		langShop.add(l.ID, shopID)
	}
	T("currency", "id_currency", "name", "iso_code", "numeric_iso_code", "precision", "conversion_rate", "deleted", "active").add(currencyID, "Euro", "EUR", "978", 2, 1.0, 0, 1)
	T("currency_shop", "id_currency", "id_shop", "conversion_rate").add(currencyID, shopID, 1.0)
	curLang := T("currency_lang", "id_currency", "id_lang", "name", "symbol", "pattern")
	for _, l := range c.Langs {
		curLang.add(currencyID, l.ID, "Euro", "€", "")
	}
	country := T("country", "id_country", "id_zone", "id_currency", "iso_code", "call_prefix", "active", "contains_states", "need_identification_number", "need_zip_code", "zip_code_format", "display_tax_label")
	countryLang := T("country_lang", "id_country", "id_lang", "name")
	for i, iso := range countries {
		country.add(i+1, 1, 0, iso, 30+i, 1, 0, 0, 1, "NNNNN", 1)
		for _, l := range c.Langs {
			countryLang.add(i+1, l.ID, "Country "+iso)
		}
	}

	hook := T("hook", "id_hook", "name", "title", "description", "active", "position")
	for i, h := range c.Hooks {
		hook.add(i+1, h, h, "", 1, 1)
	}
	alias := T("hook_alias", "id_hook_alias", "alias", "name")
	for i, a := range hookAliases {
		alias.add(i+1, a[0], a[1])
	}
	module := T("module", "id_module", "name", "active", "version")
	moduleShop := T("module_shop", "id_module", "id_shop", "enable_device")
	moduleGroup := T("module_group", "id_module", "id_shop", "id_group")
	hookModule := T("hook_module", "id_module", "id_shop", "id_hook", "position")
	positions := map[int]int{}
	for _, m := range c.Modules {
		module.add(m.ID, m.Name, 1, "1.0.0")
		moduleShop.add(m.ID, shopID, 7)
		for g := 1; g <= 3; g++ {
			moduleGroup.add(m.ID, shopID, g)
		}
		// each module hooks 1 to 3 front hooks
		n := 1 + (m.ID*7)%3
		for k := 0; k < n; k++ {
			h := (m.ID*5+k*11)%len(c.Hooks) + 1
			positions[h]++
			hookModule.add(m.ID, shopID, h, positions[h])
		}
	}
	group := T("group", "id_group", "reduction", "price_display_method", "show_prices", "date_add")
	groupLang := T("group_lang", "id_group", "id_lang", "name")
	for g, name := range []string{"Visitor", "Guest", "Customer"} {
		group.add(g+1, 0.0, 0, 1, seedDate)
		for _, l := range c.Langs {
			groupLang.add(g+1, l.ID, name)
		}
	}
	meta := T("meta", "id_meta", "page", "configurable")
	metaLang := T("meta_lang", "id_meta", "id_shop", "id_lang", "title", "description", "url_rewrite")
	for i, p := range metaPages {
		meta.add(i+1, p, 1)
		for _, l := range c.Langs {
			metaLang.add(i+1, shopID, l.ID, strings.ReplaceAll(p, "-", " "), "", p)
		}
	}
	it := T("image_type", "id_image_type", "name", "width", "height", "products", "categories", "manufacturers", "suppliers", "stores")
	for i, t := range imageTypes {
		it.add(i+1, t.name, t.w, t.h, 1, 1, 1, 1, 1)
	}

	// taxes
	T("tax", "id_tax", "rate", "active", "deleted").add(1, 20.0, 1, 0)
	taxLang := T("tax_lang", "id_tax", "id_lang", "name")
	for _, l := range c.Langs {
		taxLang.add(1, l.ID, "TVA FR 20%")
	}
	T("tax_rules_group", "id_tax_rules_group", "name", "active", "deleted", "date_add", "date_upd").add(1, "FR Taux standard (20%)", 1, 0, seedDate, seedDate)
	T("tax_rules_group_shop", "id_tax_rules_group", "id_shop").add(1, shopID)
	taxRule := T("tax_rule", "id_tax_rule", "id_tax_rules_group", "id_country", "id_state", "zipcode_from", "zipcode_to", "id_tax", "behavior", "description")
	for i := range countries {
		taxRule.add(i+1, 1, i+1, 0, "0", "0", 1, 0, "")
	}

	// categories
	cat := T("category", "id_category", "id_parent", "id_shop_default", "level_depth", "nleft", "nright", "active", "date_add", "date_upd", "position", "is_root_category")
	catLang := T("category_lang", "id_category", "id_shop", "id_lang", "name", "description", "link_rewrite", "meta_title", "meta_description")
	catShop := T("category_shop", "id_category", "id_shop", "position")
	catGroup := T("category_group", "id_category", "id_group")
	catProduct := T("category_product", "id_category", "id_product", "position")
	layered := T("layered_category", "id_layered_category", "id_shop", "id_category", "id_value", "type", "position", "filter_type", "filter_show_limit")
	lid := 1
	for _, k := range c.Categories {
		root := 0
		if k.ID == homeCategoryID {
			root = 1
		}
		cat.add(k.ID, k.Parent, shopID, k.Depth, k.NLeft, k.NRight, k.Active, seedDate, seedDate, k.Position, root)
		for _, l := range c.Langs {
			catLang.add(k.ID, shopID, l.ID, k.Name, "<p>"+k.Name+" of the simulated storefront.</p>", k.LinkRewrite, "", "")
		}
		catShop.add(k.ID, shopID, k.Position)
		for g := 1; g <= 3; g++ {
			catGroup.add(k.ID, g)
		}
		for pos, p := range c.categoryPositions(k.ID) {
			catProduct.add(k.ID, p, pos)
		}
		if k.ID > rootCategoryID {
			for pos, f := range []struct {
				typ string
				val int
			}{{"category", 0}, {"id_attribute_group", 1}, {"id_attribute_group", 2}, {"id_feature", 1}, {"id_feature", 2}, {"quantity", 0}, {"manufacturer", 0}, {"condition", 0}, {"price", 0}} {
				layered.add(lid, shopID, k.ID, f.val, f.typ, pos, 0, 0)
				lid++
			}
		}
	}

	// attributes
	ag := T("attribute_group", "id_attribute_group", "is_color_group", "group_type", "position")
	agl := T("attribute_group_lang", "id_attribute_group", "id_lang", "name", "public_name")
	attr := T("attribute", "id_attribute", "id_attribute_group", "color", "position")
	attrLang := T("attribute_lang", "id_attribute", "id_lang", "name")
	attrShop := T("attribute_shop", "id_attribute", "id_shop")
	for gi, g := range c.Groups {
		typ := "select"
		if g.Color {
			typ = "color"
		}
		ag.add(g.ID, g.Color, typ, gi)
		for _, l := range c.Langs {
			agl.add(g.ID, l.ID, g.Name, g.Name)
		}
		for ai, a := range g.Attributes {
			attr.add(a.ID, g.ID, a.Color, ai)
			for _, l := range c.Langs {
				attrLang.add(a.ID, l.ID, a.Name)
			}
			attrShop.add(a.ID, shopID)
		}
	}

	// features
	feature := T("feature", "id_feature", "position")
	featureLang := T("feature_lang", "id_feature", "id_lang", "name")
	fvLang := T("feature_value_lang", "id_feature_value", "id_lang", "value")
	featureNames := []string{"Composition", "Property", "Paper Type"}
	featureValues := [][]string{{"Cotton", "Polyester", "Wool", "Ceramic", "Recycled cardboard"}, {"Short sleeves", "Long sleeves", "Removable cover", "120 pages"}, {"Ruled", "Plain", "Squared", "Doted"}}
	fv := 1
	var featureValueIDs [][]int
	for f, name := range featureNames {
		feature.add(f+1, f)
		for _, l := range c.Langs {
			featureLang.add(f+1, l.ID, name)
		}
		var ids []int
		for _, v := range featureValues[f] {
			for _, l := range c.Langs {
				fvLang.add(fv, l.ID, v)
			}
			ids = append(ids, fv)
			fv++
		}
		featureValueIDs = append(featureValueIDs, ids)
	}
	manuf := T("manufacturer", "id_manufacturer", "name", "date_add", "date_upd", "active")
	for m := 1; m <= c.manufacturers; m++ {
		manuf.add(m, fmt.Sprintf("Studio %s", strings.ToUpper(motifs[m%len(motifs)][:1])+motifs[m%len(motifs)][1:]), seedDate, seedDate, 1)
	}

	// products
	product := T("product", "id_product", "id_supplier", "id_manufacturer", "id_category_default", "id_shop_default", "id_tax_rules_group", "on_sale", "ean13", "reference", "price", "wholesale_price", "quantity", "minimal_quantity", "active", "available_for_order", "show_price", "visibility", "condition", "cache_is_pack", "is_virtual", "customizable", "cache_default_attribute", "product_type", "date_add", "date_upd")
	productShop := T("product_shop", "id_product", "id_shop", "id_category_default", "id_tax_rules_group", "on_sale", "price", "wholesale_price", "unit_price", "active", "available_for_order", "show_price", "visibility", "cache_default_attribute", "minimal_quantity", "date_add", "date_upd")
	productLang := T("product_lang", "id_product", "id_shop", "id_lang", "description", "description_short", "link_rewrite", "meta_description", "meta_title", "name", "available_now", "available_later")
	pa := T("product_attribute", "id_product_attribute", "id_product", "reference", "price", "quantity", "weight", "default_on", "minimal_quantity")
	pas := T("product_attribute_shop", "id_product", "id_product_attribute", "id_shop", "price", "weight", "default_on", "minimal_quantity")
	pac := T("product_attribute_combination", "id_attribute", "id_product_attribute")
	pai := T("product_attribute_image", "id_product_attribute", "id_image")
	stock := T("stock_available", "id_stock_available", "id_product", "id_product_attribute", "id_shop", "id_shop_group", "quantity", "physical_quantity", "reserved_quantity", "depends_on_stock", "out_of_stock")
	sp := T("specific_price", "id_specific_price", "id_specific_price_rule", "id_cart", "id_product", "id_shop", "id_shop_group", "id_currency", "id_country", "id_group", "id_customer", "id_product_attribute", "price", "from_quantity", "reduction", "reduction_tax", "reduction_type", "from", "to")
	pack := T("pack", "id_product_pack", "id_product_item", "id_product_attribute_item", "quantity")
	featureProduct := T("feature_product", "id_feature", "id_product", "id_feature_value")
	image := T("image", "id_image", "id_product", "position", "cover")
	imageShop := T("image_shop", "id_product", "id_image", "id_shop", "cover")
	imageLang := T("image_lang", "id_image", "id_lang", "legend")
	accessory := T("accessory", "id_product_1", "id_product_2")
	tag := T("tag", "id_tag", "id_lang", "name")
	productTag := T("product_tag", "id_product", "id_tag", "id_lang")
	priceIndex := T("layered_price_index", "id_product", "id_currency", "id_shop", "price_min", "price_max", "id_country")
	comment := T("product_comment", "id_product_comment", "id_product", "id_customer", "id_guest", "title", "content", "customer_name", "grade", "validate", "deleted", "date_add")
	tagIDs := map[string]int{}
	stockID, spID, imgID, commentID := 1, 1, 1, 1
	for _, p := range c.Products {
		def := p.DefaultCombinationID()
		var defAttr any
		if def != 0 {
			defAttr = def
		}
		isPack := 0
		ptype := "standard"
		if p.Pack {
			isPack, ptype = 1, "pack"
		}
		product.add(p.ID, 0, p.Manufacturer, p.DefaultCategory, shopID, 1, 0, "", p.Reference, p.Price, p.Price/2, p.Quantity, 1, p.Active, 1, 1, "both", "new", isPack, 0, 0, defAttr, ptype, seedDate, seedDate)
		productShop.add(p.ID, shopID, p.DefaultCategory, 1, 0, p.Price, p.Price/2, 0.0, p.Active, 1, 1, "both", defAttr, 1, seedDate, seedDate)
		for _, l := range c.Langs {
			productLang.add(p.ID, shopID, l.ID, "<p>The "+p.Name+" of the simulated storefront.</p>", "<p>"+p.Name+".</p>", p.Rewrite, "", "", p.Name, "In stock", "")
		}
		total := 0
		for _, cb := range p.Combinations {
			pa.add(cb.ID, p.ID, fmt.Sprintf("%s_%d", p.Reference, cb.ID), cb.Impact, cb.Quantity, 0.0, nullIfFalse(cb.Default), 1)
			pas.add(p.ID, cb.ID, shopID, cb.Impact, 0.0, nullIfFalse(cb.Default), 1)
			for _, a := range cb.Attributes {
				pac.add(a, cb.ID)
			}
			total += cb.Quantity
		}
		qty := p.Quantity
		if len(p.Combinations) > 0 {
			qty = total
		}
		stock.add(stockID, p.ID, 0, shopID, shopGroupID, qty, qty, 0, 0, 2)
		stockID++
		for _, cb := range p.Combinations {
			stock.add(stockID, p.ID, cb.ID, shopID, shopGroupID, cb.Quantity, cb.Quantity, 0, 0, 2)
			stockID++
		}
		if p.Discount {
			sp.add(spID, 0, 0, p.ID, 0, 0, 0, 0, 0, 0, 0, -1.0, 1, 0.2, 1, "percentage", zeroDate, zeroDate)
			spID++
		}
		if p.Pack {
			for k := 1; k <= 2; k++ {
				item := (p.ID+k*3-1)%len(c.Products) + 1
				if item != p.ID {
					pack.add(p.ID, item, 0, k)
				}
			}
		}
		for f := 0; f < p.Features; f++ {
			vals := featureValueIDs[f%len(featureValueIDs)]
			featureProduct.add(f+1, p.ID, vals[(p.ID+f)%len(vals)])
		}
		for k := 0; k < 2; k++ {
			image.add(imgID, p.ID, k+1, nullIfFalse(k == 0))
			imageShop.add(p.ID, imgID, shopID, nullIfFalse(k == 0))
			for _, l := range c.Langs {
				imageLang.add(imgID, l.ID, p.Name)
			}
			if k == 1 {
				for _, cb := range p.Combinations {
					pai.add(cb.ID, imgID)
				}
			}
			imgID++
		}
		for _, r := range p.Related {
			accessory.add(p.ID, r)
		}
		for _, w := range p.Words[1:] {
			tid, ok := tagIDs[w]
			if !ok {
				tid = len(tagIDs) + 1
				tagIDs[w] = tid
				tag.add(tid, langID, w)
			}
			productTag.add(p.ID, tid, langID)
		}
		priceIndex.add(p.ID, currencyID, shopID, p.Price, p.Price*1.2, countryID)
		if p.ID%3 == 0 {
			for k := 0; k < 2; k++ {
				comment.add(commentID, p.ID, 0, nil, "Lovely", "Exactly as pictured.", "Simulated visitor", float64(3+rng.IntN(3)), 1, 0, seedDate)
				commentID++
			}
		}
	}
	crit := T("product_comment_criterion", "id_product_comment_criterion", "id_product_comment_criterion_type", "active")
	crit.add(1, 1, 1)
	critLang := T("product_comment_criterion_lang", "id_product_comment_criterion", "id_lang", "name")
	for _, l := range c.Langs {
		critLang.add(1, l.ID, "Quality")
	}

	// search index: every product, the storefront filters active ones
	sw := T("search_word", "id_word", "id_shop", "id_lang", "word")
	si := T("search_index", "id_product", "id_word", "weight")
	wordIDs := map[string]int{}
	for _, p := range c.Products {
		for _, w := range p.Words {
			wid, ok := wordIDs[w]
			if !ok {
				wid = len(wordIDs) + 1
				wordIDs[w] = wid
				sw.add(wid, shopID, langID, w)
			}
			si.add(p.ID, wid, 6)
		}
	}

	// orders for ps_crossselling
	orders := T("orders", "id_order", "id_customer", "valid", "date_add")
	od := T("order_detail", "id_order_detail", "id_order", "product_id", "product_attribute_id", "product_quantity")
	nOrders := min(len(c.Products), 20)
	for o := 1; o <= nOrders; o++ {
		orders.add(o, o, 1, seedDate)
		for k := 0; k < 2; k++ {
			pid := (o*7+k*5)%len(c.Products) + 1
			od.add(o*2-1+k, o, pid, c.Products[pid-1].DefaultCombinationID(), 1)
		}
	}

	// CMS, link blocks, custom text, slider, statistics page types, translations
	T("cms_category", "id_cms_category", "id_parent", "level_depth", "active", "position").add(1, 0, 1, 1, 0)
	cmsCatLang := T("cms_category_lang", "id_cms_category", "id_lang", "id_shop", "name", "link_rewrite")
	cms := T("cms", "id_cms", "id_cms_category", "position", "active", "indexation")
	cmsLang := T("cms_lang", "id_cms", "id_lang", "id_shop", "meta_title", "head_seo_title", "meta_description", "content", "link_rewrite")
	cmsShop := T("cms_shop", "id_cms", "id_shop")
	for _, l := range c.Langs {
		cmsCatLang.add(1, l.ID, shopID, "Home", "home")
	}
	for _, p := range c.CMS {
		cms.add(p.ID, 1, p.ID-1, 1, 1)
		for _, l := range c.Langs {
			cmsLang.add(p.ID, l.ID, shopID, p.Title, "", p.Title, "<h2>"+p.Title+"</h2><p>Simulated storefront content.</p>", p.Rewrite)
		}
		cmsShop.add(p.ID, shopID)
	}
	lb := T("link_block", "id_link_block", "id_hook", "position", "content")
	lbLang := T("link_block_lang", "id_link_block", "id_lang", "name", "custom_content")
	lbShop := T("link_block_shop", "id_link_block", "id_shop", "position")
	footer := c.hookID("displayFooter")
	for b, name := range []string{"Products", "Our company", "Your account"}[:linkBlocks] {
		lb.add(b+1, footer, b, `{"cms":["1","2","3","4","5"],"product":["prices-drop","new-products","best-sales"],"static":["contact","sitemap","stores"]}`)
		for _, l := range c.Langs {
			lbLang.add(b+1, l.ID, name, nil)
		}
		lbShop.add(b+1, shopID, b)
	}
	T("info", "id_info", "id_shop").add(1, shopID)
	infoLang := T("info_lang", "id_info", "id_shop", "id_lang", "text")
	slides := T("homeslider_slides", "id_homeslider_slides", "position", "active")
	slidesLang := T("homeslider_slides_lang", "id_homeslider_slides", "id_lang", "title", "url", "image")
	for s := 1; s <= 3; s++ {
		slides.add(s, s-1, 1)
	}
	for _, l := range c.Langs {
		infoLang.add(1, shopID, l.ID, "<h2>Custom Text Block</h2><p>Simulated storefront.</p>")
		for s := 1; s <= 3; s++ {
			slidesLang.add(s, l.ID, fmt.Sprintf("Sample %d", s), "https://www.prestashop-project.org", fmt.Sprintf("sample-%d.jpg", s))
		}
	}
	pt := T("page_type", "id_page_type", "name")
	for i, n := range pageTypes {
		pt.add(i+1, n)
	}
	tr := T("translation", "id_translation", "id_lang", "key", "translation", "domain", "theme")
	for i := 0; i < translationRows; i++ {
		var theme any
		if i%3 == 0 {
			theme = "classic"
		}
		tr.add(i+1, langID, fmt.Sprintf("Message %d", i+1), fmt.Sprintf("Message %d (custom)", i+1), translationDomains[i%len(translationDomains)], theme)
	}

	var out []SeedStatement
	for _, t := range tables {
		out = append(out, t.statements(prefix, maxStatementBytes)...)
	}
	return out
}

func nullIfFalse(b bool) any {
	if b {
		return 1
	}
	return nil
}

func (c *Catalogue) hookID(name string) int {
	for i, h := range c.Hooks {
		if h == name {
			return i + 1
		}
	}
	return 0
}

// today returns the day-rounded date PrestaShop-like code puts in
// statements ('YYYY-MM-DD 00:00:00'), so statement texts only change once a day.
func today(now time.Time) string { return now.Format("2006-01-02") + " 00:00:00" }
