package idleprobe

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/psbench/psbench/internal/results"
	"github.com/redis/go-redis/v9"
)

// wakingServer is a server with a known idle cost: a request that arrives
// after more than threshold of idle takes extra longer than one that
// arrives sooner. It checks the estimator, not a machine.
func wakingServer(threshold, extra time.Duration) Exchange {
	var last time.Time
	return func(ctx context.Context) error {
		idle := time.Since(last)
		d := 20 * time.Microsecond
		if !last.IsZero() && idle > threshold {
			d += extra
		}
		for end := time.Now().Add(d); time.Now().Before(end); {
		}
		last = time.Now()
		return nil
	}
}

func TestMeasureFindsKnownIdleCost(t *testing.T) {
	const extra = 300 * time.Microsecond
	gaps := []time.Duration{100 * time.Microsecond, 400 * time.Microsecond, time.Millisecond}
	ic, err := Measure(context.Background(), Server{Kind: "synthetic", Addr: "in-process", Request: "spin",
		Exchange: wakingServer(250*time.Microsecond, extra)}, Options{Gaps: gaps, Rounds: 3, PerBlock: 20})
	if err != nil {
		t.Fatal(err)
	}
	if ic.Samples != 60 || len(ic.Points) != len(gaps) {
		t.Fatalf("samples %d, points %d: want 60 and %d", ic.Samples, len(ic.Points), len(gaps))
	}
	t.Logf("hot %s; %+v", time.Duration(ic.HotNs), ic.Points)
	if ic.HotNs < float64(20*time.Microsecond) || ic.HotNs > float64(250*time.Microsecond) {
		t.Errorf("hot round trip %s, want about 20 µs", time.Duration(ic.HotNs))
	}
	for _, p := range ic.Points {
		want := 0.0
		if time.Duration(p.GapNs) > 250*time.Microsecond {
			want = float64(extra)
		}
		if d := p.ExtraNs - want; d < -float64(60*time.Microsecond) || d > float64(150*time.Microsecond) {
			t.Errorf("gap %s: extra %s, want about %s", time.Duration(p.GapNs), time.Duration(p.ExtraNs), time.Duration(want))
		}
		if d := p.MeanNs - p.ExtraNs - ic.HotNs; d > 1 || d < -1 {
			t.Errorf("gap %s: mean %v - extra %v is not the hot mean %v", time.Duration(p.GapNs), p.MeanNs, p.ExtraNs, ic.HotNs)
		}
	}
	if ic.Points[0].GapNs != int64(gaps[0]) || ic.Points[2].GapNs != int64(gaps[2]) {
		t.Errorf("points not by gap ascending: %+v", ic.Points)
	}
}

func TestMeasureErrorsNameServer(t *testing.T) {
	n := 0
	failing := func(context.Context) error {
		if n++; n > 5 {
			return errors.New("connection reset")
		}
		return nil
	}
	_, err := Measure(context.Background(), Server{Kind: "mysql", Addr: "10.9.9.9:3306", Exchange: failing}, Options{Warmup: 3, Rounds: 1, PerBlock: 5})
	if err == nil || !strings.Contains(err.Error(), "mysql 10.9.9.9:3306") || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("error %v: want the server and the cause", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Measure(ctx, Server{Kind: "redis", Addr: "x:1", Exchange: func(context.Context) error { return nil }}, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled probe: %v, want context.Canceled", err)
	}
	if _, err := Measure(context.Background(), Server{Kind: "mysql", Addr: "a:1"}, Options{}); err == nil {
		t.Fatal("a server without an exchange was probed")
	}
}

func need(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: %v", what, err)
	}
	t.Skipf("%s not reachable: %v", what, err)
}

// checkReal checks a real server's probe: every gap measured, plausible
// times. The idle cost itself is the machine's and only logged.
func checkReal(t *testing.T, ic results.IdleCost, kind string) {
	t.Helper()
	t.Logf("%s %s: hot %s", ic.Kind, ic.Addr, time.Duration(ic.HotNs))
	for _, p := range ic.Points {
		t.Logf("  after %-6s idle: %-10s (%+.0f µs)", time.Duration(p.GapNs), time.Duration(p.MeanNs), p.ExtraNs/1e3)
	}
	if ic.Kind != kind || len(ic.Points) != len(DefaultGaps) {
		t.Fatalf("kind %q with %d points, want %q with %d", ic.Kind, len(ic.Points), kind, len(DefaultGaps))
	}
	if ic.HotNs <= 0 || ic.HotNs > float64(50*time.Millisecond) {
		t.Errorf("hot round trip %s is not plausible on loopback", time.Duration(ic.HotNs))
	}
	for _, p := range ic.Points {
		if p.MeanNs <= 0 || p.MeanNs > float64(50*time.Millisecond) {
			t.Errorf("after %s idle: round trip %s is not plausible on loopback", time.Duration(p.GapNs), time.Duration(p.MeanNs))
		}
	}
}

func TestMeasureMariaDB(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("mysql", "root:@tcp(127.0.0.1:3306)/")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	need(t, "MariaDB at 127.0.0.1:3306", db.PingContext(ctx))
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ic, err := Measure(ctx, MySQL("127.0.0.1:3306", conn), Options{Rounds: 2, PerBlock: 15})
	if err != nil {
		t.Fatal(err)
	}
	checkReal(t, ic, results.IdleServerMySQL)
	if ic.Request != "SELECT 1" {
		t.Errorf("request %q", ic.Request)
	}
}

func TestMeasureRedis(t *testing.T) {
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", PoolSize: 1})
	defer c.Close()
	need(t, "Redis at 127.0.0.1:6379", c.Ping(ctx).Err())
	ic, err := Measure(ctx, Redis("127.0.0.1:6379", c), Options{Rounds: 2, PerBlock: 15})
	if err != nil {
		t.Fatal(err)
	}
	checkReal(t, ic, results.IdleServerRedis)
}
