package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/spf13/cobra"

	"github.com/psbench/psbench/internal/proxycache/stats"
	"github.com/psbench/psbench/internal/querycount"
	"github.com/psbench/psbench/internal/results"
)

// failedErr exits with exitFailed: the measurement ran but is invalid.
func failedErr(err error) error { return &exitError{code: exitFailed, err: err} }

// newProfileCmd is `psbench profile`: exact statements per page, cold and
// warm SQL cache, through a running psbench proxy.
func newProfileCmd(g *globalFlags) *cobra.Command {
	var (
		admin        string
		backendDSN   string
		kinds        []string
		samples      int
		primeApp     bool
		phases       []string
		topDigests   int
		jsonPath     string
		allowForeign bool
		timeout      time.Duration
		quietPeriod  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Count the statements each page sends to MySQL with the proxy's cache cold and warm",
		Long: `Request each page one at a time through a running psbench proxy and count, from the
proxy's capture windows, exactly what reaches MySQL: cold (cache flushed), warm (the
same page again) and warm_other (after the other pages of its kind warmed the cache).

Nothing else may use the proxy meanwhile: a quiet check runs first, and any statement
from another connection during a capture makes the profile invalid. With --backend-dsn,
every capture is cross-checked against MySQL's own Questions counter (the DSN may also
come from PSBENCH_BACKEND_DSN, which keeps the password out of the process list).

Exit status: 0 valid profile, 1 invalid profile (problems are printed first), 2 bad
flags, 3 admin API or shop unreachable.`,
		Example: `  psbench profile --admin 127.0.0.1:9307 --prime-app \
    --kind product=http://shop.test/1-mug.html,http://shop.test/2-tee.html \
    --kind category=http://shop.test/3-clothes --backend-dsn 'root:@tcp(127.0.0.1:3306)/' --json profile.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			pages, err := parseKinds(kinds)
			if err != nil {
				return usageErr(err)
			}
			if samples < 1 {
				return usageErr(fmt.Errorf("--samples: must be at least 1 (got %d)", samples))
			}
			if topDigests < 1 {
				return usageErr(fmt.Errorf("--top-digests: must be at least 1 (got %d)", topDigests))
			}
			if timeout <= 0 || quietPeriod <= 0 {
				return usageErr(errors.New("--timeout and --quiet-period must be positive"))
			}
			for _, ph := range phases {
				switch ph {
				case results.PhaseCold, results.PhaseWarm, results.PhaseWarmOther:
				default:
					return usageErr(fmt.Errorf("--phases: %q is not one of cold, warm, warm_other", ph))
				}
			}
			adminURL, err := adminBaseURL(admin)
			if err != nil {
				return usageErr(err)
			}
			if backendDSN == "" {
				backendDSN = os.Getenv("PSBENCH_BACKEND_DSN")
			}
			var backend *sql.DB
			if backendDSN != "" {
				if backend, err = openBackend(backendDSN); err != nil {
					return usageErr(err)
				}
				defer backend.Close()
			}
			p := &querycount.Profiler{
				Admin:        stats.NewClient(adminURL, &http.Client{Timeout: 30 * time.Second}),
				AdminAddr:    admin,
				HTTP:         &http.Client{Timeout: timeout},
				Backend:      backend,
				Samples:      samples,
				PrimeApp:     primeApp,
				Phases:       phases,
				TopDigests:   topDigests,
				AllowForeign: allowForeign,
				QuietPeriod:  quietPeriod,
				Log:          log,
				Progress:     func(s string) { fmt.Fprintln(cmd.ErrOrStderr(), "psbench profile:", s) },
			}
			prof, runErr := p.Run(cmd.Context(), pages)
			if prof != nil {
				tableOut := cmd.OutOrStdout()
				if jsonPath == "-" {
					tableOut = cmd.ErrOrStderr() // stdout carries the JSON
				}
				if err := querycount.WriteTable(tableOut, prof); err != nil {
					return err
				}
				if jsonPath != "" {
					if err := writeProfileJSON(jsonPath, prof); err != nil {
						return err
					}
				}
			}
			switch {
			case runErr == nil:
			case errors.Is(runErr, querycount.ErrBadInput):
				return usageErr(runErr)
			case errors.Is(runErr, querycount.ErrAdminUnreachable), errors.Is(runErr, querycount.ErrShopUnreachable):
				return unreachedErr(runErr)
			case errors.Is(runErr, context.Canceled):
				return failedErr(fmt.Errorf("profile interrupted: %w", runErr))
			default:
				return failedErr(runErr)
			}
			if !prof.Valid {
				return failedErr(fmt.Errorf("profile INVALID: %d problem(s), listed above", len(prof.Problems)))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&admin, "admin", "127.0.0.1:9307", "the proxy's admin API address (host:port or URL)")
	f.StringVar(&backendDSN, "backend-dsn", "", "optional Go MySQL DSN of the proxy's backend, to cross-check every capture with SHOW GLOBAL STATUS LIKE 'Questions', e.g. 'user:pass@tcp(127.0.0.1:3306)/' (or PSBENCH_BACKEND_DSN)")
	f.StringArrayVar(&kinds, "kind", nil, "KIND=URL[,URL...]: pages of one kind (repeatable; at least one)")
	f.IntVar(&samples, "samples", querycount.DefaultSamples, "measurements of each phase of each URL")
	f.BoolVar(&primeApp, "prime-app", false, "request every URL once, unmeasured, so the shop's own caches are warm")
	f.StringSliceVar(&phases, "phases", []string{results.PhaseCold, results.PhaseWarm, results.PhaseWarmOther}, "phases to measure: cold, warm, warm_other")
	f.IntVar(&topDigests, "top-digests", querycount.DefaultTopDigests, "statement shapes kept per phase and per kind")
	f.StringVar(&jsonPath, "json", "", `write the profile as JSON to this file ("-" for stdout)`)
	f.BoolVar(&allowForeign, "allow-foreign", false, "continue after the quiet check saw other traffic through the proxy (the profile is still marked invalid)")
	f.DurationVar(&timeout, "timeout", 60*time.Second, "timeout of each page request")
	f.DurationVar(&quietPeriod, "quiet-period", querycount.DefaultQuietPeriod, "length of the quiet check before measuring")
	return cmd
}

// parseKinds turns --kind values into pages.
func parseKinds(kinds []string) ([]querycount.Page, error) {
	if len(kinds) == 0 {
		return nil, errors.New("--kind: at least one KIND=URL[,URL...] is required")
	}
	var pages []querycount.Page
	seen := map[string]bool{}
	for _, k := range kinds {
		kind, list, ok := strings.Cut(k, "=")
		kind = strings.TrimSpace(kind)
		if !ok || kind == "" {
			return nil, fmt.Errorf("--kind %q: expected KIND=URL[,URL...]", k)
		}
		n := 0
		for _, u := range strings.Split(list, ",") {
			u = strings.TrimSpace(u)
			if u == "" {
				continue
			}
			pu, err := url.Parse(u)
			if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				return nil, fmt.Errorf("--kind %s: %q is not an http:// or https:// URL", kind, u)
			}
			if seen[u] {
				return nil, fmt.Errorf("--kind %s: %s is listed twice", kind, u)
			}
			seen[u] = true
			pages = append(pages, querycount.Page{Kind: kind, URL: u})
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("--kind %q: no URL", k)
		}
	}
	return pages, nil
}

// adminBaseURL accepts host:port or an http(s) URL.
func adminBaseURL(admin string) (string, error) {
	admin = strings.TrimSpace(admin)
	if admin == "" {
		return "", errors.New("--admin: the proxy's admin API address is required")
	}
	if !strings.Contains(admin, "://") {
		admin = "http://" + admin
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--admin %q: expected host:port or http://host:port", admin)
	}
	return strings.TrimRight(admin, "/"), nil
}

// openBackend opens the cross-check connection pool (no connection yet).
func openBackend(dsn string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("--backend-dsn: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("--backend-dsn: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	return db, nil
}

// writeProfileJSON writes the profile, indented.
func writeProfileJSON(path string, p *results.Profile) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("encode profile: %w", err)
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = os.Stdout.Write(b)
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("--json: %w", err)
	}
	return nil
}
