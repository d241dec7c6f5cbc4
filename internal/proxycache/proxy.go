package proxycache

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/server"
	"github.com/psbench/psbench/internal/proxycache/cachestore"
	"github.com/psbench/psbench/internal/proxycache/sqlclass"
	"github.com/psbench/psbench/internal/proxycache/stats"
)

// Version is reported by the admin API.
const Version = "0.1.0"

// handshakeTimeout bounds a client's login, so a silent client cannot hold
// a connection slot forever.
const handshakeTimeout = 10 * time.Second

// Proxy is the caching MySQL proxy. Create it with New, run it with Serve or
// ListenAndServe, stop it by cancelling the context.
type Proxy struct {
	cfg   Config
	log   *slog.Logger
	hooks Hooks
	stats *stats.Stats

	classifier *sqlclass.Classifier
	blacklist  *sqlclass.TableSet
	ttlRules   []ttlRule
	store      cachestore.Store // nil when the cache is off

	greet    greeting
	srv      *server.Server
	accounts map[string]account
	decoy    string // password of every unknown user (see decoyPassword)

	connSeq atomic.Uint64
	slots   chan struct{} // nil when unlimited

	mu       sync.Mutex
	sessions map[uint64]*session
	wg       sync.WaitGroup
}

// account is a client login and the backend login it maps to.
type account struct {
	password        string
	backendUser     string
	backendPassword string
}

// ttlRule overrides the entry TTL for statements reading matching tables.
type ttlRule struct {
	set *sqlclass.TableSet
	ttl time.Duration
}

// Option customises a Proxy.
type Option func(*Proxy)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(p *Proxy) { p.log = l } }

// WithHooks adds observers called for every connection, statement and
// invalidation, in addition to the proxy's own statistics.
func WithHooks(h Hooks) Option { return func(p *Proxy) { p.hooks = h } }

// New validates cfg, reads the backend's greeting (so clients are greeted
// with the backend's version), and builds the cache tier. It fails with a
// clear error when the backend or Redis cannot be reached.
func New(ctx context.Context, cfg Config, opts ...Option) (*Proxy, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("proxy config: %w", err)
	}
	p := &Proxy{cfg: cfg, log: slog.Default(), sessions: map[uint64]*session{}}
	for _, o := range opts {
		o(p)
	}
	p.log = p.log.With("component", "proxy")
	p.stats = stats.New(stats.Options{})
	if cfg.MaxConnections > 0 {
		p.slots = make(chan struct{}, cfg.MaxConnections)
	}

	g, err := probeBackend(ctx, cfg.Backend.Addr, cfg.Backend.ConnectTimeout.D())
	if err != nil {
		return nil, err
	}
	p.greet = g

	p.classifier = sqlclass.NewClassifier(int64(cfg.Cache.ParseMemoBytes))
	preset, err := sqlclass.Preset(cfg.Cache.Blacklist.Preset)
	if err != nil {
		return nil, fmt.Errorf("cache.blacklist.preset: %w", err)
	}
	p.blacklist, err = sqlclass.NewTableSet(cfg.Cache.TablePrefix, append(preset, cfg.Cache.Blacklist.Tables...))
	if err != nil {
		return nil, fmt.Errorf("cache.blacklist.tables: %w", err)
	}
	for pattern, ttl := range cfg.Cache.TableTTL {
		set, err := sqlclass.NewTableSet(cfg.Cache.TablePrefix, []string{pattern})
		if err != nil {
			return nil, fmt.Errorf("cache.table_ttl: %w", err)
		}
		p.ttlRules = append(p.ttlRules, ttlRule{set: set, ttl: ttl.D()})
	}

	if p.store, err = newStore(ctx, cfg.Cache, p.log); err != nil {
		return nil, err
	}

	if p.srv, err = newMySQLServer(cfg, g, &authProvider{p: p}); err != nil {
		return nil, err
	}
	p.decoy = decoyPassword()
	p.accounts = map[string]account{}
	if len(cfg.Clients) == 0 {
		p.accounts[cfg.Backend.User] = account{password: cfg.Backend.Password, backendUser: cfg.Backend.User, backendPassword: cfg.Backend.Password}
	}
	for _, a := range cfg.Clients {
		acc := account{password: a.Password, backendUser: a.BackendUser, backendPassword: a.BackendPassword}
		if acc.backendUser == "" {
			acc.backendUser, acc.backendPassword = cfg.Backend.User, cfg.Backend.Password
		}
		p.accounts[a.User] = acc
	}
	return p, nil
}

