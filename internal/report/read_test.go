package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadResultsBadInput(t *testing.T) {
	empty := t.TempDir()
	corrupt := t.TempDir()
	os.WriteFile(filepath.Join(corrupt, ResultsFile), []byte(`{"schema_version": 1, "profile": {`), 0o644)
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, ResultsFile), []byte(`{"schema_version": 7}`), 0o644)
	noVersion := t.TempDir()
	os.WriteFile(filepath.Join(noVersion, ResultsFile), []byte(`{"verdict": "pass"}`), 0o644)
	file := filepath.Join(other, ResultsFile)
	cases := []struct{ dir, want string }{
		{filepath.Join(empty, "nope"), "no such results directory"},
		{empty, filepath.Join(empty, ResultsFile) + ": missing"},
		{corrupt, filepath.Join(corrupt, ResultsFile) + ": not a psbench results file (corrupt JSON"},
		{other, file + ": schema_version 7, this psbench reads schema_version 1"},
		{noVersion, "no schema_version"},
		{file, "not a directory"},
	}
	for _, c := range cases {
		_, err := ReadResults(c.dir)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an InputError containing %q", c.dir, err, c.want)
		}
	}
	if _, err := ReadResults(filepath.Join("testdata", "pass")); err != nil {
		t.Fatal(err)
	}
}
