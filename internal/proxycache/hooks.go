package proxycache

import "github.com/psbench/psbench/internal/proxycache/stats"

// Hooks lets a caller observe the proxy without touching its internals, in
// the manner of httputil.ReverseProxy's hooks. Every field is optional.
// Hooks run on the session's goroutine, on the hot path: keep them short and
// never block.
type Hooks struct {
	ConnOpened  func(stats.ConnInfo)
	ConnClosed  func(stats.ConnInfo)
	Statement   func(*stats.StatementEvent)
	Invalidated func(tables []string, all bool)
}
