package run

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/psbench/psbench/internal/load"
	"github.com/schollz/progressbar/v3"
)

// progress shows what a run is doing: a live bar on a terminal, plain
// lines every few seconds otherwise (CI logs).
type progress struct {
	w    io.Writer
	tty  bool
	mu   sync.Mutex
	bar  *progressbar.ProgressBar
	key  string
	last time.Time
}

func newProgress(w io.Writer, tty bool) *progress { return &progress{w: w, tty: tty} }

// step prints a one-line step of the run.
func (p *progress) step(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finishBar()
	fmt.Fprintf(p.w, "==> "+format+"\n", a...)
}

// detail reports a fine-grained step (one profile request): a live line
// on a terminal, at most one plain line every five seconds otherwise.
func (p *progress) detail(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty {
		if time.Since(p.last) >= 5*time.Second || p.key != "detail" {
			fmt.Fprintf(p.w, "    %s\n", msg)
			p.last, p.key = time.Now(), "detail"
		}
		return
	}
	if p.key != "detail" || p.bar == nil {
		p.finishBar()
		p.bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(p.w), progressbar.OptionClearOnFinish(),
			progressbar.OptionSpinnerType(14))
		p.key = "detail"
	}
	p.bar.Describe(msg)
	_ = p.bar.Add(1)
}

// load reports a load phase's progress.
func (p *progress) load(pr load.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	label := pr.Phase + "/" + pr.Mode
	if pr.Warmup {
		label += " (warm-up)"
	}
	desc := fmt.Sprintf("%-28s %6.1f req/s %5d errors", label, pr.RPS, pr.Errors)
	total := pr.Elapsed + pr.Remaining
	if !p.tty {
		if time.Since(p.last) >= 5*time.Second || p.key != label {
			fmt.Fprintf(p.w, "    %s  %s/%s\n", desc, pr.Elapsed.Round(time.Second), total.Round(time.Second))
			p.last, p.key = time.Now(), label
		}
		return
	}
	if p.key != label || p.bar == nil {
		p.finishBar()
		p.bar = progressbar.NewOptions64(int64(total/time.Second),
			progressbar.OptionSetWriter(p.w), progressbar.OptionSetWidth(24),
			progressbar.OptionShowElapsedTimeOnFinish(), progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish())
		p.key = label
	}
	p.bar.Describe(desc)
	_ = p.bar.Set64(int64(pr.Elapsed / time.Second))
}

func (p *progress) finishBar() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
		p.key = ""
	}
}

// done ends any live bar.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finishBar()
}
