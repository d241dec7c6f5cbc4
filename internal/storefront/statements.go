package storefront

import (
	"fmt"
	"strconv"
	"strings"
)

// gen builds the PrestaShop-shaped statements of the simulated pages. Every
// block is a pure function of its parameters, so the storefront runs
// exactly the statements the expectation counts.
type gen struct {
	p   string // table prefix
	c   *Catalogue
	day string // 'YYYY-MM-DD 00:00:00', PrestaShop's rounded "now"
}

// t is a back-quoted, prefixed table name.
func (g *gen) t(name string) string { return "`" + g.p + name + "`" }

// u is a prefixed table name without quotes (Shop::addSqlAssociation style).
func (g *gen) u(name string) string { return g.p + name }

// sub replaces PREFIX_ with the table prefix, as PrestaShop's install SQL.
func (g *gen) sub(s string) string { return strings.ReplaceAll(s, "PREFIX_", g.p) }

func (g *gen) f(format string, a ...any) string { return g.sub(fmt.Sprintf(format, a...)) }

func ids(v []int) string {
	if len(v) == 0 {
		return "0"
	}
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// ---------------------------------------------------------------- session

const (
	sqlSetNames    = "SET NAMES utf8mb4"
	sqlSetSQLMode  = "SET SESSION sql_mode = ''"
	sqlSetDoctrine = "SET sql_mode = (SELECT REPLACE(@@sql_mode, 'ONLY_FULL_GROUP_BY', ''))"
)

func (g *gen) sessionMain() []string { return []string{sqlSetNames, sqlSetSQLMode} }

// ---------------------------------------------------------------- bootstrap

// context re-reads of the language, currency, country and shop URL: the
// statements Context, Tools and Link repeat verbatim within a request.
func (g *gen) context() []string {
	return []string{
		g.f("SELECT * FROM `PREFIX_lang` a WHERE (a.`id_lang` = %d) LIMIT 1", langID),
		g.f("SELECT * FROM `PREFIX_currency` a LEFT JOIN `PREFIX_currency_lang` `b` ON a.`id_currency` = b.`id_currency` AND b.`id_lang` = %d WHERE (a.`id_currency` = %d) LIMIT 1", langID, currencyID),
		g.f("SELECT * FROM `PREFIX_country` a LEFT JOIN `PREFIX_country_lang` `b` ON a.`id_country` = b.`id_country` AND b.`id_lang` = %d WHERE (a.`id_country` = %d) LIMIT 1", langID, countryID),
		g.f("SELECT `domain`, `domain_ssl`, `physical_uri`, `virtual_uri`\n\t\t\tFROM `PREFIX_shop_url`\n\t\t\tWHERE `id_shop` = %d AND `main` = 1 AND `active` = 1\n\t\t\tLIMIT 1", shopID),
	}
}

// boot is the front controller's bootstrap: shop, configuration, context,
// hooks and modules, and the page's meta. 18 statements.
func (g *gen) boot(metaPage string) []string {
	out := []string{
		g.f("SELECT s.id_shop, CONCAT(su.physical_uri, su.virtual_uri) AS uri, su.domain, su.main\n\t\t\tFROM `PREFIX_shop_url` su\n\t\t\tLEFT JOIN `PREFIX_shop` s ON (s.id_shop = su.id_shop)\n\t\t\tWHERE (su.domain = '%s' OR su.domain_ssl = '%s')\n\t\t\t\tAND s.active = 1\n\t\t\t\tAND s.deleted = 0\n\t\t\tORDER BY LENGTH(CONCAT(su.physical_uri, su.virtual_uri)) DESC", shopDomain, shopDomain),
		g.f("SELECT a.*, b.`name` AS group_name, b.`share_stock` FROM `PREFIX_shop` a LEFT JOIN `PREFIX_shop_group` b ON (a.`id_shop_group` = b.`id_shop_group`) WHERE (a.`id_shop` = %d) LIMIT 1", shopID),
		g.f("SELECT c.`name`, cl.`id_lang`, IF(cl.`id_lang` IS NULL, c.`value`, cl.`value`) AS value, c.id_shop_group, c.id_shop\n\t\t\tFROM `PREFIX_configuration` c\n\t\t\tLEFT JOIN `PREFIX_configuration_lang` cl ON (c.`id_configuration` = cl.`id_configuration`)"),
		g.f("SELECT `name`, `value` FROM `PREFIX_configuration` WHERE `name` IN ('PS_SMARTY_CACHE', 'PS_CSS_THEME_CACHE', 'PS_JS_THEME_CACHE', 'PS_SMARTY_FORCE_COMPILE') AND `id_shop` IS NULL AND `id_shop_group` IS NULL"),
		g.f("SELECT l.*, ls.`id_shop`\n\t\t\t\tFROM `PREFIX_lang` l\n\t\t\t\tLEFT JOIN `PREFIX_lang_shop` ls ON (l.id_lang = ls.id_lang)"),
	}
	ctx := g.context()
	out = append(out, ctx[0],
		g.f("SELECT *\n\t\tFROM `PREFIX_currency` c\n\t\tLEFT JOIN `PREFIX_currency_lang` cl ON (c.`id_currency` = cl.`id_currency` AND cl.`id_lang` = %d)\n\t\tINNER JOIN PREFIX_currency_shop currency_shop\n\t\tON (currency_shop.id_currency = c.id_currency AND currency_shop.id_shop = %d)\n\t\tWHERE c.`deleted` = 0 AND c.`active` = 1\n\t\tORDER BY `iso_code` ASC", langID, shopID),
		ctx[1], ctx[2], ctx[3],
		g.f("SELECT * FROM `PREFIX_hook_alias`"),
		g.f("SELECT h.`id_hook`, h.`name`, h.`active` FROM `PREFIX_hook` h WHERE h.`active` = 1"),
		g.f("SELECT h.`name` as hook, m.`id_module`, h.`id_hook`, m.`name` as module\n\t\t\tFROM `PREFIX_module` m\n\t\t\tINNER JOIN PREFIX_module_shop module_shop ON (module_shop.id_module = m.id_module AND module_shop.id_shop = %d)\n\t\t\tINNER JOIN `PREFIX_hook_module` `hm` ON hm.`id_module` = m.`id_module`\n\t\t\tINNER JOIN `PREFIX_hook` `h` ON hm.`id_hook` = h.`id_hook`\n\t\t\tLEFT JOIN `PREFIX_module_group` `mg` ON mg.`id_module` = m.`id_module`\n\t\t\tWHERE (hm.id_shop = %d) AND (mg.id_shop = %d  AND  mg.`id_group` IN (%d))\n\t\t\tGROUP BY hm.id_hook, hm.id_module\n\t\t\tORDER BY hm.`position`", shopID, shopID, shopID, groupID),
		g.f("SELECT m.`id_module`, m.`name`, ms.`enable_device`\n\t\t\tFROM `PREFIX_module` m\n\t\t\tINNER JOIN `PREFIX_module_shop` ms ON (ms.`id_module` = m.`id_module` AND ms.`id_shop` = %d)\n\t\t\tWHERE m.`active` = 1", shopID),
		g.f("SELECT * FROM `PREFIX_group` a LEFT JOIN `PREFIX_group_lang` `b` ON a.`id_group` = b.`id_group` AND b.`id_lang` = %d WHERE (a.`id_group` = %d) LIMIT 1", langID, groupID),
		g.f("SELECT * FROM `PREFIX_image_type` WHERE 1 AND `products` = 1 ORDER BY `width` DESC, `height` DESC, `name` ASC"),
		g.f("SELECT *\n\t\t\tFROM `PREFIX_meta` m\n\t\t\tLEFT JOIN `PREFIX_meta_lang` ml ON (m.`id_meta` = ml.`id_meta` AND ml.`id_lang` = %d AND ml.id_shop = %d)\n\t\t\tWHERE (m.`page` = \"%s\" OR m.`page` = \"%s\")\n\t\t\tORDER BY LENGTH(page) DESC", langID, shopID, metaPage, strings.ReplaceAll(metaPage, "_", "-")),
		g.f("SELECT gs.`id_shop_group`, gs.`name` AS group_name, gs.`share_stock`, s.`id_shop`, s.`name` AS shop_name, s.`active`, su.`domain`, su.`domain_ssl`, su.`physical_uri`, su.`virtual_uri`\n\t\t\tFROM `PREFIX_shop_group` gs\n\t\t\tLEFT JOIN `PREFIX_shop` s ON s.`id_shop_group` = gs.`id_shop_group`\n\t\t\tLEFT JOIN `PREFIX_shop_url` su ON s.`id_shop` = su.`id_shop` AND su.`main` = 1\n\t\t\tWHERE s.`deleted` = 0 AND gs.`deleted` = 0\n\t\t\tORDER BY gs.`name`, s.`name`"),
	)
	return out
}

// layout is what the classic theme's header, menu and footer modules read
// on every page. 12 statements.
func (g *gen) layout() []string {
	out := []string{
		g.f("SELECT c.`id_category`, c.`id_parent`, c.`level_depth`, cl.`name`, cl.`link_rewrite`\n\t\t\tFROM `PREFIX_category` c\n\t\t\tINNER JOIN PREFIX_category_shop category_shop ON (category_shop.id_category = c.id_category AND category_shop.id_shop = %d)\n\t\t\tLEFT JOIN `PREFIX_category_lang` cl ON (c.`id_category` = cl.`id_category` AND cl.`id_lang` = %d AND cl.id_shop = %d)\n\t\t\tWHERE c.`active` = 1 AND c.`level_depth` > 1 AND c.`level_depth` <= 3\n\t\t\tORDER BY c.`level_depth` ASC, category_shop.`position` ASC", shopID, langID, shopID),
	}
	// ps_mainmenu: the children of each of the first six menu entries
	top := g.c.Category(homeCategoryID).children
	for k := 0; k < 6; k++ {
		parent := homeCategoryID
		if len(top) > 0 {
			parent = top[k%len(top)]
		}
		out = append(out, g.f("SELECT c.`id_category`, cl.`name`, cl.`link_rewrite`\n\t\t\t\tFROM `PREFIX_category` c\n\t\t\t\tLEFT JOIN `PREFIX_category_lang` cl ON (c.`id_category` = cl.`id_category` AND cl.`id_lang` = %d AND cl.`id_shop` = %d)\n\t\t\t\tINNER JOIN PREFIX_category_shop category_shop ON (category_shop.id_category = c.id_category AND category_shop.id_shop = %d)\n\t\t\t\tWHERE c.`id_parent` = %d AND c.`active` = 1\n\t\t\t\tORDER BY category_shop.`position` ASC", langID, shopID, shopID, parent))
	}
	out = append(out,
		g.f("SELECT c.`id_cms`, cl.`meta_title`, cl.`link_rewrite`\n\t\t\tFROM `PREFIX_cms` c\n\t\t\tINNER JOIN PREFIX_cms_shop cms_shop ON (cms_shop.id_cms = c.id_cms AND cms_shop.id_shop = %d)\n\t\t\tLEFT JOIN `PREFIX_cms_lang` cl ON (c.`id_cms` = cl.`id_cms` AND cl.`id_lang` = %d AND cl.`id_shop` = %d)\n\t\t\tWHERE c.`active` = 1\n\t\t\tORDER BY c.`position`", shopID, langID, shopID),
		g.f("SELECT bl.`id_link_block`, bll.`name`, bl.`content`, bll.`custom_content`\n\t\t\tFROM `PREFIX_link_block` bl\n\t\t\tLEFT JOIN `PREFIX_link_block_lang` bll ON (bl.`id_link_block` = bll.`id_link_block` AND bll.`id_lang` = %d)\n\t\t\tLEFT JOIN `PREFIX_link_block_shop` bls ON (bl.`id_link_block` = bls.`id_link_block` AND bls.`id_shop` = %d)\n\t\t\tWHERE bl.`id_hook` = %d\n\t\t\tORDER BY bls.`position`", langID, shopID, g.c.hookID("displayFooter")),
		g.f("SELECT r.`id_info`, r.`id_shop`, rl.`text`\n\t\t\tFROM `PREFIX_info` r\n\t\t\tLEFT JOIN `PREFIX_info_lang` rl ON (r.`id_info` = rl.`id_info`)\n\t\t\tWHERE `id_lang` = %d AND rl.`id_shop` = %d", langID, shopID),
		g.f("SELECT c.`id_currency`, c.`iso_code`, cl.`symbol`, cl.`name`\n\t\t\tFROM `PREFIX_currency` c\n\t\t\tINNER JOIN PREFIX_currency_shop currency_shop ON (currency_shop.id_currency = c.id_currency AND currency_shop.id_shop = %d)\n\t\t\tLEFT JOIN `PREFIX_currency_lang` cl ON (c.`id_currency` = cl.`id_currency` AND cl.`id_lang` = %d)\n\t\t\tWHERE c.`active` = 1 AND c.`deleted` = 0", shopID, langID),
		g.f("SELECT l.`id_lang`, l.`name`, l.`iso_code`, l.`language_code`\n\t\t\tFROM `PREFIX_lang` l\n\t\t\tINNER JOIN PREFIX_lang_shop lang_shop ON (lang_shop.id_lang = l.id_lang AND lang_shop.id_shop = %d)\n\t\t\tWHERE l.`active` = 1", shopID),
	)
	return out
}

// ---------------------------------------------------------------- modules

// hookOrder lists the modules (indexes into moduleNames) whose hooks run on
// every page, in call order, with PrestaShop's verbatim repeats.
var hookOrder = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 13, 14, 15, 11, 16, 0}

