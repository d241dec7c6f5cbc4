// Package querycount measures, exactly and one request at a time, how many
// statements a shop page sends to MySQL through the psbench proxy with its
// cache cold and warm. It talks to the proxy only through the admin API
// (stats.Client): cache flush, capture windows and GET /stats.
//
// # Phases
//
// Every page request psbench makes runs inside a capture window, opened
// before the request and closed once the response body was read and every
// connection opened in the window has closed (PHP closes its connections
// after the response, and the proxy sends the backend one COM_QUIT per
// connection):
//
//	cold        the window opens, the cache is flushed (the flush is inside
//	            the window and must be its only one), then the URL.
//	warm        the same URL again, right after its cold request (when cold
//	            is not measured: flush, request the URL unmeasured, then warm).
//	warm_other  flush, request every other URL of the same kind (unmeasured,
//	            one window per request), then the URL: its own statements
//	            were never cached since the flush, the ones it shares with
//	            its kind were. Skipped, with a warning, for a kind of one URL.
//
// The order is: for each sample, for each kind, cold and warm of every URL,
// then warm_other of every URL. With PrimeApp every URL is requested once
// before anything is measured, so the shop's own caches are warm
// (PrestaShop's "app-warm"); without it, the first cold request of each URL
// may be app-cold, and a URL whose first request sends more statements than
// its later ones makes the profile invalid (app-cold mixed with app-warm).
//
// # Counts
//
// ClientStatements and BackendStatements count commands that carry or
// execute SQL: COM_QUERY and COM_STMT_EXECUTE, sent by the shop and sent on
// to MySQL respectively. BackendCommands counts every command the proxy
// sent to MySQL, including COM_QUIT (one per connection), COM_INIT_DB,
// COM_PING and COM_STMT_PREPARE/CLOSE; BackendByCommand breaks it down.
// For a PrestaShop page (text protocol only, no pings) BackendCommands is
// BackendStatements plus one COM_QUIT per connection.
//
// # Validity
//
// A measurement is invalid, and says why in Problems, when: the quiet check
// before the profile saw any traffic through the proxy (Run then fails with
// ErrForeignTraffic unless AllowForeign); a window saw statements of
// connections opened before it (foreign traffic), a connection opened
// before it closing in it, statements or connections arriving after the
// HTTP response completed, a cache flush it did not make, or connections
// still open after SettleTimeout; the page answered 4xx/5xx, a redirect
// loop or too many redirects, or failed; the proxy's cache is off (cold
// equals warm by construction). Invalid numbers are kept, never dropped.
//
// # Counter cross-check
//
// With a Backend DSN every window is bracketed by two readings of MariaDB's
// Questions on one pinned connection and compared with ExpectedQuestions
// (formula and calibration there). Disagreement is reported, never
// corrected, and does not make the profile invalid: Questions is
// server-wide, so any other client of the server makes it disagree.
package querycount
