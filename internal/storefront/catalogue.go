package storefront

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/psbench/psbench/internal/scenario"
)

// Demo-like sizes: PrestaShop 8.1's demo catalogue, used for every zero
// field of scenario.Embedded.
const (
	DefaultSeed                    = 1
	DefaultProducts                = 19
	DefaultCategories              = 9
	DefaultCombinationsPerProduct  = 8
	DefaultModules                 = 77
	DefaultProductsPerCategoryPage = 12
	DefaultRelatedProducts         = 8
	DefaultLanguages               = 1
	DefaultScale                   = 1.0
)

// Fixed ids of the simulated shop, as in a fresh PrestaShop install.
const (
	shopID          = 1
	shopDomain      = "localhost" // ps_shop_url's domain; the storefront answers on any host
	shopGroupID     = 0           // stock is not shared between shops: id_shop_group = 0 in stock lookups
	langID          = 1
	currencyID      = 1
	countryID       = 8 // France, PrestaShop's default country
	groupID         = 1 // "Visitor", the group of anonymous customers
	rootCategoryID  = 1
	homeCategoryID  = 2
	featuredOnHome  = 8 // ps_featuredproducts shows up to 8 products of Home
	cmsPages        = 5
	linkBlocks      = 3
	translationRows = 120
)

// Normalize returns e with every zero (or negative) field set to the
// demo-like default.
func Normalize(e scenario.Embedded) scenario.Embedded {
	if e.Seed == 0 {
		e.Seed = DefaultSeed
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&e.Products, DefaultProducts)
	def(&e.Categories, DefaultCategories)
	if e.CombinationsPerProduct < 0 {
		e.CombinationsPerProduct = 0
	} else if e.CombinationsPerProduct == 0 {
		e.CombinationsPerProduct = DefaultCombinationsPerProduct
	}
	def(&e.Modules, DefaultModules)
	def(&e.ProductsPerCategoryPage, DefaultProductsPerCategoryPage)
	if e.RelatedProducts < 0 {
		e.RelatedProducts = 0
	} else if e.RelatedProducts == 0 {
		e.RelatedProducts = DefaultRelatedProducts
	}
	def(&e.Languages, DefaultLanguages)
	if e.Categories < 3 {
		e.Categories = 3 // Root, Home and one browsable category
	}
	if e.Scale <= 0 || math.IsNaN(e.Scale) || math.IsInf(e.Scale, 0) {
		e.Scale = DefaultScale
	}
	return e
}

// Catalogue is the deterministic model of the seeded shop: the same
// scenario.Embedded always yields the same rows, so the storefront can
// predict how many statements each page sends.
type Catalogue struct {
	Cfg        scenario.Embedded // normalised
	Langs      []Lang
	Categories []Category // index i holds id i+1
	Products   []Product  // index i holds id i+1
	Groups     []AttributeGroup
	Modules    []Module // index i holds id i+1
	Hooks      []string // index i holds id i+1
	CMS        []CMSPage

	manufacturers int
	catProducts   map[int][]int // category id -> product ids in position order (all, active or not)
	words         map[string][]int
}

// Lang is one shop language.
type Lang struct {
	ID                    int
	Name, ISO, Locale, LC string
}

// Category is one catalogue category.
type Category struct {
	ID, Parent, Depth, NLeft, NRight, Position int
	Name, LinkRewrite                          string
	Active                                     bool
	children                                   []int
}

// Product is one catalogue product.
type Product struct {
	ID              int
	Name, Rewrite   string
	Words           []string
	DefaultCategory int
	Categories      []int // the default category and its ancestors below Home (plus Home when featured)
	Price           float64
	Quantity        int
	Active          bool
	Manufacturer    int
	Pack            bool
	Discount        bool
	Combinations    []Combination
	Related         []int // accessories, in display order
	Features        int
	Reference       string
}

// Combination is one product attribute combination (ps_product_attribute).
type Combination struct {
	ID         int
	Attributes []int // id_attribute per group
	Impact     float64
	Quantity   int
	Default    bool
}

// AttributeGroup is one attribute group and its attribute ids.
type AttributeGroup struct {
	ID         int
	Name       string
	Color      bool
	Attributes []Attribute
}