// hookModule is the module whose id the i-th module lookup reads.
func (g *gen) hookModule(i int) Module {
	n := len(g.c.Modules)
	if i < len(hookOrder) {
		return g.c.Modules[hookOrder[i]%n]
	}
	return g.c.Modules[(17+i-len(hookOrder))%n]
}

// hooks is the module-hook work: n statements alternating a module-id
// lookup by name (Module::getModuleIdByName) and the matching module-shop
// check (Module::isEnabledForShopContext).
func (g *gen) hooks(n int) []string {
	out := make([]string, 0, n)
	for i := 0; len(out) < n; i++ {
		m := g.hookModule(i)
		out = append(out, g.f("SELECT `id_module` FROM `PREFIX_module` WHERE `name` = \"%s\"", m.Name))
		if len(out) < n {
			out = append(out, g.f("SELECT `enable_device` FROM `PREFIX_module_shop` WHERE `id_module` = %d AND `id_shop` = %d", m.ID, shopID))
		}
	}
	return out
}

// ---------------------------------------------------------------- prices

// specificPrice is SpecificPrice::getSpecificPrice's scoring query.
func (g *gen) specificPrice(pid, attr, qty, group int) string {
	return g.f("SELECT *, ( IF (`id_group` = %d, 2, 0) +  IF (`id_country` = %d, 4, 0) +  IF (`id_currency` = %d, 8, 0) +  IF (`id_shop` = %d, 16, 0) +  IF (`id_customer` = 0, 32, 0)) AS `score`\n"+
		"\t\t\t\tFROM `PREFIX_specific_price` WHERE\n"+
		"                `id_shop` IN (0, %d) AND\n"+
		"                `id_currency` IN (0, %d) AND\n"+
		"                `id_country` IN (0, %d) AND\n"+
		"                `id_group` IN (0, %d) AND `id_product` IN (0, %d) AND `id_cart` IN (0, 0) AND `id_customer` IN (0, 0) AND `id_product_attribute` IN (0, %d)\n"+
		"                AND (`from` = '%s' OR '%s' >= `from`)\n"+
		"                AND (`to` = '%s' OR '%s' <= `to`)\n"+
		"                AND IF(`from_quantity` > 1, `from_quantity`, 0) <= %d ORDER BY `id_product_attribute` DESC, `id_cart` DESC, `from_quantity` DESC, `id_specific_price_rule` ASC, `score` DESC, `to` DESC, `from` DESC\n"+
		"                LIMIT 1",
		group, countryID, currencyID, shopID, shopID, currencyID, countryID, group, pid, attr, zeroDate, g.day, zeroDate, g.day, qty)
}

func (g *gen) stockSum(pid, attr int) string {
	return g.f("SELECT SUM(quantity)\n\t\t\tFROM `PREFIX_stock_available`\n\t\t\tWHERE (id_product = %d) AND (id_product_attribute = %d) AND (id_shop = %d) AND (id_shop_group = %d)", pid, attr, shopID, shopGroupID)
}

func (g *gen) priority(pid int) string {
	return g.f("SELECT `priority`, `id_specific_price_priority` FROM `PREFIX_specific_price_priority` WHERE `id_product` = %d ORDER BY `id_specific_price_priority` DESC", pid)
}

func (g *gen) taxRule() string {
	return g.f("SELECT tr.*\n\t\t\tFROM `PREFIX_tax_rule` tr\n\t\t\tJOIN `PREFIX_tax_rules_group` trg ON (tr.`id_tax_rules_group` = trg.`id_tax_rules_group`)\n\t\t\tWHERE trg.`active` = 1\n\t\t\tAND tr.`id_country` = %d\n\t\t\tAND tr.`id_tax_rules_group` = 1\n\t\t\tAND tr.`id_state` IN (0, 0)\n\t\t\tAND ('0' BETWEEN tr.`zipcode_from` AND tr.`zipcode_to`\n\t\t\t\tOR (tr.`zipcode_to` = 0 AND tr.`zipcode_from` IN(0, '0')))\n\t\t\tORDER BY tr.`zipcode_from` DESC, tr.`zipcode_to` DESC, tr.`id_state` DESC, tr.`id_country` DESC", countryID)
}

func (g *gen) packCount(pid int) string {
	return g.f("SELECT COUNT(*) FROM `PREFIX_pack` WHERE `id_product_pack` = %d", pid)
}

// ---------------------------------------------------------------- tiles

// tileProduct returns the model of a tile's product (an empty one when the
// database holds a product the model does not know).
func (g *gen) tileProduct(pid int) Product {
	if p := g.c.Product(pid); p != nil {
		return *p
	}
	return Product{ID: pid, DefaultCategory: homeCategoryID, Manufacturer: 1}
}

