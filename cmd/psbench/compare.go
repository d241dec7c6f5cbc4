package main

import (
	"github.com/psbench/psbench/internal/compare"
	"github.com/spf13/cobra"
)

// newCompareCmd is `psbench compare <baseline-dir> <current-dir>`.
func newCompareCmd(_ *globalFlags) *cobra.Command {
	var margin string
	var o compare.RunOptions
	cmd := &cobra.Command{
		Use:   "compare <baseline-dir> <current-dir>",
		Short: "Compare two results directories and fail on a regression",
		Long: `Compare two results directories side by side (from their results.json
alone): per page kind the cold, warm and warm-other backend statements and the
reduction; per load phase the p95 latency, throughput and error rate, cached
and baseline. Writes compare.html into the current run's directory (--html
elsewhere) and, with --junit, one JUnit test case per compared metric.

A metric regresses when it is worse than the baseline by more than
--max-regression of the baseline value, direction-aware: more statements, a
lower reduction, a higher p95, fewer requests per second or a higher error
rate. (Near zero the margin is taken of a floor — 1 statement, 1 req/s,
1 ms, 1 % — so that 0 → 1 error in 10,000 requests is not a regression.)
Metrics absent, interrupted or invalid on one side are "not comparable",
never regressions.

Exit codes: 0 no regression, 1 a regression beyond the margin, 2 bad input
(missing directory, missing or corrupt results.json, another schema_version).`,
		Example: `  psbench compare results/nightly-20261119T020003Z results/latest
  psbench compare --max-regression 5% --junit compare.xml old/ new/`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := compare.ParseMargin(margin)
			if err != nil {
				return usageErr(err)
			}
			if m == 0 {
				m = 1e-9 // "0%": any worsening is a regression
			}
			o.MaxRegression = m
			_, code, err := compare.Run(cmd.OutOrStdout(), args[0], args[1], o)
			switch code {
			case compare.ExitOK:
				return nil
			case compare.ExitBadInput:
				return usageErr(err)
			}
			return &exitError{code: code, err: err}
		},
	}
	cmd.Flags().StringVar(&margin, "max-regression", "10%", "how much worse than the baseline a metric may get (10% or 0.1)")
	cmd.Flags().StringVar(&o.HTML, "html", "", "write the comparison page here (default <current-dir>/compare.html)")
	cmd.Flags().StringVar(&o.JUnit, "junit", "", "also write JUnit XML here, one test case per compared metric")
	return cmd
}
