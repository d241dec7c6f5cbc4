package querycount

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/psbench/psbench/internal/proxycache/stats"
	"github.com/psbench/psbench/internal/results"
)

// Errors Run wraps; the profile command maps them to exit codes.
var (
	// ErrBadInput: the Profiler or its pages are unusable (no admin
	// client, no page, an unknown phase, a URL that is not http(s)).
	ErrBadInput = errors.New("bad profile input")
	// ErrAdminUnreachable: the proxy's admin API did not answer.
	ErrAdminUnreachable = errors.New("proxy admin API unreachable")
	// ErrShopUnreachable: a page URL could not be connected to at all
	// (connection refused, unknown host). An HTTP error status is not this:
	// it makes the phase invalid instead.
	ErrShopUnreachable = errors.New("shop unreachable")
	// ErrForeignTraffic: the quiet check before the profile saw traffic
	// through the proxy, so no capture could be attributed to one page.
	ErrForeignTraffic = errors.New("foreign traffic through the proxy")
)

// Page is one URL to profile and the kind of page it is (product,
// category, ...). Kinds are aggregated separately.
type Page struct {
	Kind string
	URL  string
}

// Defaults of the Profiler's zero fields.
const (
	DefaultSamples       = 3
	DefaultTopDigests    = 10
	DefaultMaxRedirects  = 3
	DefaultQuietPeriod   = 300 * time.Millisecond
	DefaultSettleTimeout = 5 * time.Second
	DefaultResponseGrace = 50 * time.Millisecond
	defaultHTTPTimeout   = 60 * time.Second
)

// Profiler measures pages through a running proxy. Fields left zero take
// the defaults above. A Profiler must not be used by two Runs at once, and
// nothing else may send page requests while it runs: that is the point.
type Profiler struct {
	// Admin is the proxy's admin API client (required).
	Admin *stats.Client
	// AdminAddr names the admin API in messages (optional).
	AdminAddr string
	// HTTP requests the pages (default: a client with a 60s timeout and no
	// cookie jar, so each request is a new visitor). Its CheckRedirect is
	// replaced on a copy: at most MaxRedirects redirects are followed.
	HTTP *http.Client
	// Backend, when set, is a direct connection to the proxy's MySQL
	// server, used only to read SHOW GLOBAL STATUS LIKE 'Questions' around
	// every capture (see ExpectedQuestions).
	Backend *sql.DB
	// Samples is how many times each phase of each URL is measured.
	Samples int
	// PrimeApp requests every URL once, unmeasured, before measuring, so
	// the shop's own caches are warm.
	PrimeApp bool
	// Phases to measure (default all: cold, warm, warm_other).
	Phases []string
	// TopDigests bounds the statement shapes kept per phase and per kind.
	TopDigests int
	// AllowForeign continues after a failed quiet check (the profile is
	// still marked invalid).
	AllowForeign bool
	// MaxRedirects is how many redirects a page request follows.
	MaxRedirects int
	// QuietPeriod is the length of the quiet check.
	QuietPeriod time.Duration
	// SettleTimeout bounds the wait, after a response, for the
	// connections the page opened to close.
	SettleTimeout time.Duration
	// ResponseGrace is waited after a response before the capture is read
	// for "statements after the response", so that the proxy's statistics
	// hook of the page's last statement is not mistaken for a late one.
	ResponseGrace time.Duration
	// Log receives debug details (default: discard).
	Log *slog.Logger
	// Progress, when set, is told about each step in one line.
	Progress func(string)
}

// profileRun is the state of one Run.
type profileRun struct {
	p       *Profiler
	hc      *http.Client
	log     *slog.Logger
	phases  []string
	samples int
	top     int
	prof    *results.Profile
	counter *questionsCounter
	admin   string
	steps   int
	total   int
}

