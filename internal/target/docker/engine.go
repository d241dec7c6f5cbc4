package docker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// ErrDockerUnreachable means no Docker engine answered. Start wraps it with
// what was tried and the fix; `psbench doctor` reports the same.
var ErrDockerUnreachable = errors.New("docker engine not reachable")

// Engine is the Docker engine testcontainers-go will use.
type Engine struct {
	// Host is the engine address, e.g. unix:///var/run/docker.sock.
	Host string `json:"host"`
	// Source says where Host came from (DOCKER_HOST, the default socket,
	// ~/.testcontainers.properties, a rootless socket).
	Source string `json:"source"`
	// Version and OS describe the engine when it answered.
	Version string `json:"version,omitempty"`
	OS      string `json:"os,omitempty"`
	// Properties is ~/.testcontainers.properties when it exists.
	Properties     string            `json:"properties_file,omitempty"`
	PropertyValues map[string]string `json:"properties,omitempty"`
}

// candidate is one engine address to try.
type candidate struct {
	host, source string
	fromEnv      bool // DOCKER_HOST: also honour DOCKER_TLS_VERIFY/DOCKER_CERT_PATH
}

// engineCandidates lists the addresses testcontainers-go considers, in its
// order: tc.host, DOCKER_HOST, the default socket, docker.host, rootless
// sockets. getenv and exists are injected for tests.
func engineCandidates(getenv func(string) string, exists func(string) bool, props map[string]string) []candidate {
	var c []candidate
	if h := props["tc.host"]; h != "" {
		c = append(c, candidate{host: h, source: "tc.host in ~/.testcontainers.properties"})
	}
	if h := getenv("DOCKER_HOST"); h != "" {
		c = append(c, candidate{host: h, source: "DOCKER_HOST", fromEnv: true})
	}
	if exists("/var/run/docker.sock") {
		c = append(c, candidate{host: "unix:///var/run/docker.sock", source: "the default socket"})
	}
	if h := props["docker.host"]; h != "" {
		c = append(c, candidate{host: h, source: "docker.host in ~/.testcontainers.properties"})
	}
	var rootless []string
	if d := getenv("XDG_RUNTIME_DIR"); d != "" {
		rootless = append(rootless, filepath.Join(d, "docker.sock"))
	}
	if home := getenv("HOME"); home != "" {
		rootless = append(rootless, filepath.Join(home, ".docker", "run", "docker.sock"),
			filepath.Join(home, ".docker", "desktop", "docker.sock"))
	}
	rootless = append(rootless, fmt.Sprintf("/run/user/%d/docker.sock", os.Getuid()))
	for _, p := range rootless {
		if exists(p) {
			c = append(c, candidate{host: "unix://" + p, source: "a rootless Docker socket"})
		}
	}
	return c
}

// socketExists reports whether a socket file exists (a seam for tests).
var socketExists = func(p string) bool { _, err := os.Stat(p); return err == nil }

// readProperties reads ~/.testcontainers.properties (key=value lines).
func readProperties(home string) (path string, values map[string]string) {
	values = map[string]string{}
	if home == "" {
		return "", values
	}
	path = filepath.Join(home, ".testcontainers.properties")
	f, err := os.Open(path)
	if err != nil {
		return "", values
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "!") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			k, v, ok = strings.Cut(line, ":")
		}
		if ok {
			values[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return path, values
}

// ProbeEngine finds the Docker engine testcontainers-go would use and pings
// it. The error wraps ErrDockerUnreachable and names every address tried
// and the fix.
func ProbeEngine(ctx context.Context) (Engine, error) {
	home := os.Getenv("HOME")
	propPath, props := readProperties(home)
	cands := engineCandidates(os.Getenv, socketExists, props)
	var tried []string
	for _, c := range cands {
		e, err := ping(ctx, c)
		if err == nil {
			e.Properties, e.PropertyValues = propPath, props
			return e, nil
		}
		tried = append(tried, fmt.Sprintf("%s (from %s): %v", c.host, c.source, err))
	}
	return Engine{Properties: propPath, PropertyValues: props}, unreachableError(tried)
}

// unreachableError is the Docker-unreachable message with its fix.
func unreachableError(tried []string) error {
	var b strings.Builder
	if len(tried) == 0 {
		b.WriteString("no Docker engine found: DOCKER_HOST is not set, /var/run/docker.sock does not exist, " +
			"no rootless Docker socket and no ~/.testcontainers.properties docker.host")
	} else {
		b.WriteString("tried ")
		b.WriteString(strings.Join(tried, "; "))
	}
	b.WriteString(". Fix: start a Docker engine (Linux: `sudo systemctl start docker`; macOS/Windows: start Docker Desktop) " +
		"or point DOCKER_HOST at a running one (e.g. DOCKER_HOST=unix:///var/run/docker.sock), then check with `docker info`; " +
		"testcontainers-go also reads docker.host/tc.host from ~/.testcontainers.properties. " +
		"Without Docker, use target.kind: embedded (simulated shop) or external (a shop you run)")
	return fmt.Errorf("%w: %s", ErrDockerUnreachable, b.String())
}

// ping asks one engine for its version.
func ping(ctx context.Context, c candidate) (Engine, error) {
	opts := []client.Opt{client.WithHost(c.host), client.WithAPIVersionNegotiation()}
	if c.fromEnv {
		opts = []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	}
	cli, err := client.New(opts...)
	if err != nil {
		return Engine{}, err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return Engine{}, err
	}
	v, err := cli.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return Engine{}, err
	}
	return Engine{Host: c.host, Source: c.source, Version: v.Version, OS: v.Os}, nil
}
