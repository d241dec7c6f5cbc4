package querycount

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"time"

	"github.com/psbench/psbench/internal/proxycache/stats"
	"github.com/psbench/psbench/internal/results"
)

// pageRun collects one URL's samples.
type pageRun struct {
	page   Page
	prime  *sample
	phases map[string][]*sample
	// order lists every capture of the URL as it happened, to compare the
	// shop's work across requests.
	order []*sample
}

// sample is one request in one capture window.
type sample struct {
	label    string
	snap     stats.CaptureSnapshot
	http     results.HTTP
	problems []string
	warnings []string
	check    *results.PhaseCheck
	ok       bool // the page answered 2xx
}

// measureColdWarm measures the cold and warm phases of one URL (sample i).
func (r *profileRun) measureColdWarm(ctx context.Context, pr *pageRun, i int) error {
	hasCold := slices.Contains(r.phases, results.PhaseCold)
	hasWarm := slices.Contains(r.phases, results.PhaseWarm)
	u := pr.page.URL
	if hasCold {
		r.step("cold %s sample %d", u, i+1)
		s, err := r.exchange(ctx, results.PhaseCold, u, true)
		if err != nil {
			return err
		}
		r.record(pr, results.PhaseCold, s)
	}
	if !hasWarm {
		return nil
	}
	if !hasCold {
		r.step("warm-up %s sample %d (flush, unmeasured)", u, i+1)
		s, err := r.exchange(ctx, "warm-up", u, true)
		if err != nil {
			return err
		}
		r.noteSetup(pr, s)
	}
	r.step("warm %s sample %d", u, i+1)
	s, err := r.exchange(ctx, results.PhaseWarm, u, false)
	if err != nil {
		return err
	}
	r.record(pr, results.PhaseWarm, s)
	return nil
}

// measureWarmOther flushes, requests every other URL of the kind
// (unmeasured) and then measures pr's URL.
func (r *profileRun) measureWarmOther(ctx context.Context, pr *pageRun, kind []*pageRun, i int) error {
	first := true
	for _, other := range kind {
		if other == pr {
			continue
		}
		r.step("warm_other %s sample %d: warming with %s", pr.page.URL, i+1, other.page.URL)
		s, err := r.exchange(ctx, "warm_other warmer", other.page.URL, first)
		if err != nil {
			return err
		}
		first = false
		r.noteSetup(pr, s)
	}
	r.step("warm_other %s sample %d", pr.page.URL, i+1)
	s, err := r.exchange(ctx, results.PhaseWarmOther, pr.page.URL, false)
	if err != nil {
		return err
	}
	r.record(pr, results.PhaseWarmOther, s)
	return nil
}

// record files a measured sample.
func (r *profileRun) record(pr *pageRun, phase string, s *sample) {
	n := len(pr.phases[phase]) + 1
	pr.phases[phase] = append(pr.phases[phase], s)
	pr.order = append(pr.order, s)
	for _, p := range s.problems {
		r.problem("%s %s %s sample %d: %s", pr.page.Kind, pr.page.URL, phase, n, p)
	}
	for _, w := range s.warnings {
		r.warn("%s %s %s sample %d: %s", pr.page.Kind, pr.page.URL, phase, n, w)
	}
	if s.check != nil {
		cc := &r.prof.CounterCheck
		cc.Checked++
		if s.check.Agree {
			cc.Agreed++
		}
	}
}

// noteSetup files the problems of an unmeasured request that prepares a
// phase (a warm-up or warm_other warmer): a failed or polluted preparation
// spoils the phase it prepares.
func (r *profileRun) noteSetup(pr *pageRun, s *sample) {
	for _, p := range s.problems {
		r.problem("%s %s: unmeasured %s request: %s", pr.page.Kind, pr.page.URL, s.label, p)
	}
}

