package bench

import (
	"os"
	"strings"
	"testing"
)

// inCI reports whether the CI environment variable is set: there a missing
// tool or service fails the test instead of skipping it.
func inCI() bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv("CI")))
	return v != "" && v != "false" && v != "0"
}

// needTool returns the program find locates, or skips the test (fails it
// under CI) with find's error, which names the Debian package to install.
func needTool(t *testing.T, find func() (string, error)) string {
	t.Helper()
	p, err := find()
	if err != nil {
		if inCI() {
			t.Fatalf("%v (CI is set: this is a failure)", err)
		}
		t.Skipf("skipped: %v (set CI=true to make this a failure)", err)
	}
	return p
}
