package proxycache

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that reads and writes as "10m", "250ms", ...
// in YAML, JSON and flags.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats the duration like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// Set parses a flag value.
func (d *Duration) Set(s string) error { return d.UnmarshalText([]byte(s)) }

// Type names the flag value type.
func (d *Duration) Type() string { return "duration" }

// MarshalText writes the duration as text.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses "10m", "1h30m", "250ms".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("%q is not a duration (expected e.g. 10m, 30s, 250ms)", string(b))
	}
	if v < 0 {
		return fmt.Errorf("%q is negative", string(b))
	}
	*d = Duration(v)
	return nil
}

// ByteSize is a size in bytes that reads as "64MiB", "512KiB", "1GB",
// "1048576".
type ByteSize int64

// String formats the size with a binary unit when it is a whole multiple.
func (b ByteSize) String() string {
	for _, u := range []struct {
		n    int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if int64(b) >= u.n && int64(b)%u.n == 0 {
			return strconv.FormatInt(int64(b)/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// Set parses a flag value.
func (b *ByteSize) Set(s string) error { return b.UnmarshalText([]byte(s)) }

// Type names the flag value type.
func (b *ByteSize) Type() string { return "bytes" }

// MarshalText writes the size as text.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText parses a size with an optional unit (B, KB, KiB, MB, MiB,
// GB, GiB; decimal units are powers of 1000).
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	i := len(s)
	for i > 0 && (s[i-1] < '0' || s[i-1] > '9') {
		i--
	}
	num, unit := strings.TrimSpace(s[:i]), strings.ToLower(strings.TrimSpace(s[i:]))
	mult := map[string]int64{"": 1, "b": 1, "k": 1 << 10, "kb": 1000, "kib": 1 << 10,
		"m": 1 << 20, "mb": 1000 * 1000, "mib": 1 << 20, "g": 1 << 30, "gb": 1000 * 1000 * 1000, "gib": 1 << 30}[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || mult == 0 || n < 0 {
		return fmt.Errorf("%q is not a size (expected e.g. 256MiB, 64KiB, 1048576)", s)
	}
	*b = ByteSize(n * mult)
	return nil
}