// tileBase is what Product::getProductProperties and the product presenter
// read for one product tile: stock, price, specific price, pack, tax,
// attributes, image, names. 20 statements; listing tiles add 4.
func (g *gen) tileBase(pid int, listing bool) []string {
	p := g.tileProduct(pid)
	attr := p.DefaultCombinationID()
	out := []string{
		g.stockSum(pid, 0),
		g.f("SELECT product_shop.`price`, product_shop.`ecotax`, product_shop.`id_tax_rules_group`, product_shop.`on_sale`, product_shop.`available_for_order`, product_shop.`show_price`\n\t\t\tFROM `PREFIX_product` p\n\t\t\tINNER JOIN PREFIX_product_shop product_shop ON (product_shop.id_product = p.id_product AND product_shop.id_shop = %d)\n\t\t\tWHERE p.`id_product` = %d", shopID, pid),
		g.specificPrice(pid, 0, 1, groupID),
		g.priority(pid),
		g.specificPrice(pid, attr, 1, groupID),
		g.packCount(pid),
		g.f("SELECT t.`rate`, tr.`behavior`\n\t\t\tFROM `PREFIX_product_shop` product_shop\n\t\t\tINNER JOIN `PREFIX_tax_rule` tr ON (tr.`id_tax_rules_group` = product_shop.`id_tax_rules_group`)\n\t\t\tLEFT JOIN `PREFIX_tax` t ON (t.`id_tax` = tr.`id_tax`)\n\t\t\tWHERE product_shop.`id_product` = %d AND product_shop.`id_shop` = %d AND tr.`id_country` = %d AND tr.`id_state` = 0", pid, shopID, countryID),
		g.f("SELECT `id_product_attribute` FROM `PREFIX_product_attribute_shop` WHERE `default_on` = 1 AND `id_product` = %d AND `id_shop` = %d LIMIT 1", pid, shopID),
		g.f("SELECT pac.`id_product_attribute`, ag.`id_attribute_group`, agl.`name` AS group_name, al.`name` AS attribute_name, a.`id_attribute`\n\t\t\tFROM `PREFIX_product_attribute_combination` pac\n\t\t\tLEFT JOIN `PREFIX_attribute` a ON (a.`id_attribute` = pac.`id_attribute`)\n\t\t\tLEFT JOIN `PREFIX_attribute_group` ag ON (ag.`id_attribute_group` = a.`id_attribute_group`)\n\t\t\tLEFT JOIN `PREFIX_attribute_lang` al ON (a.`id_attribute` = al.`id_attribute` AND al.`id_lang` = %d)\n\t\t\tLEFT JOIN `PREFIX_attribute_group_lang` agl ON (ag.`id_attribute_group` = agl.`id_attribute_group` AND agl.`id_lang` = %d)\n\t\t\tWHERE pac.`id_product_attribute` IN (%d)\n\t\t\tORDER BY ag.`position` ASC, a.`position` ASC", langID, langID, attr),
		g.stockSum(pid, attr),
		g.f("SELECT image_shop.`id_image`\n\t\t\tFROM `PREFIX_image` i\n\t\t\tINNER JOIN PREFIX_image_shop image_shop ON (image_shop.id_image = i.id_image AND image_shop.id_shop = %d)\n\t\t\tWHERE i.`id_product` = %d\n\t\t\tAND image_shop.`cover` = 1 LIMIT 1", shopID, pid),
		g.f("SELECT pl.`name`, pl.`link_rewrite`, pl.`description_short`, pl.`available_now`, pl.`available_later` FROM `PREFIX_product_lang` pl WHERE pl.`id_product` = %d AND pl.`id_lang` = %d AND pl.`id_shop` = %d", pid, langID, shopID),
		g.f("SELECT `link_rewrite` FROM `PREFIX_category_lang` WHERE `id_category` = %d AND `id_lang` = %d AND `id_shop` = %d", p.DefaultCategory, langID, shopID),
		g.f("SELECT `name` FROM `PREFIX_manufacturer` WHERE `id_manufacturer` = %d AND `active` = 1", p.Manufacturer),
		g.f("SELECT fp.`id_feature`, fl.`name`, fvl.`value`\n\t\t\tFROM `PREFIX_feature_product` fp\n\t\t\tLEFT JOIN `PREFIX_feature_lang` fl ON (fl.`id_feature` = fp.`id_feature` AND fl.`id_lang` = %d)\n\t\t\tLEFT JOIN `PREFIX_feature_value_lang` fvl ON (fvl.`id_feature_value` = fp.`id_feature_value` AND fvl.`id_lang` = %d)\n\t\t\tWHERE fp.`id_product` = %d", langID, langID, pid),
		g.f("SELECT COUNT(*) FROM `PREFIX_product_attribute` WHERE `id_product` = %d", pid),
		g.f("SELECT `id_product_download` FROM `PREFIX_product_download` WHERE `id_product` = %d AND `active` = 1 ORDER BY `id_product_download` DESC", pid),
		g.f("SELECT `id_customization_field`, `type`, `required` FROM `PREFIX_customization_field` WHERE `id_product` = %d AND `is_deleted` = 0", pid),
		g.f("SELECT `reduction` FROM `PREFIX_product_group_reduction_cache` WHERE `id_product` = %d AND `id_group` = %d", pid, groupID),
		g.f("SELECT `id_specific_price`, `from_quantity`, `reduction`, `reduction_type` FROM `PREFIX_specific_price` WHERE `id_product` IN (0, %d) AND `from_quantity` > 1 AND `id_shop` IN (0, %d) ORDER BY `from_quantity` DESC", pid, shopID),
	}
	if listing {
		out = append(out,
			g.f("SELECT pa.`id_product_attribute`, a.`color`, al.`name`\n\t\t\t\tFROM `PREFIX_product_attribute` pa\n\t\t\t\tINNER JOIN `PREFIX_product_attribute_combination` pac ON (pac.`id_product_attribute` = pa.`id_product_attribute`)\n\t\t\t\tINNER JOIN `PREFIX_attribute` a ON (a.`id_attribute` = pac.`id_attribute`)\n\t\t\t\tINNER JOIN `PREFIX_attribute_group` ag ON (ag.`id_attribute_group` = a.`id_attribute_group`)\n\t\t\t\tLEFT JOIN `PREFIX_attribute_lang` al ON (a.`id_attribute` = al.`id_attribute` AND al.`id_lang` = %d)\n\t\t\t\tWHERE pa.`id_product` = %d AND ag.`is_color_group` = 1\n\t\t\t\tGROUP BY pa.`id_product_attribute`, a.`color`, al.`name`", langID, pid),
			g.f("SELECT `position` FROM `PREFIX_category_product` WHERE `id_category` = %d AND `id_product` = %d", p.DefaultCategory, pid),
			g.f("SELECT il.`legend` FROM `PREFIX_image` i LEFT JOIN `PREFIX_image_lang` il ON (i.`id_image` = il.`id_image` AND il.`id_lang` = %d) WHERE i.`id_product` = %d AND i.`cover` = 1", langID, pid),
			g.f("SELECT `id_product_item`, `quantity` FROM `PREFIX_pack` WHERE `id_product_pack` = %d", pid),
		)
	}
	return out
}

// tileExtra is the k-th statement past a tile's base work at a scale above
// 1: module hooks on product miniatures and their per-product lookups.
func (g *gen) tileExtra(pid, k int) string {
	p := g.tileProduct(pid)
	m := g.c.Modules[(20+k/2)%len(g.c.Modules)]
	switch k % 8 {
	case 0:
		return g.f("SELECT `id_module` FROM `PREFIX_module` WHERE `name` = \"%s\"", m.Name)
	case 1:
		return g.f("SELECT `enable_device` FROM `PREFIX_module_shop` WHERE `id_module` = %d AND `id_shop` = %d", m.ID, shopID)
	case 2:
		return g.specificPrice(pid, 0, 1, 1+(k/8)%3)
	case 3:
		attr := 0
		if len(p.Combinations) > 0 {
			attr = p.Combinations[(k/8)%len(p.Combinations)].ID
		}
		return g.stockSum(pid, attr)
	case 4:
		return g.f("SELECT fp.`id_feature_value` FROM `PREFIX_feature_product` fp WHERE fp.`id_product` = %d AND fp.`id_feature` = %d", pid, 1+(k/8)%3)
	case 5:
		return g.f("SELECT image_shop.`id_image`, il.`legend` FROM `PREFIX_image` i INNER JOIN PREFIX_image_shop image_shop ON (image_shop.id_image = i.id_image AND image_shop.id_shop = %d) LEFT JOIN `PREFIX_image_lang` il ON (il.`id_image` = i.`id_image` AND il.`id_lang` = %d) WHERE i.`id_product` = %d AND i.`position` = %d", shopID, langID, pid, 1+(k/8)%2)
	case 6:
		return g.f("SELECT pl.`available_now`, pl.`available_later` FROM `PREFIX_product_lang` pl WHERE pl.`id_product` = %d AND pl.`id_lang` = %d AND pl.`id_shop` = %d", pid, 1+(k/8)%len(g.c.Langs), shopID)
	default:
		return g.f("SELECT cp.`id_category` FROM `PREFIX_category_product` cp INNER JOIN PREFIX_category_shop category_shop ON (category_shop.id_category = cp.id_category AND category_shop.id_shop = %d) WHERE cp.`id_product` = %d", shopID, pid)
	}
}

// tile returns exactly n statements for one product tile: a prefix of the
// base work when n is smaller, the base work and module-hook extras when
// it is larger.
func (g *gen) tile(pid int, listing bool, n int) []string {
	base := g.tileBase(pid, listing)
	if n <= len(base) {
		return base[:n]
	}
	for k := 0; len(base) < n; k++ {
		base = append(base, g.tileExtra(pid, k))
	}
	return base
}

// ---------------------------------------------------------------- product

// productLoad is ObjectModel's product load; its row names the page.
func (g *gen) productLoad(pid int) string {
	return g.f("SELECT * FROM `PREFIX_product` a LEFT JOIN `PREFIX_product_lang` `b` ON a.`id_product` = b.`id_product` AND b.`id_lang` = %d LEFT JOIN `PREFIX_product_shop` `c` ON a.`id_product` = c.`id_product` AND c.`id_shop` = %d WHERE (a.`id_product` = %d) AND (b.`id_shop` = %d) LIMIT 1", langID, shopID, pid, shopID)
}

// accessories lists the related products a product page shows.
func (g *gen) accessories(pid int) string {
	return g.f("SELECT p.`id_product`, pl.`name`\n\t\t\tFROM `PREFIX_accessory`\n\t\t\tLEFT JOIN `PREFIX_product` p ON (p.`id_product` = `id_product_2`)\n\t\t\tINNER JOIN PREFIX_product_shop product_shop ON (product_shop.id_product = p.id_product AND product_shop.id_shop = %d)\n\t\t\tLEFT JOIN `PREFIX_product_lang` pl ON (p.`id_product` = pl.`id_product` AND pl.`id_lang` = %d AND pl.id_shop = %d)\n\t\t\tWHERE `id_product_1` = %d AND product_shop.`active` = 1 AND product_shop.`visibility` != 'none'\n\t\t\tORDER BY p.`id_product` ASC", shopID, langID, shopID, pid)
}

