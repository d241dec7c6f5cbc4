package scenario

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/threshold"
)

var (
	kindNameRE  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	phaseNameRE = regexp.MustCompile(`^[a-z0-9_-]+$`)
	runNameRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// Bounds of the embedded storefront's sizes.
var embeddedBounds = []struct {
	key      string
	min, max int
	get      func(*Embedded) int
}{
	{"products", 1, 200000, func(e *Embedded) int { return e.Products }},
	{"categories", 1, 20000, func(e *Embedded) int { return e.Categories }},
	{"combinations_per_product", 1, 100, func(e *Embedded) int { return e.CombinationsPerProduct }},
	{"modules", 1, 1000, func(e *Embedded) int { return e.Modules }},
	{"products_per_category_page", 1, 100, func(e *Embedded) int { return e.ProductsPerCategoryPage }},
	{"related_products", 1, 100, func(e *Embedded) int { return e.RelatedProducts }},
	{"languages", 1, 20, func(e *Embedded) int { return e.Languages }},
}

const maxScale = 50

type validator struct {
	s    *Scenario
	d    *document
	errs ErrorList
}

func (v *validator) bad(p path, format string, a ...any) {
	v.errs = append(v.errs, v.d.errorAt(p, false, fmt.Sprintf(format, a...)))
}

// badKey reports at the key of p rather than its value.
func (v *validator) badKey(p path, format string, a ...any) {
	v.errs = append(v.errs, v.d.errorAt(p, true, fmt.Sprintf(format, a...)))
}

func (v *validator) validate() {
	s := v.s
	if !runNameRE.MatchString(s.Name) {
		v.bad(at("name"), "%q is not a valid name (expected letters, digits, '.', '_' or '-', used in the results directory name)", s.Name)
	}
	v.target()
	v.cache()
	v.pages()
	v.profile()
	v.load()
	v.thresholds()
	if strings.TrimSpace(s.Output.Dir) == "" {
		v.bad(at("output", "dir"), "must not be empty (expected a directory, default results)")
	}
	if n := s.Network; n != nil {
		for _, f := range []struct {
			key string
			d   proxycache.Duration
		}{{"db_rtt", n.DBRTT}, {"cache_rtt", n.CacheRTT}, {"jitter", n.Jitter}} {
			if f.d < 0 || f.d.D() > time.Minute {
				v.bad(at("network", f.key), "%s is out of range (expected 0 to 1m)", f.d)
			}
		}
		c := s.Cache
		switch {
		case n.CacheRTT > 0 && !c.UsesRedis():
			v.bad(at("network", "cache_rtt"), "%s has no effect with cache.mode %s (expected cache.mode redis or local+redis, or no cache_rtt)", n.CacheRTT, c.Mode)
		case n.CacheRTT > 0 && c.Redis.Timeout > 0 && n.CacheRTT+n.Jitter >= c.Redis.Timeout:
			v.bad(at("network", "cache_rtt"), "%s (jitter %s) is not below cache.redis.timeout %s: every Redis call would time out (raise the timeout)", n.CacheRTT, n.Jitter, c.Redis.Timeout)
		}
	}
}

func (v *validator) target() {
	t := &v.s.Target
	kinds := []string{KindEmbedded, KindDocker, KindExternal}
	if !slices.Contains(kinds, t.Kind) {
		v.bad(at("target", "kind"), "%q is not a target kind (expected embedded, docker or external)", t.Kind)
		return
	}
	for _, other := range kinds {
		if other == t.Kind {
			continue
		}
		p := at("target", other)
		if n, _, ok := v.d.find(p); ok && !isNull(v.d.resolve(n)) {
			hint := ""
			if !v.d.has(at("target", "kind")) {
				hint = fmt.Sprintf("; target.kind defaults to %s: set kind: %s to use this block", KindEmbedded, other)
			}
			v.badKey(p, "only the %s block may be set when target.kind is %s%s", t.Kind, t.Kind, hint)
		}
	}
	switch t.Kind {
	case KindEmbedded:
		v.embedded(t.Embedded)
	case KindDocker:
		v.docker(t.Docker)
	case KindExternal:
		v.external(t.External)
	}
}

func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return ok || n == nil
}

