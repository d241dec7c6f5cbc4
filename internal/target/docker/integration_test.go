package docker

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/scenario"
)

// testWriter sends the target's progress to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestDockerPrestaShop starts the real stack (MySQL 8.0 + the official
// PrestaShop 8.1 image, several minutes on a first pull), puts a
// pass-through proxy where the shop's settings point, requests a product
// page through it, discovers pages, and checks that Stop leaves nothing
// behind. It runs only when a Docker engine answers.
func TestDockerPrestaShop(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the Docker integration test (installs PrestaShop, several minutes)")
	}
	eng, err := ProbeEngine(context.Background())
	if err != nil {
		t.Skipf("no Docker engine, skipping the PrestaShop-in-containers test: %v", err)
	}
	t.Logf("Docker engine %s (%s) at %s", eng.Version, eng.OS, eng.Host)
	ctx, cancel := context.WithTimeout(context.Background(), 35*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))

	tg := New(scenario.DefaultDocker(), log, WithOutput(io.Discard))
	stopped := false
	defer func() {
		if !stopped {
			_ = tg.Stop(context.Background())
		}
	}()
	info, err := tg.Start(ctx)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if info.Kind != scenario.KindDocker || !strings.HasPrefix(info.ShopVersion, "PrestaShop 8") || !strings.HasPrefix(info.DBVersion, "MySQL 8.0") {
		t.Fatalf("info %+v", info)
	}
	stack := tg.plan.StackID

	// What the harness does next: its proxy on ProxyListen, forwarding to
	// Backend (here with the cache off).
	cfg := proxycache.DefaultConfig()
	cfg.Listen, cfg.Admin = tg.ProxyListen(), ""
	b := tg.Backend()
	cfg.Backend.Addr, cfg.Backend.User, cfg.Backend.Password = b.Addr, b.User, b.Password
	cfg.Cache.Mode = proxycache.CacheOff
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	p, err := proxycache.New(pctx, cfg)
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	go func() { _ = p.ListenAndServe(pctx) }()

	product := tg.BaseURL() + productProbe
	deadline := time.Now().Add(3 * time.Minute) // the first request rebuilds the cleared caches
	var status int
	for time.Now().Before(deadline) {
		resp, err := (&http.Client{Timeout: 90 * time.Second}).Get(product)
		if err == nil {
			status = resp.StatusCode
			resp.Body.Close()
			if status == http.StatusOK {
				break
			}
		}
		time.Sleep(2 * time.Second)
	}
	if status != http.StatusOK {
		t.Fatalf("product page through the proxy: status %d", status)
	}
	if n := p.Stats().Snapshot().ClientStatements.Total; n < 50 {
		t.Fatalf("the shop sent %d statements through the proxy; its settings do not point at it", n)
	}

	for kind, atLeast := range map[string]int{"product": 5, "category": 1, "home": 1} {
		urls, err := tg.Pages(ctx, kind, 5)
		if err != nil || len(urls) < atLeast || !strings.HasPrefix(urls[0], tg.BaseURL()) {
			t.Fatalf("Pages(%s) = %v, %v", kind, urls, err)
		}
	}

	if err := tg.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	stopped = true
	if err := tg.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	cli, err := client.New(client.WithHost(eng.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	left, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", labelStack+"="+stack)})
	if err != nil {
		t.Fatal(err)
	}
	if len(left.Items) != 0 {
		t.Fatalf("%d containers of stack %s left behind", len(left.Items), stack)
	}
}