// attributeGroups is Product::getAttributesGroups; its rows list the
// product's combinations.
func (g *gen) attributeGroups(pid int) string {
	return g.f("SELECT ag.`id_attribute_group`, ag.`is_color_group`, agl.`name` AS group_name, agl.`public_name` AS public_group_name,\n"+
		"\t\t\t\t\ta.`id_attribute`, al.`name` AS attribute_name, a.`color` AS attribute_color, product_attribute_shop.`id_product_attribute`,\n"+
		"\t\t\t\t\tIFNULL(stock.quantity, 0) as quantity, product_attribute_shop.`price`, product_attribute_shop.`ecotax`, product_attribute_shop.`weight`,\n"+
		"\t\t\t\t\tproduct_attribute_shop.`default_on`, pa.`reference`, pa.`ean13`, pa.`mpn`, pa.`upc`, pa.`isbn`, product_attribute_shop.`unit_price_impact`,\n"+
		"\t\t\t\t\tproduct_attribute_shop.`minimal_quantity`, product_attribute_shop.`available_date`, ag.`group_type`\n"+
		"\t\t\t\tFROM `PREFIX_product_attribute` pa\n"+
		"\t\t\t\t INNER JOIN PREFIX_product_attribute_shop product_attribute_shop\n"+
		"\t\tON (product_attribute_shop.id_product_attribute = pa.id_product_attribute AND product_attribute_shop.id_shop = %d)\n"+
		"\t\t\t\t LEFT JOIN PREFIX_stock_available stock\n"+
		"\t\t\tON (stock.id_product = `pa`.id_product AND stock.id_product_attribute = IFNULL(`pa`.id_product_attribute, 0) AND stock.id_shop = %d  AND stock.id_shop_group = %d  )\n"+
		"\t\t\t\tLEFT JOIN `PREFIX_product_attribute_combination` pac ON (pac.`id_product_attribute` = pa.`id_product_attribute`)\n"+
		"\t\t\t\tLEFT JOIN `PREFIX_attribute` a ON (a.`id_attribute` = pac.`id_attribute`)\n"+
		"\t\t\t\tLEFT JOIN `PREFIX_attribute_group` ag ON (ag.`id_attribute_group` = a.`id_attribute_group`)\n"+
		"\t\t\t\tLEFT JOIN `PREFIX_attribute_lang` al ON (a.`id_attribute` = al.`id_attribute`)\n"+
		"\t\t\t\tLEFT JOIN `PREFIX_attribute_group_lang` agl ON (ag.`id_attribute_group` = agl.`id_attribute_group`)\n"+
		"\t\t\t\t INNER JOIN PREFIX_attribute_shop attribute_shop\n"+
		"\t\tON (attribute_shop.id_attribute = a.id_attribute AND attribute_shop.id_shop = %d)\n"+
		"\t\t\t\tWHERE pa.`id_product` = %d AND al.`id_lang` = %d AND agl.`id_lang` = %d\n"+
		"\t\t\t\tGROUP BY id_attribute_group, id_product_attribute\n"+
		"\t\t\t\tORDER BY ag.`position` ASC, a.`position` ASC, agl.`name` ASC",
		shopID, shopID, shopGroupID, shopID, pid, langID, langID)
}

// combinationImages is the second fixed statement of the combinations block.
func (g *gen) combinationImages(pid int) string {
	return g.f("SELECT pai.`id_image`, pai.`id_product_attribute`, il.`legend`\n\t\t\tFROM `PREFIX_product_attribute_image` pai\n\t\t\tLEFT JOIN `PREFIX_image_lang` il ON (il.`id_image` = pai.`id_image`)\n\t\t\tLEFT JOIN `PREFIX_image` i ON (i.`id_image` = pai.`id_image`)\n\t\t\tWHERE pai.`id_product_attribute` IN (SELECT `id_product_attribute` FROM `PREFIX_product_attribute` WHERE `id_product` = %d) AND il.`id_lang` = %d ORDER BY i.`position`", pid, langID)
}

// combination is the per-combination work of a product page: the
// combination's row, its stock and its specific price (3 statements).
func (g *gen) combination(pid, attr int) []string {
	return []string{
		g.f("SELECT pa.`id_product_attribute`, product_attribute_shop.`price`, product_attribute_shop.`minimal_quantity`, pa.`reference`, pa.`available_date`\n\t\t\tFROM `PREFIX_product_attribute` pa\n\t\t\tINNER JOIN PREFIX_product_attribute_shop product_attribute_shop ON (product_attribute_shop.id_product_attribute = pa.id_product_attribute AND product_attribute_shop.id_shop = %d)\n\t\t\tWHERE pa.`id_product_attribute` = %d", shopID, attr),
		g.stockSum(pid, attr),
		g.specificPrice(pid, attr, 1, groupID),
	}
}

