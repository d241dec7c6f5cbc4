package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// resolveArgs parses args as `psbench proxy` would and resolves the config.
func resolveArgs(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newProxyCmd(&globalFlags{})
	if err := cmd.ParseFlags(args); err != nil {
		return "", err
	}
	configPath, _ := cmd.Flags().GetString("config")
	users, _ := cmd.Flags().GetStringArray("user")
	cfg, err := resolveProxyConfig(cmd.Flags(), configPath, users)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(cfg.Listen + " " + cfg.Backend.Addr + " " + cfg.Backend.User + "/" + cfg.Backend.Password + " " + cfg.Cache.Mode + " " +
		cfg.Cache.TTL.String() + " " + cfg.Cache.Blacklist.Preset + " " + strings.Join(cfg.Cache.Blacklist.Tables, ","))
	for _, c := range cfg.Clients {
		b.WriteString(" " + c.User + ":" + c.Password)
	}
	return b.String(), nil
}

func TestProxyFlagsOverrideConfigFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "proxy.yaml")
	if err := os.WriteFile(file, []byte(`
listen: 127.0.0.1:4407
backend: {addr: 10.0.0.5:3306, user: shop, password: from-file}
cache: {mode: redis, ttl: 5m, blacklist: {preset: none, tables: [a, b]}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PSBENCH_BACKEND_PASSWORD", "")
	os.Unsetenv("PSBENCH_BACKEND_PASSWORD")

	got, err := resolveArgs(t, "--config", file)
	if err != nil {
		t.Fatal(err)
	}
	if want := "127.0.0.1:4407 10.0.0.5:3306 shop/from-file redis 5m0s none a,b"; got != want {
		t.Errorf("file only:\n got %s\nwant %s", got, want)
	}

	// Flags the user set win; flags left alone do not reset the file's values.
	got, err = resolveArgs(t, "--config", file, "--cache", "local", "--ttl", "90s", "--blacklist-table", "ps_x_*",
		"--user", "app:pw", "--user", "ops:pw2")
	if err != nil {
		t.Fatal(err)
	}
	if want := "127.0.0.1:4407 10.0.0.5:3306 shop/from-file local 1m30s none ps_x_* app:pw ops:pw2"; got != want {
		t.Errorf("flags over file:\n got %s\nwant %s", got, want)
	}

	// The environment keeps the password out of the process list.
	t.Setenv("PSBENCH_BACKEND_PASSWORD", "from-env")
	got, err = resolveArgs(t, "--config", file)
	if err != nil || !strings.Contains(got, "shop/from-env") {
		t.Errorf("env password: %s %v", got, err)
	}
	if _, err := resolveArgs(t, "--backend-password", "flag", "--config", file); err != nil {
		t.Fatal(err)
	}
}

func TestProxyFlagsBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--user", "nocolon"}, "NAME:PASSWORD"},
		{[]string{"--cache", "memcached"}, "cache.mode"},
		{[]string{"--ttl", "soon"}, "duration"},
		{[]string{"--config", "/nonexistent/proxy.yaml"}, "/nonexistent/proxy.yaml"},
	} {
		_, err := resolveArgs(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
}
