package netem

import (
	"context"
	"time"
)

// Sleeper waits until a point in time with microsecond precision while
// leaving the CPUs to others: it sleeps through the runtime's netpoller (a
// timerfd on Linux) until SpinWindow before the deadline, then busy-waits
// the rest. The relay delays every chunk with one; anything that must
// idle the way a network round trip makes a process idle (the idle-cost
// probe) can use the same. A Sleeper is used by one goroutine at a time.
type Sleeper struct {
	sl   *sleeper
	spin time.Duration
}

// NewSleeper returns a Sleeper that busy-waits the last spin before each
// deadline (0: DefaultSpinWindow; negative: never spin). Close it after use.
func NewSleeper(spin time.Duration) *Sleeper {
	if spin == 0 {
		spin = DefaultSpinWindow
	}
	return &Sleeper{sl: newSleeper(), spin: max(spin, 0)}
}

// Until blocks until t; false when ctx ended first.
func (s *Sleeper) Until(ctx context.Context, t time.Time) bool {
	for {
		d := time.Until(t)
		if d <= 0 {
			return ctx.Err() == nil
		}
		if ctx.Err() != nil {
			return false
		}
		if sleep := d - s.spin; sleep > 0 {
			if sleep > 20*time.Millisecond { // coarse and interruptible
				tm := time.NewTimer(sleep)
				select {
				case <-tm.C:
				case <-ctx.Done():
					tm.Stop()
					return false
				}
				continue
			}
			s.sl.sleep(sleep)
			continue
		}
		for i := 0; i < 64 && time.Now().Before(t); i++ {
		}
	}
}

// Sleep is Until(ctx, time.Now().Add(d)).
func (s *Sleeper) Sleep(ctx context.Context, d time.Duration) bool {
	return s.Until(ctx, time.Now().Add(d))
}

// Close releases the Sleeper's timer.
func (s *Sleeper) Close() { s.sl.close() }
