package scenario

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// maxRate bounds a rate (requests per second) to catch typos.
const maxRate = 100000

// ParseRate parses a request rate "N/<duration>" as vegeta's -rate flag
// does: "20/s", "600/m", "5/500ms", "100/1m". N is a positive integer; a
// bare unit means one of it.
func ParseRate(s string) (vegeta.Rate, error) {
	bad := func(why string) (vegeta.Rate, error) {
		return vegeta.Rate{}, fmt.Errorf("%q is not a rate (expected N/s, N/m or N/<duration>, e.g. 20/s)%s", s, why)
	}
	freq, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return bad("")
	}
	n, err := strconv.Atoi(strings.TrimSpace(freq))
	if err != nil {
		return bad("")
	}
	if n <= 0 {
		return bad(": N must be positive")
	}
	per = strings.TrimSpace(per)
	switch per {
	case "ns", "us", "µs", "ms", "s", "m", "h":
		per = "1" + per
	}
	d, err := time.ParseDuration(per)
	if err != nil {
		return bad("")
	}
	if d <= 0 {
		return bad(": the period must be positive")
	}
	r := vegeta.Rate{Freq: n, Per: d}
	if hz := perSecond(r); hz > maxRate {
		return bad(fmt.Sprintf(": %.0f requests/s is more than %d", hz, maxRate))
	}
	return r, nil
}

// perSecond is a rate in requests per second.
func perSecond(r vegeta.Rate) float64 { return float64(r.Freq) / r.Per.Seconds() }

// Pacer returns the phase's vegeta pacer over its measured Duration: a
// constant vegeta.Rate, or a vegeta.LinearPacer from ramp.from to ramp.to.
// (A warmup, when set, is the run's concern: it is not part of this pacer.)
func (p LoadPhase) Pacer() (vegeta.Pacer, error) {
	switch {
	case p.Rate != "" && p.Ramp != nil:
		return nil, errors.New("rate and ramp are exclusive")
	case p.Rate != "":
		return ParseRate(p.Rate)
	case p.Ramp != nil:
		from, err := ParseRate(p.Ramp.From)
		if err != nil {
			return nil, fmt.Errorf("ramp.from: %w", err)
		}
		to, err := ParseRate(p.Ramp.To)
		if err != nil {
			return nil, fmt.Errorf("ramp.to: %w", err)
		}
		if p.Duration <= 0 {
			return nil, errors.New("a ramp needs a positive duration")
		}
		slope := (perSecond(to) - perSecond(from)) / p.Duration.D().Seconds()
		return vegeta.LinearPacer{StartAt: from, Slope: slope}, nil
	}
	return nil, errors.New("rate or ramp is required")
}

// RateString describes the phase's rate as results record it: "20/s" or
// "5/s..40/s".
func (p LoadPhase) RateString() string {
	if p.Ramp != nil {
		return p.Ramp.From + ".." + p.Ramp.To
	}
	return p.Rate
}
