package report

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The real-browser test: the OFFLINE report (this machine has no
// internet) opened in headless Chromium, driven over the DevTools
// protocol. It asserts that every chart drew on a canvas of non-trivial
// size, that no script error or console error happened and that the page
// fetched nothing from the network, and it saves screenshots as test
// artifacts (go test -artifacts -outputdir DIR keeps them).
//
// Without Chromium or node_modules/echarts it skips, unless CI=true, where
// it fails: scripts/test-env installs both.

// chartProbe is what the page reports about one chart.
type chartProbe struct {
	ID       string  `json:"id"`
	Canvases int     `json:"canvases"`
	Width    int     `json:"width"`  // CSS pixels
	Height   int     `json:"height"` // CSS pixels
	Instance bool    `json:"instance"`
	Inked    float64 `json:"inked"` // share of canvas pixels drawn
}

const probeJS = `new Promise(function(done){requestAnimationFrame(function(){requestAnimationFrame(function(){
var out=[];document.querySelectorAll('figure.chart').forEach(function(f){
  var item=f.querySelector('.item');var cs=f.querySelectorAll('canvas');var c=cs[0];
  var p={id:f.getAttribute('data-chart'),canvases:cs.length,width:0,height:0,instance:!!(window.echarts&&item&&echarts.getInstanceByDom(item)),inked:0};
  if(c){p.width=c.clientWidth;p.height=c.clientHeight;
    var d=c.getContext('2d').getImageData(0,0,c.width,c.height).data;var n=0;
    for(var i=3;i<d.length;i+=4){if(d[i]>0){n++}}p.inked=n/(c.width*c.height)}
  out.push(p)});done(out)})})})`

func requireBrowser(t *testing.T) (chrome, echarts string) {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	need := func(msg string) {
		if ci {
			t.Fatalf("%s (CI=true: scripts/test-env must install it)", msg)
		}
		t.Skipf("skipping the real-browser test: %s; scripts/test-env installs it", msg)
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			chrome = p
			break
		}
	}
	if chrome == "" {
		need("chromium is not installed (apt-get install chromium)")
	}
	wd, _ := os.Getwd()
	js, err := FindEcharts("", wd)
	if err != nil {
		need("node_modules/echarts is missing (run `npm ci` at the repository root)")
	}
	return chrome, js
}

func TestReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("real browser: skipped with -short")
	}
	chrome, js := requireBrowser(t)
	for _, tc := range []struct {
		fixture string
		charts  []string
	}{
		{"pass", passCharts},
		{"invalid", []string{"statements_0_product", "statements_1_category", "reaching_reason", "reaching_table",
			"latency_0_steady", "throughput_time", "p95_time", "hit_ratio_time", "backend_per_request"}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			dir := fixtureDir(t, tc.fixture)
			path, err := Render(dir, Options{Offline: true, EchartsJS: js})
			if err != nil {
				t.Fatal(err)
			}
			probes, full, top := openInBrowser(t, chrome, path)
			var ids []string
			for _, p := range probes {
				ids = append(ids, p.ID)
				if p.Canvases < 1 || p.Width < 300 || p.Height < 200 || !p.Instance || p.Inked < 0.005 {
					t.Errorf("chart %s did not render: %+v", p.ID, p)
				}
			}
			if !slices.Equal(ids, tc.charts) {
				t.Errorf("charts in the page %v, want %v", ids, tc.charts)
			}
			out := t.ArtifactDir()
			for name, png := range map[string][]byte{"report-" + tc.fixture + ".png": full, "report-" + tc.fixture + "-top.png": top} {
				if len(png) < 1000 || string(png[1:4]) != "PNG" {
					t.Fatalf("%s: not a PNG (%d bytes)", name, len(png))
				}
				p := filepath.Join(out, name)
				if err := os.WriteFile(p, png, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("screenshot: %s", p)
			}
		})
	}
}

// openInBrowser loads the page in headless Chromium and returns the chart
// probes, a full-page and a first-screen PNG. It fails the test on any
// script exception, console error, browser log error or network request.
func openInBrowser(t *testing.T, chrome, path string) (probes []chartProbe, full, top []byte) {
	t.Helper()
	actx, acancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer acancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(actx,
		chromedp.ExecPath(chrome),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()

	var mu sync.Mutex
	var problems []string
	add := func(format string, a ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, a...))
		mu.Unlock()
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			add("uncaught exception: %s", (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				add("console.%s: %s", ev.Type, strings.Join(args, " "))
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				add("browser log error: %s %s", ev.Entry.Text, ev.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
				add("network request from an offline report: %s", u)
			}
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	abs, _ := filepath.Abs(path)
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate("file://"+abs),
		chromedp.WaitReady(chromedp.CSS("body")),
	); err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	probes, err := chromedp.Run(ctx, chromedp.Evaluate[[]chartProbe](probeJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("probe charts: %v", err)
	}
	if top, err = chromedp.Run(ctx, chromedp.CaptureScreenshot()); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if full, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		t.Fatalf("full screenshot: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("in the browser: %s", p)
	}
	if len(probes) == 0 {
		t.Error("no chart found in the page")
	}
	return probes, full, top
}
