// Package doctor says what this machine can run: each check has a status
// (ok, missing, failed), what it found, what needs it, and the fix. It is
// informational: it changes nothing and never fails a build.
package doctor

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/psbench/psbench/internal/target/docker"
)

// Status of one check.
type Status string

const (
	OK      Status = "ok"
	Missing Status = "missing" // not installed / nothing answers
	Failed  Status = "failed"  // present but not usable (wrong version, port taken, bad answer)
)

// Check is one finding.
type Check struct {
	Name      string `json:"name"`
	Status    Status `json:"status"`
	Detail    string `json:"detail"`
	NeededFor string `json:"needed_for"`
	Fix       string `json:"fix,omitempty"`
}

// Report is every check, in a stable order.
type Report struct {
	Checks []Check `json:"checks"`
}

// Options configure the checks.
type Options struct {
	// MySQL and Redis are the addresses probed (default 127.0.0.1:3306
	// and 127.0.0.1:6379).
	MySQL string
	Redis string
	// Ports must be free for `psbench proxy`'s defaults (3307, 9307).
	Ports []int
	// Dir is where node_modules/echarts is looked for (and in its
	// parents); default the working directory.
	Dir string
	// Timeout bounds each network check (default 2s).
	Timeout time.Duration
}

// Defaults.
const (
	DefaultMySQL = "127.0.0.1:3306"
	DefaultRedis = "127.0.0.1:6379"
	// MinGo is the Go release go.mod asks for.
	MinGo = "1.26"
)

// DefaultPorts are `psbench proxy`'s --listen and --admin ports.
var DefaultPorts = []int{3307, 9307}

// env is what the checks look at, injectable for tests.
type env struct {
	lookPath    func(string) (string, error)
	run         func(ctx context.Context, name string, args ...string) (string, error)
	getenv      func(string) string
	probeDocker func(context.Context) (docker.Engine, error)
	listen      func(network, addr string) (net.Listener, error)
	dial        func(ctx context.Context, network, addr string) (net.Conn, error)
	stat        func(string) (os.FileInfo, error)
}

func realEnv() env {
	return env{
		lookPath: exec.LookPath,
		run: func(ctx context.Context, name string, args ...string) (string, error) {
			out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
			return string(out), err
		},
		getenv:      os.Getenv,
		probeDocker: docker.ProbeEngine,
		listen:      net.Listen,
		dial:        (&net.Dialer{}).DialContext,
		stat:        os.Stat,
	}
}

// Run performs every check.
func Run(ctx context.Context, o Options) Report {
	return run(ctx, o, realEnv())
}

