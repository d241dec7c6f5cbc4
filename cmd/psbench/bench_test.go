package main

import (
	"errors"
	"strings"
	"testing"
)

func TestBenchProxyUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--duration", "1500ms"},
		{"--threads-list", "0"},
		{"--targets", "direct,nginx"},
		{"--table-size", "0"},
		{"--entries", "0"},
		{"--mysql-port", "0"},
	} {
		root := newRootCmd()
		root.SetArgs(append([]string{"bench", "proxy", "--log-level", "error"}, args...))
		err := root.Execute()
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != exitUsage {
			t.Errorf("bench proxy %v: %v, want a usage error (exit %d)", args, err, exitUsage)
		}
	}
}

func TestRedactedCommand(t *testing.T) {
	got := redactedCommand([]string{"/usr/local/bin/psbench", "bench", "proxy", "--mysql-password", "s3cret", "--mysql-password=hunter2", "--json", "x.json"})
	if strings.Contains(got, "s3cret") || strings.Contains(got, "hunter2") ||
		got != "psbench bench proxy --mysql-password *** --mysql-password=*** --json x.json" {
		t.Errorf("redactedCommand = %q", got)
	}
}
