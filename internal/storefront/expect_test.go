package storefront

import (
	"slices"
	"testing"

	"github.com/psbench/psbench/internal/scenario"
)

func newOffline(t *testing.T, e scenario.Embedded) *Storefront {
	t.Helper()
	s, err := New(Config{DSN: "root@tcp(127.0.0.1:1)/psbench", Catalogue: NewCatalogue(e)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// find returns the first product/category matching pred.
func findProduct(c *Catalogue, pred func(p *Product) bool) int {
	for i := range c.Products {
		if pred(&c.Products[i]) {
			return c.Products[i].ID
		}
	}
	return 0
}

func findCategory(c *Catalogue, tiles int) int {
	for _, k := range c.Categories {
		if c.CategoryVisible(k.ID) && c.CategoryTiles(k.ID) == tiles {
			return k.ID
		}
	}
	return 0
}

// TestBlockSizes pins the blocks the documented formula adds up.
func TestBlockSizes(t *testing.T) {
	s := newOffline(t, scenario.Embedded{})
	g := s.gen()
	for _, tc := range []struct {
		name      string
		got, want int
	}{
		{"boot", len(g.boot("product")), 18},
		{"layout", len(g.layout()), 12},
		{"hooks at 77 modules, scale 1", s.hookStatements(), 40},
		{"product core", len(g.productCore(1)), 88},
		{"category core", len(g.categoryCore(3)), 68},
		{"listing preload", len(g.listingPreload(nil)), 5},
		{"related tile", len(g.tile(2, false, s.relatedTileStatements())), 20},
		{"listing tile", len(g.tile(2, true, s.listingTileStatements())), 24},
		{"app-cold extra, product", translationSelects + len(g.cold(KindProduct, 1)), 368},
		{"app-cold extra, category", translationSelects + len(g.cold(KindCategory, 3)), 374},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %d statements, want %d", tc.name, tc.got, tc.want)
		}
	}
}

// TestDemoTargets checks the demo-size expectations against PrestaShop
// 8.1's measured counts (within 5 %).
func TestDemoTargets(t *testing.T) {
	s := newOffline(t, scenario.Embedded{})
	c := s.Catalogue()
	combos := findProduct(c, func(p *Product) bool { return len(p.Combinations) == 8 && len(c.RelatedShown(p.ID)) == 0 })
	related := findProduct(c, func(p *Product) bool { return len(p.Combinations) == 8 && len(c.RelatedShown(p.ID)) == 8 })
	two := findCategory(c, 2)
	twelve := findCategory(c, 12)
	if combos == 0 || related == 0 || two == 0 || twelve == 0 {
		t.Fatal("demo catalogue lacks a reference page")
	}
	eleven := s.Expect(Page{Kind: KindCategory, ID: twelve}, Visit{NewVisitor: true}).Statements - s.listingTileStatements()
	for _, tc := range []struct {
		name      string
		got, want int
	}{
		{"product, 8 combinations, app-warm", s.ExpectedStatements(KindProduct, combos, false, true), 198},
		{"product, 8 combinations, app-cold", s.ExpectedStatements(KindProduct, combos, true, true), 566},
		{"product, 8 related products", s.ExpectedStatements(KindProduct, related, false, true), 359},
		{"category, 2 products, app-warm", s.ExpectedStatements(KindCategory, two, false, true), 204},
		{"category, 2 products, app-cold", s.ExpectedStatements(KindCategory, two, true, true), 578},
		{"category, 11 products", eleven, 422},
	} {
		if !within(tc.got, tc.want, 0.05) {
			t.Errorf("%s: %d statements, measured %d", tc.name, tc.got, tc.want)
		}
		t.Logf("%s: %d (measured %d)", tc.name, tc.got, tc.want)
	}
	// a returning visitor inserts only the connection source; a page's first
	// visit adds its ps_page row
	e := s.Expect(Page{Kind: KindProduct, ID: combos}, Visit{})
	if e.Statements != 196 || e.Writes != 1 || e.Questions != 198 || e.Connections != 2 {
		t.Errorf("returning visitor: %+v", e)
	}
	if e := s.Expect(Page{Kind: KindProduct, ID: combos}, Visit{NewVisitor: true, FirstVisit: true}); e.Statements != 199 || e.Writes != 4 {
		t.Errorf("first visit: %+v", e)
	}
	if e := s.Expect(Page{Kind: KindProduct, ID: 424242}, Visit{NewVisitor: true}); !e.NotFound || e.Connections != 1 {
		t.Errorf("unknown product: %+v", e)
	}
	if e, err := s.ExpectURL("http://shop.test/index.php?controller=category&id_category=2", Visit{NewVisitor: true}); err != nil || e.Page.Kind != KindCategory || e.Tiles != 8 {
		t.Errorf("ExpectURL: %+v %v", e, err)
	}
}

// TestScaleFormula checks the documented large-shop settings.
func TestScaleFormula(t *testing.T) {
	s := newOffline(t, scenario.Embedded{Products: 400, Categories: 12, Scale: 3.2, ProductsPerCategoryPage: 24})
	c := s.Catalogue()
	related := findProduct(c, func(p *Product) bool { return len(p.Combinations) == 8 && len(c.RelatedShown(p.ID)) == 8 })
	full := findCategory(c, 24)
	if related == 0 || full == 0 {
		t.Fatal("no reference page")
	}
	p := s.ExpectedStatements(KindProduct, related, false, true)
	k := s.ExpectedStatements(KindCategory, full, false, true)
	t.Logf("scale 3.2, 24 per page: product with 8 combinations and 8 related %d, category with 24 products %d", p, k)
	if !within(p, 800, 0.05) || !within(k, 2000, 0.06) {
		t.Errorf("scale 3.2: product %d, category %d; want ~800 and ~2,000", p, k)
	}
	if got, want := p, 134+3*8+128+8*64; got != want { // 134 + 3c + round(3.2*40) + r*round(3.2*20)
		t.Errorf("product formula: %d, want %d", got, want)
	}
	if got, want := k, 116+128+24*77; got != want { // 116 + round(3.2*40) + t*round(3.2*24)
		t.Errorf("category formula: %d, want %d", got, want)
	}
}

// TestCatalogueDeterministic: one seed, one catalogue.
func TestCatalogueDeterministic(t *testing.T) {
	e := scenario.Embedded{Seed: 7, Products: 60, Categories: 12, Languages: 2}
	a, b := NewCatalogue(e).SeedStatements("ps_", 0), NewCatalogue(e).SeedStatements("ps_", 0)
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different seed statements")
	}
	e.Seed = 8
	if slices.Equal(a, NewCatalogue(e).SeedStatements("ps_", 0)) {
		t.Fatal("different seeds, same catalogue")
	}
	if n := Normalize(scenario.Embedded{}); n.Products != DefaultProducts || n.Scale != 1 || n.Modules != 77 {
		t.Errorf("Normalize: %+v", n)
	}
}

func TestParsePage(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want Page
		ok   bool
	}{
		{"/index.php?controller=product&id_product=3", Page{Kind: KindProduct, ID: 3}, true},
		{"/index.php?controller=category&id_category=4", Page{Kind: KindCategory, ID: 4}, true},
		{"/", Page{Kind: KindHome}, true},
		{"/index.php?controller=search&s=Hum%20ming!", Page{Kind: KindSearch, Term: "humming"}, true},
		{"/index.php?controller=cart", Page{Kind: KindNotFound}, true},
		{"/favicon.ico", Page{}, false},
	} {
		s := newOffline(t, scenario.Embedded{})
		e, err := s.ExpectURL(tc.url, Visit{})
		if (err == nil) != tc.ok || (tc.ok && e.Page != tc.want) {
			t.Errorf("%s: %+v %v", tc.url, e.Page, err)
		}
	}
}
