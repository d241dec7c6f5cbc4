package sqlclass

import (
	"fmt"
	"maps"
	"path"
	"strings"
	"sync"
	"sync/atomic"
)

// tableSetMemoLimit bounds the number of (schema, name) answers a TableSet
// remembers; a client naming endless distinct tables cannot grow it further.
const tableSetMemoLimit = 4096

// TableSet matches tables against a list of patterns, such as a never-cache
// list. A pattern is a bare name ("cart"), a prefixed name ("ps_cart"), a
// glob with path.Match syntax ("ps_mymodule_*", "layered_*", "*_lang"), or
// any of these qualified by a schema, itself possibly a glob ("shop.ps_cart",
// "shop.*"). Matching is case-insensitive. A table matches when its name, or
// its name with the table prefix stripped, matches a pattern, and, for a
// qualified pattern, its schema matches too.
//
// A TableSet is safe for concurrent use. The zero value and nil match
// nothing.
type TableSet struct {
	prefix string
	exact  map[string]struct{} // unqualified names without glob characters
	globs  []string            // unqualified globs
	scoped []scopedPattern     // schema-qualified patterns

	memo   atomic.Pointer[map[TableRef]bool] // copy-on-write answers
	memoMu sync.Mutex                        // serialises memo writers
}

// scopedPattern is a schema-qualified pattern.
type scopedPattern struct {
	schema, table string
}

// NewTableSet compiles patterns. tablePrefix (for example "ps_") is stripped
// from table names as an alternative match. Empty patterns and malformed
// globs are errors naming the pattern.
func NewTableSet(tablePrefix string, patterns []string) (*TableSet, error) {
	s := &TableSet{prefix: strings.ToLower(tablePrefix), exact: make(map[string]struct{})}
	for _, raw := range patterns {
		p := strings.ToLower(strings.TrimSpace(raw))
		if p == "" {
			return nil, fmt.Errorf("table pattern %q: empty", raw)
		}
		schema, table, qualified := strings.Cut(p, ".")
		if qualified && (schema == "" || table == "") {
			return nil, fmt.Errorf("table pattern %q: want schema.table", raw)
		}
		for _, g := range []string{schema, table} {
			if _, err := path.Match(g, ""); err != nil {
				return nil, fmt.Errorf("table pattern %q: %w", raw, err)
			}
		}
		switch {
		case qualified:
			s.scoped = append(s.scoped, scopedPattern{schema: schema, table: table})
		case isGlob(p):
			s.globs = append(s.globs, p)
		default:
			s.exact[p] = struct{}{}
		}
	}
	return s, nil
}

// isGlob reports whether p uses path.Match metacharacters.
func isGlob(p string) bool {
	return strings.ContainsAny(p, `*?[\`)
}

// Match reports whether t matches one of the set's patterns.
func (s *TableSet) Match(t TableRef) bool {
	if s == nil || (len(s.exact) == 0 && len(s.globs) == 0 && len(s.scoped) == 0) {
		return false
	}
	t = TableRef{Schema: strings.ToLower(t.Schema), Name: strings.ToLower(t.Name)}
	if m := s.memo.Load(); m != nil {
		if v, ok := (*m)[t]; ok {
			return v
		}
	}
	v := s.match(t)
	s.remember(t, v)
	return v
}

// MatchAny reports whether any of ts matches.
func (s *TableSet) MatchAny(ts []TableRef) bool {
	for _, t := range ts {
		if s.Match(t) {
			return true
		}
	}
	return false
}

// match computes Match without the memo; t is lower-cased.
func (s *TableSet) match(t TableRef) bool {
	names := [2]string{t.Name, ""}
	n := 1
	if s.prefix != "" && len(t.Name) > len(s.prefix) && strings.HasPrefix(t.Name, s.prefix) {
		names[1] = t.Name[len(s.prefix):]
		n = 2
	}
	for _, name := range names[:n] {
		if _, ok := s.exact[name]; ok {
			return true
		}
		for _, g := range s.globs {
			if globMatch(g, name) {
				return true
			}
		}
		for _, sp := range s.scoped {
			if globMatch(sp.table, name) && globMatch(sp.schema, t.Schema) {
				return true
			}
		}
	}
	return false
}

// globMatch is path.Match for patterns validated by NewTableSet.
func globMatch(pattern, name string) bool {
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}

// remember stores an answer in the copy-on-write memo, up to its limit.
// Keys are copied: they may be substrings of a large statement text.
func (s *TableSet) remember(t TableRef, v bool) {
	s.memoMu.Lock()
	defer s.memoMu.Unlock()
	var next map[TableRef]bool
	if cur := s.memo.Load(); cur != nil {
		if len(*cur) >= tableSetMemoLimit {
			return
		}
		if _, ok := (*cur)[t]; ok {
			return
		}
		next = maps.Clone(*cur)
	} else {
		next = make(map[TableRef]bool, 16)
	}
	next[TableRef{Schema: strings.Clone(t.Schema), Name: strings.Clone(t.Name)}] = v
	s.memo.Store(&next)
}
