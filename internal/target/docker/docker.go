// Package docker is the target for a real PrestaShop in containers
// (testcontainers-go): MySQL, optionally Redis, and the official
// PrestaShop image installing itself with its demo catalogue.
//
// How the shop reaches psbench's proxy: the harness runs its proxy in its
// own process on 127.0.0.1:<ProxyPort> after Start returns. The shop
// container reaches it through testcontainers' host-port access
// (host.testcontainers.internal, an SSH tunnel through a small sidecar
// container). That tunnel only opens once the container's wait strategy
// has passed, and the proxy only exists after Start, so the shop installs
// against MySQL directly on the stack's network; once its product page
// answers, Start rewrites app/config/parameters.php to
// host.testcontainers.internal:<ProxyPort>, clears the shop's compiled
// caches and reloads the web server. From then on every statement the
// shop sends goes through the harness's proxy. docker/README.md explains
// the choice.
package docker

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/psbench/psbench/internal/results"
	"github.com/psbench/psbench/internal/scenario"
	"github.com/psbench/psbench/internal/target"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
	tclog "github.com/testcontainers/testcontainers-go/log"
	tcmysql "github.com/testcontainers/testcontainers-go/modules/mysql"
	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
)

// Option adjusts a Target.
type Option func(*options)

type options struct {
	redisAddr      string
	installTimeout time.Duration
	out            io.Writer
}

// WithRedisAddr publishes the Redis container (target.docker.redis) on
// this host address, normally the scenario's cache.redis.addr, so the
// harness's proxy finds it there. Without it Redis gets a random loopback
// port (see RedisAddr).
func WithRedisAddr(addr string) Option { return func(o *options) { o.redisAddr = addr } }

// WithInstallTimeout bounds PrestaShop's automatic install (default
// PSBENCH_DOCKER_INSTALL_TIMEOUT or DefaultInstallTimeout).
func WithInstallTimeout(d time.Duration) Option { return func(o *options) { o.installTimeout = d } }

// WithOutput is where a kept stack's access details are printed
// (default os.Stderr).
func WithOutput(w io.Writer) Option { return func(o *options) { o.out = w } }

// Target is a PrestaShop stack in containers.
type Target struct {
	cfg  scenario.Docker
	opts options
	log  *slog.Logger

	mu        sync.Mutex
	plan      plan
	planned   bool
	net       *testcontainers.DockerNetwork
	mysql     *tcmysql.MySQLContainer
	redis     *tcredis.RedisContainer
	shop      testcontainers.Container
	backend   string // 127.0.0.1:<mapped 3306>
	redisAddr string
	db        *sql.DB
	repointed bool
}

var _ target.Target = (*Target)(nil)
var _ target.AppCacheResetter = (*Target)(nil)

// New returns the target for cfg; nothing starts before Start.
func New(cfg scenario.Docker, log *slog.Logger, opts ...Option) *Target {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := options{out: os.Stderr}
	if v := os.Getenv("PSBENCH_DOCKER_INSTALL_TIMEOUT"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			o.installTimeout = d
		} else {
			log.Warn("docker: ignoring PSBENCH_DOCKER_INSTALL_TIMEOUT (expected a duration such as 30m)", "value", v)
		}
	}
	for _, f := range opts {
		f(&o)
	}
	return &Target{cfg: cfg, opts: o, log: log}
}

var setTCLogger sync.Once

