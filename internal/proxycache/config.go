package proxycache

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/psbench/psbench/internal/proxycache/sqlclass"
)

// Config is the proxy's whole configuration. Every `psbench proxy` flag has
// an equivalent here, and scenario files embed the same structure.
type Config struct {
	// Listen is the MySQL address clients connect to.
	Listen string `yaml:"listen" json:"listen"`
	// Admin is the admin HTTP API address ("" disables it). Loopback by default.
	Admin   string        `yaml:"admin" json:"admin"`
	Backend BackendConfig `yaml:"backend" json:"backend"`
	// Clients are the accounts clients log in with. When empty, clients log
	// in with the backend credentials.
	Clients []ClientAccount `yaml:"clients" json:"clients,omitempty"`
	// ClientAuth is the authentication method offered to clients:
	// mysql_native_password (default) or caching_sha2_password.
	ClientAuth string `yaml:"client_auth" json:"client_auth"`
	// TLS, when CertFile and KeyFile are set, lets clients upgrade to TLS.
	TLS TLSConfig `yaml:"tls" json:"tls"`
	// MaxConnections bounds concurrent client connections (0 = unlimited).
	MaxConnections int `yaml:"max_connections" json:"max_connections"`
	// MaxPacketBytes bounds one client packet; larger ones get
	// ER_NET_PACKET_TOO_LARGE and the connection is closed.
	MaxPacketBytes ByteSize    `yaml:"max_packet_bytes" json:"max_packet_bytes"`
	Cache          CacheConfig `yaml:"cache" json:"cache"`
}

// BackendConfig is the MySQL server behind the proxy.
type BackendConfig struct {
	Addr           string   `yaml:"addr" json:"addr"`
	User           string   `yaml:"user" json:"user"`
	Password       string   `yaml:"password" json:"-"`
	ConnectTimeout Duration `yaml:"connect_timeout" json:"connect_timeout"`
}

// ClientAccount is one client login and the backend account it maps to
// (the default backend account when BackendUser is empty).
type ClientAccount struct {
	User            string `yaml:"user" json:"user"`
	Password        string `yaml:"password" json:"-"`
	BackendUser     string `yaml:"backend_user" json:"backend_user,omitempty"`
	BackendPassword string `yaml:"backend_password" json:"-"`
}

// TLSConfig enables TLS towards clients.
type TLSConfig struct {
	CertFile string `yaml:"cert_file" json:"cert_file,omitempty"`
	KeyFile  string `yaml:"key_file" json:"key_file,omitempty"`
}

// CacheConfig is the result cache's configuration.
type CacheConfig struct {
	// Mode is off, local, redis or local+redis.
	Mode string `yaml:"mode" json:"mode"`
	// TTL is each entry's time to live (default 10m).
	TTL Duration `yaml:"ttl" json:"ttl"`
	// TableTTL overrides the TTL for statements reading a table; the
	// shortest applies. Keys match like blacklist entries.
	TableTTL map[string]Duration `yaml:"table_ttl" json:"table_ttl,omitempty"`
	// MaxResultBytes: larger results are passed through and not stored.
	MaxResultBytes ByteSize        `yaml:"max_result_bytes" json:"max_result_bytes"`
	Local          LocalConfig     `yaml:"local" json:"local"`
	Redis          RedisConfig     `yaml:"redis" json:"redis"`
	Blacklist      BlacklistConfig `yaml:"blacklist" json:"blacklist"`
	// TablePrefix is stripped before matching tables (PrestaShop: ps_).
	TablePrefix string `yaml:"table_prefix" json:"table_prefix"`
	// ParseMemoBytes bounds the memo of parsed statements.
	ParseMemoBytes ByteSize `yaml:"parse_memo_bytes" json:"parse_memo_bytes"`
}

// UsesRedis reports whether the cache mode has a Redis tier (redis or
// local+redis).
func (cc CacheConfig) UsesRedis() bool { return cc.Mode == CacheRedis || cc.Mode == CacheLocalRedis }

// LocalConfig is the in-process tier.
type LocalConfig struct {
	MaxBytes ByteSize `yaml:"max_bytes" json:"max_bytes"`
}

// RedisConfig is the Redis tier (a local Redis per node).
type RedisConfig struct {
	Addr     string `yaml:"addr" json:"addr"`
	Password string `yaml:"password" json:"-"`
	DB       int    `yaml:"db" json:"db"`
	// KeyPrefix namespaces every key the proxy writes.
	KeyPrefix string `yaml:"key_prefix" json:"key_prefix"`
	// Timeout bounds each Redis operation; past it the statement is passed
	// through (cache_unavailable).
	Timeout Duration `yaml:"timeout" json:"timeout"`
	// RetryBackoff is how long the tier stays bypassed after a failure.
	RetryBackoff Duration `yaml:"retry_backoff" json:"retry_backoff"`
}

// BlacklistConfig is the never-cache table list.
type BlacklistConfig struct {
	// Preset is prestashop, prestashop-extended or none.
	Preset string `yaml:"preset" json:"preset"`
	// Tables adds table names or glob patterns (module tables: "ps_mymodule_*").
	Tables []string `yaml:"tables" json:"tables,omitempty"`
}

// Cache modes.
const (
	CacheOff        = "off"
	CacheLocal      = "local"
	CacheRedis      = "redis"
	CacheLocalRedis = "local+redis"
)

