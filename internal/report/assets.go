package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EchartsEnv names the environment variable that points at
// echarts.min.js for offline reports.
const EchartsEnv = "PSBENCH_ECHARTS"

// echartsRel is where npm puts the file, below the repository root.
var echartsRel = filepath.Join("node_modules", "echarts", "dist", "echarts.min.js")

// ErrNoEcharts is returned (wrapped, with the places looked at) when an
// offline report cannot find echarts.min.js.
var ErrNoEcharts = errors.New("offline report needs ECharts (echarts.min.js)")

// FindEcharts locates echarts.min.js for an offline report: explicit when
// set, else $PSBENCH_ECHARTS, else node_modules/echarts/dist/echarts.min.js
// in or above each of the start directories (the working directory, the
// results directory, the executable's directory, in that order).
func FindEcharts(explicit string, starts ...string) (string, error) {
	if explicit == "" {
		explicit = os.Getenv(EchartsEnv)
	}
	if explicit != "" {
		if st, err := os.Stat(explicit); err != nil || st.IsDir() {
			return "", fmt.Errorf("%w: %s is not a file (from --echarts or %s); run `npm ci` in the psbench repository and point at node_modules/echarts/dist/echarts.min.js",
				ErrNoEcharts, explicit, EchartsEnv)
		}
		return explicit, nil
	}
	var looked []string
	seen := map[string]bool{}
	for _, s := range starts {
		if s == "" {
			continue
		}
		abs, err := filepath.Abs(s)
		if err != nil {
			continue
		}
		looked = append(looked, abs)
		for d := abs; ; d = filepath.Dir(d) {
			if !seen[d] {
				seen[d] = true
				p := filepath.Join(d, echartsRel)
				if st, err := os.Stat(p); err == nil && !st.IsDir() {
					return p, nil
				}
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", fmt.Errorf("%w: run `npm ci` in the psbench repository root (installs %s), or set %s=/path/to/echarts.min.js; looked in and above: %s",
		ErrNoEcharts, echartsRel, EchartsEnv, strings.Join(dedupe(looked), ", "))
}

func dedupe(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// defaultStarts are the directories FindEcharts walks up from.
func defaultStarts(dir string) []string {
	starts := []string{}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	starts = append(starts, dir)
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		starts = append(starts, filepath.Dir(exe))
	}
	return starts
}
