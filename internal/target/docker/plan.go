package docker

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/psbench/psbench/internal/scenario"
	"github.com/testcontainers/testcontainers-go"
	tcmysql "github.com/testcontainers/testcontainers-go/modules/mysql"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// The stack's fixed names. The shop's admin and install folders are renamed
// by the image's entrypoint (PS_FOLDER_ADMIN / PS_FOLDER_INSTALL).
const (
	dbAlias       = "mysql" // MySQL's name on the stack's network
	dbPort        = 3306
	dbName        = "prestashop"
	dbUser        = "prestashop"
	tablePrefix   = "ps_"
	adminFolder   = "admin-psbench"
	installFolder = "install-psbench"
	adminMail     = "demo@prestashop.com"
	redisImage    = "redis:7-alpine"
	shopRoot      = "/var/www/html"

	// productProbe is the demo catalogue's first product: the install is
	// finished when it answers 200.
	productProbe = "/index.php?controller=product&id_product=1"

	// proxyHost is how the PrestaShop container reaches the harness's
	// in-process proxy: testcontainers' host-port access (an SSH tunnel
	// through a sidecar container) answers under this name.
	proxyHost = testcontainers.HostInternal

	// labelStack marks every container and network of one stack.
	labelStack = "psbench.stack"
	// Testcontainers' reaper (Ryuk) removes what carries its session
	// labels when psbench exits; kept stacks drop them.
	labelTCSession = "org.testcontainers.sessionId"
	labelTCReap    = "org.testcontainers.reap"
)

// DefaultInstallTimeout bounds PrestaShop's automatic install (override
// with PSBENCH_DOCKER_INSTALL_TIMEOUT, e.g. 30m).
const DefaultInstallTimeout = 20 * time.Minute

// mysqlReadyTimeout bounds MySQL's first start (data directory init).
const mysqlReadyTimeout = 3 * time.Minute

// ErrNodes is returned for nodes > 1.
var ErrNodes = errors.New("not yet supported by the harness")

// plan is everything the containers are built from: the scenario block
// plus the choices Start makes (ports, passwords). Building requests from a
// plan is pure, so it is unit-tested without an engine.
type plan struct {
	StackID         string
	PrestaShopImage string
	MySQLImage      string
	MySQLVersion    string
	// RedisImage is empty without Redis. RedisAddr is the host address
	// its port is published on ("" = a random loopback port).
	RedisImage string
	RedisAddr  string
	DBPassword string
	// AdminPassword is the back office login (ADMIN_MAIL / ADMIN_PASSWD).
	AdminPassword string
	// ShopPort is the loopback port the storefront is published on; the
	// shop's domain (PS_DOMAIN) is 127.0.0.1:ShopPort, so URLs match.
	ShopPort int
	// ProxyPort is the loopback port the harness's proxy listens on,
	// reachable from the shop as proxyHost:ProxyPort.
	ProxyPort      int
	InstallTimeout time.Duration
	Keep           bool
}

