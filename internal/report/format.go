package report

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Number formatting for people: thousands separators, units, three
// significant digits (values of 1,000 and more are rounded to a whole
// number rather than to fake zeros), a real minus sign. Dash is what is
// shown for a value that does not exist (NaN, Inf).

// Dash stands for a missing or meaningless value.
const Dash = "—"

const minus = "−" // U+2212

// FormatInt formats n with thousands separators: 2000 → "2,000".
func FormatInt(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	if neg {
		b.WriteString(minus)
	}
	lead := len(s) % 3
	if lead == 0 {
		lead = 3
	}
	b.WriteString(s[:lead])
	for i := lead; i < len(s); i += 3 {
		b.WriteByte(',')
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Sig3 formats f with three significant digits (trailing zeros dropped):
// 12.345 → "12.3", 0.04567 → "0.0457", 1234.5 → "1,235".
func Sig3(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Dash
	}
	a := math.Abs(f)
	if a >= 999.5 {
		return FormatInt(int64(math.Round(f)))
	}
	if a == 0 {
		return "0"
	}
	decimals := 2 - int(math.Floor(math.Log10(a)))
	if decimals < 0 {
		decimals = 0
	}
	s := strconv.FormatFloat(a, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "0" {
		return "0"
	}
	if f < 0 {
		return minus + s
	}
	return s
}

// FormatCount formats a count that may be a median (x.5): whole numbers
// exactly with separators, others with three significant digits.
func FormatCount(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Dash
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return FormatInt(int64(f))
	}
	return Sig3(f)
}

// FormatDuration formats nanoseconds in the unit that suits them:
// "850 µs", "12.3 ms", "1.23 s".
func FormatDuration(ns int64) string {
	d := time.Duration(ns)
	a := d
	if a < 0 {
		a = -a
	}
	switch {
	case a == 0:
		return "0 ms"
	case a < time.Microsecond:
		return FormatInt(ns) + " ns"
	case a < time.Millisecond:
		return Sig3(float64(d)/float64(time.Microsecond)) + " µs"
	case a < time.Second:
		return Sig3(float64(d)/float64(time.Millisecond)) + " ms"
	}
	return Sig3(d.Seconds()) + " s"
}

// FormatPercent formats a fraction as a percentage: 0.625 → "62.5 %".
func FormatPercent(frac float64) string {
	if math.IsNaN(frac) || math.IsInf(frac, 0) {
		return Dash
	}
	return Sig3(100*frac) + " %"
}

// FormatReduction formats 1 - warm/cold as the change it is: a 62.5 %
// reduction is "−62.5 %", a rise "+12 %".
func FormatReduction(r float64) string {
	switch {
	case math.IsNaN(r) || math.IsInf(r, 0):
		return Dash
	case r > 0:
		return minus + FormatPercent(r)
	case r < 0:
		return "+" + FormatPercent(-r)
	}
	return "0 %"
}

// FormatRate formats requests per second.
func FormatRate(rps float64) string { return Sig3(rps) + " req/s" }

// FormatBytes formats a size in binary units: "23.4 GiB".
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return FormatInt(n) + " B"
	}
	f := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= unit
		if f < unit || u == "TiB" {
			return Sig3(f) + " " + u
		}
	}
	return FormatInt(n) + " B"
}

// FormatValue formats a threshold's value in its unit (results.Threshold
// Unit: "s" is seconds, "ratio" a fraction, "req/s" a rate, "count" or ""
// a plain number).
func FormatValue(v float64, unit string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Dash
	}
	switch unit {
	case "s":
		return FormatDuration(int64(math.Round(v * float64(time.Second))))
	case "ratio":
		return FormatPercent(v)
	case "req/s":
		return FormatRate(v)
	}
	return FormatCount(v)
}

// FormatSigned formats a difference with an explicit sign in the value's
// unit: "+18", "−3.2 ms", "+1.5 %" ("0" when there is none).
func FormatSigned(delta float64, unit string) string {
	if delta == 0 {
		return "0"
	}
	s := FormatValue(math.Abs(delta), unit)
	if delta < 0 {
		return minus + s
	}
	return "+" + s
}
