package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/psbench/psbench/internal/scenario"
	"github.com/psbench/psbench/internal/target"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
	"github.com/testcontainers/testcontainers-go/wait"
)

// fixedPorts hands out 41001, 41002, ...
func fixedPorts() func() (int, error) {
	n := 41000
	return func() (int, error) { n++; return n, nil }
}

func fixedSecret() func() string {
	i := 0
	return func() string { i++; return fmt.Sprintf("%024x", i) }
}

func testPlan(t *testing.T, cfg scenario.Docker, o options) plan {
	t.Helper()
	p, err := newPlan(cfg, o, fixedPorts(), fixedSecret())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// apply runs customizers on a request the way testcontainers.Run does.
func apply(t *testing.T, img string, opts []testcontainers.ContainerCustomizer) testcontainers.GenericContainerRequest {
	t.Helper()
	req := testcontainers.GenericContainerRequest{ContainerRequest: testcontainers.ContainerRequest{Image: img, Env: map[string]string{}}, Started: true}
	for _, o := range opts {
		if err := o.Customize(&req); err != nil {
			t.Fatal(err)
		}
	}
	return req
}

func bindings(modify func(*container.HostConfig)) map[string]string {
	hc := &container.HostConfig{}
	modify(hc)
	out := map[string]string{}
	for p, bs := range hc.PortBindings {
		for _, b := range bs {
			out[p.String()] = b.HostIP.String() + ":" + b.HostPort
		}
	}
	return out
}

func TestPlanDefaults(t *testing.T) {
	p := testPlan(t, scenario.DefaultDocker(), options{})
	if p.PrestaShopImage != "prestashop/prestashop:8.1" || p.MySQLImage != "mysql:8.0" || p.RedisImage != "" {
		t.Fatalf("images: %+v", p)
	}
	if p.ShopPort != 41001 || p.ProxyPort != 41002 {
		t.Fatalf("ports: shop %d proxy %d", p.ShopPort, p.ProxyPort)
	}
	if p.BaseURL() != "http://127.0.0.1:41001" || p.ProxyListen() != "127.0.0.1:41002" {
		t.Fatalf("urls: %s %s", p.BaseURL(), p.ProxyListen())
	}
	if p.InstallTimeout != DefaultInstallTimeout || p.DBPassword == "" || p.AdminPassword == "" || len(p.StackID) != 12 {
		t.Fatalf("plan: %+v", p)
	}
	// Empty fields fall back to the defaults too (a hand-built scenario.Docker).
	p = testPlan(t, scenario.Docker{Redis: true}, options{redisAddr: "127.0.0.1:6380", installTimeout: time.Minute})
	if p.MySQLImage != "mysql:8.0" || p.RedisImage != redisImage || p.RedisAddr != "127.0.0.1:6380" || p.InstallTimeout != time.Minute {
		t.Fatalf("plan: %+v", p)
	}
	// A Redis address without Redis is ignored.
	if p := testPlan(t, scenario.Docker{}, options{redisAddr: "127.0.0.1:6380"}); p.RedisAddr != "" {
		t.Fatalf("redis addr without redis: %q", p.RedisAddr)
	}
}

func TestPlanRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  scenario.Docker
		o    options
		want string
	}{
		{"nodes", scenario.Docker{Nodes: 3}, options{}, "not yet supported by the harness"},
		{"mysql tag", scenario.Docker{MySQLVersion: "mysql:8.0"}, options{}, "is not a mysql image tag"},
		{"image", scenario.Docker{PrestaShopImage: "presta shop"}, options{}, "is not an image reference"},
		{"redis addr", scenario.Docker{Redis: true}, options{redisAddr: "nowhere"}, "cache.redis.addr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newPlan(tc.cfg, tc.o, fixedPorts(), fixedSecret())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	_, err := newPlan(scenario.Docker{Nodes: 2}, options{}, fixedPorts(), fixedSecret())
	if !errors.Is(err, ErrNodes) || !strings.Contains(err.Error(), "set nodes: 1") {
		t.Fatalf("nodes error: %v", err)
	}
}

func TestMySQLArgs(t *testing.T) {
	for v, want := range map[string]string{
		"8.0":        "mysqld --default-authentication-plugin=mysql_native_password",
		"8.0.36":     "mysqld --default-authentication-plugin=mysql_native_password",
		"8.0-debian": "mysqld --default-authentication-plugin=mysql_native_password",
		"8.4":        "mysqld --mysql-native-password=ON --authentication-policy=mysql_native_password,,",
		"8.4.3":      "mysqld --mysql-native-password=ON --authentication-policy=mysql_native_password,,",
		"9.1":        "mysqld",
		"lts":        "mysqld",
	} {
		if got := strings.Join(MySQLArgs(v), " "); got != want {
			t.Errorf("MySQLArgs(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestMySQLRequest(t *testing.T) {
	for _, version := range []string{"8.0", "8.4"} {
		cfg := scenario.DefaultDocker()
		cfg.MySQLVersion = version
		p := testPlan(t, cfg, options{})
		req := apply(t, p.MySQLImage, p.mysqlCustomizers("psbench-net", &tcLogger{log: discard()}))
		if req.Image != "mysql:"+version {
			t.Errorf("image %q", req.Image)
		}
		for k, want := range map[string]string{"MYSQL_DATABASE": "prestashop", "MYSQL_USER": "prestashop", "MYSQL_PASSWORD": p.DBPassword} {
			if req.Env[k] != want {
				t.Errorf("%s = %q, want %q", k, req.Env[k], want)
			}
		}
		if len(req.Networks) != 1 || req.Networks[0] != "psbench-net" || strings.Join(req.NetworkAliases["psbench-net"], ",") != "mysql" {
			t.Errorf("networks %v aliases %v", req.Networks, req.NetworkAliases)
		}
		if strings.Join(req.Cmd, " ") != strings.Join(MySQLArgs(version), " ") {
			t.Errorf("cmd %v", req.Cmd)
		}
		if b := bindings(req.HostConfigModifier); b["3306/tcp"] != "127.0.0.1:" || b["33060/tcp"] != "127.0.0.1:" {
			t.Errorf("bindings %v (want loopback, random port)", b)
		}
		ms, ok := req.WaitingFor.(*wait.MultiStrategy)
		if !ok || len(ms.Strategies) != 2 {
			t.Fatalf("wait %T %v", req.WaitingFor, req.WaitingFor)
		}
		if ls, ok := ms.Strategies[0].(*wait.LogStrategy); !ok || ls.Log != "port: 3306  MySQL Community Server" {
			t.Errorf("wait[0] = %v", ms.Strategies[0])
		}
		if _, ok := ms.Strategies[1].(*wait.HostPortStrategy); !ok {
			t.Errorf("wait[1] = %T", ms.Strategies[1])
		}
		if req.Labels[labelStack] != p.StackID || req.Logger == nil {
			t.Errorf("labels %v logger %v", req.Labels, req.Logger)
		}
		if req.ConfigModifier != nil {
			t.Errorf("a stack that is not kept must keep the reaper's labels")
		}
	}
}

func TestKeepDropsReaperLabels(t *testing.T) {
	cfg := scenario.DefaultDocker()
	cfg.Keep = true
	p := testPlan(t, cfg, options{})
	for name, req := range map[string]testcontainers.GenericContainerRequest{
		"mysql":      apply(t, p.MySQLImage, p.mysqlCustomizers("n", &tcLogger{log: discard()})),
		"prestashop": p.prestashopRequest("n", &tcLogger{log: discard()}, discard()),
	} {
		c := &container.Config{Labels: map[string]string{labelTCReap: "true", labelTCSession: "abc", labelStack: p.StackID}}
		req.ConfigModifier(c)
		if _, ok := c.Labels[labelTCReap]; ok || c.Labels[labelTCSession] == "abc" || c.Labels[labelStack] != p.StackID {
			t.Errorf("%s: kept labels %v", name, c.Labels)
		}
	}
}

func TestPrestaShopRequest(t *testing.T) {
	p := testPlan(t, scenario.DefaultDocker(), options{installTimeout: 7 * time.Minute})
	req := p.prestashopRequest("psbench-net", &tcLogger{log: discard()}, discard())
	if req.Image != "prestashop/prestashop:8.1" || !req.Started {
		t.Fatalf("image %q started %v", req.Image, req.Started)
	}
	want := map[string]string{
		"PS_INSTALL_AUTO": "1", "DB_SERVER": "mysql", "DB_PORT": "3306", "DB_NAME": "prestashop", "DB_USER": "prestashop",
		"DB_PASSWD": p.DBPassword, "DB_PREFIX": "ps_", "PS_DOMAIN": "127.0.0.1:41001", "PS_FOLDER_ADMIN": "admin-psbench",
		"PS_FOLDER_INSTALL": "install-psbench", "PS_DEV_MODE": "0", "ADMIN_MAIL": "demo@prestashop.com",
		"ADMIN_PASSWD": p.AdminPassword, "PS_LANGUAGE": "en", "PS_COUNTRY": "GB",
	}
	for k, v := range want {
		if req.Env[k] != v {
			t.Errorf("env %s = %q, want %q", k, req.Env[k], v)
		}
	}
	if strings.Join(req.ExposedPorts, ",") != "80/tcp" {
		t.Errorf("exposed %v", req.ExposedPorts)
	}
	if b := bindings(req.HostConfigModifier); b["80/tcp"] != "127.0.0.1:41001" {
		t.Errorf("bindings %v", b)
	}
	if len(req.HostAccessPorts) != 1 || req.HostAccessPorts[0] != p.ProxyPort {
		t.Errorf("host access %v, want the proxy port %d", req.HostAccessPorts, p.ProxyPort)
	}
	if len(req.Networks) != 1 || req.Networks[0] != "psbench-net" {
		t.Errorf("networks %v", req.Networks)
	}
	w, ok := req.WaitingFor.(*installWait)
	if !ok {
		t.Fatalf("wait %T", req.WaitingFor)
	}
	if w.url != "http://127.0.0.1:41001/index.php?controller=product&id_product=1" || *w.Timeout() != 7*time.Minute {
		t.Errorf("wait %s", w)
	}
	if req.Labels[labelStack] != p.StackID || req.Logger == nil || req.ConfigModifier != nil {
		t.Errorf("labels %v", req.Labels)
	}
	// The shop installs against MySQL, never through the proxy (the
	// tunnel only opens after this wait).
	if strings.Contains(fmt.Sprint(req.Env), proxyHost) {
		t.Errorf("the install must not use the proxy host: %v", req.Env)
	}
}

func TestRedisRequest(t *testing.T) {
	cfg := scenario.DefaultDocker()
	cfg.Redis = true
	p := testPlan(t, cfg, options{})
	req := apply(t, p.RedisImage, p.redisCustomizers("n", &tcLogger{log: discard()}))
	if b := bindings(req.HostConfigModifier); b["6379/tcp"] != "127.0.0.1:" {
		t.Errorf("random loopback binding: %v", b)
	}
	p = testPlan(t, cfg, options{redisAddr: "127.0.0.1:6390"})
	req = apply(t, p.RedisImage, p.redisCustomizers("n", &tcLogger{log: discard()}))
	if b := bindings(req.HostConfigModifier); b["6379/tcp"] != "127.0.0.1:6390" {
		t.Errorf("cache.redis.addr binding: %v", b)
	}
	if req.Networks[0] != "n" || req.Labels[labelStack] != p.StackID {
		t.Errorf("req %+v", req.ContainerRequest)
	}
}

// TestRepointCommand runs the rewrite against a parameters.php shaped like
// PrestaShop 8's, with the machine's php.
func TestRepointCommand(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("php is not installed: the rewrite is checked where php exists (apt-get install php-cli)")
	}
	f := filepath.Join(t.TempDir(), "parameters.php")
	orig := `<?php return array (
  'parameters' =>
  array (
    'database_host' => 'mysql',
    'database_port' => '3306',
    'database_name' => 'prestashop',
    'database_user' => 'prestashop',
    'database_password' => 'secret$1"x',
    'database_prefix' => 'ps_',
    'secret' => 'abc',
  ),
);
`
	if err := os.WriteFile(f, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := repointCommandFor(f, proxyHost, 40123)
	out, err := exec.Command(php, cmd[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if strings.TrimSpace(string(out)) != proxyHost+":40123" {
		t.Fatalf("output %q", out)
	}
	check := `$c = require "` + f + `"; echo $c["parameters"]["database_host"], "|", $c["parameters"]["database_port"], "|", $c["parameters"]["database_password"], "|", $c["parameters"]["database_name"];`
	out, err = exec.Command(php, "-r", check).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := string(out); got != proxyHost+`|40123|secret$1"x|prestashop` {
		t.Fatalf("rewritten parameters: %q", got)
	}
	if cmd := repointCommand(dbAlias, dbPort); cmd[0] != "php" || !strings.Contains(cmd[2], "/var/www/html/app/config/parameters.php") {
		t.Fatalf("repoint command %v", cmd)
	}
}

func TestClearCacheCommand(t *testing.T) {
	c := strings.Join(clearCacheCommand(), " ")
	for _, want := range []string{"/var/www/html/var/cache/prod", "apache2ctl -k graceful"} {
		if !strings.Contains(c, want) {
			t.Errorf("%q lacks %q", c, want)
		}
	}
}

func TestDiscoveryQuery(t *testing.T) {
	q, f, err := discoveryQuery("product", 5)
	if err != nil || !strings.Contains(q, "`ps_product`") || !strings.HasSuffix(q, "LIMIT 5") || f != "/index.php?controller=product&id_product=%d" {
		t.Fatalf("%q %q %v", q, f, err)
	}
	if q, _, err := discoveryQuery("category", 3); err != nil || !strings.Contains(q, "`ps_category_product`") {
		t.Fatalf("%q %v", q, err)
	}
	if q, _, err := discoveryQuery("home", 1); err != nil || q != "" {
		t.Fatalf("home: %q %v", q, err)
	}
	if _, _, err := discoveryQuery("search", 1); !errors.Is(err, target.ErrUnknownKind) {
		t.Fatalf("search: %v", err)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  string
		want error
		fix  string
	}{
		{"create container: Error response from daemon: manifest for prestashop/prestashop:99 not found: manifest unknown: manifest unknown", ErrImageNotFound, "target.docker.prestashop_image"},
		{"Error response from daemon: pull access denied for nosuch/image, repository does not exist or may require 'docker login'", ErrImageNotFound, "docker pull"},
		{"start container: Error response from daemon: driver failed programming external connectivity: Bind for 127.0.0.1:41001 failed: port is already allocated", ErrPortTaken, "ss -ltnp"},
		{"listen tcp 127.0.0.1:6379: bind: address already in use", ErrPortTaken, "free the port"},
	} {
		err := classify("prestashop", "prestashop/prestashop:99", errors.New(tc.err))
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.fix) {
			t.Errorf("classify(%q) = %v, want %v with %q", tc.err, err, tc.want, tc.fix)
		}
	}
	other := errors.New("something else")
	if classify("mysql", "mysql:8.0", other) != other {
		t.Error("unknown errors pass through")
	}
	to := &InstallTimeoutError{Timeout: time.Minute}
	if !errors.As(classify("prestashop", "x", fmt.Errorf("wrap: %w", to)), &to) {
		t.Error("install timeout passes through")
	}
}

func TestEngineCandidates(t *testing.T) {
	env := map[string]string{"DOCKER_HOST": "tcp://10.0.0.9:2375", "XDG_RUNTIME_DIR": "/run/user/1000", "HOME": "/home/u"}
	exists := func(p string) bool { return p == "/var/run/docker.sock" || p == "/run/user/1000/docker.sock" }
	c := engineCandidates(func(k string) string { return env[k] }, exists, map[string]string{"tc.host": "tcp://tc:2375", "docker.host": "unix:///p.sock"})
	var got []string
	for _, x := range c {
		got = append(got, x.host)
	}
	want := "tcp://tc:2375 tcp://10.0.0.9:2375 unix:///var/run/docker.sock unix:///p.sock unix:///run/user/1000/docker.sock"
	if strings.Join(got, " ") != want {
		t.Fatalf("candidates %v\nwant %s", got, want)
	}
	if !c[1].fromEnv || c[0].fromEnv {
		t.Fatal("only DOCKER_HOST honours the DOCKER_TLS_* environment")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".testcontainers.properties"), []byte("# c\ndocker.host=unix:///x.sock\nryuk.disabled = true\n"), 0o644)
	path, props := readProperties(dir)
	if path == "" || props["docker.host"] != "unix:///x.sock" || props["ryuk.disabled"] != "true" {
		t.Fatalf("properties %q %v", path, props)
	}
}

// deadDocker points DOCKER_HOST at a socket nobody serves and hides every
// other engine this machine may have.
func deadDocker(t *testing.T) string {
	dir := t.TempDir()
	sock := filepath.Join(dir, "dead.sock")
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	t.Setenv("HOME", dir)
	t.Setenv("XDG_RUNTIME_DIR", dir)
	old := socketExists
	socketExists = func(string) bool { return false }
	t.Cleanup(func() { socketExists = old })
	return sock
}

func TestDockerUnreachable(t *testing.T) {
	sock := deadDocker(t)
	_, err := ProbeEngine(context.Background())
	if !errors.Is(err, ErrDockerUnreachable) {
		t.Fatalf("ProbeEngine: %v", err)
	}
	tg := New(scenario.DefaultDocker(), discard())
	_, err = tg.Start(context.Background())
	if !errors.Is(err, ErrDockerUnreachable) {
		t.Fatalf("Start: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{sock, "from DOCKER_HOST", "Fix:", "systemctl start docker", "docker info", "DOCKER_HOST=", ".testcontainers.properties", "target.kind: embedded"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the message lacks %q:\n%s", want, msg)
		}
	}
	if tg.net != nil || tg.mysql != nil || tg.shop != nil {
		t.Fatal("nothing may be started without an engine")
	}
	if err := tg.Stop(context.Background()); err != nil {
		t.Fatalf("Stop after a failed Start: %v", err)
	}
	if err := tg.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}

	// No engine anywhere: the message says what is missing.
	t.Setenv("DOCKER_HOST", "")
	_, err = ProbeEngine(context.Background())
	if !errors.Is(err, ErrDockerUnreachable) || !strings.Contains(err.Error(), "DOCKER_HOST is not set, /var/run/docker.sock does not exist") {
		t.Fatalf("no engine: %v", err)
	}
}

func TestStartRejectsBeforeDocker(t *testing.T) {
	deadDocker(t)
	_, err := New(scenario.Docker{Nodes: 2}, discard()).Start(context.Background())
	if !errors.Is(err, ErrNodes) {
		t.Fatalf("nodes: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := scenario.DefaultDocker()
	cfg.Redis = true
	_, err = New(cfg, discard(), WithRedisAddr(ln.Addr().String())).Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "already taken") || !strings.Contains(err.Error(), "cache.redis.addr") {
		t.Fatalf("taken redis port: %v", err)
	}
}

func TestInstallTimeoutFromEnv(t *testing.T) {
	t.Setenv("PSBENCH_DOCKER_INSTALL_TIMEOUT", "42m")
	if tg := New(scenario.DefaultDocker(), nil); tg.opts.installTimeout != 42*time.Minute {
		t.Fatalf("timeout %v", tg.opts.installTimeout)
	}
	if tg := New(scenario.DefaultDocker(), nil, WithInstallTimeout(time.Minute)); tg.opts.installTimeout != time.Minute {
		t.Fatalf("option wins: %v", tg.opts.installTimeout)
	}
}

func TestKeptMessage(t *testing.T) {
	cfg := scenario.DefaultDocker()
	cfg.Keep = true
	tg := &Target{plan: testPlan(t, cfg, options{}), backend: "127.0.0.1:32999", redisAddr: "127.0.0.1:32998"}
	msg := tg.keptMessage()
	for _, want := range []string{"http://127.0.0.1:41001/", "http://127.0.0.1:41001/admin-psbench/", "demo@prestashop.com", tg.plan.AdminPassword,
		"mysql -h127.0.0.1 -P32999 -uprestashop -p" + tg.plan.DBPassword + " prestashop", "redis-cli -h 127.0.0.1 -p 32998", "label=psbench.stack=" + tg.plan.StackID} {
		if !strings.Contains(msg, want) {
			t.Errorf("kept message lacks %q:\n%s", want, msg)
		}
	}
}

// fakeShop is a wait.StrategyTarget: a log and a state.
type fakeShop struct {
	mu    sync.Mutex
	log   string
	state container.State
}

func (f *fakeShop) appendLog(s string) { f.mu.Lock(); f.log += s; f.mu.Unlock() }
func (f *fakeShop) Host(context.Context) (string, error) {
	return "localhost", nil
}
func (f *fakeShop) Inspect(context.Context) (*container.InspectResponse, error) {
	return &container.InspectResponse{}, nil
}
func (f *fakeShop) Ports(context.Context) (network.PortMap, error) { return nil, nil }
func (f *fakeShop) MappedPort(context.Context, string) (network.Port, error) {
	return network.Port{}, errors.New("unused")
}
func (f *fakeShop) Logs(context.Context) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return io.NopCloser(strings.NewReader(f.log)), nil
}
func (f *fakeShop) Exec(context.Context, []string, ...tcexec.ProcessOption) (int, io.Reader, error) {
	return 0, nil, errors.New("unused")
}
func (f *fakeShop) State(context.Context) (*container.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.state
	return &s, nil
}
func (f *fakeShop) CopyFileFromContainer(context.Context, string) (io.ReadCloser, error) {
	return nil, errors.New("unused")
}

func running() container.State { return container.State{Running: true, Status: container.StateRunning} }

func TestInstallWait(t *testing.T) {
	var installed bool
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ok := installed
		mu.Unlock()
		if r.URL.Query().Get("controller") != "product" || r.URL.Query().Get("id_product") != "1" {
			http.NotFound(w, r)
			return
		}
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("<html>Hummingbird printed t-shirt</html>"))
	}))
	defer srv.Close()

	var logBuf bytes.Buffer
	var logMu sync.Mutex
	progress := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logBuf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	shop := &fakeShop{state: running(), log: "\n* Checking if mysql is available...\n\n* Installing PrestaShop, this may take a while ...\n"}
	w := newInstallWait(srv.URL+productProbe, 10*time.Second, progress)
	w.poll = 20 * time.Millisecond
	go func() {
		time.Sleep(150 * time.Millisecond)
		shop.appendLog("\n* Almost ! Starting web server now\n")
		mu.Lock()
		installed = true
		mu.Unlock()
	}()
	if err := w.WaitUntilReady(context.Background(), shop); err != nil {
		t.Fatal(err)
	}
	logMu.Lock()
	got := logBuf.String()
	logMu.Unlock()
	for _, want := range []string{"Installing PrestaShop", "Starting web server", "product page answers 200"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress lacks %q:\n%s", want, got)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestInstallWaitFailures(t *testing.T) {
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer unavailable.Close()

	t.Run("installer failed", func(t *testing.T) {
		shop := &fakeShop{state: running(), log: "* Installing PrestaShop, this may take a while ...\nwarning: PrestaShop installation failed.\n"}
		w := newInstallWait(unavailable.URL+productProbe, 5*time.Second, discard())
		w.poll = 10 * time.Millisecond
		err := w.WaitUntilReady(context.Background(), shop)
		var f *InstallFailedError
		if !errors.As(err, &f) || !strings.Contains(err.Error(), "installation failed") || !strings.Contains(err.Error(), "Fix:") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("container exited", func(t *testing.T) {
		shop := &fakeShop{state: container.State{Status: container.StateExited, ExitCode: 1}, log: "boom\n"}
		w := newInstallWait(unavailable.URL+productProbe, 5*time.Second, discard())
		err := w.WaitUntilReady(context.Background(), shop)
		var f *InstallFailedError
		if !errors.As(err, &f) || !strings.Contains(err.Error(), "exit code 1") || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		shop := &fakeShop{state: running(), log: "* Installing PrestaShop, this may take a while ...\n"}
		// Long enough for several page checks even on a loaded CI machine.
		w := newInstallWait(unavailable.URL+productProbe, 2*time.Second, discard())
		w.poll = 50 * time.Millisecond
		err := w.WaitUntilReady(context.Background(), shop)
		var to *InstallTimeoutError
		if !errors.As(err, &to) {
			t.Fatalf("err = %v", err)
		}
		for _, want := range []string{"did not finish within 2s", "HTTP 503", "Installing PrestaShop", "PSBENCH_DOCKER_INSTALL_TIMEOUT", "run.log"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("timeout message lacks %q:\n%v", want, err)
			}
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		shop := &fakeShop{state: running()}
		w := newInstallWait(unavailable.URL+productProbe, time.Minute, discard())
		w.poll = 10 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := w.WaitUntilReady(ctx, shop); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the caller's context error", err)
		}
	})
	t.Run("wrong domain", func(t *testing.T) {
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		defer other.Close()
		redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
		}))
		defer redirect.Close()
		shop := &fakeShop{state: running()}
		w := newInstallWait(redirect.URL+productProbe, 200*time.Millisecond, discard())
		w.poll = 20 * time.Millisecond
		err := w.WaitUntilReady(context.Background(), shop)
		if err == nil || !strings.Contains(err.Error(), "redirected to another host") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestPhpString(t *testing.T) {
	if got := phpString(`a"b$c\d`); got != `"a\"b\$c\\d"` {
		t.Fatal(got)
	}
}

func TestFreePort(t *testing.T) {
	p, err := freePort()
	if err != nil || p <= 0 {
		t.Fatalf("%d %v", p, err)
	}
	if err := checkFree("127.0.0.1:" + strconv.Itoa(p)); err != nil {
		t.Fatalf("a free port reported taken: %v", err)
	}
}