// productCore is the product controller's own work around the main
// product, after its load and before its accessories. 88 statements.
func (g *gen) productCore(pid int) []string {
	p := g.tileProduct(pid)
	cat := g.c.Category(p.DefaultCategory)
	if cat == nil {
		cat = &Category{ID: p.DefaultCategory, NLeft: 1, NRight: 2}
	}
	attr := p.DefaultCombinationID()
	ctx := g.context()
	out := []string{
		g.f("SELECT * FROM `PREFIX_product_shop` WHERE `id_product` = %d AND `id_shop` = %d", pid, shopID),
		g.f("SELECT * FROM `PREFIX_product_lang` WHERE `id_product` = %d AND `id_shop` = %d", pid, shopID),
		g.f("SELECT * FROM `PREFIX_category` a LEFT JOIN `PREFIX_category_lang` `b` ON a.`id_category` = b.`id_category` AND b.`id_lang` = %d LEFT JOIN `PREFIX_category_shop` `c` ON a.`id_category` = c.`id_category` AND c.`id_shop` = %d WHERE (a.`id_category` = %d) AND (b.`id_shop` = %d) LIMIT 1", langID, shopID, cat.ID, shopID),
		g.f("SELECT ctg.`id_group` FROM `PREFIX_category_group` ctg WHERE ctg.`id_category` = %d", cat.ID),
		g.f("SELECT cp.`id_category` FROM `PREFIX_category_product` cp\n\t\t\tLEFT JOIN `PREFIX_category` c ON (c.id_category = cp.id_category)\n\t\t\tINNER JOIN PREFIX_category_shop category_shop ON (category_shop.id_category = c.id_category AND category_shop.id_shop = %d)\n\t\t\tWHERE cp.`id_product` = %d AND c.`active` = 1", shopID, pid),
		g.categoryPath(cat),
		g.f("SELECT `out_of_stock`, `depends_on_stock`, `location` FROM `PREFIX_stock_available` WHERE `id_product` = %d AND `id_product_attribute` = 0 AND `id_shop` = %d AND `id_shop_group` = %d", pid, shopID, shopGroupID),
		g.f("SELECT COUNT(*) FROM `PREFIX_pack` WHERE `id_product_item` = %d", pid),
		g.f("SELECT `id_product_item`, `id_product_attribute_item`, `quantity` FROM `PREFIX_pack` WHERE `id_product_pack` = %d", pid),
		g.f("SELECT `id_specific_price` FROM `PREFIX_specific_price` LIMIT 1"),
		g.specificPrice(pid, attr, 1, groupID),
		g.specificPrice(pid, 0, 1, 0),
		g.f("SELECT g.`id_tax_rules_group`, g.`name` FROM `PREFIX_tax_rules_group` g INNER JOIN PREFIX_tax_rules_group_shop tax_rules_group_shop ON (tax_rules_group_shop.id_tax_rules_group = g.id_tax_rules_group AND tax_rules_group_shop.id_shop = %d) WHERE g.`active` = 1 AND g.`deleted` = 0 ORDER BY g.`name` ASC", shopID),
		g.f("SELECT t.`rate`, tl.`name` FROM `PREFIX_tax` t LEFT JOIN `PREFIX_tax_lang` tl ON (t.`id_tax` = tl.`id_tax` AND tl.`id_lang` = %d) WHERE t.`id_tax` = 1", langID),
		g.f("SELECT gr.`reduction` FROM `PREFIX_group_reduction` gr WHERE gr.`id_group` = %d AND gr.`id_category` = %d", groupID, cat.ID),
		g.f("SELECT `price_display_method`, `show_prices` FROM `PREFIX_group` WHERE `id_group` = %d", groupID),
		g.f("SELECT `id_zone`, `contains_states`, `need_zip_code` FROM `PREFIX_country` WHERE `id_country` = %d", countryID),
		g.f("SELECT `conversion_rate` FROM `PREFIX_currency_shop` WHERE `id_currency` = %d AND `id_shop` = %d", currencyID, shopID),
		g.f("SELECT * FROM `PREFIX_manufacturer` a WHERE (a.`id_manufacturer` = %d) LIMIT 1", p.Manufacturer),
		g.f("SELECT image_shop.`cover`, i.`id_image`, il.`legend`, i.`position`\n\t\t\tFROM `PREFIX_image` i\n\t\t\tINNER JOIN PREFIX_image_shop image_shop ON (image_shop.id_image = i.id_image AND image_shop.id_shop = %d)\n\t\t\tLEFT JOIN `PREFIX_image_lang` il ON (i.`id_image` = il.`id_image` AND il.`id_lang` = %d)\n\t\t\tWHERE i.`id_product` = %d\n\t\t\tORDER BY `position`", shopID, langID, pid),
		g.f("SELECT t.`name` FROM `PREFIX_tag` t LEFT JOIN `PREFIX_product_tag` pt ON (pt.`id_tag` = t.`id_tag`) WHERE pt.`id_product` = %d AND pt.`id_lang` = %d", pid, langID),
		g.f("SELECT a.`id_attachment`, a.`file_name`, a.`mime` FROM `PREFIX_attachment` a LEFT JOIN `PREFIX_product_attachment` pa ON (pa.`id_attachment` = a.`id_attachment`) WHERE pa.`id_product` = %d", pid),
		g.f("SELECT o.`id_order`\n\t\t\tFROM `PREFIX_orders` o\n\t\t\tLEFT JOIN `PREFIX_order_detail` od ON (od.`id_order` = o.`id_order`)\n\t\t\tWHERE o.`valid` = 1 AND od.`product_id` = %d\n\t\t\tORDER BY o.`date_add` DESC\n\t\t\tLIMIT 30", pid),
		g.f("SELECT DISTINCT od.`product_id`, pl.`name`, pl.`link_rewrite`\n\t\t\tFROM `PREFIX_order_detail` od\n\t\t\tLEFT JOIN `PREFIX_product` p ON (p.`id_product` = od.`product_id`)\n\t\t\tINNER JOIN PREFIX_product_shop product_shop ON (product_shop.id_product = p.id_product AND product_shop.id_shop = %d)\n\t\t\tLEFT JOIN `PREFIX_product_lang` pl ON (pl.`id_product` = od.`product_id` AND pl.`id_lang` = %d AND pl.id_shop = %d)\n\t\t\tWHERE od.`id_order` IN (SELECT od2.`id_order` FROM `PREFIX_order_detail` od2 WHERE od2.`product_id` = %d)\n\t\t\tAND od.`product_id` != %d AND product_shop.`active` = 1\n\t\t\tORDER BY RAND() LIMIT 8", shopID, langID, shopID, pid, pid),
		g.cartQuantity(pid, 0),
		g.cartQuantity(pid, attr),
		g.f("SELECT SUM(cp.`quantity`) AS qty FROM `PREFIX_cart_product` cp WHERE cp.`id_product` = %d AND cp.`id_cart` = 0 AND cp.`id_customization` = 0", pid),
		g.f("SELECT `id_product_attribute` FROM `PREFIX_product_attribute` WHERE `id_product` = %d AND `default_on` = 1", pid),
		g.f("SELECT product_attribute_shop.`minimal_quantity`\n\t\t\tFROM `PREFIX_product_attribute` pa\n\t\t\tINNER JOIN PREFIX_product_attribute_shop product_attribute_shop ON (product_attribute_shop.id_product_attribute = pa.id_product_attribute AND product_attribute_shop.id_shop = %d)\n\t\t\tWHERE pa.`id_product_attribute` = %d", shopID, attr),
		g.f("SELECT COUNT(*) AS nb FROM `PREFIX_product_shop` product_shop WHERE product_shop.`id_product` = %d AND product_shop.`date_add` > DATE_SUB('%s', INTERVAL 20 DAY)", pid, g.day),
		g.f("SELECT `link_rewrite`, `meta_title`, `meta_description` FROM `PREFIX_product_lang` WHERE `id_product` = %d AND `id_lang` = %d AND `id_shop` = %d", pid, langID, shopID),
		g.f("SELECT `name`, `link_rewrite` FROM `PREFIX_category_lang` WHERE `id_category` = %d AND `id_lang` = %d AND `id_shop` = %d", cat.ID, langID, shopID),
		g.f("SELECT p.`id_product` FROM `PREFIX_pack` pk INNER JOIN `PREFIX_product` p ON (p.`id_product` = pk.`id_product_pack`) WHERE pk.`id_product_item` = %d", pid),
		g.f("SELECT `id_shop` FROM `PREFIX_product_shop` WHERE `id_product` = %d", pid),
		g.f("SELECT `id_shop` FROM `PREFIX_category_shop` WHERE `id_category` = %d", cat.ID),
		g.f("SELECT `id_product_comment_criterion` FROM `PREFIX_product_comment_criterion` WHERE `active` = 1"),
		g.f("SELECT `id_module` FROM `PREFIX_hook_module` WHERE `id_hook` = %d AND `id_shop` = %d ORDER BY `position`", g.c.hookID("displayProductAdditionalInfo"), shopID),
		g.f("SELECT `id_module` FROM `PREFIX_hook_module` WHERE `id_hook` = %d AND `id_shop` = %d ORDER BY `position`", g.c.hookID("displayReassurance"), shopID),
		g.f("SELECT `id_module` FROM `PREFIX_hook_module` WHERE `id_hook` = %d AND `id_shop` = %d ORDER BY `position`", g.c.hookID("displayFooterProduct"), shopID),
		g.f("SELECT pl.`name`, pl.`description` FROM `PREFIX_product_lang` pl WHERE pl.`id_product` = %d AND pl.`id_shop` = %d ORDER BY pl.`id_lang`", pid, shopID),
		g.f("SELECT `id_category_default` FROM `PREFIX_product` WHERE `id_product` = %d", pid),
		g.f("SELECT `id_product`, `visibility`, `available_for_order` FROM `PREFIX_product_shop` WHERE `id_product` = %d AND `id_shop` = %d", pid, shopID),
		g.f("SELECT product_attribute_shop.`id_product_attribute`, product_attribute_shop.`price` FROM `PREFIX_product_attribute` pa INNER JOIN PREFIX_product_attribute_shop product_attribute_shop ON (product_attribute_shop.id_product_attribute = pa.id_product_attribute AND product_attribute_shop.id_shop = %d) WHERE pa.`id_product` = %d", shopID, pid),
		g.f("SELECT SUM(quantity) AS quantity FROM `PREFIX_stock_available` WHERE `id_product` = %d AND `id_product_attribute` != 0 AND `id_shop` = %d", pid, shopID),
		g.f("SELECT `physical_quantity`, `reserved_quantity` FROM `PREFIX_stock_available` WHERE `id_product` = %d AND `id_product_attribute` = %d AND `id_shop` = %d", pid, attr, shopID),
		g.f("SELECT ag.`id_attribute_group`, agl.`public_name` FROM `PREFIX_attribute_group` ag LEFT JOIN `PREFIX_attribute_group_lang` agl ON (ag.`id_attribute_group` = agl.`id_attribute_group` AND agl.`id_lang` = %d) ORDER BY ag.`position`", langID),
		g.f("SELECT a.`id_attribute`, al.`name` FROM `PREFIX_attribute` a INNER JOIN PREFIX_attribute_shop attribute_shop ON (attribute_shop.id_attribute = a.id_attribute AND attribute_shop.id_shop = %d) LEFT JOIN `PREFIX_attribute_lang` al ON (a.`id_attribute` = al.`id_attribute` AND al.`id_lang` = %d) WHERE a.`id_attribute_group` IN (SELECT `id_attribute_group` FROM `PREFIX_attribute_group` WHERE `is_color_group` = 1)", shopID, langID),
		g.f("SELECT c.`id_category`, cl.`name` FROM `PREFIX_category_product` cp INNER JOIN `PREFIX_category` c ON (c.`id_category` = cp.`id_category`) LEFT JOIN `PREFIX_category_lang` cl ON (cl.`id_category` = c.`id_category` AND cl.`id_lang` = %d AND cl.`id_shop` = %d) WHERE cp.`id_product` = %d ORDER BY c.`level_depth` DESC", langID, shopID, pid),
		g.f("SELECT `id_supplier`, `id_manufacturer`, `reference`, `ean13`, `condition` FROM `PREFIX_product` WHERE `id_product` = %d", pid),
		g.f("SELECT m.`name` FROM `PREFIX_manufacturer` m WHERE m.`id_manufacturer` = %d", p.Manufacturer),
		g.f("SELECT m.`id_module`, m.`name` FROM `PREFIX_module` m INNER JOIN `PREFIX_hook_module` hm ON (hm.`id_module` = m.`id_module`) WHERE hm.`id_hook` = %d AND hm.`id_shop` = %d", g.c.hookID("displayProductPriceBlock"), shopID),
		g.f("SELECT ms.`id_module` FROM `PREFIX_module_shop` ms INNER JOIN `PREFIX_module` m ON (m.`id_module` = ms.`id_module`) WHERE m.`name` = 'productcomments' AND ms.`id_shop` IN (%d)", shopID),
		g.f("SELECT `id_layered_category` FROM `PREFIX_layered_category` WHERE `id_category` = %d AND `id_shop` = %d LIMIT 1", cat.ID, shopID),
	}
	// verbatim repeats: Link and the presenter re-read the context and
	// recompute what the controller read
	out = append(out, ctx...)
	out = append(out,
		g.stockSum(pid, 0),
		g.specificPrice(pid, 0, 1, groupID),
		g.priority(pid),
		g.f("SELECT `id_lang`, `name`, `iso_code` FROM `PREFIX_lang` WHERE `active` = 1 ORDER BY `id_lang`"),
		g.f("SELECT `iso_code`, `conversion_rate` FROM `PREFIX_currency` WHERE `id_currency` = %d", currencyID),
		g.f("SELECT `iso_code`, `call_prefix` FROM `PREFIX_country` WHERE `id_country` = %d", countryID),
		g.f("SELECT `physical_uri`, `virtual_uri` FROM `PREFIX_shop_url` WHERE `id_shop` = %d AND `main` = 1", shopID),
		g.f("SELECT `id_image`, `position` FROM `PREFIX_image` WHERE `id_product` = %d AND `cover` = 1", pid),
		g.f("SELECT COUNT(*) FROM `PREFIX_pack` WHERE `id_product_pack` = %d AND `id_product_attribute_item` > 0", pid),
		g.f("SELECT `quantity`, `out_of_stock` FROM `PREFIX_stock_available` WHERE `id_product` = %d AND `id_product_attribute` = %d AND `id_shop` = %d", pid, attr, shopID),
		g.f("SELECT `available_now`, `available_later` FROM `PREFIX_product_lang` WHERE `id_product` = %d AND `id_lang` = %d AND `id_shop` = %d", pid, langID, shopID),
	)
	// the main product's own presenter work, as for a tile
	out = append(out, g.tileBase(pid, false)[:20]...)
	return out
}

func (g *gen) cartQuantity(pid, attr int) string {
	return g.f("SELECT SUM(cp.`quantity`) AS qty\n\t\t\tFROM `PREFIX_cart_product` cp\n\t\t\tWHERE cp.`id_product` = %d AND cp.`id_product_attribute` = %d AND cp.`id_cart` = 0", pid, attr)
}

// categoryPath is the breadcrumb's nested-set query.
func (g *gen) categoryPath(cat *Category) string {
	return g.f("SELECT c.*, cl.*\n\t\t\t\tFROM `PREFIX_category` c\n\t\t\t\tLEFT JOIN `PREFIX_category_lang` cl ON (c.`id_category` = cl.`id_category` AND `id_lang` = %d AND cl.id_shop = %d )\n\t\t\t\tINNER JOIN PREFIX_category_shop category_shop ON (category_shop.id_category = c.id_category AND category_shop.id_shop = %d)\n\t\t\t\tWHERE c.`nleft` <= %d AND c.`nright` >= %d AND c.`nleft` >= %d AND c.`nright` <= %d\n\t\t\t\tORDER BY `nleft` DESC",
		langID, shopID, shopID, cat.NLeft, cat.NRight, g.c.Categories[homeCategoryID-1].NLeft, g.c.Categories[homeCategoryID-1].NRight)
}

// ---------------------------------------------------------------- category

func (g *gen) categoryLoad(cid int) string {
	return g.f("SELECT * FROM `PREFIX_category` a LEFT JOIN `PREFIX_category_lang` `b` ON a.`id_category` = b.`id_category` AND b.`id_lang` = %d LEFT JOIN `PREFIX_category_shop` `c` ON a.`id_category` = c.`id_category` AND c.`id_shop` = %d WHERE (a.`id_category` = %d) AND (b.`id_shop` = %d) LIMIT 1", langID, shopID, cid, shopID)
}

