package storefront

import (
	"fmt"
	"math"
	"net/url"
)

// Statement budget at scale 1 (see doc.go for the formula).
const (
	hookStatementsAt77 = 40 // module-id lookups and module-shop checks with 77 modules
	relatedTileBase    = 20 // a related product's tile (product page, home)
	listingTileBase    = 24 // a listing tile (category, search, home)
	referenceModules   = 77 // PrestaShop 8.1's demo: 77 modules
)

// hookStatements is the module-hook work of one page:
// round(scale * 40 * modules / 77).
func (s *Storefront) hookStatements() int {
	return hookStatementsFor(s.cat.Cfg.Scale, s.cat.Cfg.Modules)
}

func hookStatementsFor(scale float64, modules int) int {
	return int(math.Round(scale * hookStatementsAt77 * float64(modules) / referenceModules))
}

// relatedTileStatements is round(scale * 20).
func (s *Storefront) relatedTileStatements() int {
	return int(math.Round(s.cat.Cfg.Scale * relatedTileBase))
}

// listingTileStatements is round(scale * 24).
func (s *Storefront) listingTileStatements() int {
	return int(math.Round(s.cat.Cfg.Scale * listingTileBase))
}

// Visit is the state a page request is made in.
type Visit struct {
	// AppCold: the first request of this URL since the app caches were
	// reset (or the storefront started).
	AppCold bool
	// NewVisitor: no valid visitor cookie (anonymous first request).
	NewVisitor bool
	// FirstVisit: the page has never been visited (no ps_page row yet),
	// which adds one INSERT.
	FirstVisit bool
}

// Expectation is what one page request sends.
type Expectation struct {
	Page     Page
	NotFound bool
	// Statements is the number of statements (COM_QUERY) the request sends.
	Statements int
	// Main and Doctrine split Statements by connection.
	Main, Doctrine int
	// Connections is how many connections the request opens (1 or 2).
	Connections int
	// Questions is MySQL's Questions delta: Statements plus one COM_QUIT
	// per connection.
	Questions int
	// Writes are the INSERTs among Statements.
	Writes int
	// Tiles and Combinations are the product tiles and combinations shown.
	Tiles, Combinations int
}

// ExpectedStatements returns how many statements a request of the page
// sends, for a page visited before (add 1 for a page's first visit ever);
// kind is product, category, cms or home (id ignored).
func (s *Storefront) ExpectedStatements(kind string, id int, appCold, newVisitor bool) int {
	return s.Expect(Page{Kind: kind, ID: id}, Visit{AppCold: appCold, NewVisitor: newVisitor}).Statements
}

// ExpectURL is Expect for a storefront URL (absolute or path and query).
func (s *Storefront) ExpectURL(rawURL string, v Visit) (Expectation, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Expectation{}, err
	}
	p, ok := ParsePage(u.Path, u.Query())
	if !ok {
		return Expectation{}, fmt.Errorf("%s is not a storefront page", rawURL)
	}
	return s.Expect(p, v), nil
}

// Expect returns exactly what a request of the page sends in the given
// state, following the same blocks as the page's rendering.
func (s *Storefront) Expect(p Page, v Visit) Expectation {
	g := s.gen()
	c := s.cat
	e := Expectation{Page: p}
	main := len(g.sessionMain()) + len(g.boot(metaPage(p.Kind)))
	if v.AppCold {
		main += translationSelects + len(g.cold(p.Kind, p.ID))
	}
	// visitor: guest lookup, page lookup, connection lookup; INSERT guest
	// and connection for a new visitor; INSERT connection source always
	visitor := 3 + 1
	e.Writes = 1
	if v.NewVisitor {
		visitor += 2
		e.Writes += 2
	}
	if v.FirstVisit {
		visitor++
		e.Writes++
	}
	found := true
	switch p.Kind {
	case KindProduct:
		main++ // load
		found = c.ProductVisible(p.ID)
	case KindCategory:
		main++
		found = c.CategoryVisible(p.ID)
	case KindCMS:
		main++
		found = c.cmsVisible(p.ID)
	case KindHome, KindSearch:
	default:
		found = false
	}
	main += visitor + len(g.layout()) + s.hookStatements()
	doctrine := 0
	if !found {
		e.NotFound = true
		main++ // INSERT ps_pagenotfound
		e.Writes++
	} else {
		switch p.Kind {
		case KindProduct:
			prod := c.Product(p.ID)
			e.Combinations = len(prod.Combinations)
			e.Tiles = len(c.RelatedShown(p.ID))
			main += 1 + len(g.productCore(p.ID)) + 1 + 2 + 3*e.Combinations + e.Tiles*s.relatedTileStatements()
			doctrine = 1 + len(g.commentsProduct(p.ID))
		case KindCategory:
			e.Tiles = c.CategoryTiles(p.ID)
			main += 1 + len(g.categoryCore(p.ID)) + len(g.listingPreload(nil)) + e.Tiles*s.listingTileStatements()
			doctrine = 1 + len(g.commentsList(nil))
		case KindHome:
			e.Tiles = min(len(c.CategoryProducts(homeCategoryID)), featuredOnHome)
			main += 1 + len(g.homeCore()) + len(g.listingPreload(nil)) + e.Tiles*s.listingTileStatements()
			doctrine = 1 + len(g.commentsList(nil))
		case KindCMS:
			main += len(g.cmsCore(p.ID))
		case KindSearch:
			main++ // EXPLAIN
			if p.Term != "" {
				e.Tiles = min(len(c.SearchResults(p.Term)), c.Cfg.ProductsPerCategoryPage)
				main += 3 + len(g.listingPreload(nil)) // count, listing, preload, INSERT ps_statssearch
				e.Writes++
			}
			main += e.Tiles * s.listingTileStatements()
			doctrine = 1 + len(g.commentsList(nil))
		}
	}
	e.Main, e.Doctrine = main, doctrine
	e.Statements = main + doctrine
	e.Connections = 1
	if doctrine > 0 {
		e.Connections = 2
	}
	e.Questions = e.Statements + e.Connections
	return e
}

func (c *Catalogue) cmsVisible(id int) bool { return id >= 1 && id <= len(c.CMS) }
