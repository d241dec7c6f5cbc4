package sqlclass

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"testing"
)

func TestTableSetMatch(t *testing.T) {
	s, err := NewTableSet("ps_", []string{
		"cart",            // bare: matches ps_cart and cart
		"ps_customer",     // prefixed
		"PS_Guest",        // case-insensitive
		"ps_mymodule_*",   // glob on the full name
		"layered_*",       // glob on the stripped name
		"*_lang",          // suffix glob
		"shop.ps_orders",  // schema-qualified
		"audit.*",         // a whole schema
		"stat?_day",       // single-character glob
		"  connections  ", // surrounding space is ignored
		"sch[ab].ps_log",  // glob in the schema
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		schema, name string
		want         bool
	}{
		{"shop", "ps_cart", true},
		{"shop", "cart", true},
		{"other", "ps_cart", true},
		{"", "ps_cart", true},
		{"shop", "PS_CART", true},
		{"SHOP", "Ps_Cart", true},
		{"shop", "ps_cart_product", false},
		{"shop", "ps_customer", true},
		{"shop", "customer", false}, // the pattern names the prefixed table only
		{"shop", "ps_guest", true},
		{"shop", "ps_mymodule_log", true},
		{"shop", "ps_mymodule_", true},
		{"shop", "mymodule_log", false},
		{"shop", "ps_layered_price_index", true},
		{"shop", "layered_price_index", true},
		{"shop", "ps_product_lang", true},
		{"shop", "ps_product", false},
		{"shop", "ps_orders", true},
		{"other", "ps_orders", false},
		{"", "ps_orders", false},
		{"audit", "anything", true},
		{"Audit", "ps_x", true},
		{"shop", "ps_stat1_day", true},
		{"shop", "ps_stat12_day", false},
		{"shop", "ps_connections", true},
		{"scha", "ps_log", true},
		{"schb", "ps_log", true},
		{"schb", "log", false}, // the pattern names the prefixed table only
		{"schc", "ps_log", false},
		{"shop", "ps_", false}, // the prefix alone is not stripped to ""
	}
	for _, tc := range cases {
		ref := TableRef{Schema: tc.schema, Name: tc.name}
		// Twice: computed, then from the memo.
		for range 2 {
			if got := s.Match(ref); got != tc.want {
				t.Errorf("Match(%v) = %v, want %v", ref, got, tc.want)
			}
		}
	}
	if !s.MatchAny([]TableRef{{"shop", "ps_product"}, {"shop", "ps_cart"}}) {
		t.Error("MatchAny missed ps_cart")
	}
	if s.MatchAny([]TableRef{{"shop", "ps_product"}}) || s.MatchAny(nil) {
		t.Error("MatchAny matched nothing matching")
	}
}

func TestTableSetNoPrefix(t *testing.T) {
	s, err := NewTableSet("", []string{"cart"})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Match(TableRef{"shop", "cart"}) || s.Match(TableRef{"shop", "ps_cart"}) {
		t.Error("without a prefix only the exact name matches")
	}
}

func TestTableSetEmptyAndNil(t *testing.T) {
	var nilSet *TableSet
	if nilSet.Match(TableRef{"shop", "ps_cart"}) {
		t.Error("nil set matched")
	}
	var zero TableSet
	if zero.Match(TableRef{"shop", "ps_cart"}) {
		t.Error("zero set matched")
	}
	none, err := NewTableSet("ps_", nil)
	if err != nil {
		t.Fatal(err)
	}
	if none.Match(TableRef{"shop", "ps_cart"}) {
		t.Error("empty set matched")
	}
}

func TestTableSetBadPatterns(t *testing.T) {
	for _, p := range []string{"ps_[cart", "shop.[", "[.t", "a\\", "", "   ", ".t", "s.", "."} {
		_, err := NewTableSet("ps_", []string{"cart", p})
		if err == nil {
			t.Errorf("pattern %q: no error", p)
			continue
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", p)) {
			t.Errorf("pattern %q: error %q does not name it", p, err)
		}
	}
	_, err := NewTableSet("", []string{"ps_[x"})
	if !errors.Is(err, path.ErrBadPattern) {
		t.Errorf("bad glob error %v does not wrap path.ErrBadPattern", err)
	}
}

func TestTableSetMemoBounded(t *testing.T) {
	s, err := NewTableSet("ps_", []string{"cart"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range tableSetMemoLimit + 100 {
		s.Match(TableRef{"shop", fmt.Sprintf("t%d", i)})
	}
	if n := len(*s.memo.Load()); n != tableSetMemoLimit {
		t.Errorf("memo holds %d answers, want %d", n, tableSetMemoLimit)
	}
	// Beyond the limit answers are still right.
	if !s.Match(TableRef{"new", "ps_cart"}) || s.Match(TableRef{"new", "ps_carts"}) {
		t.Error("wrong answer past the memo limit")
	}
}

func TestTableSetConcurrent(t *testing.T) {
	s, err := NewTableSet("ps_", []string{"cart", "*_lang"})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				name := fmt.Sprintf("ps_t%d_lang", (g*500+i)%300)
				if !s.Match(TableRef{"shop", name}) {
					t.Errorf("%s did not match", name)
					return
				}
				if s.Match(TableRef{"shop", fmt.Sprintf("ps_t%d", i%300)}) {
					t.Errorf("ps_t%d matched", i%300)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestTableSetWithClassification(t *testing.T) {
	// The never-cache check the proxy runs: any table a SELECT reads.
	list, err := Preset("prestashop")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewTableSet("ps_", list)
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClassifier(t)
	cl := c.Classify("SELECT SUM(cp.quantity) FROM `ps_cart_product` cp JOIN ps_product p USING (id_product)", "shop")
	if !s.MatchAny(cl.Reads) {
		t.Errorf("reads %v not matched by the prestashop preset", cl.Reads)
	}
	cl = c.Classify("SELECT `id_module` FROM `ps_module` WHERE `name` = 'x'", "shop")
	if s.MatchAny(cl.Reads) {
		t.Errorf("reads %v matched by the prestashop preset", cl.Reads)
	}
}