// newStore builds the configured cache tier (nil when the cache is off).
func newStore(ctx context.Context, c CacheConfig, log *slog.Logger) (cachestore.Store, error) {
	redisOpts := func() cachestore.RedisOptions {
		return cachestore.RedisOptions{
			Addr: c.Redis.Addr, Password: c.Redis.Password, DB: c.Redis.DB, KeyPrefix: c.Redis.KeyPrefix,
			Timeout: c.Redis.Timeout.D(), RetryBackoff: c.Redis.RetryBackoff.D(), Logger: log,
		}
	}
	switch c.Mode {
	case CacheLocal:
		return cachestore.NewLocal(int64(c.Local.MaxBytes)), nil
	case CacheRedis:
		r, err := cachestore.NewRedis(ctx, redisOpts())
		if err != nil {
			return nil, fmt.Errorf("cache.redis: %w", err)
		}
		return r, nil
	case CacheLocalRedis:
		r, err := cachestore.NewRedis(ctx, redisOpts())
		if err != nil {
			return nil, fmt.Errorf("cache.redis: %w", err)
		}
		return cachestore.NewTiered(cachestore.NewLocal(int64(c.Local.MaxBytes)), r), nil
	}
	return nil, nil
}

// newMySQLServer builds the server side of the handshake: the backend's
// version and collation, the configured auth method, and TLS when set.
func newMySQLServer(cfg Config, g greeting, auth server.AuthenticationProvider) (*server.Server, error) {
	var tlsConf *tls.Config
	var rsaKey *rsa.PrivateKey
	if cfg.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls: load %s: %w", cfg.TLS.CertFile, err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		rsaKey, _ = cert.PrivateKey.(*rsa.PrivateKey)
	}
	if cfg.ClientAuth == AuthCachingSHA2 && rsaKey == nil {
		// caching_sha2_password's full authentication over plain TCP sends
		// the password RSA-encrypted with the server's public key.
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("generate RSA key for caching_sha2_password: %w", err)
		}
		rsaKey = k
	}
	collation := g.collation
	if collation == 0 {
		collation = mysql.DEFAULT_COLLATION_ID
	}
	srv := server.NewServerWithAuth(g.version, collation, cfg.ClientAuth, rsaKey, tlsConf, auth)
	if g.caps&mysql.CLIENT_LOCAL_FILES != 0 {
		if err := srv.SetCapability(mysql.CLIENT_LOCAL_FILES); err != nil {
			return nil, fmt.Errorf("enable LOCAL INFILE: %w", err)
		}
	}
	return srv, nil
}

// Stats returns the proxy's statistics (also served by the admin API).
func (p *Proxy) Stats() *stats.Stats { return p.stats }

// Config returns the configuration the proxy runs with.
func (p *Proxy) Config() Config { return p.cfg }

// BackendVersion is the server version the backend announced.
func (p *Proxy) BackendVersion() string { return p.greet.version }

// Flush empties the cache.
func (p *Proxy) Flush(ctx context.Context) error {
	if p.store == nil {
		return nil
	}
	return p.store.Flush(ctx)
}

// Usage reports the cache tier's size and health.
func (p *Proxy) Usage() cachestore.StoreUsage {
	if p.store == nil {
		return cachestore.StoreUsage{Mode: CacheOff, Available: true}
	}
	return p.store.Usage()
}

// Health checks that the backend accepts connections.
func (p *Proxy) Health(ctx context.Context) error {
	_, err := probeBackend(ctx, p.cfg.Backend.Addr, p.cfg.Backend.ConnectTimeout.D())
	return err
}

