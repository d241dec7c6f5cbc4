package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/psbench/psbench/internal/proxycache"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// newProxyCmd is `psbench proxy`: the caching proxy as a standalone sidecar.
func newProxyCmd(g *globalFlags) *cobra.Command {
	var (
		configPath string
		users      []string
	)
	flagCfg := proxycache.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Run the caching MySQL proxy (point the shop's DB port at --listen)",
		Long: `Run psbench's caching MySQL proxy in front of a MySQL or MariaDB server.

Flags override the --config file; the file overrides the defaults. The backend
password may also come from the PSBENCH_BACKEND_PASSWORD environment variable,
which keeps it out of the process list.`,
		Example: `  psbench proxy --listen 127.0.0.1:3307 --backend 127.0.0.1:3306 --admin 127.0.0.1:9307 \
    --backend-user shop --cache local --ttl 10m --blacklist-preset prestashop --table-prefix ps_`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			cfg, err := resolveProxyConfig(cmd.Flags(), configPath, users)
			if err != nil {
				return usageErr(err)
			}
			p, err := proxycache.New(cmd.Context(), cfg, proxycache.WithLogger(log))
			if err != nil {
				return unreachedErr(err)
			}
			if err := p.ListenAndServe(cmd.Context()); err != nil {
				return unreachedErr(err)
			}
			log.Info("proxy stopped")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&configPath, "config", "", "YAML proxy configuration file (flags override it)")
	f.StringArrayVar(&users, "user", nil, "client account NAME:PASSWORD mapped to the backend account (repeatable; default: the backend credentials)")
	bindProxyFlags(f, &flagCfg)
	return cmd
}

// resolveProxyConfig layers defaults, the config file, the environment and
// the flags the user set, then validates the result.
func resolveProxyConfig(flags *pflag.FlagSet, configPath string, users []string) (proxycache.Config, error) {
	cfg := proxycache.DefaultConfig()
	if configPath != "" {
		var err error
		if cfg, err = proxycache.LoadConfigFile(configPath); err != nil {
			return cfg, err
		}
	}
	if pw, ok := os.LookupEnv("PSBENCH_BACKEND_PASSWORD"); ok {
		cfg.Backend.Password = pw
	}
	// Re-apply only the flags the user set, onto the loaded configuration.
	over := pflag.NewFlagSet("proxy", pflag.ContinueOnError)
	bindProxyFlags(over, &cfg)
	var err error
	flags.Visit(func(fl *pflag.Flag) {
		if over.Lookup(fl.Name) == nil || err != nil {
			return
		}
		vals := []string{fl.Value.String()}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			vals = sv.GetSlice()
		}
		for _, v := range vals {
			if serr := over.Set(fl.Name, v); serr != nil {
				err = fmt.Errorf("--%s: %w", fl.Name, serr)
			}
		}
	})
	if err != nil {
		return cfg, err
	}
	if flags.Changed("user") {
		cfg.Clients = nil
		for _, u := range users {
			name, pw, ok := strings.Cut(u, ":")
			if !ok || name == "" {
				return cfg, fmt.Errorf("--user %q: expected NAME:PASSWORD", u)
			}
			cfg.Clients = append(cfg.Clients, proxycache.ClientAccount{User: name, Password: pw})
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("proxy configuration: %w", err)
	}
	return cfg, nil
}

// bindProxyFlags defines one flag per proxy setting, bound to cfg. It is
// used twice: for parsing, and to re-apply the user's flags over a config
// file.
func bindProxyFlags(f *pflag.FlagSet, cfg *proxycache.Config) {
	f.StringVar(&cfg.Listen, "listen", cfg.Listen, "MySQL address clients connect to")
	f.StringVar(&cfg.Admin, "admin", cfg.Admin, `admin HTTP API address ("" disables it)`)
	f.StringVar(&cfg.Backend.Addr, "backend", cfg.Backend.Addr, "MySQL/MariaDB server host:port")
	f.StringVar(&cfg.Backend.User, "backend-user", cfg.Backend.User, "backend user")
	f.StringVar(&cfg.Backend.Password, "backend-password", cfg.Backend.Password, "backend password (or PSBENCH_BACKEND_PASSWORD)")
	f.Var(&cfg.Backend.ConnectTimeout, "backend-connect-timeout", "backend connect timeout")
	f.StringVar(&cfg.ClientAuth, "client-auth", cfg.ClientAuth, "auth method offered to clients: mysql_native_password or caching_sha2_password")
	f.StringVar(&cfg.TLS.CertFile, "tls-cert", cfg.TLS.CertFile, "PEM certificate to offer TLS to clients")
	f.StringVar(&cfg.TLS.KeyFile, "tls-key", cfg.TLS.KeyFile, "PEM private key for --tls-cert")
	f.IntVar(&cfg.MaxConnections, "max-connections", cfg.MaxConnections, "maximum concurrent client connections (0 = unlimited)")
	f.Var(&cfg.MaxPacketBytes, "max-packet-bytes", "largest client packet accepted")
	f.StringVar(&cfg.Cache.Mode, "cache", cfg.Cache.Mode, "cache mode: off, local, redis, local+redis")
	f.Var(&cfg.Cache.TTL, "ttl", "cache entry time to live")
	f.Var(&cfg.Cache.MaxResultBytes, "max-result-bytes", "larger results are passed through, not stored")
	f.Var(&cfg.Cache.Local.MaxBytes, "local-max-bytes", "in-process cache size bound")
	f.StringVar(&cfg.Cache.Redis.Addr, "redis", cfg.Cache.Redis.Addr, "Redis address (a local Redis per node)")
	f.StringVar(&cfg.Cache.Redis.Password, "redis-password", cfg.Cache.Redis.Password, "Redis password")
	f.IntVar(&cfg.Cache.Redis.DB, "redis-db", cfg.Cache.Redis.DB, "Redis database number")
	f.StringVar(&cfg.Cache.Redis.KeyPrefix, "redis-prefix", cfg.Cache.Redis.KeyPrefix, "prefix of every Redis key the proxy writes")
	f.Var(&cfg.Cache.Redis.Timeout, "redis-timeout", "per-operation Redis timeout; slower means pass-through")
	f.StringVar(&cfg.Cache.Blacklist.Preset, "blacklist-preset", cfg.Cache.Blacklist.Preset, "never-cache preset: prestashop, prestashop-extended, none")
	f.StringArrayVar(&cfg.Cache.Blacklist.Tables, "blacklist-table", cfg.Cache.Blacklist.Tables, "extra never-cache table or glob, e.g. 'ps_mymodule_*' (repeatable; replaces the config file's list)")
	f.StringVar(&cfg.Cache.TablePrefix, "table-prefix", cfg.Cache.TablePrefix, "table prefix stripped before matching (PrestaShop: ps_)")
}
