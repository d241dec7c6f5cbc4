// Command psbench load-tests PHP shops on MySQL and measures what a query
// cache in front of MySQL does to them; `psbench proxy` runs the bundled
// caching proxy on its own as a per-node sidecar.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes shared by every subcommand.
const (
	exitOK        = 0
	exitFailed    = 1 // a threshold failed / a regression was found
	exitUsage     = 2 // invalid scenario, config or flags
	exitUnreached = 3 // the stack could not be started or reached
)

// exitError carries an exit code out of a subcommand.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error     { return &exitError{code: exitUsage, err: err} }
func unreachedErr(err error) error { return &exitError{code: exitUnreached, err: err} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	err := root.ExecuteContext(ctx)
	if err == nil {
		os.Exit(exitOK)
	}
	fmt.Fprintln(os.Stderr, "psbench:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		os.Exit(ee.code)
	}
	os.Exit(exitUsage) // cobra's own flag and argument errors
}

// globalFlags are shared by every subcommand.
type globalFlags struct {
	logLevel  string
	logFormat string
}

func newRootCmd() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "psbench",
		Short:         "Load-test a PHP shop on MySQL and measure what a query cache does to it",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.AddCommand(newRunCmd(g))
	root.AddCommand(newProxyCmd(g))
	root.AddCommand(newProfileCmd(g))
	root.AddCommand(newValidateCmd(g))
	root.AddCommand(newBenchCmd(g))
	root.AddCommand(newDoctorCmd(g))
	root.AddCommand(newReportCmd(g))
	root.AddCommand(newCompareCmd(g))
	root.AddCommand(newPlanCmd(g))
	return root
}

// logger builds the process logger from the global flags.
func (g *globalFlags) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, usageErr(fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", g.logLevel))
	}
	opts := &slog.HandlerOptions{Level: level}
	switch g.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, usageErr(fmt.Errorf("--log-format: %q is not one of text, json", g.logFormat))
}