// AdminHandler returns the admin HTTP API (stats, metrics, flush, health,
// capture windows).
func (p *Proxy) AdminHandler() http.Handler {
	return stats.NewAdmin(p.stats, stats.AdminControls{
		Flush:  p.Flush,
		Usage:  func() any { return p.Usage() },
		Health: p.Health,
		Info:   func() any { return p.info() },
	})
}

// Info describes the running proxy for the admin API.
type Info struct {
	Version        string   `json:"version"`
	Listen         string   `json:"listen"`
	Backend        string   `json:"backend"`
	BackendVersion string   `json:"backend_version"`
	CacheMode      string   `json:"cache_mode"`
	TTL            string   `json:"ttl"`
	Blacklist      string   `json:"blacklist_preset"`
	BlacklistExtra []string `json:"blacklist_tables,omitempty"`
	TablePrefix    string   `json:"table_prefix"`
	MaxResultBytes int64    `json:"max_result_bytes"`
}

func (p *Proxy) info() Info {
	c := p.cfg.Cache
	return Info{Version: Version, Listen: p.cfg.Listen, Backend: p.cfg.Backend.Addr, BackendVersion: p.greet.version,
		CacheMode: c.Mode, TTL: c.TTL.String(), Blacklist: c.Blacklist.Preset, BlacklistExtra: c.Blacklist.Tables,
		TablePrefix: c.TablePrefix, MaxResultBytes: int64(c.MaxResultBytes)}
}

// ListenAndServe listens on the configured MySQL and admin addresses and
// serves until ctx is cancelled.
func (p *Proxy) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", p.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", p.cfg.Listen, err)
	}
	errc := make(chan error, 2)
	var admin *http.Server
	if p.cfg.Admin != "" {
		aln, err := net.Listen("tcp", p.cfg.Admin)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen admin %s: %w", p.cfg.Admin, err)
		}
		admin = &http.Server{Handler: p.AdminHandler(), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := admin.Serve(aln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("admin API: %w", err)
			}
		}()
	}
	go func() { errc <- p.Serve(ctx, ln) }()
	var first error
	select {
	case first = <-errc:
	case <-ctx.Done():
		first = <-errc
	}
	if admin != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = admin.Shutdown(sctx)
		cancel()
	}
	return first
}

// Serve accepts client connections on ln until ctx is cancelled, then
// closes the listener and every session and waits for them to end.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	p.log.Info("proxy serving", "listen", ln.Addr().String(), "backend", p.cfg.Backend.Addr,
		"backend_version", p.greet.version, "cache", p.cfg.Cache.Mode)
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var tempDelay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				p.closeSessions()
				p.wg.Wait()
				if p.store != nil {
					_ = p.store.Close()
				}
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, errTooManyFiles(err)) {
				tempDelay = min(max(2*tempDelay, 5*time.Millisecond), time.Second)
				p.log.Warn("accept failed; retrying", "err", err, "delay", tempDelay)
				time.Sleep(tempDelay)
				continue
			}
			return fmt.Errorf("accept on %s: %w", ln.Addr(), err)
		}
		tempDelay = 0
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(ctx, conn)
		}()
	}
}

// errTooManyFiles matches EMFILE/ENFILE-like temporary accept errors.
func errTooManyFiles(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil && (oe.Err.Error() == "too many open files") {
		return err
	}
	return errNever
}

var errNever = errors.New("never matches")

// closeSessions closes every open client and backend connection.
func (p *Proxy) closeSessions() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.sessions {
		s.client.Close()
		if s.backend != nil {
			s.backend.Close()
		}
	}
}

