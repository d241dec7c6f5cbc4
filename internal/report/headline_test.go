package report

import (
	"strings"
	"testing"

	"github.com/psbench/psbench/internal/results"
)

func TestHeadlines(t *testing.T) {
	hs := Headlines(fixture(t, "pass"))
	if len(hs) != 2 {
		t.Fatalf("%d headlines, want 2", len(hs))
	}
	want := []string{
		"product: cold 198 → warm 34 backend statements (−82.8 %)",
		"category: cold 204 → warm 41 backend statements (−79.9 %)",
	}
	for i, h := range hs {
		if h.Text != want[i] {
			t.Errorf("headline %d = %q, want %q", i, h.Text, want[i])
		}
		if !h.Valid || h.Reference == nil {
			t.Errorf("headline %d: valid %v, reference %v", i, h.Valid, h.Reference)
		}
	}
	if hs[0].Reference.Cold != 800 || hs[1].Reference.Warm != 600 {
		t.Errorf("references %+v %+v", hs[0].Reference, hs[1].Reference)
	}
}

func TestHeadlinesInvalidNeverLookValid(t *testing.T) {
	for _, h := range Headlines(fixture(t, "invalid")) {
		if h.Valid || !strings.Contains(h.Text, "INVALID") || !strings.Contains(h.Text, "not a valid measurement") {
			t.Errorf("invalid profile headline %q (valid %v)", h.Text, h.Valid)
		}
	}
}

func TestHeadlinePartialPhases(t *testing.T) {
	run := &results.Run{Profile: &results.Profile{Valid: true, Phases: []string{results.PhaseCold},
		Kinds: []results.KindProfile{{Kind: "cms", Cold: results.Stat{Median: 2500}}}}}
	h := Headlines(run)[0]
	if h.Text != "cms: cold 2,500 backend statements (warm not measured)" || h.Reference != nil {
		t.Errorf("got %q ref %v", h.Text, h.Reference)
	}
	if Headlines(&results.Run{}) != nil {
		t.Error("headlines without a profile")
	}
}

func TestVerdict(t *testing.T) {
	cases := []struct {
		run  results.Run
		word string
		in   string
	}{
		{results.Run{Verdict: results.VerdictPass, Thresholds: []results.Threshold{{Pass: true}}}, "PASS", "all 1 thresholds passed"},
		{results.Run{Verdict: results.VerdictFail, Thresholds: []results.Threshold{{Pass: true}, {Pass: false}}}, "FAIL", "1 of 2 thresholds failed"},
		{results.Run{Verdict: results.VerdictIncomplete, Incomplete: "interrupted"}, "INCOMPLETE", "interrupted"},
		{results.Run{Verdict: results.VerdictInvalid, Profile: &results.Profile{Problems: []string{"a", "b"}}}, "INVALID", "2 problem(s)"},
		{results.Run{Verdict: "weird", Complete: true}, "UNKNOWN", "weird"},
	}
	for _, c := range cases {
		v := Verdict(&c.run)
		if v.Word != c.word || !strings.Contains(v.Reason, c.in) || v.Icon == "" {
			t.Errorf("%s: got %+v", c.run.Verdict, v)
		}
	}
}

func TestTargetLabel(t *testing.T) {
	if TargetLabel(results.Target{Simulated: true}) != "simulated storefront" || TargetLabel(results.Target{Kind: "docker"}) != "real shop" {
		t.Error("target labels")
	}
}