func (v *validator) embedded(e *Embedded) {
	base := at("target", "embedded")
	for _, b := range embeddedBounds {
		if n := b.get(e); n < b.min || n > b.max {
			v.bad(base.with(b.key), "%d is out of range (expected %d to %d)", n, b.min, b.max)
		}
	}
	if e.RelatedShare < 0 || e.RelatedShare > 1 {
		v.bad(base.with("related_share"), "%v is out of range (expected 0 to 1; 0 = one product in three)", e.RelatedShare)
	}
	if !(e.Scale > 0 && e.Scale <= maxScale) {
		v.bad(base.with("scale"), "%v is out of range (expected more than 0, at most %d; 1 = the PrestaShop 8.1 demo)", e.Scale, maxScale)
	}
}

func (v *validator) docker(dk *Docker) {
	base := at("target", "docker")
	if strings.TrimSpace(dk.PrestaShopImage) == "" {
		v.bad(base.with("prestashop_image"), "must not be empty (expected an image such as %s)", DefaultDockerImage)
	}
	if strings.TrimSpace(dk.MySQLVersion) == "" {
		v.bad(base.with("mysql_version"), "must not be empty (expected a version such as %s)", DefaultDockerMySQL)
	}
	if dk.Nodes < 1 || dk.Nodes > 16 {
		v.bad(base.with("nodes"), "%d is out of range (expected 1 to 16)", dk.Nodes)
	}
}

func (v *validator) external(x *External) {
	base := at("target", "external")
	if x == nil {
		v.bad(base, "is required when target.kind is external (base_url, backend, proxy_listen)")
		return
	}
	if x.BaseURL == "" {
		v.bad(base.with("base_url"), "is required (expected the storefront's absolute URL, e.g. https://staging.shop.example)")
	} else if msg := checkAbsURL(x.BaseURL); msg != "" {
		v.bad(base.with("base_url"), "%s", msg)
	}
	v.hostPort(base.with("backend", "addr"), x.Backend.Addr, "the MySQL server, e.g. 127.0.0.1:3306")
	if x.Backend.User == "" {
		v.bad(base.with("backend", "user"), "is required (expected a MySQL user that may read the shop's tables and status counters)")
	}
	v.hostPort(base.with("proxy_listen"), x.ProxyListen, "where the shop's database_host:database_port will point, e.g. 127.0.0.1:3307")
	if x.ProxyListen != "" && x.ProxyListen == x.Backend.Addr {
		v.bad(base.with("proxy_listen"), "must differ from backend.addr (the proxy sits in front of the backend)")
	}
	if x.Database == "" {
		for _, k := range v.s.Kinds() {
			if v.s.Pages[k].Discover > 0 {
				v.bad(base.with("database"), "is required to discover pages (pages.%s.discover); expected the shop's database name", k)
				break
			}
		}
	}
}

func checkAbsURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an absolute http(s) URL (expected e.g. https://staging.shop.example)", s)
	}
	return ""
}

func (v *validator) hostPort(p path, s, what string) {
	if s == "" {
		v.bad(p, "is required (expected host:port: %s)", what)
		return
	}
	host, port, err := net.SplitHostPort(s)
	n, perr := strconv.Atoi(port)
	if err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		v.bad(p, "%q is not host:port (expected %s)", s, what)
	}
}

