package bench

import (
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"time"
)

// Report is everything one benchmark run measured; it is what --json
// writes.
type Report struct {
	Command    string    `json:"command"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Machine    Machine   `json:"machine"`
	Versions   Versions  `json:"versions"`
	Settings   Settings  `json:"settings"`
	// Warmups are the cache warm-ups run before the measured points.
	Warmups []Warmup    `json:"warmups,omitempty"`
	Runs    []TargetRun `json:"runs"`
	Ratios  []Ratio     `json:"ratios"`
	Checks  []Check     `json:"checks"`
	Memory  *Memory     `json:"memory,omitempty"`
	// Problems make the run invalid (errors, a cold cache, evictions):
	// its numbers do not measure what they claim to.
	Problems []string `json:"problems,omitempty"`
}

// Machine describes where the benchmark ran.
type Machine struct {
	NProc      int    `json:"nproc"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model"`
	Kernel     string `json:"kernel"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
}

// Versions of the software measured.
type Versions struct {
	MariaDB  string `json:"mariadb"`
	HAProxy  string `json:"haproxy,omitempty"`
	Sysbench string `json:"sysbench"`
	Redis    string `json:"redis,omitempty"`
	Go       string `json:"go"`
	Proxy    string `json:"psbench_proxy"`
}

// Settings are the workload's parameters.
type Settings struct {
	Workload        string   `json:"workload"`
	Protocol        string   `json:"protocol"`
	RandType        string   `json:"rand_type"`
	Tables          int      `json:"tables"`
	TableSize       int      `json:"table_size"`
	DurationSeconds float64  `json:"duration_seconds"`
	Threads         []int    `json:"threads"`
	Targets         []string `json:"targets"`
	Backend         string   `json:"backend"`
	Redis           string   `json:"redis,omitempty"`
	RedisTimeout    string   `json:"redis_timeout,omitempty"`
	Database        string   `json:"database"`
	HAProxyThreads  string   `json:"haproxy_nbthread"`
	MemoryEntries   int      `json:"memory_entries,omitempty"`
}

// Warmup is one cache warm-up: every point select sent once through the
// target before its measured runs.
type Warmup struct {
	Target string `json:"target"`
	// Passes is the number of passes over every statement it took for the
	// cache to store them all (a pass's results can fail to be stored while
	// Redis is unavailable).
	Passes        int     `json:"passes"`
	Statements    int64   `json:"statements"`
	Stored        uint64  `json:"stored"`
	CachedEntries int64   `json:"cached_entries,omitempty"`
	Seconds       float64 `json:"seconds"`
}

// TargetRun is one measured point: a target at a thread count.
type TargetRun struct {
	Target string `json:"target"`
	RunResult
	// HopCPUSeconds is the CPU time the hop (haproxy's process, or this
	// process for the in-process proxy) used during the run, and
	// HopCPUPerQueryUs the same per query, in microseconds. Unset for
	// direct.
	HopCPUSeconds    float64 `json:"hop_cpu_seconds,omitempty"`
	HopCPUPerQueryUs float64 `json:"hop_cpu_us_per_query,omitempty"`
	// Cache is the proxy's view of the run (proxy targets only).
	Cache *CacheOutcomes `json:"cache,omitempty"`
}

// CacheOutcomes are the proxy's statement outcomes during one run.
type CacheOutcomes struct {
	Hits     uint64  `json:"hits"`
	Misses   uint64  `json:"misses"`
	Bypass   uint64  `json:"bypass"`
	HitRatio float64 `json:"hit_ratio"`
}

func newCacheOutcomes(c outcomeCounts) *CacheOutcomes {
	co := &CacheOutcomes{Hits: c.Hits, Misses: c.Misses, Bypass: c.Bypass}
	if total := c.Hits + c.Misses + c.Bypass; total > 0 {
		co.HitRatio = float64(c.Hits) / float64(total)
	}
	return co
}

// WriteJSON writes the report, indented, to path.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// machineInfo reads the CPU model and kernel release.
func machineInfo() Machine {
	m := Machine{NProc: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), OS: runtime.GOOS, Arch: runtime.GOARCH,
		CPUModel: "unknown", Kernel: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}
