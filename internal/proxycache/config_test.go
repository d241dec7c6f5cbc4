package proxycache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "proxy.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigFile(t *testing.T) {
	cfg, err := LoadConfigFile(writeConfig(t, `
listen: 127.0.0.1:4407
backend: {addr: db.internal:3306, user: shop, password: s3cret}
clients:
  - {user: app, password: pw, backend_user: ro, backend_password: ro-pw}
cache:
  mode: local+redis
  ttl: 5m
  table_ttl: {product: 30s}
  max_result_bytes: 2MiB
  local: {max_bytes: 64MiB}
  redis: {addr: 127.0.0.1:6380, timeout: 20ms}
  blacklist: {preset: prestashop-extended, tables: ["ps_mymodule_*"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:4407" || cfg.Backend.Password != "s3cret" || cfg.Clients[0].BackendUser != "ro" {
		t.Errorf("cfg = %+v", cfg)
	}
	c := cfg.Cache
	if c.Mode != CacheLocalRedis || c.TTL.D() != 5*time.Minute || c.TableTTL["product"].D() != 30*time.Second ||
		c.MaxResultBytes != 2<<20 || c.Local.MaxBytes != 64<<20 || c.Redis.Timeout.D() != 20*time.Millisecond {
		t.Errorf("cache = %+v", c)
	}
	// Untouched keys keep their defaults.
	if cfg.Admin != DefaultConfig().Admin || c.TablePrefix != "ps_" || c.Redis.KeyPrefix != "psbench:" {
		t.Errorf("defaults lost: admin %q prefix %q redis prefix %q", cfg.Admin, c.TablePrefix, c.Redis.KeyPrefix)
	}
}

func TestLoadConfigFileErrors(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // every fragment must appear in the error
	}{
		{"unknown key", "cache:\n  mode: local\n  tll: 10m\n", []string{"tll", "3"}},
		{"unknown top-level key", "lisen: 127.0.0.1:3307\n", []string{"lisen"}},
		{"bad mode", "cache: {mode: memcached}\n", []string{"cache.mode", "memcached", "off, local, redis, local+redis"}},
		{"bad duration", "cache: {ttl: ten minutes}\n", []string{"ten minutes", "duration"}},
		{"bad size", "cache: {max_result_bytes: 1 lightyear}\n", []string{"lightyear", "size"}},
		{"bad address", "backend: {addr: nohostport}\n", []string{"backend.addr", "host:port"}},
		{"bad preset", "cache: {blacklist: {preset: magento}}\n", []string{"cache.blacklist.preset", "magento"}},
		{"bad glob", "cache: {blacklist: {tables: [\"ps_[\"]}}\n", []string{"cache.blacklist.tables", "ps_["}},
		{"bad auth", "client_auth: sha1\n", []string{"client_auth", "sha1"}},
		{"duplicate client", "clients: [{user: a}, {user: a}]\n", []string{"clients[1].user", "twice"}},
		{"wrong type", "max_connections: many\n", []string{"max_connections"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.text)
			_, err := LoadConfigFile(path)
			if err == nil {
				t.Fatal("accepted a bad config")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) {
				t.Errorf("error %q does not name the file", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

func TestLoadConfigFileMissing(t *testing.T) {
	if _, err := LoadConfigFile(filepath.Join(t.TempDir(), "nope.yaml")); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("err = %v", err)
	}
	// An empty file is the defaults.
	cfg, err := LoadConfigFile(writeConfig(t, "\n"))
	if err != nil || cfg.Cache.Mode != DefaultConfig().Cache.Mode {
		t.Fatalf("empty file: %+v %v", cfg.Cache, err)
	}
}

func TestUnits(t *testing.T) {
	var b ByteSize
	for in, want := range map[string]ByteSize{"1048576": 1 << 20, "64KiB": 64 << 10, "1MB": 1e6, "2 GiB": 2 << 30, "512b": 512} {
		if err := b.UnmarshalText([]byte(in)); err != nil || b != want {
			t.Errorf("%q -> %d, %v; want %d", in, b, err, want)
		}
	}
	if (ByteSize(256<<20)).String() != "256MiB" || (ByteSize(1000)).String() != "1000B" {
		t.Errorf("String: %s %s", ByteSize(256<<20), ByteSize(1000))
	}
	var d Duration
	if err := d.UnmarshalText([]byte("-5s")); err == nil {
		t.Error("negative durations must be refused")
	}
}