// exchange makes one page request inside its own capture window: open the
// window (and flush the cache inside it when flush is set), request the
// page, read the body, wait ResponseGrace, read the window ("at the
// response"), wait for the connections opened in the window to close, and
// stop it. With a counter, Questions is read just before and just after.
// It fails only when the admin API or the shop cannot be reached.
func (r *profileRun) exchange(ctx context.Context, label, u string, flush bool) (*sample, error) {
	s := &sample{label: label}
	var q0 int64
	haveQ := false
	if r.counter != nil {
		var err error
		if q0, err = r.counter.read(ctx); err != nil {
			r.counterFailed(err)
		} else {
			haveQ = true
		}
	}
	id, err := r.p.Admin.StartCapture(ctx, stats.CaptureRequest{Label: "psbench " + label + " " + u})
	if err != nil {
		return nil, r.adminErr("POST /capture", err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_, _ = r.p.Admin.StopCapture(context.WithoutCancel(ctx), id)
		}
	}()
	if flush {
		if err := r.p.Admin.Flush(ctx); err != nil {
			return nil, r.adminErr("POST /cache/flush", err)
		}
	}

	f := r.fetch(ctx, u)
	s.http = f.http
	if f.err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if f.unreachable {
			return nil, fmt.Errorf("%w: GET %s: %v", ErrShopUnreachable, u, f.err)
		}
		s.problems = append(s.problems, fmt.Sprintf("GET %s failed: %v", u, f.err))
	}
	s.problems = append(s.problems, f.problems...)
	s.warnings = append(s.warnings, f.warnings...)
	s.ok = f.err == nil && f.http.Status >= 200 && f.http.Status < 300

	grace := r.p.ResponseGrace
	if grace == 0 {
		grace = DefaultResponseGrace
	}
	if err := sleep(ctx, grace); err != nil {
		return nil, err
	}
	atResponse, err := r.p.Admin.ReadCapture(ctx, id)
	if err != nil {
		return nil, r.adminErr("GET /capture/{id}", err)
	}
	settle := r.p.SettleTimeout
	if settle == 0 {
		settle = DefaultSettleTimeout
	}
	snap := atResponse
	deadline := time.Now().Add(settle)
	for openInWindow(snap) > 0 && time.Now().Before(deadline) {
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return nil, err
		}
		if snap, err = r.p.Admin.ReadCapture(ctx, id); err != nil {
			return nil, r.adminErr("GET /capture/{id}", err)
		}
	}
	stopped = true
	if snap, err = r.p.Admin.StopCapture(ctx, id); err != nil {
		return nil, r.adminErr("POST /capture/{id}/stop", err)
	}
	s.snap = snap
	s.problems = append(s.problems, windowProblems(atResponse, snap, flush, settle)...)

	if haveQ {
		exp, _ := ExpectedQuestions(snap)
		delta, _, err := r.counter.deltaSince(ctx, q0, exp)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			r.counterFailed(err)
		} else {
			s.check = crossCheck(delta, snap)
		}
	}
	return s, nil
}

// openInWindow counts the connections opened in the window that are still
// open.
func openInWindow(snap stats.CaptureSnapshot) int {
	n := 0
	for _, c := range snap.Connections.PerConnection {
		if c.OpenedInWindow && !c.ClosedInWindow {
			n++
		}
	}
	return n
}

// clientCommands is the number of client commands of a snapshot.
func clientCommands(s stats.CaptureSnapshot) uint64 { return s.ClientStatements.Total }

// windowProblems lists what makes a window unattributable to its page.
func windowProblems(atResponse, final stats.CaptureSnapshot, flushed bool, settle time.Duration) []string {
	var out []string
	if final.ForeignStatements > 0 {
		out = append(out, fmt.Sprintf("FOREIGN TRAFFIC: %d statements came from connections opened before the capture (%s); "+
			"another client is using the proxy, so this count is not the page's",
			final.ForeignStatements, describeConns(final.Connections.PerConnection, func(c stats.CaptureConn) bool { return !c.OpenedInWindow && c.Statements > 0 })))
	}
	for _, c := range final.Connections.PerConnection {
		if !c.OpenedInWindow && c.ClosedInWindow && c.Statements == 0 {
			out = append(out, fmt.Sprintf("FOREIGN TRAFFIC: connection #%d from %s, opened before the capture, closed during it (its COM_QUIT is in the backend commands)",
				c.ID, orDash(c.ClientAddr)))
		}
	}
	if late := clientCommands(final) - clientCommands(atResponse); late > 0 {
		out = append(out, fmt.Sprintf("%d statement(s) arrived after the HTTP response had completed: either another client or the page working after responding; the count is not attributable", late))
	}
	if lateConns := final.Connections.OpenedInWindow - atResponse.Connections.OpenedInWindow; lateConns > 0 {
		out = append(out, fmt.Sprintf("%d connection(s) were opened after the HTTP response had completed", lateConns))
	}
	if n := openInWindow(final); n > 0 {
		out = append(out, fmt.Sprintf("%d connections the page opened were still open %s after the response (persistent connections?): "+
			"their statements may leak into the next capture and their COM_QUIT is not counted", n, settle))
	}
	if final.Connections.Unlisted > 0 {
		out = append(out, fmt.Sprintf("%d connections were not listed by the proxy (capture connection limit): foreign traffic cannot be ruled out", final.Connections.Unlisted))
	}
	want := uint64(0)
	if flushed {
		want = 1
	}
	if final.Flushes != want {
		out = append(out, fmt.Sprintf("the cache was flushed %d times during the capture (psbench flushed %d): someone else flushed it", final.Flushes, want))
	}
	return out
}