// listingWhere is the product search's filter on a category.
func (g *gen) listingFrom(cid int) string {
	return g.f("FROM `PREFIX_category_product` cp\n\t\t\tLEFT JOIN `PREFIX_product` p ON (p.`id_product` = cp.`id_product`)\n\t\t\tINNER JOIN PREFIX_product_shop product_shop ON (product_shop.id_product = p.id_product AND product_shop.id_shop = %d)\n\t\t\tWHERE cp.`id_category` = %d AND product_shop.`active` = 1 AND product_shop.`visibility` IN (\"both\", \"catalog\")", shopID, cid)
}

// categoryListing returns the page's products in position order.
func (g *gen) categoryListing(cid, limit int) string {
	return g.f("SELECT p.`id_product`, pl.`name`, pl.`link_rewrite`, product_shop.`price`, IFNULL(stock.quantity, 0) AS quantity, image_shop.`id_image` AS id_image, m.`name` AS manufacturer_name\n"+
		"\t\t\tFROM `PREFIX_category_product` cp\n"+
		"\t\t\tLEFT JOIN `PREFIX_product` p ON (p.`id_product` = cp.`id_product`)\n"+
		"\t\t\tINNER JOIN PREFIX_product_shop product_shop ON (product_shop.id_product = p.id_product AND product_shop.id_shop = %d)\n"+
		"\t\t\tLEFT JOIN PREFIX_stock_available stock ON (stock.id_product = p.id_product AND stock.id_product_attribute = 0 AND stock.id_shop = %d AND stock.id_shop_group = %d)\n"+
		"\t\t\tLEFT JOIN `PREFIX_product_lang` pl ON (p.`id_product` = pl.`id_product` AND pl.`id_lang` = %d AND pl.id_shop = %d)\n"+
		"\t\t\tLEFT JOIN `PREFIX_image_shop` image_shop ON (image_shop.`id_product` = p.`id_product` AND image_shop.cover = 1 AND image_shop.id_shop = %d)\n"+
		"\t\t\tLEFT JOIN `PREFIX_manufacturer` m ON (m.`id_manufacturer` = p.`id_manufacturer`)\n"+
		"\t\t\tWHERE cp.`id_category` = %d AND product_shop.`active` = 1 AND product_shop.`visibility` IN (\"both\", \"catalog\")\n"+
		"\t\t\tORDER BY cp.`position` ASC, p.`id_product` ASC\n"+
		"\t\t\tLIMIT 0, %d", shopID, shopID, shopGroupID, langID, shopID, shopID, cid, limit)
}

// facetedSearch is ps_facetedsearch's work on a category: the filter
// blocks and their value counts. 44 statements.
func (g *gen) facetedSearch(cid int) []string {
	from := g.listingFrom(cid)
	out := []string{
		g.f("SELECT type, id_value, filter_show_limit, filter_type FROM `PREFIX_layered_category`\n\t\t\tWHERE `id_category` = %d AND `id_shop` = %d\n\t\t\tGROUP BY `type`, id_value ORDER BY position ASC", cid, shopID),
		"SELECT COUNT(DISTINCT p.`id_product`) AS nb " + from,
	}
	for _, grp := range []int{1, 2} {
		out = append(out,
			g.f("SELECT a.`id_attribute`, al.`name`, COUNT(DISTINCT pa.`id_product`) AS nbr\n\t\t\tFROM `PREFIX_category_product` cp\n\t\t\tINNER JOIN `PREFIX_product_attribute` pa ON (pa.`id_product` = cp.`id_product`)\n\t\t\tINNER JOIN `PREFIX_product_attribute_combination` pac ON (pac.`id_product_attribute` = pa.`id_product_attribute`)\n\t\t\tINNER JOIN `PREFIX_attribute` a ON (a.`id_attribute` = pac.`id_attribute`)\n\t\t\tLEFT JOIN `PREFIX_attribute_lang` al ON (al.`id_attribute` = a.`id_attribute` AND al.`id_lang` = %d)\n\t\t\tWHERE cp.`id_category` = %d AND a.`id_attribute_group` = %d\n\t\t\tGROUP BY a.`id_attribute`, al.`name`", langID, cid, grp),
			g.f("SELECT ag.`id_attribute_group`, agl.`public_name`, ag.`is_color_group` FROM `PREFIX_attribute_group` ag LEFT JOIN `PREFIX_attribute_group_lang` agl ON (agl.`id_attribute_group` = ag.`id_attribute_group` AND agl.`id_lang` = %d) WHERE ag.`id_attribute_group` = %d", langID, grp),
		)
	}
	for _, f := range []int{1, 2} {
		out = append(out,
			g.f("SELECT fp.`id_feature_value`, fvl.`value`, COUNT(DISTINCT fp.`id_product`) AS nbr\n\t\t\tFROM `PREFIX_category_product` cp\n\t\t\tINNER JOIN `PREFIX_feature_product` fp ON (fp.`id_product` = cp.`id_product`)\n\t\t\tLEFT JOIN `PREFIX_feature_value_lang` fvl ON (fvl.`id_feature_value` = fp.`id_feature_value` AND fvl.`id_lang` = %d)\n\t\t\tWHERE fp.`id_feature` = %d AND cp.`id_category` = %d\n\t\t\tGROUP BY fp.`id_feature_value`, fvl.`value`", langID, f, cid),
			g.f("SELECT fl.`name` FROM `PREFIX_feature_lang` fl WHERE fl.`id_feature` = %d AND fl.`id_lang` = %d", f, langID),
		)
	}
	out = append(out,
		g.f("SELECT m.`id_manufacturer`, m.`name`, COUNT(DISTINCT p.`id_product`) AS nbr\n\t\t\tFROM `PREFIX_category_product` cp\n\t\t\tINNER JOIN `PREFIX_product` p ON (p.`id_product` = cp.`id_product`)\n\t\t\tINNER JOIN `PREFIX_manufacturer` m ON (m.`id_manufacturer` = p.`id_manufacturer`)\n\t\t\tWHERE cp.`id_category` = %d\n\t\t\tGROUP BY m.`id_manufacturer`, m.`name`", cid),
		g.f("SELECT COUNT(DISTINCT sa.`id_product`) AS nbr\n\t\t\tFROM `PREFIX_stock_available` sa\n\t\t\tINNER JOIN `PREFIX_category_product` cp ON (cp.`id_product` = sa.`id_product`)\n\t\t\tWHERE cp.`id_category` = %d AND sa.`id_product_attribute` = 0 AND sa.`quantity` > 0 AND sa.`id_shop` = %d", cid, shopID),
		g.f("SELECT p.`condition`, COUNT(DISTINCT p.`id_product`) AS nbr\n\t\t\tFROM `PREFIX_product` p\n\t\t\tINNER JOIN `PREFIX_category_product` cp ON (cp.`id_product` = p.`id_product`)\n\t\t\tWHERE cp.`id_category` = %d\n\t\t\tGROUP BY p.`condition`", cid),
		g.f("SELECT MIN(psi.`price_min`) AS min, MAX(psi.`price_max`) AS max\n\t\t\tFROM `PREFIX_layered_price_index` psi\n\t\t\tINNER JOIN `PREFIX_category_product` cp ON (cp.`id_product` = psi.`id_product`)\n\t\t\tWHERE cp.`id_category` = %d AND psi.`id_currency` = %d AND psi.`id_shop` = %d AND psi.`id_country` = %d", cid, currencyID, shopID, countryID),
	)
	// per filter block: its settings, whether the shop uses it, its selected values
	for _, typ := range []string{"category", "id_attribute_group", "id_feature", "quantity", "manufacturer", "condition", "price"} {
		out = append(out,
			g.f("SELECT `id_layered_category`, `filter_type`, `filter_show_limit` FROM `PREFIX_layered_category` WHERE `id_category` = %d AND `id_shop` = %d AND `type` = '%s' ORDER BY `position`", cid, shopID, typ),
			g.f("SELECT COUNT(*) FROM `PREFIX_layered_category` WHERE `id_shop` = %d AND `type` = '%s'", shopID, typ),
			g.f("SELECT lc.`id_value`, lc.`position` FROM `PREFIX_layered_category` lc WHERE lc.`id_category` = %d AND lc.`id_shop` = %d AND lc.`type` = '%s' AND lc.`id_value` > 0", cid, shopID, typ),
		)
	}
	// the full tree below the category (PS_LAYERED_FULL_TREE)
	cat := g.c.Category(cid)
	if cat == nil {
		cat = &Category{ID: cid, NLeft: 1, NRight: 2}
	}
	out = append(out,
		g.f("SELECT c.`id_category` FROM `PREFIX_category` c WHERE c.`nleft` >= %d AND c.`nright` <= %d AND c.`active` = 1", cat.NLeft, cat.NRight),
		g.f("SELECT COUNT(DISTINCT cp.`id_product`) AS nb FROM `PREFIX_category_product` cp INNER JOIN `PREFIX_category` c ON (c.`id_category` = cp.`id_category`) WHERE c.`nleft` >= %d AND c.`nright` <= %d AND c.`active` = 1", cat.NLeft, cat.NRight),
		g.f("SELECT cl.`name`, cl.`link_rewrite` FROM `PREFIX_category_lang` cl WHERE cl.`id_category` = %d AND cl.`id_shop` = %d ORDER BY cl.`id_lang`", cid, shopID),
	)
	// the subcategory filter: children with products
	out = append(out,
		g.f("SELECT c.`id_category`, cl.`name`, COUNT(DISTINCT cp.`id_product`) AS nbr\n\t\t\tFROM `PREFIX_category` c\n\t\t\tLEFT JOIN `PREFIX_category_lang` cl ON (cl.`id_category` = c.`id_category` AND cl.`id_lang` = %d AND cl.`id_shop` = %d)\n\t\t\tLEFT JOIN `PREFIX_category_product` cp ON (cp.`id_category` = c.`id_category`)\n\t\t\tWHERE c.`id_parent` = %d AND c.`active` = 1\n\t\t\tGROUP BY c.`id_category`, cl.`name`", langID, shopID, cid),
		g.f("SELECT `id_category` FROM `PREFIX_category_group` WHERE `id_group` IN (%d) AND `id_category` = %d", groupID, cid),
	)
	// price rounding and stock settings read by the filters
	for _, k := range []string{"PS_LAYERED_SHOW_QTIES", "PS_LAYERED_FULL_TREE", "PS_STOCK_MANAGEMENT", "PS_ORDER_OUT_OF_STOCK"} {
		out = append(out, g.f("SELECT `value` FROM `PREFIX_configuration` WHERE `name` = '%s' AND `id_shop` IS NULL AND `id_shop_group` IS NULL", k))
	}
	return out
}