// cache applies proxycache's own rules (Config.Validate) to the cache
// block and maps each message back to its key.
func (v *validator) cache() {
	cfg := proxycache.DefaultConfig()
	cfg.Cache = v.s.Cache
	if err := cfg.Validate(); err != nil {
		errs := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		}
		for _, e := range errs {
			key, msg, ok := strings.Cut(e.Error(), ": ")
			if !ok || (key != "cache" && !strings.HasPrefix(key, "cache.")) {
				continue // the rest of Config is proxycache's defaults
			}
			v.bad(cachePath(key), "%s", msg)
		}
	}
	if v.s.Cache.Mode == proxycache.CacheOff {
		v.bad(at("cache", "mode"), "off leaves nothing to measure (baseline already runs with the cache off); expected local, redis or local+redis")
	}
}

// cachePath turns "cache.table_ttl.ps_x" into a path, keeping a table
// name with dots as one key.
func cachePath(key string) path {
	var p path
	rest := key
	for rest != "" {
		seg, tail, _ := strings.Cut(rest, ".")
		p = append(p, seg)
		rest = tail
		if seg == "table_ttl" && tail != "" {
			p = append(p, tail)
			break
		}
	}
	return p
}

func (v *validator) pages() {
	s := v.s
	if len(s.Pages) == 0 {
		v.bad(at("pages"), "at least one page kind is required (e.g. product: {discover: 5})")
		return
	}
	for _, k := range s.Kinds() {
		pg := s.Pages[k]
		base := at("pages", k)
		validName := false
		switch {
		case k == "load":
			v.badKey(base, "%q is reserved (threshold metrics load.* name load phases); choose another kind name", k)
		case !kindNameRE.MatchString(k):
			v.badKey(base, "%q is not a page kind name (expected product, category, home, cms, search or a custom name matching [a-z][a-z0-9_]*)", k)
		default:
			validName = true
		}
		if len(pg.URLs) == 0 && pg.Template == "" && len(pg.IDs) == 0 && pg.Discover == 0 {
			v.bad(base, "has no pages (expected urls, template with ids, or discover)")
		}
		for i, u := range pg.URLs {
			if msg := checkPageURL(u); msg != "" {
				v.bad(base.with("urls", i), "%s", msg)
			}
		}
		switch {
		case pg.Template != "" && !strings.Contains(pg.Template, "{id}"):
			v.bad(base.with("template"), "%q has no {id} placeholder (expected e.g. /index.php?id_product={id}&controller=product)", pg.Template)
		case pg.Template != "":
			if msg := checkPageURL(strings.ReplaceAll(pg.Template, "{id}", "1")); msg != "" {
				v.bad(base.with("template"), "%s", msg)
			}
			if len(pg.IDs) == 0 {
				v.bad(base.with("template"), "needs ids (expected a list of ids, e.g. ids: [1, 2, 3])")
			}
		case len(pg.IDs) > 0:
			v.bad(base.with("ids"), "ids need a template with {id}")
		}
		for i, id := range pg.IDs {
			if id <= 0 {
				v.bad(base.with("ids", i), "%d is not an id (expected a positive integer)", id)
			}
		}
		if pg.Discover < 0 || pg.Discover > 1000 {
			v.bad(base.with("discover"), "%d is out of range (expected 0 to 1000 pages)", pg.Discover)
		} else if pg.Discover > 0 && validName && !slices.Contains(WellKnownKinds, k) {
			v.bad(base.with("discover"), "targets discover only %s pages; list urls or a template for %q", strings.Join(WellKnownKinds, ", "), k)
		}
		if (pg.Samples < 1 || pg.Samples > 100) && v.d.has(base.with("samples")) {
			v.bad(base.with("samples"), "%d is out of range (expected 1 to 100; default profile.samples)", pg.Samples)
		}
	}
}

// checkPageURL accepts an absolute http(s) URL or a path starting with /.
func checkPageURL(u string) string {
	if strings.HasPrefix(u, "/") {
		if _, err := url.Parse(u); err != nil {
			return fmt.Sprintf("%q is not a valid URL path", u)
		}
		return ""
	}
	if strings.Contains(u, "://") {
		return checkAbsURL(u)
	}
	return fmt.Sprintf("%q is neither an absolute http(s) URL nor a path starting with / (expected e.g. /index.php?id_product=1&controller=product)", u)
}

