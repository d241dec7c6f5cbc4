package sqlclass

import (
	"fmt"
	"testing"
)

// benchSQL is a typical PrestaShop statement: the attribute-group join run
// several times per product page.
const benchSQL = "SELECT ag.`id_attribute_group`, ag.`is_color_group`, agl.`name` AS group_name, a.`id_attribute`, al.`name` AS attribute_name,\n" +
	"IFNULL(stock.quantity, 0) as quantity, product_attribute_shop.`price`, product_attribute_shop.`default_on`\n" +
	"FROM `ps_product_attribute` pa\n" +
	" INNER JOIN ps_product_attribute_shop product_attribute_shop ON (product_attribute_shop.id_product_attribute = pa.id_product_attribute AND product_attribute_shop.id_shop = 1)\n" +
	" LEFT JOIN ps_stock_available stock ON (stock.id_product = `pa`.id_product AND stock.id_product_attribute = IFNULL(`pa`.id_product_attribute, 0) AND stock.id_shop = 1)\n" +
	"LEFT JOIN `ps_product_attribute_combination` pac ON (pac.`id_product_attribute` = pa.`id_product_attribute`)\n" +
	"LEFT JOIN `ps_attribute` a ON (a.`id_attribute` = pac.`id_attribute`)\n" +
	"LEFT JOIN `ps_attribute_group` ag ON (ag.`id_attribute_group` = a.`id_attribute_group`)\n" +
	"LEFT JOIN `ps_attribute_lang` al ON (a.`id_attribute` = al.`id_attribute`)\n" +
	"LEFT JOIN `ps_attribute_group_lang` agl ON (ag.`id_attribute_group` = agl.`id_attribute_group`)\n" +
	"WHERE pa.`id_product` = 1 AND al.`id_lang` = 1 AND agl.`id_lang` = 1\n" +
	"GROUP BY id_attribute_group, id_product_attribute\n" +
	"ORDER BY ag.`position` ASC, a.`position` ASC, agl.`name` ASC"

// benchShortSQL is the most repeated statement on a page.
const benchShortSQL = "SELECT `id_module` FROM `ps_module` WHERE `name` = \"ps_shoppingcart\""

func BenchmarkClassifyMemoHit(b *testing.B) {
	for _, tc := range []struct{ name, sql string }{{"short", benchShortSQL}, {"join", benchSQL}} {
		b.Run(tc.name, func(b *testing.B) {
			c := newTestClassifier(b)
			c.Classify(tc.sql, "prestashop")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if c.Classify(tc.sql, "prestashop") == nil {
					b.Fatal("nil")
				}
			}
		})
		b.Run(tc.name+"-parallel", func(b *testing.B) {
			c := newTestClassifier(b)
			c.Classify(tc.sql, "prestashop")
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c.Classify(tc.sql, "prestashop")
				}
			})
		})
	}
}

func BenchmarkClassifyCold(b *testing.B) {
	for _, tc := range []struct{ name, sql string }{{"short", benchShortSQL}, {"join", benchSQL}} {
		b.Run(tc.name, func(b *testing.B) {
			c := NewClassifier(-1) // no memo: every call parses
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.sql)))
			for b.Loop() {
				if c.Classify(tc.sql, "prestashop") == nil {
					b.Fatal("nil")
				}
			}
		})
	}
}

func BenchmarkTableSetMatch(b *testing.B) {
	list, err := Preset("prestashop-extended")
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewTableSet("ps_", append(list, "ps_mymodule_*", "layered_*", "shop.ps_x"))
	if err != nil {
		b.Fatal(err)
	}
	tables := make([]TableRef, 64)
	for i := range tables {
		tables[i] = TableRef{Schema: "prestashop", Name: fmt.Sprintf("ps_table_%d", i)}
	}
	tables[7].Name = "ps_cart"
	b.Run("memo", func(b *testing.B) {
		for _, t := range tables {
			s.Match(t)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s.Match(tables[i&63])
			i++
		}
	})
	b.Run("memo-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				s.Match(tables[i&63])
				i++
			}
		})
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			s.match(tables[i&63])
			i++
		}
	})
}