// crossCheck compares a Questions delta with a capture.
func crossCheck(delta int64, snap stats.CaptureSnapshot) *results.PhaseCheck {
	exp, unknown := ExpectedQuestions(snap)
	c := &results.PhaseCheck{QuestionsDelta: int(delta), Expected: exp, Agree: int(delta) == exp}
	switch {
	case !c.Agree && int(delta) > exp:
		c.Note = fmt.Sprintf("MySQL counted %d more statements than the proxy sent it: other clients of the server, or statements the proxy did not count", int(delta)-exp)
	case !c.Agree:
		c.Note = fmt.Sprintf("MySQL counted %d fewer statements than the proxy says it sent", exp-int(delta))
	}
	if len(unknown) > 0 {
		c.Note = joinNote(c.Note, fmt.Sprintf("commands %v were not calibrated and were assumed counted", unknown))
	}
	return c
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fetched is the outcome of one page request.
type fetched struct {
	http        results.HTTP
	err         error
	unreachable bool // the shop could not be connected to at all
	problems    []string
	warnings    []string
}

// redirectState is what CheckRedirect saw for one request.
type redirectState struct {
	loop     bool
	tooMany  bool
	count    int
	location string
}

type redirectKey struct{}

// checkRedirect follows at most max redirects and stops at a loop; the
// last response is returned either way and judged by fetch.
func checkRedirect(max int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		st, _ := req.Context().Value(redirectKey{}).(*redirectState)
		if st == nil {
			st = &redirectState{}
		}
		st.location = req.URL.String()
		for _, v := range via {
			if v.URL.String() == req.URL.String() {
				st.loop = true
				return http.ErrUseLastResponse
			}
		}
		if len(via) > max {
			st.tooMany = true
			return http.ErrUseLastResponse
		}
		st.count = len(via)
		return nil
	}
}

// fetch requests u, reads the whole body and times it.
func (r *profileRun) fetch(ctx context.Context, u string) fetched {
	var f fetched
	st := &redirectState{}
	var ttfb time.Duration
	start := time.Now()
	trace := &httptrace.ClientTrace{GotFirstResponseByte: func() { ttfb = time.Since(start) }}
	rctx := httptrace.WithClientTrace(context.WithValue(ctx, redirectKey{}, st), trace)
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		f.err = err
		return f
	}
	req.Header.Set("User-Agent", "psbench-profile/1 (+https://github.com/psbench/psbench)")
	resp, err := r.hc.Do(req)
	if err != nil {
		f.err = err
		f.unreachable = isUnreachable(err)
		f.http.TotalNs = int64(time.Since(start))
		return f
	}
	n, rerr := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	f.http = results.HTTP{Status: resp.StatusCode, Bytes: n, TTFBNs: int64(ttfb), TotalNs: int64(time.Since(start)), Redirects: st.count}
	if st.count > 0 {
		f.http.FinalURL = resp.Request.URL.String()
	}
	if rerr != nil {
		f.err = fmt.Errorf("read body: %w", rerr)
	}
	switch {
	case st.loop:
		f.problems = append(f.problems, fmt.Sprintf("REDIRECT LOOP: GET %s answered %d, leading back to %s", u, resp.StatusCode, st.location))
	case st.tooMany:
		f.problems = append(f.problems, fmt.Sprintf("TOO MANY REDIRECTS: GET %s still answered %d after %d redirects (last to %s)", u, resp.StatusCode, st.count, st.location))
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		f.problems = append(f.problems, fmt.Sprintf("GET %s answered %d %s without a usable Location", u, resp.StatusCode, http.StatusText(resp.StatusCode)))
	case resp.StatusCode >= 400:
		f.problems = append(f.problems, fmt.Sprintf("GET %s answered HTTP %d %s: not a page to profile", u, resp.StatusCode, http.StatusText(resp.StatusCode)))
	case resp.StatusCode < 200:
		f.problems = append(f.problems, fmt.Sprintf("GET %s answered HTTP %d", u, resp.StatusCode))
	}
	if st.count > 0 && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		f.warnings = append(f.warnings, fmt.Sprintf("GET %s was redirected %d time(s) to %s: the capture counts every request of the chain; profile the final URL instead",
			u, st.count, resp.Request.URL))
	}
	return f
}

// isUnreachable reports whether err means the shop could not be connected
// to at all (as opposed to failing during a request).
func isUnreachable(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