// newPlan checks the scenario block and fixes the stack's choices. ports
// returns free loopback ports; secret returns random passwords.
func newPlan(cfg scenario.Docker, o options, ports func() (int, error), secret func() string) (plan, error) {
	if cfg.Nodes > 1 {
		return plan{}, fmt.Errorf("target.docker.nodes: %d nodes are %w: psbench runs one proxy in front of one shop, "+
			"so only nodes: 1 is measured today (N nodes need N proxies, each with its local cache, in front of the shared MySQL). "+
			"Fix: set nodes: 1", cfg.Nodes, ErrNodes)
	}
	p := plan{
		StackID:         secret()[:12],
		PrestaShopImage: strings.TrimSpace(cfg.PrestaShopImage),
		MySQLVersion:    strings.TrimSpace(cfg.MySQLVersion),
		DBPassword:      secret(),
		AdminPassword:   "Ps" + secret(),
		InstallTimeout:  o.installTimeout,
		Keep:            cfg.Keep,
		RedisAddr:       o.redisAddr,
	}
	if p.PrestaShopImage == "" {
		p.PrestaShopImage = scenario.DefaultDockerImage
	}
	if p.MySQLVersion == "" {
		p.MySQLVersion = scenario.DefaultDockerMySQL
	}
	if strings.ContainsAny(p.PrestaShopImage, " \t\n") {
		return plan{}, fmt.Errorf("target.docker.prestashop_image %q is not an image reference (expected e.g. %s)", p.PrestaShopImage, scenario.DefaultDockerImage)
	}
	if strings.ContainsAny(p.MySQLVersion, " \t\n:/@") {
		return plan{}, fmt.Errorf("target.docker.mysql_version %q is not a mysql image tag (expected e.g. 8.0 or 8.4)", p.MySQLVersion)
	}
	p.MySQLImage = "mysql:" + p.MySQLVersion
	if cfg.Redis {
		p.RedisImage = redisImage
		if p.RedisAddr != "" {
			if _, _, err := splitHostPort(p.RedisAddr); err != nil {
				return plan{}, fmt.Errorf("cache.redis.addr %q: %w", p.RedisAddr, err)
			}
		}
	} else {
		p.RedisAddr = ""
	}
	if p.InstallTimeout <= 0 {
		p.InstallTimeout = DefaultInstallTimeout
	}
	var err error
	if p.ShopPort, err = ports(); err != nil {
		return plan{}, fmt.Errorf("pick a free port for the storefront: %w", err)
	}
	if p.ProxyPort, err = ports(); err != nil {
		return plan{}, fmt.Errorf("pick a free port for the proxy: %w", err)
	}
	if p.ShopPort == p.ProxyPort {
		return plan{}, fmt.Errorf("pick free ports: got %d twice", p.ShopPort)
	}
	return p, nil
}

// BaseURL is the storefront's URL on the host.
func (p plan) BaseURL() string { return "http://127.0.0.1:" + strconv.Itoa(p.ShopPort) }

// ProxyListen is where the harness's proxy listens: loopback only; the
// tunnel dials it from this process's side.
func (p plan) ProxyListen() string { return "127.0.0.1:" + strconv.Itoa(p.ProxyPort) }

// labels marks a stack's containers.
func (p plan) labels() map[string]string {
	return map[string]string{labelStack: p.StackID}
}

// MySQLArgs is the mysqld command line of the stack's MySQL (also used
// by docker/compose.yaml). It makes MySQL accept mysql_native_password, which PrestaShop's
// image (its MariaDB client waits for the database) and the proxy's
// default client auth speak. 8.0 switches the default plugin; 8.4 has the
// plugin off by default; 9.x removed it (its default applies).
func MySQLArgs(version string) []string {
	major, minor := versionNumbers(version)
	switch {
	case major == 8 && minor < 4:
		return []string{"mysqld", "--default-authentication-plugin=mysql_native_password"}
	case major == 8:
		return []string{"mysqld", "--mysql-native-password=ON", "--authentication-policy=mysql_native_password,,"}
	}
	return []string{"mysqld"}
}

// versionNumbers parses "8.0", "8.4.3", "8.0-debian" into 8, 0.
func versionNumbers(v string) (int, int) {
	v, _, _ = strings.Cut(v, "-")
	parts := strings.Split(v, ".")
	major, _ := strconv.Atoi(parts[0])
	minor := 0
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	return major, minor
}

// loopbackBinding publishes container ports on 127.0.0.1 only (a random
// host port when hostPort is ""), never on every interface.
func loopbackBinding(ports map[string]string) func(*container.HostConfig) {
	return func(hc *container.HostConfig) {
		if hc.PortBindings == nil {
			hc.PortBindings = network.PortMap{}
		}
		for cport, hport := range ports {
			hc.PortBindings[network.MustParsePort(cport)] = []network.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: hport}}
		}
	}
}

