package report

import (
	"math"
	"testing"
	"time"
)

func TestFormatNumbers(t *testing.T) {
	cases := []struct{ got, want string }{
		{FormatInt(0), "0"},
		{FormatInt(999), "999"},
		{FormatInt(2000), "2,000"},
		{FormatInt(1234567), "1,234,567"},
		{FormatInt(-1500), "−1,500"},
		{Sig3(12.345), "12.3"},
		{Sig3(0.04567), "0.0457"},
		{Sig3(1.5), "1.5"},
		{Sig3(100), "100"},
		{Sig3(99.96), "100"},
		{Sig3(999.4), "999"},
		{Sig3(999.6), "1,000"},
		{Sig3(1234.5), "1,235"},
		{Sig3(0), "0"},
		{Sig3(-2.345), "−2.35"},
		{Sig3(math.NaN()), "—"},
		{FormatCount(198), "198"},
		{FormatCount(2000), "2,000"},
		{FormatCount(34.5), "34.5"},
		{FormatDuration(0), "0 ms"},
		{FormatDuration(850), "850 ns"},
		{FormatDuration(int64(850 * time.Microsecond)), "850 µs"},
		{FormatDuration(int64(12345 * time.Microsecond)), "12.3 ms"},
		{FormatDuration(int64(313490349)), "313 ms"},
		{FormatDuration(int64(1234 * time.Millisecond)), "1.23 s"},
		{FormatPercent(0.625), "62.5 %"},
		{FormatPercent(0.7), "70 %"},
		{FormatPercent(0.828282), "82.8 %"},
		{FormatPercent(0.008888), "0.889 %"},
		{FormatPercent(0), "0 %"},
		{FormatReduction(0.625), "−62.5 %"},
		{FormatReduction(-0.12), "+12 %"},
		{FormatReduction(0), "0 %"},
		{FormatRate(19.9166), "19.9 req/s"},
		{FormatBytes(24 << 30), "24 GiB"},
		{FormatBytes(1 << 20), "1 MiB"},
		{FormatBytes(512), "512 B"},
		{FormatValue(0.4, "s"), "400 ms"},
		{FormatValue(0.01, "ratio"), "1 %"},
		{FormatValue(30, "req/s"), "30 req/s"},
		{FormatValue(60, "count"), "60"},
		{FormatValue(41, ""), "41"},
		{FormatSigned(18, "count"), "+18"},
		{FormatSigned(-0.0032, "s"), "−3.2 ms"},
		{FormatSigned(0, "s"), "0"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
}

func TestReferenceStrings(t *testing.T) {
	if got := References["product"].String(); got != "800 → 300 (−62.5 %)" {
		t.Errorf("product reference %q", got)
	}
	if got := References["category"].String(); got != "2,000 → 600 (−70 %)" {
		t.Errorf("category reference %q", got)
	}
}