// Run profiles pages and returns the profile. Measurement problems (a 404,
// foreign traffic during a capture, the cache being off) do not fail Run:
// they make the profile invalid and are listed in its Problems. Run fails
// (with a partial, invalid profile when one exists) only for ErrBadInput,
// ErrAdminUnreachable, ErrShopUnreachable, ErrForeignTraffic (the quiet
// check, unless AllowForeign) or the context ending.
func (p *Profiler) Run(ctx context.Context, pages []Page) (*results.Profile, error) {
	r, err := p.newRun(pages)
	if err != nil {
		return nil, err
	}
	prof := r.prof
	order := kindOrder(pages)

	st, err := p.Admin.Stats(ctx)
	if err != nil {
		return nil, r.adminErr("GET /stats", err)
	}
	r.checkProxy(st)

	if p.Backend != nil {
		r.openCounter(ctx)
		defer func() {
			if r.counter != nil {
				_ = r.counter.close()
			}
		}()
	} else {
		prof.CounterCheck.Note = "no backend DSN given: captures were not cross-checked against MySQL's Questions counter"
	}

	if err := r.quietCheck(ctx); err != nil {
		return prof, err
	}

	pagesByKind := map[string][]*pageRun{}
	var all []*pageRun
	for _, pg := range pages {
		pr := &pageRun{page: pg, phases: map[string][]*sample{}}
		pagesByKind[pg.Kind] = append(pagesByKind[pg.Kind], pr)
		all = append(all, pr)
	}
	r.total = r.countSteps(order, pagesByKind)

	if p.PrimeApp {
		for _, pr := range all {
			r.step("prime-app %s (unmeasured)", pr.page.URL)
			s, err := r.exchange(ctx, "prime-app", pr.page.URL, false)
			if err != nil {
				return r.abort(err)
			}
			pr.prime = s
			if len(s.problems) > 0 {
				r.problem("%s %s prime-app request (unmeasured): %s", pr.page.Kind, pr.page.URL, strings.Join(s.problems, "; "))
			}
		}
	}

	for i := range r.samples {
		for _, kind := range order {
			kpages := pagesByKind[kind]
			for _, pr := range kpages {
				if err := r.measureColdWarm(ctx, pr, i); err != nil {
					return r.abort(err)
				}
			}
			if !slices.Contains(r.phases, results.PhaseWarmOther) || len(kpages) < 2 {
				continue
			}
			for _, pr := range kpages {
				if err := r.measureWarmOther(ctx, pr, kpages, i); err != nil {
					return r.abort(err)
				}
			}
		}
	}
	if slices.Contains(r.phases, results.PhaseWarmOther) {
		for _, kind := range order {
			if len(pagesByKind[kind]) < 2 {
				r.warn("kind %s: warm_other skipped: it needs at least two URLs of the kind (got %s)", kind, pagesByKind[kind][0].page.URL)
			}
		}
	}

	r.build(order, pagesByKind, all)
	return prof, nil
}