// handle runs one client connection from handshake to close.
func (p *Proxy) handle(ctx context.Context, conn net.Conn) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("session panic; connection closed, proxy keeps serving", "panic", r, "client", conn.RemoteAddr().String())
			conn.Close()
		}
	}()
	if p.slots != nil {
		select {
		case p.slots <- struct{}{}:
			defer func() { <-p.slots }()
		default:
			w := bufio.NewWriter(conn)
			_, _ = writePacket(w, 0, errPacket(erConCount, "08004", "Too many connections (psbench proxy max_connections)"))
			_ = w.Flush()
			conn.Close()
			return
		}
	}
	id := p.connSeq.Add(1)
	log := p.log.With("conn", id, "client", conn.RemoteAddr().String())
	_ = conn.SetDeadline(time.Now().Add(handshakeTimeout))
	auth := &sessionAuth{p: p, ctx: ctx}
	sc, err := p.srv.NewCustomizedConn(conn, auth, auth)
	if err != nil {
		if auth.bconn != nil {
			auth.bconn.Close()
		}
		log.Warn("client login failed", "user", auth.user, "err", err)
		return
	}
	_ = conn.SetDeadline(time.Time{})
	bconn := auth.bconn
	netConn := sc.Conn.Conn // the raw (or TLS) client connection after the handshake
	s := &session{
		p:           p,
		log:         log,
		client:      netConn,
		cr:          newPacketReader(netConn),
		cw:          bufio.NewWriterSize(netConn, ioBufferSize),
		bconn:       bconn,
		backend:     bconn.Conn.Conn,
		caps:        sc.Capability(),
		collation:   sc.Charset(),
		backendUser: auth.acc.backendUser,
		db:          auth.db,
		tempTables:  map[string]struct{}{},
		txWrites:    map[string]struct{}{},
		stmts:       map[uint32]preparedStmt{},

		lastBackendDone: auth.loggedIn,
	}
	s.br = newPacketReader(s.backend)
	s.bw = bufio.NewWriterSize(s.backend, 16<<10)
	s.status = serverStatusAutocommit
	if !bconn.IsAutoCommit() {
		s.status = 0
	}
	if bconn.IsInTransaction() {
		s.status |= serverStatusInTrans
	}
	s.info = stats.ConnInfo{ID: id, ClientAddr: conn.RemoteAddr(), User: sc.GetUser(), BackendUser: auth.acc.backendUser, Opened: time.Now()}

	p.mu.Lock()
	p.sessions[id] = s
	p.mu.Unlock()
	p.connOpened(s.info)
	defer func() {
		p.mu.Lock()
		delete(p.sessions, id)
		p.mu.Unlock()
		s.quitBackend()
		_ = bconn.Close()
		_ = netConn.Close()
		p.connClosed(s.info)
	}()
	s.run(ctx)
}

// sessionAuth answers go-mysql's server handshake for one connection: it
// looks up the client account and, once the client is authenticated but
// before it is told so, opens the backend connection, so that a backend
// failure reaches the client as its login error.
type sessionAuth struct {
	p     *Proxy
	ctx   context.Context
	user  string
	acc   account
	db    string
	bconn *client.Conn
	// loggedIn is when the backend login ended: the backend session is
	// idle from then until the first command.
	loggedIn time.Time
}

// GetCredential returns the password the client must prove.
func (a *sessionAuth) GetCredential(username string) (server.Credential, bool, error) {
	a.user = username
	acc, ok := a.p.accounts[username]
	if !ok {
		return server.Credential{Passwords: []string{a.p.decoy}, AuthPluginName: a.p.cfg.ClientAuth}, true, nil
	}
	return server.Credential{Passwords: []string{acc.password}, AuthPluginName: a.p.cfg.ClientAuth}, true, nil
}

