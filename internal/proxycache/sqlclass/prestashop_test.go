package sqlclass

import "testing"

// TestClassifyPrestaShop classifies statements shaped like those a
// PrestaShop 8.1 storefront sends (see prestashop-8.1-pages.md): back-quoted
// identifiers, the ps_ prefix, multi-line text, double-quoted strings.
func TestClassifyPrestaShop(t *testing.T) {
	c := newTestClassifier(t)
	cases := []struct {
		name string
		sql  string
		want Classification
	}{
		{"module id by name", "SELECT `id_module` FROM `ps_module` WHERE `name` = \"ps_shoppingcart\"",
			selectOK("ps_module")},
		{"module enabled in shop", `SELECT m.` + "`id_module`" + ` as active, ms.` + "`id_module`" + ` as shop_active
FROM ` + "`ps_module`" + ` m
LEFT JOIN ` + "`ps_module_shop`" + ` ms ON m.` + "`id_module`" + ` = ms.` + "`id_module`" + `
WHERE ` + "`name`" + ` = 'ps_emailsubscription'
AND ms.` + "`id_shop`" + ` IN (1)`,
			selectOK("ps_module", "ps_module_shop")},
		{"stock quantity sum", `SELECT SUM(quantity)
			FROM ` + "`ps_stock_available`" + `
			WHERE (id_product = 1) AND (id_product_attribute = 0) AND (id_shop = 1) AND (id_shop_group = 0)`,
			selectOK("ps_stock_available")},
		{"specific price with literal dates", "SELECT *, ( IF (`id_group` = 1, 2, 0) +  IF (`id_country` = 8, 4, 0) +  IF (`id_currency` = 1, 8, 0) +  IF (`id_shop` = 1, 16, 0) +  IF (`id_customer` = 0, 32, 0)) AS `score`\n" +
			"\t\t\t\tFROM `ps_specific_price` WHERE\n" +
			"                `id_shop` IN (0, 1) AND\n" +
			"                `id_currency` IN (0, 1) AND\n" +
			"                `id_country` IN (0, 8) AND\n" +
			"                `id_group` IN (0, 1) AND `id_product` IN (0, 1) AND `id_cart` IN (0, 0) AND `id_customer` IN (0, 0) AND `id_product_attribute` IN (0, 1)\n" +
			"                AND (`from` = '0000-00-00 00:00:00' OR '2024-05-06 10:00:00' >= `from`)\n" +
			"                AND (`to` = '0000-00-00 00:00:00' OR '2024-05-06 10:00:00' <= `to`)\n" +
			"                AND IF(`from_quantity` > 1, `from_quantity`, 0) <= 1 ORDER BY `id_product_attribute` DESC, `id_cart` DESC, `from_quantity` DESC, `id_specific_price_rule` ASC, `score` DESC, `to` DESC, `from` DESC\n" +
			"                LIMIT 1",
			selectOK("ps_specific_price")},
		{"specific price priority", "SELECT `priority`, `id_specific_price_priority` FROM `ps_specific_price_priority` WHERE `id_product` = 1 ORDER BY `id_specific_price_priority` DESC",
			selectOK("ps_specific_price_priority")},
		{"EXPLAIN feature detection", "EXPLAIN SELECT 1 FROM `ps_specific_price` WHERE id_product = 1",
			Classification{Kind: KindExplain, Reason: ReasonNotSelect, Reads: refs("ps_specific_price")}},
		{"attribute groups of a product", "SELECT ag.`id_attribute_group`, ag.`is_color_group`, agl.`name` AS group_name, agl.`public_name` AS public_group_name,\n" +
			"a.`id_attribute`, al.`name` AS attribute_name, a.`color` AS attribute_color, product_attribute_shop.`id_product_attribute`,\n" +
			"IFNULL(stock.quantity, 0) as quantity, product_attribute_shop.`price`, product_attribute_shop.`ecotax`, product_attribute_shop.`weight`,\n" +
			"product_attribute_shop.`default_on`, pa.`reference`, pa.`ean13`, pa.`mpn`, pa.`upc`, pa.`isbn`, product_attribute_shop.`unit_price_impact`,\n" +
			"product_attribute_shop.`minimal_quantity`, product_attribute_shop.`available_date`, ag.`group_type`\n" +
			"FROM `ps_product_attribute` pa\n" +
			" INNER JOIN ps_product_attribute_shop product_attribute_shop\n" +
			"ON (product_attribute_shop.id_product_attribute = pa.id_product_attribute AND product_attribute_shop.id_shop = 1)\n" +
			" LEFT JOIN ps_stock_available stock\n" +
			"ON (stock.id_product = `pa`.id_product AND stock.id_product_attribute = IFNULL(`pa`.id_product_attribute, 0) AND stock.id_shop = 1  AND stock.id_shop_group = 0  )\n" +
			"LEFT JOIN `ps_product_attribute_combination` pac ON (pac.`id_product_attribute` = pa.`id_product_attribute`)\n" +
			"LEFT JOIN `ps_attribute` a ON (a.`id_attribute` = pac.`id_attribute`)\n" +
			"LEFT JOIN `ps_attribute_group` ag ON (ag.`id_attribute_group` = a.`id_attribute_group`)\n" +
			"LEFT JOIN `ps_attribute_lang` al ON (a.`id_attribute` = al.`id_attribute`)\n" +
			"LEFT JOIN `ps_attribute_group_lang` agl ON (ag.`id_attribute_group` = agl.`id_attribute_group`)\n" +
			" INNER JOIN ps_attribute_shop attribute_shop\n" +
			"ON (attribute_shop.id_attribute = a.id_attribute AND attribute_shop.id_shop = 1)\n" +
			"WHERE pa.`id_product` = 1 AND al.`id_lang` = 1 AND agl.`id_lang` = 1\n" +
			"GROUP BY id_attribute_group, id_product_attribute\n" +
			"ORDER BY ag.`position` ASC, a.`position` ASC, agl.`name` ASC",
			selectOK("ps_product_attribute", "ps_product_attribute_shop", "ps_stock_available",
				"ps_product_attribute_combination", "ps_attribute", "ps_attribute_group", "ps_attribute_lang",
				"ps_attribute_group_lang", "ps_attribute_shop")},
		{"product with lang and shop", "SELECT * FROM `ps_product` a LEFT JOIN `ps_product_lang` `b` ON a.`id_product` = b.`id_product` AND b.`id_lang` = 1 LEFT JOIN `ps_product_shop` `c` ON a.`id_product` = c.`id_product` AND c.`id_shop` = 1 WHERE (a.`id_product` = 1) AND (b.`id_shop` = 1) LIMIT 1",
			selectOK("ps_product", "ps_product_lang", "ps_product_shop")},
		{"category tree nleft/nright", "SELECT c.*, cl.*\n" +
			"\t\t\t\tFROM `ps_category` c\n" +
			"\t\t\t\tLEFT JOIN `ps_category_lang` cl ON (c.`id_category` = cl.`id_category` AND `id_lang` = 1 AND cl.id_shop = 1 )\n" +
			"\t\t\t\tINNER JOIN ps_category_shop category_shop ON (category_shop.id_category = c.id_category AND category_shop.id_shop = 1)\n" +
			"\t\t\t\tWHERE c.`nleft` <= 5 AND c.`nright` >= 6 AND c.`nleft` >= 2 AND c.`nright` <= 17\n" +
			"\t\t\t\tORDER BY `nleft` DESC",
			selectOK("ps_category", "ps_category_lang", "ps_category_shop")},
		{"hook and module joins", "SELECT h.`name` as hook, m.`id_module`, h.`id_hook`, m.`name` as module\n" +
			"FROM `ps_module` m\n" +
			"INNER JOIN ps_module_shop module_shop ON (module_shop.id_module = m.id_module AND module_shop.id_shop = 1)\n" +
			"INNER JOIN `ps_hook_module` `hm` ON hm.`id_module` = m.`id_module`\n" +
			"INNER JOIN `ps_hook` `h` ON hm.`id_hook` = h.`id_hook`\n" +
			"LEFT JOIN `ps_module_group` `mg` ON mg.`id_module` = m.`id_module`\n" +
			"WHERE (hm.id_shop = 1) AND (mg.id_shop = 1  AND  mg.`id_group` IN (1))\n" +
			"GROUP BY hm.id_hook, hm.id_module\n" +
			"ORDER BY hm.`position`",
			selectOK("ps_module", "ps_module_shop", "ps_hook_module", "ps_hook", "ps_module_group")},
		{"hook alias", "SELECT * FROM `ps_hook_alias`", selectOK("ps_hook_alias")},
		{"translation catalogue", "SELECT `key`, `translation`, `domain` FROM `ps_translation` t LEFT JOIN `ps_lang` l ON (t.`id_lang` = l.`id_lang`) WHERE l.`locale` = \"en-US\" AND `theme` IS NULL",
			selectOK("ps_translation", "ps_lang")},
		{"configuration load", "SELECT c.`name`, cl.`id_lang`, IF(cl.`id_lang` IS NULL, c.`value`, cl.`value`) AS value, c.id_shop_group, c.id_shop\n" +
			"FROM `ps_configuration` c\n" +
			"LEFT JOIN `ps_configuration_lang` cl ON (c.`id_configuration` = cl.`id_configuration`)",
			selectOK("ps_configuration", "ps_configuration_lang")},
		{"pack check", "SELECT COUNT(*) FROM `ps_pack` WHERE id_product_pack = 1", selectOK("ps_pack")},
		{"pack items subquery", "SELECT p.id_product FROM `ps_product` p WHERE p.id_product IN (SELECT id_product_item FROM `ps_pack` WHERE id_product_pack = 1)",
			selectOK("ps_product", "ps_pack")},
		{"tax rules", "SELECT tr.* FROM `ps_tax_rule` tr JOIN `ps_tax_rules_group` trg ON (tr.`id_tax_rules_group` = trg.`id_tax_rules_group`) WHERE trg.`active` = 1 AND tr.`id_country` = 8 AND tr.`id_tax_rules_group` = 1 AND tr.`id_state` IN (0, 0) AND ('0' BETWEEN tr.`zipcode_from` AND tr.`zipcode_to` OR (tr.`zipcode_to` = 0 AND tr.`zipcode_from` IN(0, '0'))) ORDER BY tr.`zipcode_from` DESC, tr.`zipcode_to` DESC, tr.`id_state` DESC, tr.`id_country` DESC",
			selectOK("ps_tax_rule", "ps_tax_rules_group")},
		{"cover image", "SELECT image_shop.`id_image` FROM `ps_image` i INNER JOIN ps_image_shop image_shop ON (image_shop.id_image = i.id_image AND image_shop.id_shop = 1) WHERE i.`id_product` = 1 AND image_shop.`cover` = 1 LIMIT 1",
			selectOK("ps_image", "ps_image_shop")},
		{"features", "SELECT name, value, pf.id_feature, f.position, fvl.id_feature_value FROM ps_feature_product pf LEFT JOIN ps_feature_lang fl ON (fl.id_feature = pf.id_feature AND fl.id_lang = 1) LEFT JOIN ps_feature_value_lang fvl ON (fvl.id_feature_value = pf.id_feature_value AND fvl.id_lang = 1) LEFT JOIN ps_feature f ON (f.id_feature = pf.id_feature AND fl.id_lang = 1) INNER JOIN ps_feature_shop feature_shop ON (feature_shop.id_feature = f.id_feature AND feature_shop.id_shop = 1) WHERE pf.id_product = 1 ORDER BY f.position ASC",
			selectOK("ps_feature_product", "ps_feature_lang", "ps_feature_value_lang", "ps_feature", "ps_feature_shop")},
		{"category product count with derived table", "SELECT COUNT(*) FROM (SELECT DISTINCT cp.`id_product` FROM `ps_category_product` cp INNER JOIN `ps_product_shop` product_shop ON (product_shop.id_product = cp.id_product AND product_shop.id_shop = 1) WHERE cp.`id_category` = 3 AND product_shop.`visibility` IN (\"both\", \"catalog\") AND product_shop.`active` = 1) t",
			selectOK("ps_category_product", "ps_product_shop")},
		{"cart products", "SELECT SUM(cp.`quantity`) AS qty FROM `ps_cart_product` cp WHERE cp.`id_cart` = 12", selectOK("ps_cart_product")},
		{"customer groups", "SELECT cg.`id_group` FROM ps_customer_group cg WHERE cg.`id_customer` = 0", selectOK("ps_customer_group")},
		{"guest lookup with SQL_NO_CACHE", "SELECT SQL_NO_CACHE `id_guest`\n\t\t\tFROM `ps_guest`\n\t\t\tWHERE `id_customer` = 0",
			selectNot(ReasonNoCache, "ps_guest")},
		{"admin listing with SQL_CALC_FOUND_ROWS", "SELECT SQL_CALC_FOUND_ROWS a.`id_order` FROM `ps_orders` a ORDER BY a.`id_order` DESC LIMIT 0, 50",
			selectNot(ReasonNondeterministic, "ps_orders")},
		{"FOUND_ROWS", "SELECT FOUND_ROWS()", selectNot(ReasonNondeterministic)},
		{"module query with NOW()", "SELECT * FROM `ps_specific_price_rule` WHERE `to` > NOW() OR `to` = '0000-00-00 00:00:00'",
			selectNot(ReasonNondeterministic, "ps_specific_price_rule")},
		{"insert connection", "INSERT INTO `ps_connections` (`id_guest`, `id_page`, `ip_address`, `http_referer`, `id_shop`, `id_shop_group`, `date_add`) VALUES ('5', '2', '2130706433', '', '1', '1', '2024-05-06 10:00:00')",
			write(KindInsert, refs("ps_connections"))},
		{"insert connection source", "INSERT INTO `ps_connections_source` (`id_connections`, `http_referer`, `request_uri`, `keywords`, `date_add`) VALUES ('5', '', 'localhost/index.php?id_product=1&controller=product', '', '2024-05-06 10:00:00')",
			write(KindInsert, refs("ps_connections_source"))},
		{"insert guest", "INSERT INTO `ps_guest` (`id_operating_system`, `id_web_browser`, `id_customer`, `javascript`, `screen_resolution_x`, `accept_language`, `mobile_theme`) VALUES ('0', '0', '0', '0', '0', 'en', '0')",
			write(KindInsert, refs("ps_guest"))},
		{"insert page", "INSERT INTO `ps_page` (`id_page_type`, `id_object`) VALUES ('2', '1')", write(KindInsert, refs("ps_page"))},
		{"page viewed counter", "INSERT INTO `ps_page_viewed` (`id_page`, `id_date_range`, `id_shop`, `id_shop_group`, `counter`) VALUES (1, 1, 1, 1, 1) ON DUPLICATE KEY UPDATE `counter` = `counter` + 1",
			write(KindInsert, refs("ps_page_viewed"))},
		{"configuration update", "UPDATE `ps_configuration` SET `value` = '1', `date_upd` = '2024-05-06 10:00:00' WHERE `name` = 'PS_LAST_SHOP_UPDATE' AND id_shop_group IS NULL AND id_shop IS NULL",
			write(KindUpdate, refs("ps_configuration"))},
		{"orphan cart products cleanup", "DELETE cp FROM `ps_cart_product` cp LEFT JOIN `ps_product` p ON (cp.`id_product` = p.`id_product`) WHERE p.`id_product` IS NULL",
			write(KindDelete, refs("ps_cart_product"), "ps_product")},
		{"stock sync multi-table update", "UPDATE `ps_stock_available` sa JOIN `ps_product` p ON (p.`id_product` = sa.`id_product`) SET sa.`out_of_stock` = p.`out_of_stock` WHERE sa.`id_product_attribute` = 0",
			write(KindUpdate, refs("ps_stock_available"), "ps_product")},
		{"layered navigation index rebuild", "INSERT INTO `ps_layered_price_index` (id_product, id_currency, id_shop, price_min, price_max, id_country) SELECT p.id_product, 1, 1, MIN(ps.price), MAX(ps.price), 8 FROM `ps_product` p JOIN `ps_product_shop` ps ON (ps.id_product = p.id_product) GROUP BY p.id_product",
			write(KindInsert, refs("ps_layered_price_index"), "ps_product", "ps_product_shop")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertClassification(t, tc.sql, c.Classify(tc.sql, "prestashop"), withSchema(tc.want, "prestashop"))
		})
	}
}

// withSchema rewrites the test schema "shop" to schema in want's tables.
func withSchema(want Classification, schema string) Classification {
	fix := func(rs []TableRef) []TableRef {
		if rs == nil {
			return nil
		}
		out := make([]TableRef, len(rs))
		for i, r := range rs {
			if r.Schema == "shop" {
				r.Schema = schema
			}
			out[i] = r
		}
		return out
	}
	want.Reads, want.Writes = fix(want.Reads), fix(want.Writes)
	return want
}
