package sqlclass

// refList is an ordered set of table references: it keeps the order of first
// appearance and drops duplicates. Statements name few tables, so a linear
// scan beats a map until the list grows long; then an index takes over.
type refList struct {
	refs  []TableRef
	index map[TableRef]struct{}
}

// refIndexThreshold is the length beyond which refList keeps a map index.
const refIndexThreshold = 16

// add appends r unless the list already holds it.
func (l *refList) add(r TableRef) {
	if l.index != nil {
		if _, ok := l.index[r]; ok {
			return
		}
		l.index[r] = struct{}{}
		l.refs = append(l.refs, r)
		return
	}
	for _, have := range l.refs {
		if have == r {
			return
		}
	}
	l.refs = append(l.refs, r)
	if len(l.refs) > refIndexThreshold {
		l.index = make(map[TableRef]struct{}, 2*len(l.refs))
		for _, have := range l.refs {
			l.index[have] = struct{}{}
		}
	}
}

// addAll adds every reference of rs in order.
func (l *refList) addAll(rs []TableRef) {
	for _, r := range rs {
		l.add(r)
	}
}

// slice returns the references, or nil when there are none. The result
// shares storage with the list: callers must not add to the list afterwards.
func (l *refList) slice() []TableRef {
	if len(l.refs) == 0 {
		return nil
	}
	return l.refs[:len(l.refs):len(l.refs)]
}
