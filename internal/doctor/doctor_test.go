package doctor

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/psbench/psbench/internal/target/docker"
)

func find(t *testing.T, r Report, name string) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, r.Checks)
	return Check{}
}

// redisAnswers pings Redis independently of the check under test.
func redisAnswers(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Second))
	conn.Write([]byte("PING\r\n"))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line) == "+PONG"
}

// TestThisMachine runs every check against this machine and compares the
// verdicts with independent probes: where Docker is missing (as on the
// development machines) the check must say so with the fix; where Redis
// answers (scripts/test-env starts one) it must be ok.
func TestThisMachine(t *testing.T) {
	free := freePortT(t)
	r := Run(context.Background(), Options{Ports: []int{free}})
	var buf bytes.Buffer
	r.WriteText(&buf)
	t.Logf("psbench doctor on this machine:\n%s", buf.String())
	for _, c := range r.Checks {
		if c.Status != OK && c.Status != Missing && c.Status != Failed {
			t.Errorf("%s: status %q", c.Name, c.Status)
		}
		if c.Status != OK && c.Fix == "" {
			t.Errorf("%s is %s without a fix", c.Name, c.Status)
		}
		if c.NeededFor == "" || c.Detail == "" {
			t.Errorf("%s: empty detail or needed_for: %+v", c.Name, c)
		}
	}

	d := find(t, r, "docker engine")
	if _, err := docker.ProbeEngine(context.Background()); err != nil {
		if d.Status != Missing {
			t.Errorf("no engine here but docker is %s", d.Status)
		}
		for _, want := range []string{"systemctl start docker", "Docker Desktop", "DOCKER_HOST", "docker info", "target.kind: embedded"} {
			if !strings.Contains(d.Fix, want) {
				t.Errorf("docker fix lacks %q: %s", want, d.Fix)
			}
		}
		if strings.Contains(d.Detail, "Fix:") || strings.Contains(d.Detail, ErrPrefix()) {
			t.Errorf("detail repeats the fix or the sentinel: %s", d.Detail)
		}
	} else if d.Status != OK {
		t.Errorf("an engine answers but docker is %s: %s", d.Status, d.Detail)
	}

	rc := find(t, r, "redis")
	if redisAnswers(DefaultRedis) != (rc.Status == OK) {
		t.Errorf("redis check %s disagrees with a direct PING: %s", rc.Status, rc.Detail)
	}
	if p := find(t, r, "port "+strconv.Itoa(free)); p.Status != OK {
		t.Errorf("a free port: %+v", p)
	}
	if g := find(t, r, "go"); g.Status != OK {
		t.Errorf("the Go that runs this test is %s: %s", g.Status, g.Detail)
	}
}

// ErrPrefix is the sentinel's text, which the detail drops.
func ErrPrefix() string { return docker.ErrDockerUnreachable.Error() + ":" }

func TestDockerMissingFix(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(dir, "dead.sock"))
	t.Setenv("HOME", dir)
	t.Setenv("XDG_RUNTIME_DIR", dir)
	if _, err := os.Stat("/var/run/docker.sock"); err == nil {
		t.Skip("this machine has /var/run/docker.sock, which the probe falls back to")
	}
	e := realEnv()
	cs := checkDocker(context.Background(), e)
	d := cs[0]
	if d.Status != Missing || !strings.Contains(d.Detail, "dead.sock") || !strings.Contains(d.Detail, "from DOCKER_HOST") {
		t.Fatalf("docker: %+v", d)
	}
	if !strings.Contains(d.Fix, "sudo systemctl start docker") || !strings.Contains(d.Fix, "point DOCKER_HOST at a running one") {
		t.Fatalf("fix: %s", d.Fix)
	}
	tc := cs[1]
	if tc.Status != OK || !strings.Contains(tc.Detail, "no ~/.testcontainers.properties") || !strings.Contains(tc.Detail, "DOCKER_HOST=unix://") {
		t.Fatalf("testcontainers config: %+v", tc)
	}
}

func TestRyukDisabled(t *testing.T) {
	e := fakeEnv()
	e.getenv = func(k string) string {
		if k == "TESTCONTAINERS_RYUK_DISABLED" {
			return "true"
		}
		return ""
	}
	cs := checkDocker(context.Background(), e)
	if cs[0].Status != OK || cs[1].Status != Failed || !strings.Contains(cs[1].Fix, "TESTCONTAINERS_RYUK_DISABLED") {
		t.Fatalf("%+v", cs)
	}
}

