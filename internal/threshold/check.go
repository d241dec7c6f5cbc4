package threshold

import (
	"fmt"
	didyoumean "github.com/psbench/psbench/internal/suggest"
	"sort"
	"strings"
)

// typ is the static type of a sub-expression.
type typ struct {
	unit    Unit
	untyped bool // a plain literal (or arithmetic on plain literals only)
	zero    bool // an untyped literal equal to 0
	bad     bool // an error was already reported below
}

type checker struct {
	e     *Expr
	known func(name string) (Unit, bool)
	hint  func(name string) string
	errs  Errors
}

func (c *checker) errorf(off int, format string, a ...any) {
	c.errs = append(c.errs, &Error{Col: c.e.col(off), Msg: fmt.Sprintf(format, a...)})
}

// Check verifies that every metric is known (known maps metric names to
// their units, see Metrics and Known) and that units agree: both sides of
// a comparison, + and - have the same unit; a plain number takes the unit
// of the other side, except that only 0 may stand for a duration; * takes
// a plain number or a ratio on one side; / of two like units gives a
// ratio. The error is an Errors listing every problem.
func (e *Expr) Check(known map[string]Unit) error {
	c := &checker{e: e, known: func(n string) (Unit, bool) { u, ok := known[n]; return u, ok }}
	c.hint = func(name string) string { return suggest(name, known) }
	c.check()
	if len(c.errs) == 0 {
		return nil
	}
	sort.SliceStable(c.errs, func(i, j int) bool { return c.errs[i].Col < c.errs[j].Col })
	return c.errs
}

// Unit is the unit of the comparison (what Measured and Limit are in), by
// the metric grammar; Number when neither side has a unit.
func (e *Expr) Unit() Unit {
	c := &checker{e: e, known: grammarUnit}
	t, _, _ := unify(c.infer(e.left), c.infer(e.right))
	return t.unit
}

func grammarUnit(name string) (Unit, bool) {
	r, ok := parseMetric(name)
	return r.unit, ok
}

func (c *checker) check() {
	l := c.infer(c.e.left)
	r := c.infer(c.e.right)
	if l.bad || r.bad {
		return
	}
	if _, ok, hint := unify(l, r); !ok {
		c.errorf(c.e.opOff, "cannot compare %s with %s%s", describe(c.e.left, l), describe(c.e.right, r), hint)
	}
}

func describe(n node, t typ) string {
	return fmt.Sprintf("%s (%s)", n.format(0), t.unit.Name())
}

// unify returns the common type of two operands of + - or a comparison;
// hint explains a mismatch.
func unify(a, b typ) (t typ, ok bool, hint string) {
	const durHint = "; write a duration such as 1s or 500ms"
	switch {
	case a.untyped && b.untyped:
		return typ{unit: Number, untyped: true, zero: a.zero && b.zero}, true, ""
	case a.untyped:
		if b.unit == Duration && !a.zero {
			return b, false, durHint
		}
		return b, true, ""
	case b.untyped:
		if a.unit == Duration && !b.zero {
			return a, false, durHint
		}
		return a, true, ""
	case a.unit == b.unit:
		return a, true, ""
	}
	return a, false, ""
}

func (c *checker) infer(n node) typ {
	switch n := n.(type) {
	case *numNode:
		if n.unit == Number {
			return typ{unit: Number, untyped: true, zero: n.v == 0}
		}
		return typ{unit: n.unit}
	case *metricNode:
		u, ok := c.known(n.name)
		if !ok {
			msg := fmt.Sprintf("unknown metric %q", n.name)
			if c.hint != nil {
				msg += c.hint(n.name)
			}
			c.errs = append(c.errs, &Error{Col: c.e.col(n.off), Msg: msg})
			return typ{bad: true}
		}
		return typ{unit: u}
	case *negNode:
		return c.infer(n.x)
	case *binNode:
		x, y := c.infer(n.x), c.infer(n.y)
		if x.bad || y.bad {
			return typ{bad: true}
		}
		switch n.op {
		case '+', '-':
			t, ok, hint := unify(x, y)
			if !ok {
				verb := map[byte]string{'+': "add", '-': "subtract"}[n.op]
				c.errorf(n.off, "cannot %s %s and %s%s", verb, describe(n.x, x), describe(n.y, y), hint)
				return typ{bad: true}
			}
			return t
		case '*':
			switch {
			case x.untyped && y.untyped:
				return typ{unit: Number, untyped: true, zero: x.zero || y.zero}
			case x.untyped || x.unit == Ratio && !y.untyped:
				return typ{unit: y.unit}
			case y.untyped || y.unit == Ratio:
				return typ{unit: x.unit}
			}
			c.errorf(n.off, "cannot multiply %s by %s (one side must be a plain number or a ratio)", describe(n.x, x), describe(n.y, y))
			return typ{bad: true}
		case '/':
			switch {
			case x.untyped && y.untyped:
				return typ{unit: Number, untyped: true, zero: x.zero}
			case y.untyped || y.unit == Ratio && x.unit != Ratio:
				return typ{unit: x.unit, untyped: x.untyped}
			case !x.untyped && x.unit == y.unit:
				return typ{unit: Ratio}
			}
			c.errorf(n.off, "cannot divide %s by %s (divide like units for a ratio, or by a plain number)", describe(n.x, x), describe(n.y, y))
			return typ{bad: true}
		}
	}
	return typ{bad: true}
}

// suggest returns ` (did you mean "x"?)` for a near miss, or a hint for
// names that look like subtraction without spaces.
func suggest(name string, known map[string]Unit) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, ok := known[name[:i]]; ok {
			return "; put spaces around '-' to subtract"
		}
	}
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	if best := didyoumean.Closest(name, names, 4); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}