// Client authentication methods.
const (
	AuthNative      = "mysql_native_password"
	AuthCachingSHA2 = "caching_sha2_password"
)

// DefaultConfig returns the configuration `psbench proxy` starts from.
func DefaultConfig() Config {
	return Config{
		Listen:         "127.0.0.1:3307",
		Admin:          "127.0.0.1:9307",
		Backend:        BackendConfig{Addr: "127.0.0.1:3306", User: "root", ConnectTimeout: Duration(5e9)},
		ClientAuth:     AuthNative,
		MaxPacketBytes: 64 << 20,
		Cache: CacheConfig{
			Mode:           CacheLocal,
			TTL:            Duration(10 * 60e9),
			MaxResultBytes: 1 << 20,
			Local:          LocalConfig{MaxBytes: 256 << 20},
			Redis:          RedisConfig{Addr: "127.0.0.1:6379", KeyPrefix: "psbench:", Timeout: Duration(50e6), RetryBackoff: Duration(1e9)},
			Blacklist:      BlacklistConfig{Preset: "prestashop"},
			TablePrefix:    "ps_",
			ParseMemoBytes: 32 << 20,
		},
	}
}

// LoadConfigFile reads a YAML proxy configuration over the defaults.
// Unknown keys are errors; every error names the file, line and key.
func LoadConfigFile(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read proxy config: %w", err)
	}
	cfg := DefaultConfig()
	if err := DecodeYAML(b, &cfg); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// DecodeYAML decodes b strictly into v: unknown keys and type mismatches
// are errors that name the line, column and key.
func DecodeYAML(b []byte, v any) error {
	if emptyYAML(b) {
		return nil // a file of comments (or nothing) overrides nothing
	}
	dec := yaml.NewDecoder(bytes.NewReader(b), yaml.DisallowUnknownField())
	if err := dec.Decode(v); err != nil {
		return errors.New(yaml.FormatError(err, false, true))
	}
	return nil
}

// emptyYAML reports whether b holds no YAML value: only comments, blank
// lines or an explicit null document. Decoding such a document would reset
// the defaults.
func emptyYAML(b []byte) bool {
	f, err := parser.ParseBytes(b, 0)
	if err != nil {
		return false // let the decoder report the syntax error
	}
	for _, d := range f.Docs {
		if d.Body == nil {
			continue
		}
		if _, null := d.Body.(*ast.NullNode); !null {
			return false
		}
	}
	return true
}

// Validate checks the configuration and names the offending key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, a...)))
	}
	checkAddr := func(key, addr string, optional bool) {
		if addr == "" {
			if !optional {
				bad(key, "is required (host:port)")
			}
			return
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad(key, "%q is not host:port", addr)
		}
	}
	checkAddr("listen", c.Listen, false)
	checkAddr("admin", c.Admin, true)
	checkAddr("backend.addr", c.Backend.Addr, false)
	if c.Backend.User == "" {
		bad("backend.user", "is required")
	}
	switch c.ClientAuth {
	case AuthNative, AuthCachingSHA2:
	default:
		bad("client_auth", "%q is not one of %s, %s", c.ClientAuth, AuthNative, AuthCachingSHA2)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		bad("tls", "cert_file and key_file go together")
	}
	seen := map[string]bool{}
	for i, a := range c.Clients {
		key := fmt.Sprintf("clients[%d]", i)
		if a.User == "" {
			bad(key+".user", "is required")
		}
		if seen[a.User] {
			bad(key+".user", "%q is defined twice", a.User)
		}
		seen[a.User] = true
	}
	if c.MaxConnections < 0 {
		bad("max_connections", "must not be negative")
	}
	if c.MaxPacketBytes < 1024 {
		bad("max_packet_bytes", "must be at least 1KiB")
	}
	cc := &c.Cache
	switch cc.Mode {
	case CacheOff, CacheLocal, CacheRedis, CacheLocalRedis:
	default:
		bad("cache.mode", "%q is not one of off, local, redis, local+redis", cc.Mode)
	}
	if cc.TTL <= 0 {
		bad("cache.ttl", "must be positive")
	}
	for k, v := range cc.TableTTL {
		if v <= 0 {
			bad("cache.table_ttl."+k, "must be positive")
		}
	}
	if cc.MaxResultBytes <= 0 {
		bad("cache.max_result_bytes", "must be positive")
	}
	if (cc.Mode == CacheLocal || cc.Mode == CacheLocalRedis) && cc.Local.MaxBytes < 1<<20 {
		bad("cache.local.max_bytes", "must be at least 1MiB")
	}
	if cc.UsesRedis() {
		checkAddr("cache.redis.addr", cc.Redis.Addr, false)
		if cc.Redis.Timeout <= 0 {
			bad("cache.redis.timeout", "must be positive")
		}
	}
	if _, err := sqlclass.Preset(cc.Blacklist.Preset); err != nil {
		bad("cache.blacklist.preset", "%v", err)
	}
	if _, err := sqlclass.NewTableSet(cc.TablePrefix, cc.Blacklist.Tables); err != nil {
		bad("cache.blacklist.tables", "%v", err)
	}
	ttlKeys := make([]string, 0, len(cc.TableTTL))
	for k := range cc.TableTTL {
		ttlKeys = append(ttlKeys, k)
	}
	if _, err := sqlclass.NewTableSet(cc.TablePrefix, ttlKeys); err != nil {
		bad("cache.table_ttl", "%v", err)
	}
	return errors.Join(errs...)
}
