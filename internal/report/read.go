package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/psbench/psbench/internal/results"
)

// ResultsFile is the name of a run's results inside its directory (the
// same name internal/run writes).
const ResultsFile = "results.json"

// InputError is a results directory that cannot be read: missing
// directory, missing or corrupt results.json, another schema version. Its
// message names the file. Commands map it to exit code 2.
type InputError struct {
	Path string // the directory or file at fault
	Err  error
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ReadResults reads dir/results.json and refuses other schema versions.
// Every error is an *InputError. (internal/run has its own reader; this
// one does not import it, so that run can call Render without an import
// cycle.)
func ReadResults(dir string) (*results.Run, error) {
	bad := func(path string, format string, a ...any) error {
		return &InputError{Path: path, Err: fmt.Errorf(format, a...)}
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, bad(dir, "%s: no such results directory", dir)
	case err != nil:
		return nil, bad(dir, "%s: %v", dir, err)
	case !st.IsDir():
		return nil, bad(dir, "%s: not a directory (give the results directory that holds %s)", dir, ResultsFile)
	}
	path := filepath.Join(dir, ResultsFile)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, bad(path, "%s: missing; %s is not a psbench results directory (or its run wrote nothing)", path, dir)
	case err != nil:
		return nil, bad(path, "%s: %v", path, err)
	}
	var probe struct {
		SchemaVersion *int `json:"schema_version"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, bad(path, "%s: not a psbench results file (corrupt JSON: %v)", path, err)
	}
	if probe.SchemaVersion == nil {
		return nil, bad(path, "%s: not a psbench results file (no schema_version)", path)
	}
	if *probe.SchemaVersion != results.SchemaVersion {
		return nil, bad(path, "%s: schema_version %d, this psbench reads schema_version %d; use the psbench version that wrote it",
			path, *probe.SchemaVersion, results.SchemaVersion)
	}
	var run results.Run
	if err := json.Unmarshal(b, &run); err != nil {
		return nil, bad(path, "%s: corrupt results: %v", path, err)
	}
	return &run, nil
}
