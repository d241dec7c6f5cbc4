package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// On a saturated machine throughput follows the CPU every process spends
// per query, so the hop's own CPU per query (haproxy's process, or this
// process for the in-process proxies) is reported beside the rates: it is
// far less sensitive to the machine's noise than the rates are.

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on every
// Linux architecture Go supports).
const clockTicks = 100

// cpuClock reads a process's cumulative user+system CPU time.
type cpuClock func() (time.Duration, error)

// selfCPU is this process's CPU time (the in-process proxies).
func selfCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// processCPU returns a clock reading /proc/pid/stat (haproxy).
func processCPU(pid int) cpuClock {
	return func() (time.Duration, error) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return 0, err
		}
		return parseProcStatCPU(string(b))
	}
}

// parseProcStatCPU returns utime+stime from a /proc/PID/stat line.
func parseProcStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')') // comm may contain spaces
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc stat line %q", stat)
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc stat line %q", stat)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc stat line %q", stat)
	}
	return time.Duration(u+s) * time.Second / clockTicks, nil
}