// newRun validates the Profiler and pages and applies the defaults.
func (p *Profiler) newRun(pages []Page) (*profileRun, error) {
	if p.Admin == nil {
		return nil, fmt.Errorf("%w: no admin API client", ErrBadInput)
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("%w: no page to profile", ErrBadInput)
	}
	seen := map[string]bool{}
	for _, pg := range pages {
		if strings.TrimSpace(pg.Kind) == "" {
			return nil, fmt.Errorf("%w: page %q has no kind", ErrBadInput, pg.URL)
		}
		if !strings.HasPrefix(pg.URL, "http://") && !strings.HasPrefix(pg.URL, "https://") {
			return nil, fmt.Errorf("%w: page URL %q (kind %s) is not an http:// or https:// URL", ErrBadInput, pg.URL, pg.Kind)
		}
		if seen[pg.URL] {
			return nil, fmt.Errorf("%w: page URL %q is listed twice", ErrBadInput, pg.URL)
		}
		seen[pg.URL] = true
	}
	phases := p.Phases
	if len(phases) == 0 {
		phases = []string{results.PhaseCold, results.PhaseWarm, results.PhaseWarmOther}
	}
	var ordered []string
	for _, ph := range []string{results.PhaseCold, results.PhaseWarm, results.PhaseWarmOther} {
		if slices.Contains(phases, ph) {
			ordered = append(ordered, ph)
		}
	}
	for _, ph := range phases {
		if !slices.Contains(ordered, ph) {
			return nil, fmt.Errorf("%w: unknown phase %q (valid: cold, warm, warm_other)", ErrBadInput, ph)
		}
	}
	if p.Samples < 0 || p.TopDigests < 0 || p.MaxRedirects < 0 {
		return nil, fmt.Errorf("%w: samples, top digests and max redirects must not be negative", ErrBadInput)
	}
	r := &profileRun{p: p, phases: ordered, samples: p.Samples, top: p.TopDigests, log: p.Log, admin: p.AdminAddr}
	if r.samples == 0 {
		r.samples = DefaultSamples
	}
	if r.top == 0 {
		r.top = DefaultTopDigests
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.admin == "" {
		r.admin = "the configured address"
	}
	hc := &http.Client{Timeout: defaultHTTPTimeout}
	if p.HTTP != nil {
		c := *p.HTTP
		hc = &c
	}
	maxRedirects := p.MaxRedirects
	if maxRedirects == 0 {
		maxRedirects = DefaultMaxRedirects
	}
	hc.CheckRedirect = checkRedirect(maxRedirects)
	r.hc = hc
	r.prof = &results.Profile{
		AppPrimed: p.PrimeApp,
		Samples:   r.samples,
		Valid:     true,
		Phases:    ordered,
		Pages:     []results.PageProfile{},
		Kinds:     []results.KindProfile{},
	}
	return r, nil
}

// kindOrder returns the kinds in order of first appearance.
func kindOrder(pages []Page) []string {
	var order []string
	for _, pg := range pages {
		if !slices.Contains(order, pg.Kind) {
			order = append(order, pg.Kind)
		}
	}
	return order
}

// countSteps counts the requests a Run makes, for progress messages.
func (r *profileRun) countSteps(order []string, byKind map[string][]*pageRun) int {
	n := 0
	if r.p.PrimeApp {
		for _, k := range order {
			n += len(byKind[k])
		}
	}
	for _, k := range order {
		u := len(byKind[k])
		per := 0
		if slices.Contains(r.phases, results.PhaseCold) {
			per++
		}
		if slices.Contains(r.phases, results.PhaseWarm) {
			per++
			if !slices.Contains(r.phases, results.PhaseCold) {
				per++
			}
		}
		if slices.Contains(r.phases, results.PhaseWarmOther) && u > 1 {
			per += u // u-1 warmers and the measured request
		}
		n += r.samples * u * per
	}
	return n
}

// problem records a problem: the profile is invalid.
func (r *profileRun) problem(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	r.prof.Valid = false
	r.prof.Problems = append(r.prof.Problems, msg)
	r.log.Debug("profile problem", "problem", msg)
}

// warn records a warning.
func (r *profileRun) warn(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	r.prof.Warnings = append(r.prof.Warnings, msg)
	r.log.Debug("profile warning", "warning", msg)
}

// progress reports one step.
func (r *profileRun) progress(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	r.log.Debug("profile step", "step", msg)
	if r.p.Progress != nil {
		r.p.Progress(msg)
	}
}

// step reports one request with its rank.
func (r *profileRun) step(format string, a ...any) {
	r.steps++
	r.progress("[%d/%d] %s", r.steps, r.total, fmt.Sprintf(format, a...))
}

// adminErr wraps an admin API failure.
func (r *profileRun) adminErr(what string, err error) error {
	var ae *stats.APIError
	if errors.As(err, &ae) {
		return fmt.Errorf("proxy admin API at %s: %s answered %d: %s", r.admin, what, ae.StatusCode, ae.Message)
	}
	return fmt.Errorf("%w: %s at %s failed: %v (is the proxy running with its admin API on that address?)", ErrAdminUnreachable, what, r.admin, err)
}

// abort ends a Run early: the profile so far is returned, invalid.
func (r *profileRun) abort(err error) (*results.Profile, error) {
	r.problem("profile aborted: %v", err)
	return r.prof, err
}

// proxyInfo is the part of GET /stats .proxy the profile uses.
type proxyInfo struct {
	CacheMode string `json:"cache_mode"`
}

// checkProxy records the cache mode and refuses a cache that is off.
func (r *profileRun) checkProxy(st stats.StatsResponse) {
	var info proxyInfo
	if len(st.Proxy) > 0 {
		_ = json.Unmarshal(st.Proxy, &info)
	}
	r.prof.CacheMode = info.CacheMode
	switch info.CacheMode {
	case "off":
		r.problem("the proxy's cache is OFF (cache_mode \"off\" in GET /stats): every statement reaches MySQL, so warm " +
			"equals cold by construction and every reduction is 0 %%; restart the proxy with a cache (--cache local) " +
			"to measure what the cache does")
	case "":
		r.warn("the proxy's admin API did not report a cache mode (no proxy.cache_mode in GET /stats); " +
			"a cache that is off would make warm equal cold")
	}
	if st.Captures.Open > 0 {
		r.warn("%d other capture window(s) were open on the proxy when the profile started: another harness may be measuring through it", st.Captures.Open)
	}
}

// openCounter pins the backend connection used for the Questions readings;
// failure leaves the cross-check unavailable with a note.
func (r *profileRun) openCounter(ctx context.Context) {
	cc := &r.prof.CounterCheck
	cc.Formula = QuestionsFormula
	q, err := openQuestionsCounter(ctx, r.p.Backend)
	if err != nil {
		cc.Note = fmt.Sprintf("counter cross-check unavailable: the backend DSN cannot read MySQL's Questions status: %v", err)
		r.warn("%s", cc.Note)
		return
	}
	r.counter = q
	cc.Available = true
}

// counterFailed turns the cross-check off after a reading failed.
func (r *profileRun) counterFailed(err error) {
	cc := &r.prof.CounterCheck
	cc.Note = fmt.Sprintf("counter cross-check stopped after %d captures: reading Questions failed: %v", cc.Checked, err)
	r.warn("%s", cc.Note)
	_ = r.counter.close()
	r.counter = nil
}

// quietCheck opens a capture for QuietPeriod with no request of psbench's
// own: any command or connection in it is somebody else's.
func (r *profileRun) quietCheck(ctx context.Context) error {
	period := r.p.QuietPeriod
	if period == 0 {
		period = DefaultQuietPeriod
	}
	r.progress("quiet check: %s with no request", period)
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
	id, err := r.p.Admin.StartCapture(ctx, stats.CaptureRequest{Label: "psbench quiet check"})
	if err != nil {
		return r.adminErr("POST /capture", err)
	}
	select {
	case <-time.After(period):
	case <-ctx.Done():
		_, _ = r.p.Admin.StopCapture(context.WithoutCancel(ctx), id)
		return ctx.Err()
	}
	snap, err := r.p.Admin.StopCapture(ctx, id)
	if err != nil {
		return r.adminErr("POST /capture/{id}/stop", err)
	}
	if haveQ {
		if q1, err := r.counter.read(ctx); err != nil {
			r.counterFailed(err)
		} else if other := q1 - q0 - 1 - int64(snap.BackendCommands.Total); other != 0 {
			r.prof.CounterCheck.Note = fmt.Sprintf("MySQL counted %d statements from clients other than the proxy during the %s quiet check: "+
				"Questions is server-wide, so captures will likely disagree with it", other, period)
			r.warn("%s", r.prof.CounterCheck.Note)
		}
	}
	if snap.ClientStatements.Total == 0 && snap.BackendCommands.Total == 0 && snap.Connections.OpenedInWindow == 0 {
		return nil
	}
	msg := fmt.Sprintf("quiet check failed: with no request from psbench, the proxy saw %d client commands, %d backend commands and %d new connections in %s (%s): "+
		"something else is using this proxy, so no capture could be attributed to one page",
		snap.ClientStatements.Total, snap.BackendCommands.Total, snap.Connections.OpenedInWindow, period, describeConns(snap.Connections.PerConnection, func(stats.CaptureConn) bool { return true }))
	r.problem("%s", msg)
	if r.p.AllowForeign {
		r.warn("continuing despite the failed quiet check (allow foreign traffic): every number below may include other clients' statements")
		return nil
	}
	return fmt.Errorf("%w: %s", ErrForeignTraffic, msg)
}

// describeConns lists the connections matching keep, for messages.
func describeConns(conns []stats.CaptureConn, keep func(stats.CaptureConn) bool) string {
	var parts []string
	for _, c := range conns {
		if !keep(c) {
			continue
		}
		parts = append(parts, fmt.Sprintf("conn #%d from %s user %q: %d statements", c.ID, orDash(c.ClientAddr), c.User, c.Statements))
		if len(parts) == 5 {
			parts = append(parts, "...")
			break
		}
	}
	if len(parts) == 0 {
		return "no connection listed"
	}
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
