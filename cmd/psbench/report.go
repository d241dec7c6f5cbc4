package main

import (
	"errors"
	"fmt"

	"github.com/psbench/psbench/internal/report"
	"github.com/spf13/cobra"
)

// newReportCmd is `psbench report <results-dir>`: regenerate report.html
// and junit.xml from a results directory.
func newReportCmd(_ *globalFlags) *cobra.Command {
	var o report.Options
	cmd := &cobra.Command{
		Use:   "report <results-dir>",
		Short: "Regenerate report.html and junit.xml from a results directory",
		Long: `Regenerate report.html and junit.xml in a results directory, from its
results.json alone (nothing is started; archived runs work too).

--offline inlines ECharts into the page so it opens without network. It
reads node_modules/echarts/dist/echarts.min.js (run ` + "`npm ci`" + ` in the psbench
repository once), or the file named by --echarts or $` + report.EchartsEnv + `.
Without it the page loads ECharts from go-echarts' asset host.

Exit codes: 0 written, 2 unreadable results directory (missing, corrupt,
another schema_version) or ECharts missing for --offline.`,
		Example: `  psbench report results/latest
  psbench report --offline results/nightly-20261120T020003Z`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			html, err := report.Render(dir, o)
			if err != nil {
				var ie *report.InputError
				if errors.As(err, &ie) || errors.Is(err, report.ErrNoEcharts) {
					return usageErr(err)
				}
				return &exitError{code: exitFailed, err: err}
			}
			xml, err := report.WriteJUnit(dir)
			if err != nil {
				return &exitError{code: exitFailed, err: err}
			}
			fmt.Fprintln(cmd.OutOrStdout(), html)
			fmt.Fprintln(cmd.OutOrStdout(), xml)
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.Offline, "offline", false, "inline ECharts so the report opens without network")
	cmd.Flags().StringVar(&o.EchartsJS, "echarts", "", "path of echarts.min.js for --offline (default: $"+report.EchartsEnv+", then node_modules)")
	return cmd
}
