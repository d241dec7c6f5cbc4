// Package storefront is psbench's simulated storefront: an HTTP server
// whose pages send PrestaShop-shaped SQL over the MySQL protocol, so the
// caching proxy can be measured without PHP. Everything it serves is
// labelled "simulated storefront" (header X-Psbench-Storefront: simulated).
//
// The workload is grounded on measurements of PrestaShop 8.1.2 with its
// demo catalogue (shared/prestashop-8.1-pages.md):
//
//   - Two connections per request, opened and closed by the request
//     (go-sql-driver/mysql, interpolateParams: text protocol only, like
//     PDO's emulated prepares). The main one starts with SET NAMES utf8mb4
//     and SET SESSION sql_mode = ”; the Doctrine one (product-comments,
//     opened lazily on product, category, home and search pages) starts
//     with SET sql_mode = (SELECT REPLACE(@@sql_mode, ...)).
//   - Back-quoted, ps_-prefixed (configurable), often multi-line
//     statements; ~20 module-id lookups by name and ~20 module-shop checks
//     per page, stock sums per product and combination, one EXPLAIN on
//     ps_specific_price, one SELECT SQL_NO_CACHE on ps_guest, verbatim
//     repeats within a request (19 on a product page).
//   - Visitor statistics are the only writes: a new visitor (no cookie)
//     INSERTs ps_guest, ps_connections and ps_connections_source; a
//     returning cookie only ps_connections_source; a page's first visit
//     ever adds its ps_page row. 404 pages add ps_pagenotfound, searches
//     ps_statssearch.
//   - App-cold (the first request of a URL since ResetAppCaches, as after
//     wiping PrestaShop's file caches) adds 327 identical translation
//     reads on ps_translation (two shapes) and 41 other reads (47 on a
//     category page).
//
// # Statements per page
//
// With s = Scale, m = Modules, c = the product's combinations, r = related
// products shown, t = products listed (at most ProductsPerCategoryPage), a
// new visitor and a page visited before:
//
//	hooks(s, m)   = round(s * 40 * m / 77)      module-hook work
//	related tile  = round(s * 20)               per related product
//	listing tile  = round(s * 24)               per listed product
//	product page  = 134 + 3c + hooks + r * related tile
//	category page = 116 + hooks + t * listing tile
//	app-cold      + 368 (product), + 374 (category), + 368 (others)
//	returning visitor: -2 (no guest and connection INSERTs); first visit: +1
//
// At scale 1 with the demo sizes (77 modules, 8 combinations): product
// 198 (measured 198), with 8 related products 358 (359), category with 2
// products 204 (204), with 11 products 420 (422); app-cold 566 and 578
// (566, 578). Large shops (~800 product, ~2,000 category statements):
// scale 3.2 with 8 related products and 24 products per category page
// gives 798 and 2,092; scale 3 gives 758 and 1,964.
//
// Storefront.Expect (and ExpectURL, ExpectedStatements) computes the exact
// count of any page from the same statement builders the pages run;
// responses carry it in X-Psbench-Statements, with X-Psbench-App-Cache,
// X-Psbench-Visitor and X-Psbench-Page-Visit.
package storefront