// OnAuthSuccess opens the backend connection with the client's settings.
func (a *sessionAuth) OnAuthSuccess(c *server.Conn) error {
	a.acc = a.p.accounts[c.GetUser()]
	if c.Capability()&mysql.CLIENT_SESSION_TRACK != 0 && a.p.greet.caps&mysql.CLIENT_SESSION_TRACK == 0 {
		return mysql.NewError(erNotSupportedYet, "psbench proxy: the client asked for CLIENT_SESSION_TRACK, which the backend does not support")
	}
	bc, err := dialBackend(a.ctx, a.p.cfg.Backend.Addr, a.p.cfg.Backend.ConnectTimeout.D(), backendLogin{
		user: a.acc.backendUser, password: a.acc.backendPassword, db: a.db,
		collation: c.Charset(), clientCaps: c.Capability(), attrs: c.Attributes(),
	})
	if err != nil {
		a.p.log.Warn("backend login failed", "user", a.acc.backendUser, "err", err)
		var me *mysql.MyError
		if errors.As(err, &me) {
			return me
		}
		return mysql.NewError(crConnHostError, fmt.Sprintf("psbench proxy: cannot connect to the backend: %v", err))
	}
	a.bconn, a.loggedIn = bc, time.Now()
	return nil
}

// OnAuthFailure is informational; the failure is logged by the caller.
func (a *sessionAuth) OnAuthFailure(*server.Conn, error) {}

// UseDB records the database the client named in its handshake.
func (a *sessionAuth) UseDB(db string) error { a.db = db; return nil }

// The remaining server.Handler methods are never reached: after the
// handshake the session relays commands itself.
func (a *sessionAuth) HandleQuery(string) (*mysql.Result, error) { return nil, errNotRelayed }
func (a *sessionAuth) HandleFieldList(string, string) ([]*mysql.Field, error) {
	return nil, errNotRelayed
}
func (a *sessionAuth) HandleStmtPrepare(string) (int, int, any, error) {
	return 0, 0, nil, errNotRelayed
}
func (a *sessionAuth) HandleStmtExecute(any, string, []any) (*mysql.Result, error) {
	return nil, errNotRelayed
}
func (a *sessionAuth) HandleStmtClose(any) error             { return errNotRelayed }
func (a *sessionAuth) HandleOtherCommand(byte, []byte) error { return errNotRelayed }

var errNotRelayed = errors.New("psbench proxy: command handled outside go-mysql's server loop")

// statement reports a statement to the statistics and the caller's hooks.
func (p *Proxy) statement(ev *stats.StatementEvent) {
	p.stats.Statement(ev)
	if p.hooks.Statement != nil {
		p.hooks.Statement(ev)
	}
}

func (p *Proxy) connOpened(ci stats.ConnInfo) {
	p.stats.ConnOpened(ci)
	if p.hooks.ConnOpened != nil {
		p.hooks.ConnOpened(ci)
	}
}

func (p *Proxy) connClosed(ci stats.ConnInfo) {
	p.stats.ConnClosed(ci)
	if p.hooks.ConnClosed != nil {
		p.hooks.ConnClosed(ci)
	}
}

// invalidate makes entries reading tables invalid in every tier. It
// returns how long the store call took and whether one was made (none with
// the cache off or nothing to invalidate).
func (p *Proxy) invalidate(tables []string, all bool) (time.Duration, bool) {
	if p.store == nil || (len(tables) == 0 && !all) {
		return 0, false
	}
	ctx := context.Background()
	var err error
	t0 := time.Now()
	if all {
		err = p.store.InvalidateAll(ctx)
	} else {
		err = p.store.Invalidate(ctx, tables)
	}
	took := time.Since(t0)
	if err != nil && !errors.Is(err, cachestore.ErrUnavailable) {
		p.log.Warn("invalidate", "tables", tables, "all", all, "err", err)
	}
	p.stats.Invalidated(tables, all)
	if p.hooks.Invalidated != nil {
		p.hooks.Invalidated(tables, all)
	}
	return took, true
}

// ttlFor is the TTL of an entry reading tables: the shortest override that
// matches one of them, else the default.
func (p *Proxy) ttlFor(tables []sqlclass.TableRef) time.Duration {
	ttl := p.cfg.Cache.TTL.D()
	for _, r := range p.ttlRules {
		if r.ttl >= ttl {
			continue
		}
		for _, t := range tables {
			if r.set.Match(t) {
				ttl = r.ttl
				break
			}
		}
	}
	return ttl
}
