package netem

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// preciseSleepWindow covers a timerfd wake-up's lateness on a VM.
const preciseSleepWindow = 50 * time.Microsecond

// sleeper waits on a timerfd through the runtime's netpoller: microsecond
// resolution (Go's own timers round short sleeps up to a millisecond on an
// idle runtime) without holding a P or a thread while it waits, so the
// server being measured keeps every CPU.
type sleeper struct{ f *os.File }

func newSleeper() *sleeper {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return &sleeper{}
	}
	return &sleeper{f: os.NewFile(uintptr(fd), "netem-timerfd")}
}

func (s *sleeper) sleep(d time.Duration) {
	if s.f == nil {
		time.Sleep(d)
		return
	}
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(int(s.f.Fd()), 0, &spec, nil); err != nil {
		time.Sleep(d)
		return
	}
	_ = s.f.SetReadDeadline(time.Now().Add(d + time.Second))
	var b [8]byte
	_, _ = s.f.Read(b[:])
}

func (s *sleeper) close() {
	if s.f != nil {
		s.f.Close()
	}
}
