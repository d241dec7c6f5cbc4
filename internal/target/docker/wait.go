package docker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go/wait"
)

// installWait waits for the official PrestaShop image's automatic install:
// it follows the container's log for progress and failures, then requires
// the demo catalogue's product page to answer 200 on the published port.
// testcontainers' own HTTP wait gives each request one second, too short
// for a shop's first page (it compiles its caches), hence this strategy.
type installWait struct {
	url      string
	timeout  time.Duration
	poll     time.Duration
	progress *slog.Logger
	client   *http.Client
}

var (
	_ wait.Strategy        = (*installWait)(nil)
	_ wait.StrategyTimeout = (*installWait)(nil)
)

func newInstallWait(productURL string, timeout time.Duration, progress *slog.Logger) *installWait {
	return &installWait{
		url:      productURL,
		timeout:  timeout,
		poll:     2 * time.Second,
		progress: progress,
		client: &http.Client{
			Timeout: 60 * time.Second,
			// Follow redirects on the shop's own host only (non-friendly
			// URL -> friendly URL); another host means PS_DOMAIN is wrong.
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= 5 {
					return errors.New("more than 5 redirects")
				}
				if req.URL.Host != via[0].URL.Host {
					return fmt.Errorf("redirected to another host %s (the shop's domain does not match %s)", req.URL.Host, via[0].URL.Host)
				}
				return nil
			},
		},
	}
}

// Timeout is the install deadline.
func (w *installWait) Timeout() *time.Duration { return &w.timeout }

// String names the strategy in testcontainers' messages.
func (w *installWait) String() string {
	return fmt.Sprintf("PrestaShop install finished and %s answers 200 (within %s)", w.url, w.timeout)
}

// InstallTimeoutError means the install did not finish in time.
type InstallTimeoutError struct {
	Timeout time.Duration
	Last    []string // the last log lines of the shop container
	Detail  string   // the last page check
}

func (e *InstallTimeoutError) Error() string {
	return fmt.Sprintf("PrestaShop install did not finish within %s (last page check: %s); last log lines:\n  %s\n"+
		"Fix: a slow machine needs longer: set PSBENCH_DOCKER_INSTALL_TIMEOUT=40m; "+
		"the whole install log is in the run's run.log (debug level; --log-level debug shows it live)",
		e.Timeout, e.Detail, strings.Join(e.Last, "\n  "))
}

// InstallFailedError means the image's installer reported a failure or the
// container exited.
type InstallFailedError struct {
	Reason string
	Last   []string
}

func (e *InstallFailedError) Error() string {
	return fmt.Sprintf("PrestaShop install failed: %s; last log lines:\n  %s\n"+
		"Fix: check that the image (target.docker.prestashop_image) supports automatic install (PS_INSTALL_AUTO) "+
		"and the MySQL version (target.docker.mysql_version); the whole install log is in the run's run.log (debug level)",
		e.Reason, strings.Join(e.Last, "\n  "))
}

// failureMarkers are log lines of the image's entrypoint (docker_run.sh)
// and installer that mean the install cannot succeed.
var failureMarkers = []string{
	"PrestaShop installation failed",
	"You requested automatic PrestaShop installation but MySQL server address is not provided",
	"PHP Fatal error",
}

// WaitUntilReady implements wait.Strategy.
func (w *installWait) WaitUntilReady(parent context.Context, target wait.StrategyTarget) error {
	ctx, cancel := context.WithTimeout(parent, w.timeout)
	defer cancel()
	start := time.Now()
	var (
		seen       int
		last       []string
		lastReport time.Time
		detail     = "not tried yet"
	)
	for {
		lines, err := readLogLines(ctx, target)
		if err == nil {
			for _, l := range lines[min(seen, len(lines)):] {
				w.logLine(l)
				for _, m := range failureMarkers {
					if strings.Contains(l, m) {
						return &InstallFailedError{Reason: strings.TrimSpace(l), Last: tail(lines, 15)}
					}
				}
			}
			seen = len(lines)
			last = tail(lines, 15)
		}
		if st, err := target.State(ctx); err == nil && st != nil && !st.Running && st.Status != "created" {
			return &InstallFailedError{Reason: fmt.Sprintf("the container stopped (%s, exit code %d)", st.Status, st.ExitCode), Last: last}
		}
		// The entrypoint starts the web server only after the install,
		// so a 200 here means the shop is installed.
		code, err := w.check(ctx)
		switch {
		case err == nil && code == http.StatusOK:
			w.progress.Info("docker: PrestaShop installed; product page answers 200", "elapsed", time.Since(start).Round(time.Second), "url", w.url)
			return nil
		case err != nil:
			detail = err.Error()
		default:
			detail = fmt.Sprintf("HTTP %d", code)
		}
		if time.Since(lastReport) >= 30*time.Second {
			lastReport = time.Now()
			msg := "(no log yet)"
			if len(last) > 0 {
				msg = last[len(last)-1]
			}
			w.progress.Info("docker: PrestaShop install in progress (takes minutes)", "elapsed", time.Since(start).Round(time.Second), "last", msg)
		}
		select {
		case <-ctx.Done():
			if err := parent.Err(); err != nil {
				return err // interrupted, or the caller's own deadline
			}
			return &InstallTimeoutError{Timeout: w.timeout, Last: last, Detail: detail}
		case <-time.After(w.poll):
		}
	}
}

// check requests the product page once.
func (w *installWait) check(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return 0, ue.Err
		}
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<20))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// logLine reports the entrypoint's milestones ("* Installing PrestaShop,
// ...") at info and everything else at debug.
func (w *installWait) logLine(l string) {
	l = strings.TrimSpace(l)
	if l == "" {
		return
	}
	if strings.HasPrefix(l, "* ") || strings.Contains(l, "warning:") || strings.Contains(l, "error") {
		w.progress.Info("docker: prestashop: " + l)
		return
	}
	w.progress.Debug("docker: prestashop: " + l)
}

// readLogLines returns the container's whole log as lines.
func readLogLines(ctx context.Context, target wait.StrategyTarget) ([]string, error) {
	rc, err := target.Logs(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 32<<20))
	if err != nil {
		return nil, err
	}
	b = bytes.TrimRight(b, "\n")
	if len(b) == 0 {
		return nil, nil
	}
	return strings.Split(string(b), "\n"), nil
}

func tail(lines []string, n int) []string {
	var out []string
	for _, l := range lines[max(0, len(lines)-n):] {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// tcLogger sends testcontainers-go's own messages to the run log at debug
// instead of stderr, where they would break psbench's progress display.
type tcLogger struct{ log *slog.Logger }

// Printf implements testcontainers' log.Logger.
func (l *tcLogger) Printf(format string, v ...any) {
	l.log.Debug("testcontainers: " + strings.TrimSpace(fmt.Sprintf(format, v...)))
}
