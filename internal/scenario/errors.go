package scenario

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Error is one problem in a scenario file, at the line and column of the
// offending key or value (or of the nearest enclosing one that exists).
type Error struct {
	File   string
	Line   int
	Column int
	// Path is the key path, e.g. load.phases[0].rate ("" for the document).
	Path string
	// Msg says what is wrong and what was expected.
	Msg string
}

func (e *Error) Error() string {
	pos := fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	if e.Path == "" {
		return pos + ": " + e.Msg
	}
	return pos + ": " + e.Path + ": " + e.Msg
}

// ErrorList is every problem found in a scenario file, in file order.
// Load and Parse return it as their error.
type ErrorList []*Error

func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

func (l ErrorList) sort() {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Line != l[j].Line {
			return l[i].Line < l[j].Line
		}
		return l[i].Column < l[j].Column
	})
}

// path is a key path: string keys and int indices.
type path []any

func at(p ...any) path { return p }

// with returns p extended by more segments (never sharing p's array).
func (p path) with(more ...any) path {
	out := make(path, 0, len(p)+len(more))
	return append(append(out, p...), more...)
}

func (p path) String() string {
	var b strings.Builder
	for _, s := range p {
		switch s := s.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(s) + "]")
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
		}
	}
	return b.String()
}