// Attribute is one attribute value.
type Attribute struct {
	ID    int
	Name  string
	Color string
}

// Module is one installed module.
type Module struct {
	ID     int
	Name   string
	Active bool
}

// CMSPage is one CMS page.
type CMSPage struct {
	ID             int
	Title, Rewrite string
}

// DefaultCombinationID is the product's default combination id, or 0.
func (p *Product) DefaultCombinationID() int {
	for _, c := range p.Combinations {
		if c.Default {
			return c.ID
		}
	}
	return 0
}

var (
	adjectives = []string{"Printed", "Vintage", "Classic", "Organic", "Graphic", "Soft", "Modern", "Rustic", "Minimal", "Bold", "Striped", "Handmade"}
	motifs     = []string{"hummingbird", "bear", "fox", "mountain", "owl", "whale", "forest", "ocean", "city", "desert", "tiger", "panda", "adventure", "sunrise"}
	nouns      = []string{"sweater", "mug", "cushion", "notebook", "poster", "frame", "shirt", "jacket", "bag", "scarf", "lamp", "vase", "card", "pillow", "hoodie", "print"}
	catNames   = []string{"Clothes", "Men", "Women", "Accessories", "Stationery", "Home Accessories", "Art", "Kids", "Sports", "Garden", "Kitchen", "Books", "Music", "Toys", "Shoes", "Beauty"}
	sizes      = []string{"S", "M", "L", "XL", "XXL", "XS", "3XL", "4XL"}
	colors     = []struct{ name, hex string }{{"White", "#ffffff"}, {"Black", "#434A54"}, {"Grey", "#AAB2BD"}, {"Taupe", "#CFC4A6"}, {"Beige", "#f5f5dc"}, {"Off White", "#faebd7"}, {"Red", "#E84C3D"}, {"Camel", "#C19A6B"}, {"Orange", "#F39C11"}, {"Blue", "#5D9CEC"}, {"Green", "#A0D468"}, {"Yellow", "#F1C40F"}, {"Brown", "#964B00"}, {"Pink", "#FCCACD"}}
	langDefs   = []Lang{{Name: "English (English)", ISO: "en", Locale: "en-US", LC: "en-us"}, {Name: "Français (French)", ISO: "fr", Locale: "fr-FR", LC: "fr-fr"}, {Name: "Deutsch (German)", ISO: "de", Locale: "de-DE", LC: "de-de"}, {Name: "Español (Spanish)", ISO: "es", Locale: "es-ES", LC: "es-es"}, {Name: "Italiano (Italian)", ISO: "it", Locale: "it-IT", LC: "it-it"}, {Name: "Nederlands (Dutch)", ISO: "nl", Locale: "nl-NL", LC: "nl-nl"}, {Name: "Polski (Polish)", ISO: "pl", Locale: "pl-PL", LC: "pl-pl"}, {Name: "Português (Portuguese)", ISO: "pt", Locale: "pt-PT", LC: "pt-pt"}}
	cmsTitles  = []string{"Delivery", "Legal Notice", "Terms and conditions of use", "About us", "Secure payment"}
	// frontHooks are the front-office hooks of the classic theme.
	frontHooks = []string{"displayHeader", "displayAfterBodyOpeningTag", "displayBanner", "displayNav1", "displayNav2", "displayTop",
		"displayNavFullWidth", "displayWrapperTop", "displayLeftColumn", "displayHome", "displayFooterBefore", "displayFooter",
		"displayFooterAfter", "displayBeforeBodyClosingTag", "displayProductAdditionalInfo", "displayReassurance",
		"displayFooterProduct", "displayProductListReviews", "displayProductPriceBlock", "displayProductActions",
		"displayCustomerAccount", "actionFrontControllerSetMedia", "productSearchProvider", "filterProductSearch",
		"displayProductListFunctionalButtons", "displayCMSDisputeInformation", "actionProductSearchAfter", "displayOrderConfirmation"}
)