func run(ctx context.Context, o Options, e env) Report {
	if o.MySQL == "" {
		o.MySQL = DefaultMySQL
	}
	if o.Redis == "" {
		o.Redis = DefaultRedis
	}
	if o.Ports == nil {
		o.Ports = DefaultPorts
	}
	if o.Dir == "" {
		o.Dir, _ = os.Getwd()
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	var r Report
	r.Checks = append(r.Checks, checkDocker(ctx, e)...)
	r.Checks = append(r.Checks,
		checkMySQL(ctx, e, o.MySQL, o.Timeout),
		checkRedis(ctx, e, o.Redis, o.Timeout),
		checkChromium(ctx, e),
		checkECharts(e, o.Dir),
		checkPHP(ctx, e),
		checkTool(ctx, e, "sysbench", "psbench bench proxy (sysbench workloads through the proxy)",
			"apt-get install sysbench (macOS: brew install sysbench)", "--version"),
		checkTool(ctx, e, "haproxy", "psbench bench proxy (the TCP pass-through baseline)",
			"apt-get install haproxy (macOS: brew install haproxy)", "-v"),
	)
	for _, p := range o.Ports {
		r.Checks = append(r.Checks, checkPort(e, p))
	}
	r.Checks = append(r.Checks, checkGo(ctx, e))
	return r
}

// checkDocker reports the engine testcontainers-go would use and its
// configuration.
func checkDocker(ctx context.Context, e env) []Check {
	need := "target.kind: docker (PrestaShop + MySQL in containers) and its integration test"
	c := Check{Name: "docker engine", NeededFor: need}
	eng, err := e.probeDocker(ctx)
	cli := "docker CLI not installed (optional)"
	if p, lerr := e.lookPath("docker"); lerr == nil {
		cli = "docker CLI at " + p
	}
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), docker.ErrDockerUnreachable.Error()+": ")
		detail, fix, _ := strings.Cut(msg, ". Fix: ")
		c.Status, c.Detail, c.Fix = Missing, detail+" ("+cli+")", fix
		if c.Fix == "" {
			c.Fix = "start a Docker engine or point DOCKER_HOST at one, then check with `docker info`"
		}
	} else {
		c.Status = OK
		c.Detail = fmt.Sprintf("Docker %s (%s) at %s, from %s; %s", eng.Version, eng.OS, eng.Host, eng.Source, cli)
	}

	tc := Check{Name: "testcontainers config", Status: OK, NeededFor: need}
	var parts []string
	if eng.Properties != "" {
		var kv []string
		for _, k := range []string{"docker.host", "tc.host", "ryuk.disabled", "hub.image.name.prefix"} {
			if v, ok := eng.PropertyValues[k]; ok {
				kv = append(kv, k+"="+v)
			}
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", eng.Properties, strings.Join(kv, ", ")))
	} else {
		parts = append(parts, "no ~/.testcontainers.properties (defaults)")
	}
	for _, k := range []string{"DOCKER_HOST", "TESTCONTAINERS_RYUK_DISABLED", "TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE", "TESTCONTAINERS_HOST_OVERRIDE"} {
		if v := e.getenv(k); v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	tc.Detail = strings.Join(parts, "; ")
	if strings.EqualFold(e.getenv("TESTCONTAINERS_RYUK_DISABLED"), "true") || strings.EqualFold(eng.PropertyValues["ryuk.disabled"], "true") {
		tc.Status = Failed
		tc.Detail += "; the reaper (Ryuk) is disabled: containers of a killed psbench run are left behind"
		tc.Fix = "unset TESTCONTAINERS_RYUK_DISABLED / remove ryuk.disabled=true (or remove leftovers with `docker ps -a --filter label=psbench.stack`)"
	}
	return []Check{c, tc}
}

// checkMySQL reads the server's handshake (no login).
func checkMySQL(ctx context.Context, e env, addr string, timeout time.Duration) Check {
	c := Check{Name: "mysql/mariadb", NeededFor: "the test suite, `psbench proxy` and `psbench bench proxy` (a backend at " + addr + ")"}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := e.dial(ctx, "tcp", addr)
	if err != nil {
		c.Status, c.Detail = Missing, fmt.Sprintf("nothing answers at %s: %v", addr, err)
		c.Fix = "start MySQL or MariaDB there (Debian: apt-get install mariadb-server, then scripts/test-env starts it), or pass --mysql HOST:PORT"
		return c
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	version, err := readGreeting(conn)
	if err != nil {
		c.Status, c.Detail = Failed, fmt.Sprintf("%s answers but not as MySQL: %v", addr, err)
		c.Fix = "point --mysql at a MySQL/MariaDB server (another service holds " + addr + ")"
		return c
	}
	flavor := "MySQL"
	if strings.Contains(strings.ToLower(version), "mariadb") {
		flavor = "MariaDB"
		version = strings.TrimPrefix(version, "5.5.5-") // MariaDB's prefix for old replication clients
	}
	c.Status, c.Detail = OK, fmt.Sprintf("%s %s at %s", flavor, version, addr)
	return c
}

// readGreeting parses the initial handshake packet's server version.
func readGreeting(r io.Reader) (string, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return "", fmt.Errorf("read handshake: %w", err)
	}
	n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	if n < 2 || n > 1<<16 {
		return "", fmt.Errorf("handshake of %d bytes", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return "", fmt.Errorf("read handshake: %w", err)
	}
	switch body[0] {
	case 10:
	case 0xff:
		msg := ""
		if len(body) > 3 {
			msg = string(body[3:])
		}
		return "", fmt.Errorf("server refused: %s", strings.TrimLeft(msg, "#0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
	default:
		return "", fmt.Errorf("protocol version %d", body[0])
	}
	end := strings.IndexByte(string(body[1:]), 0)
	if end < 0 {
		return "", errors.New("handshake without a version")
	}
	return string(body[1 : 1+end]), nil
}

// checkRedis sends PING.
func checkRedis(ctx context.Context, e env, addr string, timeout time.Duration) Check {
	c := Check{Name: "redis", NeededFor: "cache modes redis and local+redis, and the test suite (Redis at " + addr + ")"}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := e.dial(ctx, "tcp", addr)
	if err != nil {
		c.Status, c.Detail = Missing, fmt.Sprintf("nothing answers at %s: %v", addr, err)
		c.Fix = "start Redis there (Debian: apt-get install redis-server; redis-server --daemonize yes), or pass --redis HOST:PORT"
		return c
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		c.Status, c.Detail, c.Fix = Failed, fmt.Sprintf("%s: %v", addr, err), "check the Redis server at "+addr
		return c
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	line = strings.TrimSpace(line)
	switch {
	case err != nil && line == "":
		c.Status, c.Detail = Failed, fmt.Sprintf("%s accepted a connection but did not answer PING: %v", addr, err)
		c.Fix = "point --redis at a Redis server (another service holds " + addr + ")"
	case line == "+PONG":
		c.Status, c.Detail = OK, "Redis answers PING at "+addr
	case strings.HasPrefix(line, "-NOAUTH"):
		c.Status, c.Detail = OK, "Redis at "+addr+" (requires a password: set cache.redis.password)"
	default:
		c.Status, c.Detail = Failed, fmt.Sprintf("%s answered PING with %q", addr, line)
		c.Fix = "point --redis at a Redis server"
	}
	return c
}

// chromiumNames are the headless browsers the offline-report checks use.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "headless_shell"}

func checkChromium(ctx context.Context, e env) Check {
	c := Check{Name: "chromium", NeededFor: "checking offline reports in a headless browser (report tests, screenshots)"}
	candidates := chromiumNames
	if p := e.getenv("CHROME_PATH"); p != "" {
		candidates = append([]string{p}, candidates...)
	}
	for _, n := range candidates {
		p, err := e.lookPath(n)
		if err != nil {
			continue
		}
		vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		out, err := e.run(vctx, p, "--version")
		cancel()
		if err != nil {
			c.Status, c.Detail = Failed, fmt.Sprintf("%s does not start: %v %s", p, err, firstLine(out))
			c.Fix = "reinstall it (Debian: apt-get install --reinstall chromium)"
			return c
		}
		c.Status, c.Detail = OK, fmt.Sprintf("%s (%s)", lineWith(out, "chrom"), p)
		return c
	}
	c.Status, c.Detail = Missing, "none of "+strings.Join(chromiumNames, ", ")+" on PATH"
	c.Fix = "apt-get install chromium (or set CHROME_PATH to a Chrome/Chromium binary)"
	return c
}

// checkECharts looks for node_modules/echarts in dir and its parents.
func checkECharts(e env, dir string) Check {
	c := Check{Name: "echarts (node_modules)", NeededFor: "offline reports (output.offline_report: true inlines ECharts)"}
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "node_modules", "echarts", "dist", "echarts.min.js")
		if _, err := e.stat(p); err == nil {
			c.Status, c.Detail = OK, p
			if v := echartsVersion(e, filepath.Join(d, "node_modules", "echarts", "package.json")); v != "" {
				c.Detail = "echarts " + v + " at " + p
			}
			return c
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	c.Status, c.Detail = Missing, "no node_modules/echarts/dist/echarts.min.js in "+dir+" or its parents"
	c.Fix = "run `npm ci` in the psbench checkout (package.json pins echarts); online reports load it from a CDN instead"
	return c
}

func echartsVersion(e env, pkg string) string {
	if _, err := e.stat(pkg); err != nil {
		return ""
	}
	b, err := os.ReadFile(pkg)
	if err != nil {
		return ""
	}
	var v struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(b, &v) != nil {
		return ""
	}
	return v.Version
}

func checkPHP(ctx context.Context, e env) Check {
	c := Check{Name: "php + pdo_mysql", NeededFor: "the proxy's PHP conformance tests (PDO/mysqli through the proxy)"}
	p, err := e.lookPath("php")
	if err != nil {
		c.Status, c.Detail = Missing, "php not on PATH"
		c.Fix = "apt-get install php-cli php-mysql"
		return c
	}
	vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	version, _ := e.run(vctx, p, "-r", "echo PHP_VERSION;")
	mods, err := e.run(vctx, p, "-m")
	if err != nil {
		c.Status, c.Detail, c.Fix = Failed, fmt.Sprintf("%s -m: %v", p, err), "reinstall php-cli"
		return c
	}
	for _, l := range strings.Split(mods, "\n") {
		if strings.EqualFold(strings.TrimSpace(l), "pdo_mysql") {
			c.Status, c.Detail = OK, fmt.Sprintf("PHP %s with pdo_mysql (%s)", strings.TrimSpace(version), p)
			return c
		}
	}
	c.Status, c.Detail = Missing, fmt.Sprintf("PHP %s without pdo_mysql", strings.TrimSpace(version))
	c.Fix = "apt-get install php-mysql"
	return c
}

func checkTool(ctx context.Context, e env, name, neededFor, fix string, versionArgs ...string) Check {
	c := Check{Name: name, NeededFor: neededFor}
	p, err := e.lookPath(name)
	if err != nil {
		c.Status, c.Detail, c.Fix = Missing, name+" not on PATH", fix
		return c
	}
	vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := e.run(vctx, p, versionArgs...)
	if err != nil {
		c.Status, c.Detail, c.Fix = Failed, fmt.Sprintf("%s %s: %v", p, strings.Join(versionArgs, " "), err), fix
		return c
	}
	c.Status, c.Detail = OK, fmt.Sprintf("%s (%s)", lineWith(out, name), p)
	return c
}

// checkPort reports whether a loopback port can be listened on.
func checkPort(e env, port int) Check {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	c := Check{Name: "port " + strconv.Itoa(port), NeededFor: portUse(port)}
	ln, err := e.listen("tcp", addr)
	if err != nil {
		c.Status, c.Detail = Failed, fmt.Sprintf("%s is taken: %v", addr, err)
		c.Fix = fmt.Sprintf("stop what listens there (`ss -ltnp 'sport = :%d'`), or give psbench proxy another --listen/--admin address", port)
		return c
	}
	ln.Close()
	c.Status, c.Detail = OK, addr+" is free"
	return c
}

func portUse(port int) string {
	switch port {
	case 3307:
		return "`psbench proxy` default --listen"
	case 9307:
		return "`psbench proxy` default --admin"
	}
	return "a port you asked to be free"
}

var goVersionRE = regexp.MustCompile(`go(\d+)\.(\d+)`)

// checkGo reports the go toolchain on PATH (for `go run`, tests and the
// nightly workflow) against go.mod's release.
func checkGo(ctx context.Context, e env) Check {
	c := Check{Name: "go", NeededFor: "building psbench, `go run ./cmd/psbench`, the test suite (go.mod: go " + MinGo + ")"}
	p, err := e.lookPath("go")
	if err != nil {
		if _, serr := e.stat("/usr/local/go/bin/go"); serr == nil {
			p = "/usr/local/go/bin/go"
		} else {
			c.Status, c.Detail = Missing, "go not on PATH (this binary was built with "+runtime.Version()+")"
			c.Fix = "install Go " + MinGo + "+ (go.dev/dl) and add its bin directory to PATH"
			return c
		}
	}
	vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := e.run(vctx, p, "version")
	if err != nil {
		c.Status, c.Detail, c.Fix = Failed, fmt.Sprintf("%s version: %v", p, err), "reinstall Go "+MinGo+"+"
		return c
	}
	m := goVersionRE.FindStringSubmatch(out)
	if m == nil {
		c.Status, c.Detail, c.Fix = Failed, fmt.Sprintf("cannot read %q", firstLine(out)), "reinstall Go "+MinGo+"+"
		return c
	}
	if !atLeast(m[1], m[2], MinGo) {
		c.Status, c.Detail = Failed, fmt.Sprintf("%s is older than go %s", firstLine(out), MinGo)
		c.Fix = "install Go " + MinGo + "+ (go.dev/dl), or let the go command fetch it (GOTOOLCHAIN=auto)"
		return c
	}
	c.Status, c.Detail = OK, firstLine(out)+" ("+p+")"
	if _, err := e.lookPath("go"); err != nil {
		c.Detail += "; not on PATH: add /usr/local/go/bin"
	}
	return c
}

func atLeast(major, minor, want string) bool {
	wm, wn, _ := strings.Cut(want, ".")
	a, _ := strconv.Atoi(major)
	b, _ := strconv.Atoi(minor)
	x, _ := strconv.Atoi(wm)
	y, _ := strconv.Atoi(wn)
	return a > x || (a == x && b >= y)
}

// lineWith is the first line of out mentioning word (wrapper scripts may
// print noise first), else the first line.
func lineWith(out, word string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(strings.ToLower(l), strings.ToLower(word)) && !strings.Contains(l, ": [:") {
			return strings.TrimSpace(l)
		}
	}
	return firstLine(out)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// WriteText prints the report for a terminal.
func (r Report) WriteText(w io.Writer) error {
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.Name))
	}
	var counts = map[Status]int{}
	for _, c := range r.Checks {
		counts[c.Status]++
		if _, err := fmt.Fprintf(w, "%-8s %-*s  %s\n", c.Status, width, c.Name, c.Detail); err != nil {
			return err
		}
		if c.Status != OK {
			fmt.Fprintf(w, "%-8s %-*s  needed for: %s\n", "", width, "", c.NeededFor)
			fmt.Fprintf(w, "%-8s %-*s  fix: %s\n", "", width, "", c.Fix)
		}
	}
	_, err := fmt.Fprintf(w, "\n%d ok, %d missing, %d failed (informational: psbench doctor always exits 0)\n", counts[OK], counts[Missing], counts[Failed])
	return err
}

// WriteJSON prints the report as JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