// bindingTo publishes one container port on an exact host address.
func bindingTo(cport, addr string) func(*container.HostConfig) {
	return func(hc *container.HostConfig) {
		host, port, _ := splitHostPort(addr)
		ip, err := netip.ParseAddr(host)
		if err != nil {
			ip = netip.MustParseAddr("127.0.0.1")
		}
		if hc.PortBindings == nil {
			hc.PortBindings = network.PortMap{}
		}
		hc.PortBindings[network.MustParsePort(cport)] = []network.PortBinding{{HostIP: ip, HostPort: strconv.Itoa(port)}}
	}
}

// keepLabels takes a kept container out of the reaper's reach: Ryuk
// removes what carries this session's labels when psbench exits.
func keepLabels(cfg *container.Config) {
	delete(cfg.Labels, labelTCReap)
	cfg.Labels[labelTCSession] = "psbench-keep"
	cfg.Labels["psbench.keep"] = "true"
}

// commonCustomizers are the options of every container of the stack.
func (p plan) commonCustomizers(tclog *tcLogger) []testcontainers.ContainerCustomizer {
	opts := []testcontainers.ContainerCustomizer{testcontainers.WithLogger(tclog), testcontainers.WithLabels(p.labels())}
	if p.Keep {
		opts = append(opts, testcontainers.WithConfigModifier(keepLabels))
	}
	return opts
}

// mysqlCustomizers configures modules/mysql: the prestashop database and
// login, native-password auth, an alias on the stack's network, loopback
// publishing and the readiness wait.
func (p plan) mysqlCustomizers(networkName string, tclog *tcLogger) []testcontainers.ContainerCustomizer {
	opts := p.commonCustomizers(tclog)
	return append(opts,
		tcmysql.WithDatabase(dbName),
		tcmysql.WithUsername(dbUser),
		tcmysql.WithPassword(p.DBPassword),
		tcnetwork.WithNetworkName([]string{dbAlias}, networkName),
		testcontainers.WithCmd(MySQLArgs(p.MySQLVersion)...),
		testcontainers.WithHostConfigModifier(loopbackBinding(map[string]string{"3306/tcp": "", "33060/tcp": ""})),
		testcontainers.WithWaitStrategyAndDeadline(mysqlReadyTimeout,
			// The entrypoint first runs a temporary server without
			// networking (port: 0); the real one logs port: 3306.
			wait.ForLog("port: 3306  MySQL Community Server").WithStartupTimeout(mysqlReadyTimeout),
			wait.ForListeningPort("3306/tcp").WithStartupTimeout(mysqlReadyTimeout),
		),
	)
}

// redisCustomizers configures modules/redis: published on RedisAddr (the
// scenario's cache.redis.addr, where the harness's proxy looks) or on a
// random loopback port.
func (p plan) redisCustomizers(networkName string, tclog *tcLogger) []testcontainers.ContainerCustomizer {
	opts := p.commonCustomizers(tclog)
	bind := loopbackBinding(map[string]string{"6379/tcp": ""})
	if p.RedisAddr != "" {
		bind = bindingTo("6379/tcp", p.RedisAddr)
	}
	return append(opts,
		tcnetwork.WithNetworkName([]string{"redis"}, networkName),
		testcontainers.WithHostConfigModifier(bind),
	)
}

