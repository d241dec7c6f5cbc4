package run

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/psbench/psbench/internal/scenario"
	"github.com/psbench/psbench/internal/target"
	"github.com/psbench/psbench/internal/target/docker"
	"github.com/psbench/psbench/internal/target/embedded"
	"github.com/psbench/psbench/internal/target/external"
)

// newTarget builds the scenario's target.
func newTarget(sc *scenario.Scenario, log *slog.Logger) (target.Target, error) {
	switch sc.Target.Kind {
	case scenario.KindEmbedded:
		return embedded.New(*sc.Target.Embedded, log), nil
	case scenario.KindExternal:
		return external.New(*sc.Target.External), nil
	case scenario.KindDocker:
		return docker.New(*sc.Target.Docker, log, docker.WithRedisAddr(sc.Cache.Redis.Addr)), nil
	}
	return nil, fmt.Errorf("unknown target kind %q", sc.Target.Kind)
}

// resolvePages expands every page kind of the scenario into absolute URLs:
// listed URLs, template ids, and pages discovered from the target.
func resolvePages(ctx context.Context, sc *scenario.Scenario, tg target.Target) (map[string][]string, error) {
	base := strings.TrimRight(tg.BaseURL(), "/")
	abs := func(u string) string {
		if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
			return u
		}
		return base + "/" + strings.TrimLeft(u, "/")
	}
	out := map[string][]string{}
	for _, kind := range sc.Kinds() {
		p := sc.Pages[kind]
		var urls []string
		for _, u := range p.URLs {
			urls = append(urls, abs(u))
		}
		for _, id := range p.IDs {
			urls = append(urls, abs(strings.ReplaceAll(p.Template, "{id}", strconv.Itoa(id))))
		}
		if p.Discover > 0 {
			found, err := tg.Pages(ctx, kind, p.Discover)
			if err != nil {
				return nil, fmt.Errorf("pages.%s: discover: %w", kind, err)
			}
			for _, u := range found {
				urls = append(urls, abs(u))
			}
		}
		if len(urls) == 0 {
			return nil, fmt.Errorf("pages.%s: no URLs", kind)
		}
		out[kind] = dedupe(urls)
	}
	return out, nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