// categoryCore is the category controller's work around the listing, after
// the category load: meta, subcategories, breadcrumb, the faceted search,
// and the listing count and query (the last statement). 73 statements.
func (g *gen) categoryCore(cid int) []string {
	cat := g.c.Category(cid)
	if cat == nil {
		cat = &Category{ID: cid, NLeft: 1, NRight: 2}
	}
	ctx := g.context()
	out := []string{
		g.f("SELECT ctg.`id_group` FROM `PREFIX_category_group` ctg WHERE ctg.`id_category` = %d", cid),
		g.f("SELECT c.*, cl.`id_lang`, cl.`name`, cl.`description`, cl.`link_rewrite`, cl.`meta_title`, cl.`meta_description`\n\t\t\tFROM `PREFIX_category` c\n\t\t\tINNER JOIN PREFIX_category_shop category_shop ON (category_shop.id_category = c.id_category AND category_shop.id_shop = %d)\n\t\t\tLEFT JOIN `PREFIX_category_lang` cl ON (c.`id_category` = cl.`id_category` AND `id_lang` = %d AND cl.id_shop = %d)\n\t\t\tLEFT JOIN `PREFIX_category_group` cg ON (cg.`id_category` = c.`id_category`)\n\t\t\tWHERE `id_parent` = %d AND `active` = 1 AND cg.`id_group` IN (%d)\n\t\t\tGROUP BY c.`id_category`\n\t\t\tORDER BY `level_depth` ASC, category_shop.`position` ASC", shopID, langID, shopID, cid, groupID),
		g.categoryPath(cat),
		g.f("SELECT `name`, `link_rewrite`, `meta_title`, `meta_description` FROM `PREFIX_category_lang` WHERE `id_category` = %d AND `id_lang` = %d AND `id_shop` = %d", cid, langID, shopID),
		g.f("SELECT c.`id_parent`, c.`id_category`, cl.`name`, cl.`description`, cl.`link_rewrite`\n\t\t\tFROM `PREFIX_category` c\n\t\t\tINNER JOIN `PREFIX_category_lang` cl ON (c.`id_category` = cl.`id_category` AND cl.`id_lang` = %d AND cl.`id_shop` = %d)\n\t\t\tINNER JOIN `PREFIX_category_shop` cs ON (cs.`id_category` = c.`id_category` AND cs.`id_shop` = %d)\n\t\t\tWHERE (c.`active` = 1 OR c.`id_category` = %d)\n\t\t\tAND c.`id_category` != %d\n\t\t\tAND c.`level_depth` <= 4\n\t\t\tAND c.`nleft` >= %d AND c.`nright` <= %d\n\t\t\tAND c.`id_category` IN (\n\t\t\t\tSELECT `id_category`\n\t\t\t\tFROM `PREFIX_category_group`\n\t\t\t\tWHERE `id_group` IN (%d)\n\t\t\t)\n\t\t\tORDER BY `level_depth` ASC, cs.`position` ASC", langID, shopID, shopID, homeCategoryID, rootCategoryID, g.c.Categories[homeCategoryID-1].NLeft, g.c.Categories[homeCategoryID-1].NRight, groupID),
		g.f("SELECT `id_image_type`, `name` FROM `PREFIX_image_type` WHERE `categories` = 1 ORDER BY `width` ASC"),
		g.f("SELECT gr.`reduction` FROM `PREFIX_group_reduction` gr WHERE gr.`id_group` = %d AND gr.`id_category` = %d", groupID, cid),
		g.f("SELECT `id_specific_price` FROM `PREFIX_specific_price` LIMIT 1"),
		g.f("SELECT `id_hook` FROM `PREFIX_hook` WHERE `name` = 'displayProductListReviews'"),
		g.f("SELECT `id_module` FROM `PREFIX_hook_module` WHERE `id_hook` = %d AND `id_shop` = %d ORDER BY `position`", g.c.hookID("displayProductListReviews"), shopID),
		g.f("SELECT `id_module` FROM `PREFIX_hook_module` WHERE `id_hook` = %d AND `id_shop` = %d ORDER BY `position`", g.c.hookID("productSearchProvider"), shopID),
		g.f("SELECT `id_shop` FROM `PREFIX_category_shop` WHERE `id_category` = %d", cid),
		g.cartQuantity(0, 0),
		g.f("SELECT SUM(cp.`quantity`) AS qty FROM `PREFIX_cart_product` cp WHERE cp.`id_cart` = 0 AND cp.`id_customization` = 0"),
		g.f("SELECT `id_product`, `id_product_attribute`, `quantity` FROM `PREFIX_cart_product` WHERE `id_cart` = 0"),
		ctx[0],
		g.f("SELECT `iso_code`, `conversion_rate` FROM `PREFIX_currency` WHERE `id_currency` = %d", currencyID),
		g.f("SELECT `iso_code`, `call_prefix` FROM `PREFIX_country` WHERE `id_country` = %d", countryID),
		g.f("SELECT `physical_uri`, `virtual_uri` FROM `PREFIX_shop_url` WHERE `id_shop` = %d AND `main` = 1", shopID),
	}
	out = append(out, g.facetedSearch(cid)...)
	out = append(out,
		g.f("SELECT `id_product`, `price_min`, `price_max` FROM `PREFIX_layered_price_index` WHERE `id_currency` = %d AND `id_shop` = %d AND `id_country` = %d AND `id_product` IN (SELECT `id_product` FROM `PREFIX_category_product` WHERE `id_category` = %d)", currencyID, shopID, countryID, cid),
		g.f("SELECT `id_hook` FROM `PREFIX_hook` WHERE `name` = 'filterProductSearch'"),
		g.f("SELECT `id_hook` FROM `PREFIX_hook` WHERE `name` = 'actionProductSearchAfter'"),
		"SELECT COUNT(cp.`id_product`) AS total "+g.listingFrom(cid),
		g.categoryListing(cid, g.c.Cfg.ProductsPerCategoryPage),
	)
	return out
}

// listingPreload is what the product list reads in bulk for the products
// of a listing page, after the listing query. 5 statements.
func (g *gen) listingPreload(pids []int) []string {
	in := ids(pids)
	return []string{
		g.f("SELECT pa.`id_product`, a.`color`, pac.`id_product_attribute`, al.`name`, a.`id_attribute`\n\t\t\tFROM `PREFIX_product_attribute` pa\n\t\t\tINNER JOIN PREFIX_product_attribute_shop product_attribute_shop ON (product_attribute_shop.id_product_attribute = pa.id_product_attribute AND product_attribute_shop.id_shop = %d)\n\t\t\tINNER JOIN `PREFIX_product_attribute_combination` pac ON (pac.`id_product_attribute` = pa.`id_product_attribute`)\n\t\t\tINNER JOIN `PREFIX_attribute` a ON (a.`id_attribute` = pac.`id_attribute`)\n\t\t\tLEFT JOIN `PREFIX_attribute_lang` al ON (a.`id_attribute` = al.`id_attribute` AND al.`id_lang` = %d)\n\t\t\tINNER JOIN `PREFIX_attribute_group` ag ON (a.`id_attribute_group` = ag.`id_attribute_group`)\n\t\t\tWHERE pa.`id_product` IN (%s) AND ag.`is_color_group` = 1\n\t\t\tGROUP BY pa.`id_product`, a.`id_attribute`, pac.`id_product_attribute`, a.`color`, al.`name`\n\t\t\tORDER BY a.`position` ASC", shopID, langID, in),
		g.f("SELECT `id_product`, MIN(`minimal_quantity`) AS minimal_quantity FROM `PREFIX_product_attribute_shop` WHERE `id_product` IN (%s) AND `id_shop` = %d GROUP BY `id_product`", in, shopID),
		g.f("SELECT `id_product_item` FROM `PREFIX_pack` WHERE `id_product_item` IN (%s)", in),
		g.f("SELECT `id_feature`, `id_product`, `id_feature_value` FROM `PREFIX_feature_product` WHERE `id_product` IN (%s)", in),
		g.f("SELECT `id_image`, `id_product` FROM `PREFIX_image_shop` WHERE `id_product` IN (%s) AND `cover` = 1 AND `id_shop` = %d", in, shopID),
	}
}

// ---------------------------------------------------------------- other pages

// homeFeatured lists ps_featuredproducts' products (Home's, up to 8).
func (g *gen) homeFeatured() string {
	return g.categoryListing(homeCategoryID, featuredOnHome)
}

// homeCore is the home page's own work before its featured-products query
// (the last statement). 4 statements.
func (g *gen) homeCore() []string {
	return []string{
		g.f("SELECT hss.`id_homeslider_slides` AS id_slide, hss.`position`, hss.`active`, hssl.`title`, hssl.`url`, hssl.`image`\n\t\t\tFROM `PREFIX_homeslider_slides` hss\n\t\t\tLEFT JOIN `PREFIX_homeslider_slides_lang` hssl ON (hss.`id_homeslider_slides` = hssl.`id_homeslider_slides`)\n\t\t\tWHERE hssl.`id_lang` = %d AND hss.`active` = 1\n\t\t\tORDER BY hss.`position`", langID),
		"SELECT COUNT(cp.`id_product`) AS total " + g.listingFrom(homeCategoryID),
		g.f("SELECT `id_specific_price` FROM `PREFIX_specific_price` LIMIT 1"),
		g.homeFeatured(),
	}
}

func (g *gen) cmsLoad(id int) string {
	return g.f("SELECT * FROM `PREFIX_cms` a LEFT JOIN `PREFIX_cms_lang` `b` ON a.`id_cms` = b.`id_cms` AND b.`id_lang` = %d WHERE (a.`id_cms` = %d) AND (b.`id_shop` = %d) LIMIT 1", langID, id, shopID)
}

