package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/psbench/psbench/internal/bench"
	"github.com/spf13/cobra"
)

// newBenchCmd is `psbench bench`: benchmarks of psbench's own components.
func newBenchCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark psbench's own components",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newBenchProxyCmd(g))
	return cmd
}

// newBenchProxyCmd is `psbench bench proxy`.
func newBenchProxyCmd(g *globalFlags) *cobra.Command {
	o := bench.DefaultOptions()
	var jsonPath string
	cmd := &cobra.Command{
		Use:   "proxy",
		Short: "Measure the caching proxy against MariaDB direct and haproxy (sysbench oltp_point_select)",
		Long: `Measure the caching proxy with sysbench oltp_point_select (text protocol,
uniform ids) at each --threads-list point, side by side against:

  direct       MariaDB itself
  haproxy      haproxy in TCP mode (the reference cost of one extra hop)
  proxy-off    the psbench proxy, in-process, cache off
  proxy-local  the psbench proxy with a warm in-process cache
  proxy-redis  the psbench proxy with a warm Redis cache

then the proxy's memory with --entries cached results. Prints a markdown
table, the ratios and the issue's targets (PASS/MISS; a miss does not fail
the command). Exits 1 when a measurement is invalid (errors, a cache that
was not warm, evictions). Needs sysbench and haproxy (Debian packages
sysbench, haproxy). The database --mysql-user can create is dropped and
re-created, and dropped afterwards unless --keep.`,
		Example: `  psbench bench proxy
  psbench bench proxy --duration 5s --threads-list 1,4,16 --targets direct,haproxy,proxy-off --skip-memory
  psbench bench proxy --json bench.json --cpuprofile proxy.pprof`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("mysql-password") {
				if pw, ok := os.LookupEnv("PSBENCH_BACKEND_PASSWORD"); ok {
					o.MySQL.Password = pw
				}
			}
			o.Log = log
			o.Command = redactedCommand(os.Args)
			if err := o.Validate(); err != nil {
				return usageErr(err)
			}
			r, err := bench.Run(cmd.Context(), o)
			if err != nil {
				return unreachedErr(err)
			}
			if err := bench.RenderMarkdown(cmd.OutOrStdout(), r); err != nil {
				return err
			}
			if jsonPath != "" {
				if err := r.WriteJSON(jsonPath); err != nil {
					return fmt.Errorf("--json: %w", err)
				}
			}
			if len(r.Problems) > 0 {
				return &exitError{code: exitFailed, err: errors.New("invalid measurement: " + strings.Join(r.Problems, "; "))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.MySQL.Host, "mysql-host", o.MySQL.Host, "MariaDB/MySQL host")
	f.IntVar(&o.MySQL.Port, "mysql-port", o.MySQL.Port, "MariaDB/MySQL port")
	f.StringVar(&o.MySQL.User, "mysql-user", o.MySQL.User, "MariaDB/MySQL user (creates and drops the benchmark database)")
	f.StringVar(&o.MySQL.Password, "mysql-password", o.MySQL.Password, "MariaDB/MySQL password (or PSBENCH_BACKEND_PASSWORD)")
	f.StringVar(&o.Redis, "redis", o.Redis, "Redis address of the proxy-redis target")
	f.IntSliceVar(&o.Threads, "threads-list", o.Threads, "sysbench thread counts, one measured point each")
	f.DurationVar(&o.Duration, "duration", o.Duration, "duration of each measured point (whole seconds)")
	f.IntVar(&o.TableSize, "table-size", o.TableSize, "rows in the sysbench table")
	f.StringSliceVar(&o.Targets, "targets", o.Targets, "targets to measure: "+strings.Join(bench.AllTargets, ","))
	f.BoolVar(&o.SkipMemory, "skip-memory", false, "skip the memory measurement")
	f.IntVar(&o.Entries, "entries", o.Entries, "cached entries of the memory measurement")
	f.StringVar(&o.DB, "database", o.DB, "benchmark database (dropped and re-created)")
	f.BoolVar(&o.Keep, "keep", false, "leave the benchmark database in place afterwards")
	f.StringVar(&jsonPath, "json", "", "also write every number, the machine and the versions to this JSON file")
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the in-process proxies over the measured runs")
	return cmd
}

// redactedCommand is the command line with the password hidden.
func redactedCommand(args []string) string {
	out := make([]string, len(args))
	hideNext := false
	for i, a := range args {
		switch {
		case hideNext:
			a, hideNext = "***", false
		case a == "--mysql-password":
			hideNext = true
		case strings.HasPrefix(a, "--mysql-password="):
			a = "--mysql-password=***"
		}
		out[i] = a
	}
	if len(out) > 0 {
		out[0] = "psbench"
	}
	return strings.Join(out, " ")
}
