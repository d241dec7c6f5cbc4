//go:build !linux

package netem

import "time"

// preciseSleepWindow covers the runtime timers' lateness (up to ~1 ms).
const preciseSleepWindow = 1500 * time.Microsecond

type sleeper struct{}

func newSleeper() *sleeper { return &sleeper{} }

func (*sleeper) sleep(d time.Duration) { time.Sleep(d) }

func (*sleeper) close() {}
