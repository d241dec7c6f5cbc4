package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/psbench/psbench/internal/capacity"
	"github.com/psbench/psbench/internal/compare"
	"github.com/psbench/psbench/internal/report"
	"github.com/psbench/psbench/internal/results"
	"github.com/spf13/cobra"
)

// newPlanCmd is `psbench plan <results-dir>`: a capacity plan from a
// results directory alone.
func newPlanCmd(_ *globalFlags) *cobra.Command {
	var (
		o                    capacity.Options
		cacheRTTs, catalogue string
		dbRTT                time.Duration
		write                bool
		validate             []string
		maxError             string
	)
	cmd := &cobra.Command{
		Use:   "plan <results-dir> (--target-rps R | --concurrent-users U --think-time T)",
		Short: "Plan capacity (MySQL statements/s, SQL time per page, web nodes) from a results directory",
		Long: `Plan capacity from a results directory alone: MySQL statements per second
with no SQL cache, a local cache per web node and a shared (Redis) cache at
the given traffic; SQL time per page for each, the shared cache at each
--cache-rtt with its break-even RTT marked; web nodes needed from the
measured throughput; MySQL headroom against --db-max-qps. The hit-ratio
assumption is printed with the plan (see internal/capacity for the model).

Results without load phases still get statements/s and SQL time; what is
missing is said. A target beyond 2x the highest measured throughput is
refused (--force plans anyway, labelled). --write stores the plan in
results.json (psbench report then shows it); --validate compares the model,
calibrated on <results-dir>, with runs of the same scenario measured at
other network.db_rtt and cache_rtt (scenarios/capacity-validation.yaml,
scripts/validate-capacity); --max-error turns that into a gate.

Exit codes: 0 planned, 1 a validation point beyond --max-error, 2 bad
flags, unreadable results or a refusal.`,
		Example: `  psbench plan results/latest --target-rps 200 --db-max-qps 20000
  psbench plan results/latest --concurrent-users 2000 --think-time 15s --nodes 4 --cache-rtt 0.2ms,1ms
  psbench plan results/rtt0 --target-rps 30 --validate results/rtt1ms,results/rtt2ms --write`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			var err error
			if o.CacheRTTs, err = parseDurations(cacheRTTs); err != nil {
				return usageErr(fmt.Errorf("--cache-rtt: %w", err))
			}
			if o.Catalogue, err = parseCatalogue(catalogue); err != nil {
				return usageErr(fmt.Errorf("--catalogue: %w", err))
			}
			if cmd.Flags().Changed("utilisation") && o.Utilisation <= 0 {
				return usageErr(errors.New("--utilisation must be in (0, 1], e.g. 0.7"))
			}
			if cmd.Flags().Changed("db-rtt") {
				o.DBRTT = &dbRTT
			}
			if err := o.Check(); err != nil {
				return usageErr(err)
			}
			var maxErr float64
			if maxError != "" {
				if len(validate) == 0 {
					return usageErr(errors.New("--max-error needs --validate runs to compare with"))
				}
				if maxErr, err = compare.ParseMargin(maxError); err != nil || maxErr <= 0 {
					return usageErr(fmt.Errorf("--max-error %q: expected a positive percentage such as 15%% or 0.15", maxError))
				}
			}
			run, err := report.ReadResults(dir)
			if err != nil {
				return usageErr(err)
			}
			plan, err := capacity.Plan(run, o)
			if err != nil {
				return usageErr(fmt.Errorf("%s: %w", dir, err))
			}
			if len(validate) > 0 {
				var runs []*results.Run
				for _, v := range validate {
					r, err := report.ReadResults(v)
					if err != nil {
						return usageErr(fmt.Errorf("--validate: %w", err))
					}
					runs = append(runs, r)
				}
				if plan.Validation, err = capacity.Validate(run, validate, runs); err != nil {
					return usageErr(fmt.Errorf("--validate: %w", err))
				}
			}
			if err := capacity.WriteTable(cmd.OutOrStdout(), plan); err != nil {
				return &exitError{code: exitFailed, err: err}
			}
			if write {
				run.Capacity = plan
				if err := writeRun(dir, run); err != nil {
					return &exitError{code: exitFailed, err: err}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "\nplan stored in %s (psbench report %s shows it)\n", filepath.Join(dir, report.ResultsFile), dir)
			}
			if maxErr > 0 {
				var off []string
				for _, v := range plan.Validation {
					if math.Abs(v.Error) > maxErr {
						off = append(off, fmt.Sprintf("%s (db RTT %s, cache RTT %s) %+.1f %%", v.Source, time.Duration(v.DBRTTNs), time.Duration(v.CacheRTTNs), 100*v.Error))
					}
				}
				if len(off) > 0 {
					return &exitError{code: exitFailed, err: fmt.Errorf("model validation: %d point(s) beyond ±%g %%: %s", len(off), 100*maxErr, strings.Join(off, "; "))}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "model validation: every point within ±%g %%\n", 100*maxErr)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.Float64Var(&o.TargetRPS, "target-rps", 0, "target traffic in page requests per second")
	f.IntVar(&o.ConcurrentUsers, "concurrent-users", 0, "concurrent users (with --think-time)")
	f.DurationVar(&o.ThinkTime, "think-time", 0, "think time between a user's pages (with --concurrent-users)")
	f.IntVar(&o.Nodes, "nodes", 0, "planned web nodes (default: the nodes needed)")
	f.Float64Var(&o.DBMaxQPS, "db-max-qps", 0, "statements per second MySQL sustains, for the headroom")
	f.StringVar(&cacheRTTs, "cache-rtt", "0.1ms,0.5ms,1ms,2ms", "shared cache round trips to show, comma-separated")
	f.Float64Var(&o.Utilisation, "utilisation", 0.7, "target utilisation of a web node, in (0, 1]")
	f.DurationVar(&o.TTL, "ttl", 0, "cache TTL (default: the run's)")
	f.DurationVar(&dbRTT, "db-rtt", 0, "planned round trip proxy to MySQL (default: the run's injected network.db_rtt)")
	f.StringVar(&catalogue, "catalogue", "", "distinct pages per kind, e.g. product=5000,category=200 (default: the pages profiled)")
	f.BoolVar(&o.Force, "force", false, "plan past a refusal (invalid profile, target beyond 2x the measured load), labelled")
	f.BoolVar(&write, "write", false, "store the plan in results.json's capacity")
	f.StringSliceVar(&validate, "validate", nil, "results directories of the same scenario at other network.db_rtt / cache_rtt: predicted vs measured")
	f.StringVar(&maxError, "max-error", "", "with --validate: exit 1 when a point's prediction is off by more than this (e.g. 15%)")
	return cmd
}

func parseDurations(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := time.ParseDuration(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration (e.g. 0.5ms)", part)
		}
		if d < 0 {
			return nil, fmt.Errorf("%q is negative", part)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, errors.New("give at least one round trip, e.g. 0.5ms,1ms")
	}
	return out, nil
}

func parseCatalogue(s string) (map[string]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(v)
		if !ok || k == "" || err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not kind=pages (e.g. product=5000)", part)
		}
		out[k] = n
	}
	return out, nil
}

// writeRun rewrites dir/results.json atomically with the run.
func writeRun(dir string, run *results.Run) error {
	b, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	path := filepath.Join(dir, report.ResultsFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}
