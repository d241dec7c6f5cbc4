package main

import (
	"fmt"
	"net"
	"time"

	"github.com/psbench/psbench/internal/doctor"
	"github.com/spf13/cobra"
)

// newDoctorCmd is `psbench doctor`: what this machine can run, and the fix
// for what it cannot. Informational: exit 0 unless the flags are bad.
func newDoctorCmd(_ *globalFlags) *cobra.Command {
	var (
		asJSON  bool
		o       doctor.Options
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Say what this machine can run (Docker, MySQL, Redis, browsers, tools, ports, Go) and how to fix the rest",
		Long: `Check what psbench needs on this machine, each with a status (ok, missing,
failed), what needs it, and the fix: the Docker engine (and testcontainers'
configuration) for target.kind docker, MySQL/MariaDB and Redis, Chromium and
node_modules/echarts for offline reports, php with pdo_mysql, sysbench and
haproxy for 'psbench bench proxy', the proxy's default ports, and Go.

It changes nothing and always exits 0 unless the flags are bad.`,
		Example: `  psbench doctor
  psbench doctor --json --mysql 127.0.0.1:3307 --ports 3308,9308`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, a := range []struct{ flag, addr string }{{"--mysql", o.MySQL}, {"--redis", o.Redis}} {
				if _, _, err := net.SplitHostPort(a.addr); err != nil {
					return usageErr(fmt.Errorf("%s %q: expected HOST:PORT", a.flag, a.addr))
				}
			}
			for _, p := range o.Ports {
				if p < 1 || p > 65535 {
					return usageErr(fmt.Errorf("--ports: %d is not a port (1-65535)", p))
				}
			}
			if timeout <= 0 {
				return usageErr(fmt.Errorf("--timeout must be positive"))
			}
			o.Timeout = timeout
			r := doctor.Run(cmd.Context(), o)
			if asJSON {
				return r.WriteJSON(cmd.OutOrStdout())
			}
			return r.WriteText(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print the checks as JSON")
	f.StringVar(&o.MySQL, "mysql", doctor.DefaultMySQL, "MySQL/MariaDB address to probe")
	f.StringVar(&o.Redis, "redis", doctor.DefaultRedis, "Redis address to probe")
	f.IntSliceVar(&o.Ports, "ports", doctor.DefaultPorts, "loopback ports that must be free (psbench proxy's --listen and --admin)")
	f.DurationVar(&timeout, "timeout", 2*time.Second, "timeout of each network check")
	return cmd
}