// prestashopEnv is the official image's automatic install: demo catalogue,
// installed against MySQL directly on the stack's network.
func (p plan) prestashopEnv() map[string]string {
	return map[string]string{
		"PS_INSTALL_AUTO":          "1",
		"PS_ERASE_DB":              "0",
		"PS_INSTALL_DB":            "0", // modules/mysql created it
		"DB_SERVER":                dbAlias,
		"DB_PORT":                  strconv.Itoa(dbPort),
		"DB_NAME":                  dbName,
		"DB_USER":                  dbUser,
		"DB_PASSWD":                p.DBPassword,
		"DB_PREFIX":                tablePrefix,
		"PS_DOMAIN":                "127.0.0.1:" + strconv.Itoa(p.ShopPort),
		"PS_FOLDER_ADMIN":          adminFolder,
		"PS_FOLDER_INSTALL":        installFolder,
		"PS_DEV_MODE":              "0",
		"PS_DEMO_MODE":             "0",
		"PS_ENABLE_SSL":            "0",
		"PS_HANDLE_DYNAMIC_DOMAIN": "0",
		"PS_ALL_LANGUAGES":         "0",
		"ADMIN_MAIL":               adminMail,
		"ADMIN_PASSWD":             p.AdminPassword,
		"PS_LANGUAGE":              "en",
		"PS_COUNTRY":               "GB",
	}
}

// prestashopRequest is the shop container: the official image installing
// itself against MySQL, its storefront published on 127.0.0.1:ShopPort,
// and host access to ProxyPort (the tunnel opens once the wait passes).
func (p plan) prestashopRequest(networkName string, tclog *tcLogger, progress *slog.Logger) testcontainers.GenericContainerRequest {
	req := testcontainers.ContainerRequest{
		Image:              p.PrestaShopImage,
		Env:                p.prestashopEnv(),
		ExposedPorts:       []string{"80/tcp"},
		Labels:             p.labels(),
		Networks:           []string{networkName},
		NetworkAliases:     map[string][]string{networkName: {"prestashop"}},
		HostAccessPorts:    []int{p.ProxyPort},
		HostConfigModifier: loopbackBinding(map[string]string{"80/tcp": strconv.Itoa(p.ShopPort)}),
		WaitingFor:         newInstallWait(p.BaseURL()+productProbe, p.InstallTimeout, progress),
	}
	if p.Keep {
		req.ConfigModifier = keepLabels
	}
	return testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true, Logger: tclog}
}

// phpString quotes s as a PHP double-quoted string literal.
func phpString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`)
	return `"` + r.Replace(s) + `"`
}

// repointCommand rewrites the shop's database host and port in
// app/config/parameters.php (PrestaShop reads it on the next request when
// its mtime changes; the Symfony container cache is cleared separately).
func repointCommand(host string, port int) []string {
	return repointCommandFor(shopRoot+"/app/config/parameters.php", host, port)
}

func repointCommandFor(file, host string, port int) []string {
	code := `$f = ` + phpString(file) + `; $c = require $f; ` +
		`$c["parameters"]["database_host"] = ` + phpString(host) + `; ` +
		`$c["parameters"]["database_port"] = ` + phpString(strconv.Itoa(port)) + `; ` +
		`if (file_put_contents($f, "<?php return " . var_export($c, true) . ";\n") === false) { exit(1); } ` +
		`echo $c["parameters"]["database_host"], ":", $c["parameters"]["database_port"], "\n";`
	return []string{"php", "-r", code}
}

// clearCacheCommand empties PrestaShop's Symfony/Smarty caches (they hold
// the compiled database parameters) and reloads the web server so PHP's
// opcache forgets the old compiled files.
func clearCacheCommand() []string {
	return []string{"sh", "-c", "rm -rf " + shopRoot + "/var/cache/prod " + shopRoot + "/var/cache/dev && " +
		"if command -v apache2ctl >/dev/null 2>&1; then apache2ctl -k graceful; else kill -USR2 1; fi"}
}

// splitHostPort parses host:port with a numeric port.
func splitHostPort(addr string) (string, int, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not a number from 1 to 65535", ps)
	}
	return host, port, nil
}

// freePort returns a TCP port nothing listens on at 127.0.0.1 right now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// randomSecret is 24 hex characters: safe unquoted in the image's shell
// scripts (mysql -p$DB_PASSWD).
func randomSecret() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