// moduleNames are PrestaShop 8.1's installed modules, the front-office ones
// first; modules past this list are named psbench_module_<n>.
var moduleNames = []string{
	"ps_shoppingcart", "ps_customersignin", "ps_searchbar", "ps_languageselector", "ps_currencyselector", "ps_mainmenu",
	"ps_linklist", "ps_customtext", "ps_emailsubscription", "ps_socialfollow", "blockreassurance", "productcomments",
	"ps_sharebuttons", "ps_facetedsearch", "ps_categorytree", "ps_emailalerts", "blockwishlist", "ps_featuredproducts",
	"ps_imageslider", "ps_contactinfo", "psgdpr", "ps_dataprivacy", "ps_googleanalytics", "ps_customeraccountlinks",
	"ps_banner", "ps_categoryproducts", "ps_crossselling", "ps_viewedproduct", "ps_specials", "ps_newproducts",
	"ps_bestsellers", "ps_brandlist", "ps_supplierlist", "ps_checkpayment", "ps_wirepayment", "ps_themecusto",
	"contactform", "pagesnotfound", "gsitemap", "statsdata", "statsbestcategories", "statsbestcustomers",
	"statsbestproducts", "statsbestsuppliers", "statsbestvouchers", "statscarrier", "statscatalog", "statscheckup",
	"statsforecast", "statsnewsletter", "statspersonalinfos", "statsproduct", "statsregistrations", "statssales",
	"statssearch", "statsstock", "dashactivity", "dashgoals", "dashproducts", "dashtrends", "graphnvd3", "gridhtml",
	"ps_faviconnotificationbo", "ps_mbo", "ps_accounts", "ps_eventbus", "ps_distributionapiclient", "ps_buybuttonlite",
	"ps_checkout", "ps_metrics", "ps_facebook", "psxmarketingwithgoogle", "psshipping", "ps_emailalertsplus", "welcome",
	"ps_edition_basic", "psassistant",
}

// NewCatalogue builds the deterministic catalogue of e (normalised first).
func NewCatalogue(e scenario.Embedded) *Catalogue {
	e = Normalize(e)
	c := &Catalogue{Cfg: e, catProducts: map[int][]int{}, words: map[string][]int{}}
	rng := rand.New(rand.NewPCG(uint64(e.Seed), 0x9e3779b97f4a7c15))

	for i := 0; i < e.Languages; i++ {
		l := langDefs[i%len(langDefs)]
		if i >= len(langDefs) {
			l.ISO = fmt.Sprintf("x%d", i)
			l.Locale = fmt.Sprintf("x%d-XX", i)
			l.LC = fmt.Sprintf("x%d-xx", i)
			l.Name = fmt.Sprintf("Language %d", i+1)
		}
		l.ID = i + 1
		c.Langs = append(c.Langs, l)
	}

	c.buildCategories(rng)
	c.buildAttributeGroups()
	c.manufacturers = max(2, e.Products/50)
	c.buildProducts(rng)

	for i := 0; i < e.Modules; i++ {
		name := fmt.Sprintf("psbench_module_%d", i+1)
		if i < len(moduleNames) {
			name = moduleNames[i]
		}
		c.Modules = append(c.Modules, Module{ID: i + 1, Name: name, Active: true})
	}
	c.Hooks = slices.Clone(frontHooks)
	for i, t := range cmsTitles[:cmsPages] {
		c.CMS = append(c.CMS, CMSPage{ID: i + 1, Title: t, Rewrite: slug(t)})
	}
	return c
}

