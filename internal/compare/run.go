package compare

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/psbench/psbench/internal/report"
)

// Exit codes of `psbench compare`.
const (
	ExitOK         = 0
	ExitRegression = 1 // a metric regressed beyond the margin
	ExitBadInput   = 2 // missing directory, missing or corrupt results.json, another schema_version
)

// HTMLFile is the comparison page's default name, in the current run's
// directory.
const HTMLFile = "compare.html"

// RunOptions are the command's options.
type RunOptions struct {
	Options
	// HTML is where to write the page; "" → <current-dir>/compare.html.
	HTML string
	// JUnit is where to write JUnit XML; "" → none.
	JUnit string
}

// Run is `psbench compare`: it compares the two directories, prints the
// table to w, writes the HTML page (and JUnit XML when asked) and returns
// the exit code with, unless it is ExitOK, an error that says why.
func Run(w io.Writer, baselineDir, currentDir string, o RunOptions) (*Result, int, error) {
	res, err := Dirs(baselineDir, currentDir, o.Options)
	if err != nil { // every reading error is bad input (*report.InputError)
		return nil, ExitBadInput, err
	}
	if err := res.WriteTable(w); err != nil {
		return res, ExitBadInput, err
	}
	html := o.HTML
	if html == "" {
		html = filepath.Join(currentDir, HTMLFile)
	}
	if err := res.WriteHTML(html); err != nil {
		return res, ExitBadInput, fmt.Errorf("%w (write it elsewhere with --html)", err)
	}
	fmt.Fprintln(w, "HTML:", html)
	if o.JUnit != "" {
		if err := res.WriteJUnit(o.JUnit); err != nil {
			return res, ExitBadInput, err
		}
		fmt.Fprintln(w, "JUnit:", o.JUnit)
	}
	if n := len(res.Regressions()); n > 0 {
		return res, ExitRegression, fmt.Errorf("%d metric(s) regressed beyond %s", n, report.FormatPercent(res.MaxRegression))
	}
	return res, ExitOK, nil
}