// Start brings the stack up: Docker check, network, MySQL, Redis (when
// asked), PrestaShop installed with its demo data, then the shop's database
// settings pointed at the proxy address. Whatever it started is removed
// again when it fails or is interrupted (Ctrl-C).
func (t *Target) Start(ctx context.Context) (info target.Info, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	info = target.Info{Kind: scenario.KindDocker, Label: results.LabelRealShop, Nodes: 1}
	if t.planned {
		return info, errors.New("docker target: Start called twice")
	}
	p, err := newPlan(t.cfg, t.opts, freePort, randomSecret)
	if err != nil {
		return info, fmt.Errorf("docker target: %w", err)
	}
	if p.RedisAddr != "" {
		if err := checkFree(p.RedisAddr); err != nil {
			return info, fmt.Errorf("docker target: publish Redis on cache.redis.addr %s: the address is already taken (%v). "+
				"Fix: stop what listens there (`ss -ltnp 'sport = :%s'`) or set cache.redis.addr to a free port, e.g. 127.0.0.1:6380", p.RedisAddr, err, portOf(p.RedisAddr))
		}
	}
	eng, err := ProbeEngine(ctx)
	if err != nil {
		return info, fmt.Errorf("docker target: %w", err)
	}
	t.plan, t.planned = p, true
	tcl := &tcLogger{log: t.log}
	setTCLogger.Do(func() { tclog.SetDefault(tcl) }) // the tunnel sidecar and reaper log through the default
	began := time.Now()
	t.log.Info("docker: starting the stack (the first run pulls the images, about 1 GB)", "engine", eng.Host, "engine_version", eng.Version,
		"prestashop", p.PrestaShopImage, "mysql", p.MySQLImage, "redis", p.RedisImage != "", "keep", p.Keep)

	defer func() {
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("docker target: interrupted while starting (%w); removing the containers", err)
		}
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if cerr := t.terminate(cctx); cerr != nil {
			err = errors.Join(err, fmt.Errorf("docker target: clean up: %w (list leftovers with `docker ps -a --filter label=%s=%s`)", cerr, labelStack, p.StackID))
		}
	}()

	netOpts := []tcnetwork.NetworkCustomizer{tcnetwork.WithLabels(p.labels())}
	t.net, err = tcnetwork.New(ctx, netOpts...)
	if err != nil {
		return info, fmt.Errorf("docker target: create network: %w", classify("network", "", err))
	}

	step := time.Now()
	t.log.Info("docker: starting MySQL", "image", p.MySQLImage)
	t.mysql, err = tcmysql.Run(ctx, p.MySQLImage, p.mysqlCustomizers(t.net.Name, tcl)...)
	if err != nil {
		return info, fmt.Errorf("docker target: MySQL: %w", classify("mysql", p.MySQLImage, err))
	}
	port, err := t.mysql.MappedPort(ctx, "3306/tcp")
	if err != nil {
		return info, fmt.Errorf("docker target: MySQL port: %w", err)
	}
	t.backend = "127.0.0.1:" + port.Port()
	t.log.Info("docker: MySQL ready", "elapsed", time.Since(step).Round(time.Second), "addr", t.backend)

	if p.RedisImage != "" {
		step = time.Now()
		t.redis, err = tcredis.Run(ctx, p.RedisImage, p.redisCustomizers(t.net.Name, tcl)...)
		if err != nil {
			return info, fmt.Errorf("docker target: Redis: %w", classify("redis", p.RedisImage, err))
		}
		rport, err := t.redis.MappedPort(ctx, "6379/tcp")
		if err != nil {
			return info, fmt.Errorf("docker target: Redis port: %w", err)
		}
		t.redisAddr = "127.0.0.1:" + rport.Port()
		if p.RedisAddr != "" {
			t.redisAddr = p.RedisAddr
		}
		t.log.Info("docker: Redis ready", "elapsed", time.Since(step).Round(time.Second), "addr", t.redisAddr)
	}

	step = time.Now()
	t.log.Info("docker: installing PrestaShop with its demo catalogue (typically 3-10 minutes)", "image", p.PrestaShopImage,
		"url", p.BaseURL(), "timeout", p.InstallTimeout)
	t.shop, err = testcontainers.GenericContainer(ctx, p.prestashopRequest(t.net.Name, tcl, t.log))
	if err != nil {
		return info, fmt.Errorf("docker target: PrestaShop: %w", classify("prestashop", p.PrestaShopImage, err))
	}
	t.log.Info("docker: PrestaShop installed", "elapsed", time.Since(step).Round(time.Second))

	if err := t.pointAt(ctx, proxyHost, p.ProxyPort); err != nil {
		return info, fmt.Errorf("docker target: point the shop at the proxy: %w", err)
	}
	t.repointed = true
	t.log.Info("docker: the shop's database settings now point at the proxy", "shop_sees", fmt.Sprintf("%s:%d", proxyHost, p.ProxyPort),
		"proxy_listen", p.ProxyListen(), "backend", t.backend)

	if err := t.openDB(ctx); err != nil {
		return info, err
	}
	_ = t.db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&info.DBVersion)
	var psVersion string
	q := fmt.Sprintf("SELECT value FROM `%sconfiguration` WHERE name = 'PS_VERSION_DB' LIMIT 1", tablePrefix)
	if t.db.QueryRowContext(ctx, q).Scan(&psVersion) == nil {
		info.ShopVersion = "PrestaShop " + psVersion
	}
	if info.DBVersion != "" {
		info.DBVersion = "MySQL " + info.DBVersion
	}
	t.log.Info("docker: stack ready", "elapsed", time.Since(began).Round(time.Second), "shop", info.ShopVersion, "db", info.DBVersion)
	return info, nil
}

