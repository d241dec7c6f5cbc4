package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/psbench/psbench/internal/results"
)

// Reference is what a real PrestaShop page sends to MySQL without and with
// a query cache in front of it: the numbers psbench sets out to reproduce.
type Reference struct {
	Cold, Warm float64
}

// Reduction is 1 - warm/cold.
func (r Reference) Reduction() float64 { return 1 - r.Warm/r.Cold }

// String is "800 → 300 (−62.5 %)".
func (r Reference) String() string {
	return fmt.Sprintf("%s → %s (%s)", FormatCount(r.Cold), FormatCount(r.Warm), FormatReduction(r.Reduction()))
}

// References are the reference statement counts per page kind.
var References = map[string]Reference{
	"product":  {Cold: 800, Warm: 300},
	"category": {Cold: 2000, Warm: 600},
}

// Headline is one page kind's result in a sentence.
type Headline struct {
	Kind string
	// HasCold and HasWarm say which phases were measured.
	HasCold, HasWarm bool
	Cold, Warm       float64 // medians of backend statements
	Reduction        float64 // 1 - warm/cold; meaningful when HasCold && HasWarm && Cold > 0
	// Valid is false when the profile is invalid: the numbers are then
	// shown as measured but not valid.
	Valid     bool
	Reference *Reference
	// Text is "product: cold 198 → warm 34 backend statements (−82.8 %)",
	// or says why there is no valid number.
	Text string
}

// HasPhase reports whether p measured phase (a profile that does not list
// its phases measured all of them).
func HasPhase(p *results.Profile, phase string) bool {
	return p != nil && (len(p.Phases) == 0 || slices.Contains(p.Phases, phase))
}

// Headlines computes one headline per page kind of the run's profile, in
// profile order; none when the run has no profile.
func Headlines(run *results.Run) []Headline {
	p := run.Profile
	if p == nil {
		return nil
	}
	var out []Headline
	for _, k := range p.Kinds {
		h := Headline{
			Kind:    k.Kind,
			HasCold: HasPhase(p, results.PhaseCold),
			HasWarm: HasPhase(p, results.PhaseWarm),
			Cold:    k.Cold.Median,
			Warm:    k.Warm.Median,
			Valid:   p.Valid && len(p.Problems) == 0,
		}
		h.Reduction = k.Reduction
		if ref, ok := References[k.Kind]; ok {
			h.Reference = &ref
		}
		h.Text = headlineText(h)
		out = append(out, h)
	}
	return out
}

func headlineText(h Headline) string {
	var b strings.Builder
	b.WriteString(h.Kind + ": ")
	if !h.Valid {
		b.WriteString("INVALID — ")
	}
	switch {
	case h.HasCold && h.HasWarm:
		fmt.Fprintf(&b, "cold %s → warm %s backend statements", FormatCount(h.Cold), FormatCount(h.Warm))
		if h.Cold > 0 {
			fmt.Fprintf(&b, " (%s)", FormatReduction(h.Reduction))
		}
	case h.HasCold:
		fmt.Fprintf(&b, "cold %s backend statements (warm not measured)", FormatCount(h.Cold))
	case h.HasWarm:
		fmt.Fprintf(&b, "warm %s backend statements (cold not measured)", FormatCount(h.Warm))
	default:
		b.WriteString("no cold or warm phase measured")
	}
	if !h.Valid {
		b.WriteString(", not a valid measurement")
	}
	return b.String()
}

// VerdictView is how a verdict is shown: a word, an icon (never colour
// alone) and a CSS class.
type VerdictView struct {
	Word   string // PASS, FAIL, INCOMPLETE, INVALID, UNKNOWN
	Icon   string
	Class  string
	Reason string // one line: why, when not a pass
}

// Verdict describes the run's verdict for people.
func Verdict(run *results.Run) VerdictView {
	failed := 0
	for _, t := range run.Thresholds {
		if !t.Pass {
			failed++
		}
	}
	switch run.Verdict {
	case results.VerdictPass:
		reason := fmt.Sprintf("all %d thresholds passed", len(run.Thresholds))
		if len(run.Thresholds) == 0 {
			reason = "no thresholds set"
		}
		return VerdictView{Word: "PASS", Icon: "✔", Class: "pass", Reason: reason}
	case results.VerdictFail:
		return VerdictView{Word: "FAIL", Icon: "✘", Class: "fail",
			Reason: fmt.Sprintf("%d of %d thresholds failed", failed, len(run.Thresholds))}
	case results.VerdictIncomplete:
		reason := run.Incomplete
		if reason == "" {
			reason = "the run did not finish"
		}
		return VerdictView{Word: "INCOMPLETE", Icon: "⚠", Class: "incomplete", Reason: reason}
	case results.VerdictInvalid:
		reason := "the statement profile is not a valid measurement"
		if run.Profile != nil && len(run.Profile.Problems) > 0 {
			reason += fmt.Sprintf(" (%d problem(s), listed below)", len(run.Profile.Problems))
		}
		return VerdictView{Word: "INVALID", Icon: "⊘", Class: "invalid", Reason: reason}
	}
	reason := fmt.Sprintf("results carry verdict %q", run.Verdict)
	if !run.Complete {
		reason = "the run did not finish"
	}
	return VerdictView{Word: "UNKNOWN", Icon: "?", Class: "incomplete", Reason: reason}
}

// TargetLabel is the plain-words kind of target: "simulated storefront"
// or "real shop".
func TargetLabel(t results.Target) string {
	switch {
	case t.Label != "":
		return t.Label
	case t.Simulated:
		return results.LabelSimulated
	}
	return results.LabelRealShop
}