func (c *Catalogue) buildCategories(rng *rand.Rand) {
	n := c.Cfg.Categories
	c.Categories = make([]Category, n)
	c.Categories[0] = Category{ID: rootCategoryID, Name: "Root", Active: true, Depth: 0}
	c.Categories[1] = Category{ID: homeCategoryID, Parent: rootCategoryID, Name: "Home", Active: true, Depth: 1}
	browsable := n - 2
	top := max(1, int(math.Ceil(math.Sqrt(float64(browsable)))))
	for id := 3; id <= n; id++ {
		parent := homeCategoryID
		if id-3 >= top {
			// a child of an earlier category at depth 2 or 3
			for {
				p := 3 + rng.IntN(id-3)
				if c.Categories[p-1].Depth <= 3 {
					parent = p
					break
				}
			}
		}
		name := catNames[(id-3)%len(catNames)]
		if id-3 >= len(catNames) {
			name = fmt.Sprintf("%s %d", name, (id-3)/len(catNames)+1)
		}
		c.Categories[id-1] = Category{ID: id, Parent: parent, Name: name, Active: true, Depth: c.Categories[parent-1].Depth + 1}
	}
	for i := range c.Categories {
		c.Categories[i].LinkRewrite = slug(c.Categories[i].Name)
		if p := c.Categories[i].Parent; p != 0 {
			c.Categories[p-1].children = append(c.Categories[p-1].children, c.Categories[i].ID)
			c.Categories[i].Position = len(c.Categories[p-1].children) - 1
		}
	}
	// nested set, as PrestaShop's Category::regenerateEntireNtree
	counter := 0
	var walk func(id int)
	walk = func(id int) {
		counter++
		c.Categories[id-1].NLeft = counter
		for _, ch := range c.Categories[id-1].children {
			walk(ch)
		}
		counter++
		c.Categories[id-1].NRight = counter
	}
	walk(rootCategoryID)
}

func (c *Catalogue) buildAttributeGroups() {
	sz := AttributeGroup{ID: 1, Name: "Size"}
	id := 1
	for _, s := range sizes {
		sz.Attributes = append(sz.Attributes, Attribute{ID: id, Name: s})
		id++
	}
	col := AttributeGroup{ID: 2, Name: "Color", Color: true}
	for _, cl := range colors {
		col.Attributes = append(col.Attributes, Attribute{ID: id, Name: cl.name, Color: cl.hex})
		id++
	}
	c.Groups = []AttributeGroup{sz, col}
}

func (c *Catalogue) buildProducts(rng *rand.Rand) {
	e := c.Cfg
	// categories a product may default to: every browsable one, leaves twice as likely
	var pool []int
	for _, cat := range c.Categories[2:] {
		pool = append(pool, cat.ID)
		if len(cat.children) == 0 {
			pool = append(pool, cat.ID)
		}
	}
	nextCombo := 1
	c.Products = make([]Product, e.Products)
	for i := range c.Products {
		id := i + 1
		adj, motif, noun := adjectives[rng.IntN(len(adjectives))], motifs[rng.IntN(len(motifs))], nouns[rng.IntN(len(nouns))]
		p := Product{
			ID:              id,
			Name:            fmt.Sprintf("%s %s %s", adj, motif, noun),
			DefaultCategory: pool[rng.IntN(len(pool))],
			Price:           math.Round((5+rng.Float64()*95)*100) / 100,
			Quantity:        rng.IntN(300),
			Active:          id == 1 || e.Products < 20 || rng.Float64() >= 0.04,
			Manufacturer:    1 + rng.IntN(c.manufacturers),
			Pack:            id != 1 && rng.Float64() < 0.05,
			Discount:        rng.Float64() < 0.2,
			Features:        1 + rng.IntN(3),
			Reference:       fmt.Sprintf("demo_%d", id),
		}
		p.Rewrite = slug(p.Name)
		p.Words = []string{strings.ToLower(adj), motif, noun}
		// combinations: product 1 always (like the demo's t-shirt), the others one in two
		if cpp := e.CombinationsPerProduct; cpp > 0 && (id == 1 || rng.Float64() < 0.5) {
			nSizes := min(len(sizes), cpp)
			for k := 0; k < cpp; k++ {
				size := c.Groups[0].Attributes[k%nSizes].ID
				color := c.Groups[1].Attributes[(k/nSizes)%len(colors)].ID
				p.Combinations = append(p.Combinations, Combination{
					ID: nextCombo, Attributes: []int{size, color}, Impact: float64(k%3) * 1.5,
					Quantity: rng.IntN(120), Default: k == 0,
				})
				nextCombo++
			}
		}
		// related products (accessories): one product in three unless
		// related_share says otherwise, never product 1
		if e.RelatedProducts > 0 && id != 1 && e.Products > 1 && rng.Float64() < relatedShare(e) {
			n := min(e.RelatedProducts, e.Products-1)
			start := rng.IntN(e.Products)
			for k := 0; len(p.Related) < n; k++ {
				r := (start+k)%e.Products + 1
				if r != id {
					p.Related = append(p.Related, r)
				}
			}
		}
		// the default category and its ancestors below Home
		for cat := p.DefaultCategory; cat > homeCategoryID; cat = c.Categories[cat-1].Parent {
			p.Categories = append(p.Categories, cat)
		}
		if id <= featuredOnHome {
			p.Categories = append(p.Categories, homeCategoryID)
		}
		for _, cat := range p.Categories {
			c.catProducts[cat] = append(c.catProducts[cat], id)
		}
		c.Products[i] = p
	}
	for i := range c.Products {
		if c.Products[i].Active {
			for _, w := range c.Products[i].Words {
				if !slices.Contains(c.words[w], i+1) {
					c.words[w] = append(c.words[w], i+1)
				}
			}
		}
	}
}