// fakeEnv has every tool missing and an engine that answers.
func fakeEnv() env {
	return env{
		lookPath: func(string) (string, error) { return "", errors.New("not found") },
		run:      func(context.Context, string, ...string) (string, error) { return "", errors.New("not run") },
		getenv:   func(string) string { return "" },
		probeDocker: func(context.Context) (docker.Engine, error) {
			return docker.Engine{Host: "unix:///var/run/docker.sock", Source: "the default socket", Version: "27.0.1", OS: "linux"}, nil
		},
		listen: net.Listen,
		dial:   (&net.Dialer{}).DialContext,
		stat:   func(string) (os.FileInfo, error) { return nil, os.ErrNotExist },
	}
}

func TestMissingTools(t *testing.T) {
	e := fakeEnv()
	r := run(context.Background(), Options{Ports: []int{}, Dir: t.TempDir(), MySQL: closedAddr(t), Redis: closedAddr(t), Timeout: time.Second}, e)
	for name, fix := range map[string]string{
		"chromium":               "apt-get install chromium",
		"php + pdo_mysql":        "apt-get install php-cli php-mysql",
		"sysbench":               "apt-get install sysbench",
		"haproxy":                "apt-get install haproxy",
		"go":                     "install Go 1.26+",
		"echarts (node_modules)": "npm ci",
		"mysql/mariadb":          "--mysql HOST:PORT",
		"redis":                  "--redis HOST:PORT",
	} {
		c := find(t, r, name)
		if c.Status != Missing || !strings.Contains(c.Fix, fix) {
			t.Errorf("%s: %+v, want missing with fix %q", name, c, fix)
		}
	}
	if d := find(t, r, "docker engine"); d.Status != OK || !strings.Contains(d.Detail, "Docker 27.0.1") {
		t.Errorf("docker: %+v", d)
	}
}

func TestToolsPresent(t *testing.T) {
	e := fakeEnv()
	e.lookPath = func(n string) (string, error) { return "/usr/bin/" + n, nil }
	e.run = func(_ context.Context, name string, args ...string) (string, error) {
		switch {
		case strings.HasSuffix(name, "php") && args[0] == "-m":
			return "[PHP Modules]\nPDO\npdo_mysql\n", nil
		case strings.HasSuffix(name, "php"):
			return "8.2.20", nil
		case strings.HasSuffix(name, "go"):
			return "go version go1.26.8 linux/amd64\n", nil
		}
		return name + " 1.0\n", nil
	}
	for name, want := range map[string]string{
		"chromium": "/usr/bin/chromium", "php + pdo_mysql": "PHP 8.2.20 with pdo_mysql", "sysbench": "sysbench 1.0",
		"haproxy": "haproxy 1.0", "go": "go1.26.8",
	} {
		var c Check
		switch name {
		case "chromium":
			c = checkChromium(context.Background(), e)
		case "php + pdo_mysql":
			c = checkPHP(context.Background(), e)
		case "go":
			c = checkGo(context.Background(), e)
		default:
			c = checkTool(context.Background(), e, name, "x", "fix", "--version")
		}
		if c.Status != OK || !strings.Contains(c.Detail, want) {
			t.Errorf("%s: %+v, want ok with %q", name, c, want)
		}
	}
	e.run = func(_ context.Context, name string, args ...string) (string, error) {
		if args[0] == "-m" {
			return "[PHP Modules]\nPDO\n", nil
		}
		return "go version go1.25.3 linux/amd64", nil
	}
	if c := checkPHP(context.Background(), e); c.Status != Missing || c.Fix != "apt-get install php-mysql" {
		t.Errorf("php without pdo_mysql: %+v", c)
	}
	if c := checkGo(context.Background(), e); c.Status != Failed || !strings.Contains(c.Detail, "older than go 1.26") {
		t.Errorf("old go: %+v", c)
	}
}

// serve answers each connection on a loopback port with reply.
func serve(t *testing.T, reply func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); reply(c) }()
		}
	}()
	return ln.Addr().String()
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func freePortT(t *testing.T) int {
	_, p, _ := net.SplitHostPort(closedAddr(t))
	n, _ := strconv.Atoi(p)
	return n
}

func packet(seq byte, body []byte) []byte {
	n := len(body)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, body...)
}

