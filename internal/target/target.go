// Package target defines where a shop under test comes from: the embedded
// simulated storefront, Docker containers, or an external shop the user
// already runs. Each kind sits behind the one small Target interface, so
// adding a kind touches no other package.
package target

import (
	"context"
	"errors"
)

// Backend is the MySQL server the proxy forwards to.
type Backend struct {
	Addr     string `json:"addr"` // host:port
	User     string `json:"user"`
	Password string `json:"-"`
	Database string `json:"database"`
}

// Info describes a started target for results and reports.
type Info struct {
	Kind        string // embedded | docker | external
	Simulated   bool
	Label       string // results.LabelSimulated or results.LabelRealShop
	ShopVersion string
	DBVersion   string
	Nodes       int
}

// Target is a shop under test.
//
// The harness calls Start, then starts its caching proxy listening on
// ProxyListen and forwarding to Backend, then measures through BaseURL, and
// finally calls Stop (also on failure and Ctrl-C).
type Target interface {
	// Start brings the stack up (or checks that an existing one answers).
	Start(ctx context.Context) (Info, error)
	// BaseURL is the shop's storefront URL, e.g. http://127.0.0.1:8080.
	BaseURL() string
	// Backend is where the proxy forwards the shop's SQL.
	Backend() Backend
	// ProxyListen is the address the shop's database settings point at,
	// where the harness runs its proxy.
	ProxyListen() string
	// Pages returns up to n page URLs of a kind (product, category, ...),
	// discovered from the shop's database or its configuration.
	Pages(ctx context.Context, kind string, n int) ([]string, error)
	// Stop tears down what Start started; it must be safe to call twice.
	Stop(ctx context.Context) error
}

// AppCacheResetter is implemented by targets that can wipe the shop's own
// caches (PrestaShop's "app-cold"); profiles use it when not priming.
type AppCacheResetter interface {
	ResetAppCaches(ctx context.Context) error
}

// ErrUnknownKind is returned for a page kind a target cannot discover.
var ErrUnknownKind = errors.New("unknown page kind")
