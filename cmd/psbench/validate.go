package main

import (
	"errors"
	"fmt"

	"github.com/psbench/psbench/internal/scenario"
	"github.com/spf13/cobra"
)

// newValidateCmd is `psbench validate`: check a scenario file without
// running it.
func newValidateCmd(_ *globalFlags) *cobra.Command {
	var print bool
	cmd := &cobra.Command{
		Use:   "validate scenario.yaml",
		Short: "Check a scenario file without running it",
		Long: `Check a scenario file without running it: strict YAML (unknown keys are
errors), then every rule a run would apply, thresholds included. Every
problem is printed as file:line:column: key: message; the exit code is 2 when
there is any. --print shows the effective scenario, defaults applied and
passwords redacted.`,
		Example: `  psbench validate scenarios/quickstart.yaml
  psbench validate --print scenarios/large-shop.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := scenario.Load(args[0])
			if err != nil {
				var list scenario.ErrorList
				if !errors.As(err, &list) {
					return usageErr(err)
				}
				for _, e := range list {
					fmt.Fprintln(cmd.ErrOrStderr(), e)
				}
				noun := "errors"
				if len(list) == 1 {
					noun = "error"
				}
				return usageErr(fmt.Errorf("%s: %d %s", args[0], len(list), noun))
			}
			ok := fmt.Sprintf("ok: %s (%s, %d page kinds, %d load phases, %d thresholds)",
				s.Name, s.Target.Kind, len(s.Pages), len(s.Load.Phases), len(s.Thresholds))
			if print {
				fmt.Fprint(cmd.OutOrStdout(), s.Redacted())
				fmt.Fprintln(cmd.ErrOrStderr(), ok) // keep stdout pure YAML
				return nil
			}
			fmt.Fprintln(cmd.OutOrStdout(), ok)
			return nil
		},
	}
	cmd.Flags().BoolVar(&print, "print", false, "print the effective scenario (defaults applied, passwords redacted)")
	return cmd
}
