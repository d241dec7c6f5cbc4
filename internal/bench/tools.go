// Package bench runs psbench's proxy benchmark: sysbench oltp_point_select
// against MariaDB directly, through haproxy (the cost of one TCP hop) and
// through the caching proxy with its cache off, warm in-process and warm in
// Redis, plus the proxy's memory per cached entry. It reports ratios, since
// the machines it runs on are noisy.
package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrToolMissing is wrapped by errors for an external program that is not
// installed.
var ErrToolMissing = errors.New("required program not installed")

// lookTool finds an external program in PATH; its error names the Debian
// package that provides it.
func lookTool(name, debianPkg string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %s not found in PATH; install the Debian package %q (apt-get install %s)",
			ErrToolMissing, name, debianPkg, debianPkg)
	}
	return p, nil
}

// tailBuffer keeps the last max bytes written to it; it is safe for
// concurrent use (a running process writes while an error is built).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
	cut bool
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.cut = true
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if t.cut {
		s = "..." + s
	}
	return s
}

// redactArgs hides password arguments (--mysql-password=...).
func redactArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if k, _, ok := strings.Cut(a, "="); ok && strings.Contains(k, "password") {
			a = k + "=***"
		}
		out[i] = a
	}
	return out
}

// commandLine renders a command for messages, passwords redacted.
func commandLine(bin string, args []string) string {
	return strings.Join(append([]string{bin}, redactArgs(args)...), " ")
}

// newCmd prepares a process that is terminated (SIGTERM, then SIGKILL after
// grace) when ctx ends.
func newCmd(ctx context.Context, grace time.Duration, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = grace
	return cmd
}

// runTool runs a program to completion within timeout (and ctx) and returns
// its standard output. Its error names the command and includes the tail of
// its standard error, and of its output's FATAL/error lines (sysbench prints
// its errors there).
func runTool(ctx context.Context, timeout time.Duration, bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var stdout bytes.Buffer
	stderr := newTailBuffer(8 << 10)
	cmd := newCmd(ctx, 5*time.Second, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	err := cmd.Run()
	out := stdout.String()
	if err != nil {
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			err = fmt.Errorf("timed out after %s (%w)", timeout, err)
		case ctx.Err() != nil:
			err = fmt.Errorf("interrupted (%w)", ctx.Err())
		}
		return out, fmt.Errorf("%s: %w%s", commandLine(bin, args), err, diagnostics(stderr.String(), out))
	}
	return out, nil
}

// diagnostics formats a failed process's stderr and the error lines of its
// stdout for an error message.
func diagnostics(stderr, stdout string) string {
	var b strings.Builder
	if stderr != "" {
		b.WriteString("\nstderr:\n" + stderr)
	}
	var lines []string
	all := strings.Split(strings.TrimSpace(stdout), "\n")
	for _, l := range all {
		if strings.Contains(l, "FATAL") || strings.Contains(l, "ALERT") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 && stderr == "" {
		lines = all // nothing stands out: show the end of the output
	}
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	if len(lines) > 0 && strings.TrimSpace(stdout) != "" {
		b.WriteString("\noutput:\n" + strings.Join(lines, "\n"))
	}
	return b.String()
}

// toolVersion returns the first line of `bin args...` (stdout or stderr),
// or "unknown".
func toolVersion(ctx context.Context, bin string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if line == "" {
		return "unknown"
	}
	return line
}

// versionField returns the word after marker in a version line ("HAProxy
// version 2.6.12-1 2023/..." -> "2.6.12-1"), or the whole line.
func versionField(line, marker string) string {
	f := strings.Fields(line)
	for i, w := range f {
		if w == marker && i+1 < len(f) {
			return f[i+1]
		}
	}
	return line
}
