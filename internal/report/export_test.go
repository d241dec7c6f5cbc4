package report

// Test hooks for the external report_test package (which may import
// internal/run to produce a real run without an import cycle).
var (
	OpenInBrowser  = openInBrowser
	RequireBrowser = requireBrowser
)

// ChartProbe is what the page reports about one chart.
type ChartProbe = chartProbe
