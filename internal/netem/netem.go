// Package netem injects network latency on loopback: a TCP relay that
// listens on 127.0.0.1 and forwards every connection to a target address,
// delivering each chunk of bytes, in each direction, a one-way delay (plus
// uniform jitter) after it was read. A round trip through the relay
// therefore costs 2 × Delay more than without it: callers that think in
// RTT (scenario network.db_rtt) pass Delay = RTT / 2.
//
// Why not toxiproxy (github.com/Shopify/toxiproxy/v2 v2.5.0, the newest
// release): its latency toxic takes whole milliseconds, so it cannot
// express the 0.1–0.5 ms round trips a capacity plan is about, it waits
// with time.After (timer slack of tens of microseconds per chunk adds
// up over hundreds of statements a page), and as a library it brings
// gorilla/mux, zerolog, urfave/cli and tomb.v1 into the module. This relay
// is ~250 lines with no dependency.
//
// Precision: each chunk is due at read time + delay. Go's timers on an
// idle runtime wake up to ~1 ms late on Linux (the netpoller waits in whole
// milliseconds), which would turn a 0.25 ms delay into 1.25 ms. So on Linux
// the writer waits on a timerfd through the netpoller (30–50 µs late on a
// VM, holding no P or thread) until SpinWindow (100 µs) before the due
// time, then busy-waits the rest: the delay is accurate to a few µs and
// costs little CPU. Spinning all the way (or yielding with Gosched), or
// blocking a thread in nanosleep(2) (its P stays taken until sysmon
// notices), takes CPU from the server whose latency is being measured; it
// added ~200 µs per statement in the validation test on 2 cores. Elsewhere the writer sleeps with a timer until
// 1.5 ms before due and spins the rest.
//
// Connection set-up costs one injected RTT too: the relay dials the target
// only 2 × Delay after accepting, as a TCP handshake across the network
// would take one round trip before the server could speak.
package netem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// DefaultSpinWindow is how long before a chunk is due the writer stops
// sleeping and busy-waits (preciseSleepWindow per platform).
const DefaultSpinWindow = preciseSleepWindow

// maxDelay bounds Delay and Jitter (as scenario validation does for RTTs).
const maxDelay = time.Minute

// Config configures a Relay.
type Config struct {
	// Target is the host:port every accepted connection is forwarded to.
	Target string
	// Delay is the one-way delay added in each direction (RTT / 2).
	Delay time.Duration
	// Jitter varies each chunk's delay uniformly in [-Jitter, +Jitter]
	// (never below zero).
	Jitter time.Duration
	// SpinWindow overrides DefaultSpinWindow (negative: never spin).
	SpinWindow time.Duration
	// DialTimeout bounds the dial to Target (default 5s).
	DialTimeout time.Duration
}

// Relay is a running latency relay. Create it with Start; Close stops it.
type Relay struct {
	cfg  Config
	ln   net.Listener
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	rnd   *rand.Rand
}

// Start listens on a free loopback port and relays to cfg.Target.
func Start(cfg Config) (*Relay, error) {
	if cfg.Target == "" {
		return nil, errors.New("netem: no target address")
	}
	if _, _, err := net.SplitHostPort(cfg.Target); err != nil {
		return nil, fmt.Errorf("netem: target %q is not host:port", cfg.Target)
	}
	if cfg.Delay < 0 || cfg.Jitter < 0 || cfg.Delay > maxDelay || cfg.Jitter > maxDelay {
		return nil, fmt.Errorf("netem: delay %s and jitter %s must be between 0 and %s", cfg.Delay, cfg.Jitter, maxDelay)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("netem: listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Relay{cfg: cfg, ln: ln, ctx: ctx, stop: cancel, conns: map[net.Conn]struct{}{},
		rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x9e3779b97f4a7c15))}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// Addr is the relay's listen address (127.0.0.1:port).
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// Close stops accepting, closes every relayed connection and waits for
// the relay's goroutines. It is safe to call twice.
func (r *Relay) Close() error {
	r.stop()
	err := r.ln.Close()
	r.mu.Lock()
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func (r *Relay) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() != nil {
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *Relay) untrack(c net.Conn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
}

func (r *Relay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return // closed
		}
		if !r.track(c) {
			c.Close()
			return
		}
		r.wg.Add(1)
		go r.serve(c)
	}
}

// delay returns one chunk's delay: Delay ± uniform Jitter, never negative.
func (r *Relay) delay() time.Duration {
	d := r.cfg.Delay
	if j := r.cfg.Jitter; j > 0 {
		r.mu.Lock()
		d += time.Duration(r.rnd.Int64N(int64(2*j)+1)) - j
		r.mu.Unlock()
	}
	return max(d, 0)
}

func (r *Relay) serve(client net.Conn) {
	defer r.wg.Done()
	defer r.untrack(client)
	defer client.Close()
	sl := NewSleeper(r.cfg.SpinWindow)
	ok := sl.Sleep(r.ctx, 2*r.cfg.Delay) // the handshake's round trip
	sl.Close()
	if !ok {
		return
	}
	d := net.Dialer{Timeout: r.cfg.DialTimeout}
	server, err := d.DialContext(r.ctx, "tcp", r.cfg.Target)
	if err != nil {
		return // the client sees the connection close, as a refused dial would
	}
	if !r.track(server) {
		server.Close()
		return
	}
	defer r.untrack(server)
	defer server.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); r.pipe(server, client) }()
	go func() { defer wg.Done(); r.pipe(client, server) }()
	wg.Wait()
}

// chunk is bytes read from one side, due for writing at due; eof marks the
// reader's end of stream.
type chunk struct {
	b   []byte
	due time.Time
	eof bool
}

// pipe copies src to dst, each chunk delayed. When src ends, dst's write
// side is closed after the data before it; when dst fails, both close.
func (r *Relay) pipe(dst, src net.Conn) {
	q := make(chan chunk, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sl := NewSleeper(r.cfg.SpinWindow)
		defer sl.Close()
		for c := range q {
			if c.eof {
				if cw, ok := dst.(interface{ CloseWrite() error }); ok {
					_ = cw.CloseWrite()
				} else {
					dst.Close()
				}
				continue
			}
			if !sl.Until(r.ctx, c.due) {
				return
			}
			if _, err := dst.Write(c.b); err != nil {
				src.Close()
				dst.Close()
				return
			}
		}
	}()
	var last time.Time
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			due := time.Now().Add(r.delay())
			if due.Before(last) {
				due = last // TCP never reorders
			}
			last = due
			select {
			case q <- chunk{b: append([]byte(nil), buf[:n]...), due: due}:
			case <-done:
				close(q)
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				select {
				case q <- chunk{eof: true, due: last}:
				case <-done:
				}
			} else {
				dst.Close()
			}
			close(q)
			<-done
			return
		}
	}
}
