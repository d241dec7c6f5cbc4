package run

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/psbench/psbench/internal/results"
)

// ResultsFile is the name of the run's results inside its directory.
const ResultsFile = "results.json"

// makeRunDir creates <parent>/<name>-<UTC timestamp>/.
func makeRunDir(parent, name string, now time.Time) (string, error) {
	dir := filepath.Join(parent, fmt.Sprintf("%s-%s", name, now.UTC().Format("20060102T150405Z")))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create results directory: %w", err)
	}
	return dir, nil
}

// pointLatest makes <parent>/latest point at dir (a relative symlink).
func pointLatest(parent, dir string) error {
	link := filepath.Join(parent, "latest")
	tmp := link + ".tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Base(dir), tmp); err != nil {
		return fmt.Errorf("link %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		return fmt.Errorf("link %s: %w", link, err)
	}
	return nil
}

// writeResults writes results.json atomically.
func writeResults(dir string, run *results.Run) error {
	b, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	path := filepath.Join(dir, ResultsFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// ReadResults reads a run's results.json and refuses other schema versions.
func ReadResults(dir string) (*results.Run, error) {
	path := filepath.Join(dir, ResultsFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var probe struct {
		SchemaVersion int `json:"schema_version"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%s: not a psbench results file: %w", path, err)
	}
	if probe.SchemaVersion != results.SchemaVersion {
		return nil, fmt.Errorf("%s: schema_version %d, this psbench reads %d", path, probe.SchemaVersion, results.SchemaVersion)
	}
	var run results.Run
	if err := json.Unmarshal(b, &run); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &run, nil
}