func (v *validator) profile() {
	p := &v.s.Profile
	if p.Enabled != nil && *p.Enabled && len(p.Phases) == 0 {
		v.bad(at("profile", "phases"), "must list at least one phase (expected cold, warm and/or warm_other), or set enabled: false")
	}
	v.subset(at("profile", "phases"), p.Phases, []string{PhaseCold, PhaseWarm, PhaseWarmOther}, "profile phase")
	if p.Samples < 1 || p.Samples > 100 {
		v.bad(at("profile", "samples"), "%d is out of range (expected 1 to 100)", p.Samples)
	}
	if p.TopDigests < 0 || p.TopDigests > 1000 {
		v.bad(at("profile", "top_digests"), "%d is out of range (expected 0 to 1000)", p.TopDigests)
	}
}

// subset checks that every entry of list is one of valid, once.
func (v *validator) subset(p path, list, valid []string, what string) {
	for i, x := range list {
		switch {
		case !slices.Contains(valid, x):
			v.bad(p.with(i), "%q is not a %s (expected %s)", x, what, orList(valid))
		case slices.Index(list, x) < i:
			v.bad(p.with(i), "%q is listed twice", x)
		}
	}
}

func orList(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

func (v *validator) load() {
	l := &v.s.Load
	if len(l.Modes) == 0 {
		v.bad(at("load", "modes"), "must list at least one mode (expected baseline and/or cached)")
	}
	v.subset(at("load", "modes"), l.Modes, []string{ModeBaseline, ModeCached}, "load mode")
	if l.Timeout <= 0 || l.Timeout.D() > 10*time.Minute {
		v.bad(at("load", "timeout"), "%s is out of range (expected more than 0, at most 10m)", l.Timeout)
	}
	seen := map[string]int{}
	for i, ph := range l.Phases {
		base := at("load", "phases", i)
		switch {
		case ph.Name == "":
			v.bad(base.with("name"), "is required (expected a name matching [a-z0-9_-]+, e.g. steady)")
		case !phaseNameRE.MatchString(ph.Name):
			v.bad(base.with("name"), "%q is not a phase name (expected [a-z0-9_-]+, e.g. steady)", ph.Name)
		case ph.Name == ModeBaseline || ph.Name == ModeCached:
			v.bad(base.with("name"), "%q is reserved (it names a load mode)", ph.Name)
		default:
			if j, dup := seen[ph.Name]; dup {
				v.bad(base.with("name"), "%q is already the name of load.phases[%d] (names must be unique)", ph.Name, j)
			} else {
				seen[ph.Name] = i
			}
		}
		switch {
		case ph.Rate != "" && ph.Ramp != nil:
			v.badKey(base.with("ramp"), "rate and ramp are exclusive (expected exactly one of them)")
		case ph.Rate == "" && ph.Ramp == nil:
			v.bad(base, "needs a rate (e.g. rate: 20/s) or a ramp (e.g. ramp: {from: 5/s, to: 40/s})")
		case ph.Rate != "":
			if _, err := ParseRate(ph.Rate); err != nil {
				v.bad(base.with("rate"), "%v", err)
			}
		default:
			for _, end := range []struct{ key, val string }{{"from", ph.Ramp.From}, {"to", ph.Ramp.To}} {
				if end.val == "" {
					v.bad(base.with("ramp", end.key), "is required (expected a rate such as 20/s)")
				} else if _, err := ParseRate(end.val); err != nil {
					v.bad(base.with("ramp", end.key), "%v", err)
				}
			}
		}
		if ph.Duration <= 0 {
			v.bad(base.with("duration"), "must be more than 0 (expected e.g. 30s or 2m)")
		} else if ph.Duration.D() > 24*time.Hour {
			v.bad(base.with("duration"), "%s is more than 24h", ph.Duration)
		}
		if ph.Warmup < 0 || ph.Warmup.D() > 24*time.Hour {
			v.bad(base.with("warmup"), "%s is out of range (expected 0 to 24h)", ph.Warmup)
		}
		if ph.MaxConcurrency < 1 || ph.MaxConcurrency > 10000 {
			v.bad(base.with("max_concurrency"), "%d is out of range (expected 1 to 10000 concurrent requests)", ph.MaxConcurrency)
		}
		v.weights(base.with("weights"), ph.Weights)
	}
}

func (v *validator) weights(p path, w map[string]int) {
	if len(w) == 0 {
		return // equal weights
	}
	total := 0
	for _, k := range sortedKeys(w) {
		if _, ok := v.s.Pages[k]; !ok {
			v.badKey(p.with(k), "%q is not a page kind of this scenario (expected one of: %s)", k, strings.Join(v.s.Kinds(), ", "))
		}
		if w[k] < 0 {
			v.bad(p.with(k), "%d is negative (expected a weight of 0 or more)", w[k])
		} else {
			total += w[k]
		}
	}
	if total == 0 {
		v.bad(p, "all weights are 0 (expected at least one positive weight)")
	}
}

func (v *validator) thresholds() {
	s := v.s
	universe := threshold.Known(threshold.Metrics(s.Kinds(), s.loadPhaseNames()))
	available := threshold.Known(s.Metrics())
	for i, src := range s.Thresholds {
		p := at("thresholds", i)
		e, err := threshold.Parse(src)
		if err != nil {
			var te *threshold.Error
			if errors.As(err, &te) {
				v.thresholdErr(p, te.Col, te.Msg)
			} else {
				v.bad(p, "%v", err)
			}
			continue
		}
		known := available
		for _, r := range e.Refs() {
			if _, ok := available[r.Name]; ok {
				continue
			}
			if u, ok := universe[r.Name]; ok {
				v.thresholdErr(p, r.Col, fmt.Sprintf("metric %q will not be measured: %s", r.Name, s.unavailable(r.Name)))
				if _, dup := known[r.Name]; !dup {
					known = maps(known)
					known[r.Name] = u
				}
			}
		}
		if err := e.Check(known); err != nil {
			var tes threshold.Errors
			if errors.As(err, &tes) {
				for _, te := range tes {
					msg := te.Msg
					if strings.HasPrefix(msg, "unknown metric") && len(s.Load.Phases) == 0 && strings.Contains(msg, `"load.`) {
						msg += " (the scenario has no load phases)"
					}
					v.thresholdErr(p, te.Col, msg)
				}
			} else {
				v.bad(p, "%v", err)
			}
		}
	}
}

func maps(m map[string]threshold.Unit) map[string]threshold.Unit {
	out := make(map[string]threshold.Unit, len(m)+1)
	for k, u := range m {
		out[k] = u
	}
	return out
}

// thresholdErr reports at a column inside thresholds[i]: exact when the
// expression is a one-line plain or quoted scalar without escapes.
func (v *validator) thresholdErr(p path, col int, msg string) {
	e := v.d.errorAt(p, false, msg)
	if n, _, ok := v.d.find(p); ok {
		if tk := v.d.resolve(n).GetToken(); tk != nil && tk.Position != nil {
			origin := strings.TrimSpace(tk.Origin)
			switch origin {
			case tk.Value:
				e.Line, e.Column = tk.Position.Line, tk.Position.Column+col-1
			case "'" + tk.Value + "'", `"` + tk.Value + `"`:
				e.Line, e.Column = tk.Position.Line, tk.Position.Column+col
			}
		}
	}
	v.errs = append(v.errs, e)
}

// loadPhaseNames are the load phases' names in scenario order.
func (s *Scenario) loadPhaseNames() []string {
	names := make([]string, 0, len(s.Load.Phases))
	for _, p := range s.Load.Phases {
		names = append(names, p.Name)
	}
	return names
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