// pointAt rewrites the shop's database host and port, then clears its
// compiled caches so the next request connects there.
func (t *Target) pointAt(ctx context.Context, host string, port int) error {
	if out, err := t.exec(ctx, repointCommand(host, port)); err != nil {
		return fmt.Errorf("rewrite app/config/parameters.php: %w: %s", err, out)
	}
	if out, err := t.exec(ctx, clearCacheCommand()); err != nil {
		return fmt.Errorf("clear the shop's caches: %w: %s", err, out)
	}
	return nil
}

// exec runs cmd in the shop container and returns its output.
func (t *Target) exec(ctx context.Context, cmd []string) (string, error) {
	code, r, err := t.shop.Exec(ctx, cmd, tcexec.Multiplexed())
	var out []byte
	if r != nil {
		out, _ = io.ReadAll(io.LimitReader(r, 64<<10))
	}
	if err != nil {
		return string(out), err
	}
	if code != 0 {
		return strings.TrimSpace(string(out)), fmt.Errorf("%s exited with %d", cmd[0], code)
	}
	return strings.TrimSpace(string(out)), nil
}

func (t *Target) openDB(ctx context.Context) error {
	mc := mysql.NewConfig()
	mc.Net, mc.Addr, mc.User, mc.Passwd, mc.DBName = "tcp", t.backend, dbUser, t.plan.DBPassword, dbName
	mc.Timeout, mc.ReadTimeout = 5*time.Second, 30*time.Second
	connector, err := mysql.NewConnector(mc)
	if err != nil {
		return fmt.Errorf("docker target: discovery DSN: %w", err)
	}
	t.db = sql.OpenDB(connector)
	t.db.SetMaxOpenConns(2)
	if err := t.db.PingContext(ctx); err != nil {
		return fmt.Errorf("docker target: MySQL at %s: %w", t.backend, err)
	}
	return nil
}

// BaseURL is the storefront on the host: http://127.0.0.1:<port>.
func (t *Target) BaseURL() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.plan.BaseURL()
}

// Backend is MySQL's published port; the proxy forwards there.
func (t *Target) Backend() target.Backend {
	t.mu.Lock()
	defer t.mu.Unlock()
	return target.Backend{Addr: t.backend, User: dbUser, Password: t.plan.DBPassword, Database: dbName}
}

// ProxyListen is the loopback address the shop's settings point at
// (through the host-access tunnel).
func (t *Target) ProxyListen() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.plan.ProxyListen()
}

// RedisAddr is the Redis container's host address ("" without Redis).
func (t *Target) RedisAddr() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.redisAddr
}

// Pages discovers pages from the shop's database: active products,
// active categories holding products, CMS pages, the home page. URLs use
// PrestaShop's non-friendly form (redirected when friendly URLs are on).
func (t *Target) Pages(ctx context.Context, kind string, n int) ([]string, error) {
	t.mu.Lock()
	db, base := t.db, t.plan.BaseURL()
	t.mu.Unlock()
	if db == nil {
		return nil, errors.New("docker target: Pages before Start")
	}
	q, format, err := discoveryQuery(kind, n)
	if err != nil {
		return nil, err
	}
	if q == "" {
		return []string{base + "/"}, nil
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("docker target: discover %s pages: %w", kind, err)
	}
	defer rows.Close()
	var urls []string
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("docker target: discover %s pages: %w", kind, err)
		}
		urls = append(urls, base+fmt.Sprintf(format, id))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("docker target: discover %s pages: %w", kind, err)
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("docker target: no %s pages in the demo catalogue (database %s, prefix %s)", kind, dbName, tablePrefix)
	}
	return urls, nil
}

