package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"ttl", "tll", 1}, {"mode", "mdoe", 2}, {"kitten", "sitting", 3}, {"abc", "abc", 0}, {"", "abc", 3}} {
		if got := Distance(tc.a, tc.b); got != tc.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
	long := string(make([]byte, 65))
	if Distance(long, long+"x") != 99 || Distance(long, long) != 0 {
		t.Error("long strings must be far apart unless equal")
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"mode", "ttl", "table_ttl", "max_result_bytes"}
	if got := Closest("tll", keys, 3); got != "ttl" {
		t.Errorf("Closest(tll) = %q", got)
	}
	if got := Closest("redis_cluster", keys, 3); got != "" {
		t.Errorf("Closest(redis_cluster) = %q, want no suggestion", got)
	}
	// Ties resolve to the smallest candidate whatever the order.
	if a, b := Closest("ab", []string{"xb", "ax"}, 3), Closest("ab", []string{"ax", "xb"}, 3); a != "ax" || b != "ax" {
		t.Errorf("ties: %q %q", a, b)
	}
}