// cmsCore is the CMS controller's work after the page load. 3 statements.
func (g *gen) cmsCore(id int) []string {
	return []string{
		g.f("SELECT * FROM `PREFIX_cms_category` a LEFT JOIN `PREFIX_cms_category_lang` `b` ON a.`id_cms_category` = b.`id_cms_category` AND b.`id_lang` = %d WHERE (a.`id_cms_category` = 1) AND (b.`id_shop` = %d) LIMIT 1", langID, shopID),
		g.f("SELECT `id_shop` FROM `PREFIX_cms_shop` WHERE `id_cms` = %d", id),
		g.f("SELECT cl.`link_rewrite`, cl.`meta_title` FROM `PREFIX_cms_lang` cl WHERE cl.`id_cms` = %d AND cl.`id_shop` = %d ORDER BY cl.`id_lang`", id, shopID),
	}
}

// searchWhere is the search controller's filter on a normalised term.
func (g *gen) searchWhere(term string) string {
	return g.f("WHERE sw.`id_lang` = %d AND sw.`id_shop` = %d\n\t\t\tAND product_shop.`active` = 1 AND product_shop.`visibility` IN (\"both\", \"search\")\n\t\t\tAND sw.`word` LIKE ", langID, shopID) + quote(term+"%")
}

func (g *gen) searchJoins() string {
	return g.f("FROM `PREFIX_search_word` sw\n\t\t\tLEFT JOIN `PREFIX_search_index` si ON (sw.`id_word` = si.`id_word`)\n\t\t\tINNER JOIN PREFIX_product_shop product_shop ON (product_shop.id_product = si.id_product AND product_shop.id_shop = %d)\n\t\t\t", shopID)
}

// searchCount and searchListing are the search controller's queries.
func (g *gen) searchCount(term string) string {
	return "SELECT COUNT(DISTINCT si.`id_product`) AS total\n\t\t\t" + g.searchJoins() + g.searchWhere(term)
}

func (g *gen) searchListing(term string, limit int) string {
	return "SELECT DISTINCT si.`id_product`, pl.`name`\n\t\t\t" + g.searchJoins() +
		g.f("LEFT JOIN `PREFIX_product_lang` pl ON (pl.`id_product` = si.`id_product` AND pl.`id_lang` = %d AND pl.`id_shop` = %d)\n\t\t\t", langID, shopID) +
		g.searchWhere(term) + fmt.Sprintf("\n\t\t\tORDER BY si.`id_product` ASC\n\t\t\tLIMIT 0, %d", limit)
}

// statsSearch is statssearch's record of a search.
func (g *gen) statsSearch(term string, results int, now string) string {
	return g.f("INSERT INTO `PREFIX_statssearch` (`id_shop`, `id_shop_group`, `keywords`, `results`, `date_add`) VALUES (%d, 1, ", shopID) + quote(term) + fmt.Sprintf(", %d, '%s')", results, now)
}

// ---------------------------------------------------------------- app-cold

const (
	translationSelects = 327
	coldCommon         = 41
	coldCategoryExtra  = 6
)

// translations are the translation catalogue's reads when PrestaShop's
// translation cache was wiped: two shapes, repeated verbatim.
func (g *gen) translations(locale string) []string {
	a := g.f("SELECT t.`key`, t.`translation`, t.`domain`\n\t\t\tFROM `PREFIX_translation` t\n\t\t\tINNER JOIN `PREFIX_lang` l ON (t.`id_lang` = l.`id_lang`)\n\t\t\tWHERE l.`locale` = '%s' AND t.`theme` IS NULL", locale)
	b := g.f("SELECT t.`key`, t.`translation`, t.`domain`\n\t\t\tFROM `PREFIX_translation` t\n\t\t\tINNER JOIN `PREFIX_lang` l ON (t.`id_lang` = l.`id_lang`)\n\t\t\tWHERE l.`locale` = '%s' AND t.`theme` = 'classic'", locale)
	out := make([]string, translationSelects)
	for i := range out {
		if i%2 == 0 {
			out[i] = a
		} else {
			out[i] = b
		}
	}
	return out
}

// cold is the rest of an app-cold request's extra work: routes and meta,
// CMS and link blocks, the category tree, configuration and hooks. 41
// statements, 47 on a category page.
func (g *gen) cold(kind string, id int) []string {
	out := []string{
		g.f("SELECT m.`page`, ml.`url_rewrite`, ml.`id_lang`\n\t\t\tFROM `PREFIX_meta` m\n\t\t\tLEFT JOIN `PREFIX_meta_lang` ml ON (m.`id_meta` = ml.`id_meta` AND ml.id_shop = %d)\n\t\t\tORDER BY LENGTH(ml.`url_rewrite`) DESC", shopID),
	}
	for _, page := range metaPages[:12] {
		out = append(out, g.f("SELECT ml.`title`, ml.`url_rewrite` FROM `PREFIX_meta` m LEFT JOIN `PREFIX_meta_lang` ml ON (m.`id_meta` = ml.`id_meta` AND ml.`id_lang` = %d AND ml.`id_shop` = %d) WHERE m.`page` = '%s'", langID, shopID, page))
	}
	for i := 1; i <= cmsPages; i++ {
		out = append(out, g.cmsLoad(i))
	}
	for b := 1; b <= linkBlocks; b++ {
		out = append(out, g.f("SELECT `name`, `custom_content` FROM `PREFIX_link_block_lang` WHERE `id_link_block` = %d AND `id_lang` = %d", b, langID))
	}
	// category tree for the menu, level by level
	out = append(out, g.f("SELECT c.`id_category`, c.`id_parent`, c.`nleft`, c.`nright` FROM `PREFIX_category` c WHERE c.`is_root_category` = 1"))
	for k := 0; k < 7; k++ {
		cat := g.c.Categories[(k+1)%len(g.c.Categories)]
		out = append(out, g.f("SELECT c.`id_category`, cl.`name` FROM `PREFIX_category` c LEFT JOIN `PREFIX_category_lang` cl ON (c.`id_category` = cl.`id_category` AND cl.`id_lang` = %d AND cl.`id_shop` = %d) WHERE c.`nleft` > %d AND c.`nright` < %d AND c.`active` = 1 ORDER BY c.`nleft`", langID, shopID, cat.NLeft, cat.NRight))
	}
	out = append(out,
		g.f("SELECT h.`id_hook`, h.`name`, ha.`alias` FROM `PREFIX_hook` h LEFT JOIN `PREFIX_hook_alias` ha ON (ha.`name` = h.`name`)"),
		g.f("SELECT * FROM `PREFIX_image_type` ORDER BY `name` ASC"),
		g.f("SELECT `name`, `value` FROM `PREFIX_configuration` WHERE `id_shop` IS NULL AND `id_shop_group` IS NULL"),
		g.f("SELECT c.`name`, cl.`id_lang`, cl.`value` FROM `PREFIX_configuration` c INNER JOIN `PREFIX_configuration_lang` cl ON (c.`id_configuration` = cl.`id_configuration`)"),
		g.f("SELECT `name` FROM `PREFIX_module` WHERE `active` = 1 ORDER BY `name`"),
		g.f("SELECT * FROM `PREFIX_lang` WHERE `locale` = '%s'", g.c.Langs[0].Locale),
		g.f("SELECT c.`iso_code`, cl.`pattern`, cl.`symbol` FROM `PREFIX_currency` c LEFT JOIN `PREFIX_currency_lang` cl ON (cl.`id_currency` = c.`id_currency`)"),
		g.f("SELECT c.`id_country`, cl.`name` FROM `PREFIX_country` c LEFT JOIN `PREFIX_country_lang` cl ON (c.`id_country` = cl.`id_country` AND cl.`id_lang` = %d) WHERE c.`active` = 1 ORDER BY cl.`name` ASC", langID),
	)
	for _, h := range []string{"displayHeader", "displayTop", "displayFooter", "actionFrontControllerSetMedia"} {
		out = append(out, g.f("SELECT `id_hook` FROM `PREFIX_hook` WHERE `name` = '%s'", h))
	}
	if kind == KindCategory {
		out = append(out,
			g.f("SELECT `type`, `id_value`, `filter_type`, `filter_show_limit` FROM `PREFIX_layered_category` WHERE `id_category` = %d AND `id_shop` = %d ORDER BY `position`", id, shopID),
			g.f("SELECT MIN(`price_min`), MAX(`price_max`) FROM `PREFIX_layered_price_index` WHERE `id_currency` = %d AND `id_shop` = %d", currencyID, shopID),
			g.f("SELECT `id_attribute_group`, `is_color_group` FROM `PREFIX_attribute_group` ORDER BY `position`"),
			g.f("SELECT a.`id_attribute`, a.`id_attribute_group`, al.`name` FROM `PREFIX_attribute` a LEFT JOIN `PREFIX_attribute_lang` al ON (al.`id_attribute` = a.`id_attribute` AND al.`id_lang` = %d)", langID),
			g.f("SELECT `id_feature`, `position` FROM `PREFIX_feature` ORDER BY `position`"),
			g.f("SELECT fvl.`id_feature_value`, fvl.`value` FROM `PREFIX_feature_value_lang` fvl WHERE fvl.`id_lang` = %d", langID),
		)
	}
	return out
}

// ---------------------------------------------------------------- product comments (Doctrine)

func (g *gen) commentsProduct(pid int) []string {
	return []string{
		g.f("SELECT AVG(pc.grade) AS grade FROM PREFIX_product_comment pc WHERE pc.id_product = %d AND pc.validate = 1 AND pc.deleted = 0", pid),
		g.f("SELECT COUNT(pc.id_product_comment) AS commentsNb FROM PREFIX_product_comment pc WHERE pc.id_product = %d AND pc.validate = 1 AND pc.deleted = 0", pid),
	}
}

func (g *gen) commentsList(pids []int) []string {
	return []string{
		g.f("SELECT pc.id_product, AVG(pc.grade) AS grade, COUNT(pc.id_product_comment) AS commentsNb FROM PREFIX_product_comment pc WHERE pc.id_product IN (%s) AND pc.validate = 1 AND pc.deleted = 0 GROUP BY pc.id_product", ids(pids)),
		g.f("SELECT pcc.id_product_comment_criterion, pccl.name FROM PREFIX_product_comment_criterion pcc LEFT JOIN PREFIX_product_comment_criterion_lang pccl ON (pccl.id_product_comment_criterion = pcc.id_product_comment_criterion AND pccl.id_lang = %d) WHERE pcc.active = 1", langID),
	}
}
