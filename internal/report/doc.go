// Package report explains a finished run from its results directory alone:
// report.html (verdict, statements per page, what still reaches MySQL, load,
// run metadata) and junit.xml (one test case per threshold plus the
// profile's validity). It reads results.json and never starts anything, so
// it works as well on an archived nightly run as on the one that just
// finished.
//
// The run command calls, after writing results.json:
//
//	htmlPath, err := report.Render(dir, report.Options{})
//	xmlPath, err := report.WriteJUnit(dir)
package report