// discoveryQuery is the SQL and URL format of one page kind ("" SQL for
// the home page).
func discoveryQuery(kind string, n int) (q, format string, err error) {
	p := tablePrefix
	switch kind {
	case "product":
		return fmt.Sprintf("SELECT id_product FROM `%sproduct` WHERE active = 1 ORDER BY id_product LIMIT %d", p, n),
			"/index.php?controller=product&id_product=%d", nil
	case "category":
		return fmt.Sprintf("SELECT c.id_category FROM `%scategory` c WHERE c.active = 1 AND c.is_root_category = 0 AND c.id_parent > 1 "+
				"AND EXISTS (SELECT 1 FROM `%scategory_product` cp WHERE cp.id_category = c.id_category) ORDER BY c.id_category LIMIT %d", p, p, n),
			"/index.php?controller=category&id_category=%d", nil
	case "cms":
		return fmt.Sprintf("SELECT id_cms FROM `%scms` WHERE active = 1 ORDER BY id_cms LIMIT %d", p, n),
			"/index.php?controller=cms&id_cms=%d", nil
	case "home":
		return "", "", nil
	}
	return "", "", fmt.Errorf("docker target: discover %q pages: %w (list its urls in the scenario)", kind, target.ErrUnknownKind)
}

// ResetAppCaches wipes PrestaShop's own compiled caches (var/cache), the
// "app-cold" state; the next request rebuilds them through the proxy.
func (t *Target) ResetAppCaches(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.shop == nil {
		return errors.New("docker target: ResetAppCaches before Start")
	}
	if out, err := t.exec(ctx, []string{"sh", "-c", "rm -rf " + shopRoot + "/var/cache/prod " + shopRoot + "/var/cache/dev"}); err != nil {
		return fmt.Errorf("docker target: clear the shop's caches: %w: %s", err, out)
	}
	return nil
}

// Stop removes the stack; safe to call twice. With keep, the shop is
// pointed back at MySQL directly (the proxy and its tunnel end with
// psbench) and the addresses are printed instead.
func (t *Target) Stop(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.db != nil {
		_ = t.db.Close()
		t.db = nil
	}
	if t.plan.Keep && t.shop != nil {
		var err error
		if t.repointed {
			if err = t.pointAt(ctx, dbAlias, dbPort); err != nil {
				err = fmt.Errorf("docker target: point the kept shop back at MySQL: %w", err)
			}
			t.repointed = false
		}
		fmt.Fprint(t.opts.out, t.keptMessage())
		t.shop, t.mysql, t.redis, t.net = nil, nil, nil, nil
		return err
	}
	return t.terminate(ctx)
}

// keptMessage tells how to reach a kept stack.
func (t *Target) keptMessage() string {
	p := t.plan
	var b strings.Builder
	fmt.Fprintf(&b, "psbench: kept the docker stack %s (the shop talks to MySQL directly again)\n", p.StackID)
	fmt.Fprintf(&b, "  shop:        %s/\n", p.BaseURL())
	fmt.Fprintf(&b, "  back office: %s/%s/  (login %s / %s)\n", p.BaseURL(), adminFolder, adminMail, p.AdminPassword)
	host, port, _ := splitHostPort(t.backend)
	fmt.Fprintf(&b, "  database:    mysql -h%s -P%d -u%s -p%s %s\n", host, port, dbUser, p.DBPassword, dbName)
	if t.redisAddr != "" {
		fmt.Fprintf(&b, "  redis:       redis-cli -h %s -p %s\n", strings.Split(t.redisAddr, ":")[0], portOf(t.redisAddr))
	}
	fmt.Fprintf(&b, "  remove with: docker rm -f $(docker ps -aq --filter label=%s=%s) && docker network prune -f --filter label=%s=%s\n",
		labelStack, p.StackID, labelStack, p.StackID)
	return b.String()
}

// terminate removes the containers (the shop first: that also closes the
// host-access tunnel) and the network.
func (t *Target) terminate(ctx context.Context) error {
	var errs []error
	if t.shop != nil {
		errs = append(errs, testcontainers.TerminateContainer(t.shop, testcontainers.StopContext(ctx)))
		t.shop = nil
	}
	if t.redis != nil {
		errs = append(errs, testcontainers.TerminateContainer(t.redis, testcontainers.StopContext(ctx)))
		t.redis = nil
	}
	if t.mysql != nil {
		errs = append(errs, testcontainers.TerminateContainer(t.mysql, testcontainers.StopContext(ctx)))
		t.mysql = nil
	}
	if t.net != nil {
		errs = append(errs, t.net.Remove(ctx))
		t.net = nil
	}
	return errors.Join(errs...)
}

// checkFree reports whether addr can be listened on right now.
func checkFree(addr string) error {
	ln, err := listen(addr)
	if err != nil {
		return err
	}
	return ln.Close()
}

func portOf(addr string) string {
	_, p, _ := splitHostPort(addr)
	return strconv.Itoa(p)
}
