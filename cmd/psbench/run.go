package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/psbench/psbench/internal/proxycache"
	"github.com/psbench/psbench/internal/results"
	"github.com/psbench/psbench/internal/run"
	"github.com/psbench/psbench/internal/scenario"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// newRunCmd is `psbench run scenario.yaml`.
func newRunCmd(g *globalFlags) *cobra.Command {
	var outDir string
	cmd := &cobra.Command{
		Use:   "run scenario.yaml",
		Short: "Run a scenario: start the shop, profile statements per page, load it cache off and on, check thresholds",
		Long: `Run a scenario end to end and write a results directory
(results/<scenario>-<UTC timestamp>/ and results/latest).

Exit codes: 0 every threshold passed, 1 a threshold failed (or the profile
was invalid), 2 invalid scenario or flags, 3 the stack could not be started
or reached. Ctrl-C stops cleanly and still writes what was measured.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			sc, err := scenario.Load(args[0])
			if err != nil {
				return usageErr(err)
			}
			out, err := run.Execute(cmd.Context(), run.Options{
				Scenario: sc, File: args[0], OutDir: outDir, Log: log,
				Term: os.Stdout, TTY: term.IsTerminal(int(os.Stdout.Fd())), Version: proxycache.Version,
			})
			if out != nil {
				run.WriteSummary(os.Stdout, out.Run, out.Dir)
			}
			var se *run.StackError
			switch {
			case errors.As(err, &se):
				return unreachedErr(err)
			case err != nil:
				return &exitError{code: exitFailed, err: err}
			case out.Run.Verdict == results.VerdictPass:
				return nil
			case cmd.Context().Err() != nil:
				return &exitError{code: exitFailed, err: fmt.Errorf("interrupted; partial results in %s", out.Dir)}
			default:
				return &exitError{code: exitFailed, err: fmt.Errorf("verdict %s; see %s", out.Run.Verdict, out.Dir)}
			}
		},
	}
	cmd.Flags().StringVar(&outDir, "out", "", "parent directory of the run's results (overrides output.dir)")
	return cmd
}