// Product returns the product with id, or nil.
func (c *Catalogue) Product(id int) *Product {
	if id < 1 || id > len(c.Products) {
		return nil
	}
	return &c.Products[id-1]
}

// Category returns the category with id, or nil.
func (c *Catalogue) Category(id int) *Category {
	if id < 1 || id > len(c.Categories) {
		return nil
	}
	return &c.Categories[id-1]
}

// ProductVisible reports whether a product page exists (an active product).
func (c *Catalogue) ProductVisible(id int) bool {
	p := c.Product(id)
	return p != nil && p.Active
}

// CategoryVisible reports whether a category page exists: an active
// category below Root.
func (c *Catalogue) CategoryVisible(id int) bool {
	cat := c.Category(id)
	return cat != nil && cat.Active && id != rootCategoryID
}

// CategoryProducts returns the active products of a category in position
// order (all pages, not only the first).
func (c *Catalogue) CategoryProducts(id int) []int {
	var out []int
	for _, p := range c.catProducts[id] {
		if c.Products[p-1].Active {
			out = append(out, p)
		}
	}
	return out
}

// categoryPositions returns every product of a category (active or not)
// in position order, for the seed.
func (c *Catalogue) categoryPositions(id int) []int { return c.catProducts[id] }

// relatedShare is the share of products with related products.
func relatedShare(e scenario.Embedded) float64 {
	if e.RelatedShare <= 0 || e.RelatedShare > 1 || math.IsNaN(e.RelatedShare) {
		return 1.0 / 3
	}
	return e.RelatedShare
}

// RelatedShown returns the related products a product page shows: its
// active accessories.
func (c *Catalogue) RelatedShown(id int) []int {
	p := c.Product(id)
	if p == nil {
		return nil
	}
	var out []int
	for _, r := range p.Related {
		if c.Products[r-1].Active {
			out = append(out, r)
		}
	}
	return out
}

// CategoryTiles is how many product tiles the first page of a category shows.
func (c *Catalogue) CategoryTiles(id int) int {
	return min(len(c.CategoryProducts(id)), c.Cfg.ProductsPerCategoryPage)
}

// SearchResults returns the active products a search term finds (a word of
// their name starting with the normalised term), in id order.
func (c *Catalogue) SearchResults(term string) []int {
	term = NormalizeSearch(term)
	if term == "" {
		return nil
	}
	seen := map[int]bool{}
	var out []int
	for w, ids := range c.words {
		if strings.HasPrefix(w, term) {
			for _, id := range ids {
				if !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// SearchTerms returns search terms that find at least one product, most
// productive first, at most n.
func (c *Catalogue) SearchTerms(n int) []string {
	terms := make([]string, 0, len(c.words))
	for w := range c.words {
		terms = append(terms, w)
	}
	slices.SortFunc(terms, func(a, b string) int {
		if d := len(c.words[b]) - len(c.words[a]); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	if len(terms) > n {
		terms = terms[:n]
	}
	return terms
}

// NormalizeSearch lower-cases a search term and keeps letters and digits
// only (at most 32), as the storefront does before searching.
func NormalizeSearch(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			if b.Len() >= 32 {
				break
			}
		}
	}
	return b.String()
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