func TestMySQLCheck(t *testing.T) {
	e := realEnv()
	greeting := append([]byte{10}, []byte("10.11.6-MariaDB-0+deb12u1\x00")...)
	greeting = append(greeting, make([]byte, 40)...)
	addr := serve(t, func(c net.Conn) { c.Write(packet(0, greeting)) })
	if c := checkMySQL(context.Background(), e, addr, time.Second); c.Status != OK || c.Detail != "MariaDB 10.11.6-MariaDB-0+deb12u1 at "+addr {
		t.Errorf("greeting: %+v", c)
	}
	refusal := append([]byte{0xff, 0x6a, 0x04}, []byte("Host '1.2.3.4' is not allowed to connect")...)
	addr = serve(t, func(c net.Conn) { c.Write(packet(0, refusal)) })
	if c := checkMySQL(context.Background(), e, addr, time.Second); c.Status != Failed || !strings.Contains(c.Detail, "is not allowed") {
		t.Errorf("refusal: %+v", c)
	}
	addr = serve(t, func(c net.Conn) { fmt.Fprint(c, "+PONG\r\n") })
	if c := checkMySQL(context.Background(), e, addr, time.Second); c.Status != Failed || c.Fix == "" {
		t.Errorf("not mysql: %+v", c)
	}
	if c := checkMySQL(context.Background(), e, closedAddr(t), time.Second); c.Status != Missing || !strings.Contains(c.Fix, "mariadb-server") {
		t.Errorf("closed: %+v", c)
	}
}

func TestRedisCheck(t *testing.T) {
	e := realEnv()
	pong := serve(t, func(c net.Conn) {
		line, _ := bufio.NewReader(c).ReadString('\n')
		if line == "PING\r\n" {
			fmt.Fprint(c, "+PONG\r\n")
		}
	})
	if c := checkRedis(context.Background(), e, pong, time.Second); c.Status != OK {
		t.Errorf("pong: %+v", c)
	}
	noauth := serve(t, func(c net.Conn) { fmt.Fprint(c, "-NOAUTH Authentication required.\r\n") })
	if c := checkRedis(context.Background(), e, noauth, time.Second); c.Status != OK || !strings.Contains(c.Detail, "password") {
		t.Errorf("noauth: %+v", c)
	}
	other := serve(t, func(c net.Conn) { fmt.Fprint(c, "HTTP/1.1 400 Bad Request\r\n") })
	if c := checkRedis(context.Background(), e, other, time.Second); c.Status != Failed {
		t.Errorf("not redis: %+v", c)
	}
	if c := checkRedis(context.Background(), e, closedAddr(t), time.Second); c.Status != Missing || !strings.Contains(c.Fix, "redis-server") {
		t.Errorf("closed: %+v", c)
	}
}

func TestPortCheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	c := checkPort(realEnv(), port)
	if c.Status != Failed || !strings.Contains(c.Fix, fmt.Sprintf("ss -ltnp 'sport = :%d'", port)) {
		t.Fatalf("taken: %+v", c)
	}
	if c := checkPort(realEnv(), freePortT(t)); c.Status != OK {
		t.Fatalf("free: %+v", c)
	}
	if portUse(3307) == portUse(9307) {
		t.Fatal("the default ports name their use")
	}
}

func TestEChartsLookup(t *testing.T) {
	root := t.TempDir()
	dist := filepath.Join(root, "node_modules", "echarts", "dist")
	os.MkdirAll(dist, 0o755)
	os.WriteFile(filepath.Join(dist, "echarts.min.js"), []byte("//"), 0o644)
	os.WriteFile(filepath.Join(root, "node_modules", "echarts", "package.json"), []byte(`{"version":"5.6.0"}`), 0o644)
	sub := filepath.Join(root, "cmd", "psbench")
	os.MkdirAll(sub, 0o755)
	e := realEnv()
	if c := checkECharts(e, sub); c.Status != OK || !strings.Contains(c.Detail, "echarts 5.6.0") {
		t.Fatalf("found from a subdirectory: %+v", c)
	}
	if c := checkECharts(e, t.TempDir()); c.Status != Missing {
		t.Fatalf("missing: %+v", c)
	}
}

func TestOutput(t *testing.T) {
	r := Report{Checks: []Check{
		{Name: "redis", Status: OK, Detail: "Redis answers PING", NeededFor: "x"},
		{Name: "docker engine", Status: Missing, Detail: "no engine", NeededFor: "target.kind: docker", Fix: "start Docker"},
	}}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"ok       redis", "missing  docker engine", "fix: start Docker", "needed for: target.kind: docker", "1 ok, 1 missing, 0 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || len(back.Checks) != 2 || back.Checks[1].Fix != "start Docker" || back.Checks[1].Status != Missing {
		t.Fatalf("json: %v %s", err, b.String())
	}
	if !strings.Contains(b.String(), `"status": "missing"`) {
		t.Fatalf("json status: %s", b.String())
	}
}
