// Package suggest finds the near miss behind a typo, for "did you mean"
// hints in error messages (scenario keys, threshold metric names).
package suggest

// Closest returns the candidate nearest to s by edit distance when it is
// strictly below maxDistance, or "" when none is that close. Ties go to the
// candidate that sorts first, so the answer does not depend on order.
func Closest(s string, candidates []string, maxDistance int) string {
	best, bestD := "", maxDistance
	for _, c := range candidates {
		if d := Distance(s, c); d < bestD || d == bestD && best != "" && c < best {
			best, bestD = c, d
		}
	}
	return best
}

// Distance is the Levenshtein distance between a and b; strings longer than
// 64 bytes are too long to be typos of each other and are far apart unless
// equal.
func Distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
