package threshold

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits that keep hostile input cheap.
const (
	maxLen   = 1024
	maxDepth = 32
)

// Error is a parse or check error at a 1-based column (in characters) of
// the expression.
type Error struct {
	Col int
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("column %d: %s", e.Col, e.Msg) }

// Errors is every problem Check found, in column order.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "; ")
}

// Expr is one parsed threshold: left <op> right.
type Expr struct {
	src         string
	left, right node
	op          string
	opOff       int
}

// Parse parses "<expr> <cmp> <expr>". The error, an *Error, points at the
// column where the input stopped making sense.
func Parse(src string) (*Expr, error) {
	if len(src) > maxLen {
		return nil, &Error{Col: 1, Msg: fmt.Sprintf("threshold is longer than %d characters", maxLen)}
	}
	if !utf8.ValidString(src) {
		return nil, &Error{Col: 1, Msg: "threshold is not valid UTF-8"}
	}
	p := &parser{src: src}
	if err := p.lex(); err != nil {
		return nil, err
	}
	e := &Expr{src: src}
	var err error
	if p.peek().kind == tEOF {
		return nil, p.errAt(p.peek().off, "empty threshold (expected e.g. product.reduction >= 0.5)")
	}
	if e.left, err = p.expr(0); err != nil {
		return nil, err
	}
	t := p.next()
	if t.kind != tCmp {
		if t.kind == tEOF {
			return nil, p.errAt(t.off, "expected a comparison (<, <=, >, >=, ==, !=) after the expression")
		}
		return nil, p.errAt(t.off, fmt.Sprintf("expected a comparison (<, <=, >, >=, ==, !=), found %s", t.describe()))
	}
	e.op, e.opOff = t.text, t.off
	if p.peek().kind == tEOF {
		return nil, p.errAt(p.peek().off, "expected an expression after "+t.text)
	}
	if e.right, err = p.expr(0); err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tEOF {
		if t.kind == tCmp {
			return nil, p.errAt(t.off, "only one comparison per threshold (write two thresholds)")
		}
		return nil, p.errAt(t.off, fmt.Sprintf("expected the end of the threshold, found %s", t.describe()))
	}
	return e, nil
}

// MustParse is Parse for tests and constants; it panics on error.
func MustParse(src string) *Expr {
	e, err := Parse(src)
	if err != nil {
		panic(fmt.Sprintf("threshold.MustParse(%q): %v", src, err))
	}
	return e
}

// Source is the text the expression was parsed from.
func (e *Expr) Source() string { return e.src }

// Op is the comparison operator.
func (e *Expr) Op() string { return e.op }

// String formats the expression canonically (single spaces, minimal
// parentheses); parsing the result gives the same expression.
func (e *Expr) String() string {
	return e.left.format(0) + " " + e.op + " " + e.right.format(0)
}

// Metrics returns the distinct metric names the expression reads, in
// order of appearance.
func (e *Expr) Metrics() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case *metricNode:
			if !seen[n.name] {
				seen[n.name] = true
				out = append(out, n.name)
			}
		case *negNode:
			walk(n.x)
		case *binNode:
			walk(n.x)
			walk(n.y)
		}
	}
	walk(e.left)
	walk(e.right)
	return out
}

// Col converts a byte offset in the source to a 1-based character column.
func (e *Expr) col(off int) int { return col(e.src, off) }

func col(src string, off int) int {
	if off > len(src) {
		off = len(src)
	}
	return utf8.RuneCountInString(src[:off]) + 1
}

// ---- AST ----

type node interface {
	offset() int
	// format writes the node; prec is the binding power of the context.
	format(prec int) string
}

type numNode struct {
	off  int
	text string  // as written
	v    float64 // base unit: seconds for durations, fraction for percentages
	unit Unit    // Number, Ratio (percent) or Duration
}

type metricNode struct {
	off  int
	name string
}

type negNode struct {
	off int
	x   node
}

type binNode struct {
	off  int // the operator
	op   byte
	x, y node
}

func (n *numNode) offset() int    { return n.off }
func (n *metricNode) offset() int { return n.off }
func (n *negNode) offset() int    { return n.off }
func (n *binNode) offset() int    { return n.x.offset() }

func (n *numNode) format(int) string    { return n.text }
func (n *metricNode) format(int) string { return n.name }
func (n *negNode) format(int) string    { return "-" + n.x.format(3) }

func (n *binNode) format(prec int) string {
	p := precedence(n.op)
	// Left-associative: the right operand of the same precedence needs
	// parentheses (a - (b - c)).
	s := n.x.format(p) + " " + string(n.op) + " " + n.y.format(p+1)
	if p < prec {
		return "(" + s + ")"
	}
	return s
}

func precedence(op byte) int {
	if op == '*' || op == '/' {
		return 2
	}
	return 1
}

// ---- lexer ----

type tokKind int

const (
	tEOF tokKind = iota
	tNum
	tIdent
	tOp // + - * /
	tLParen
	tRParen
	tCmp
)

type tok struct {
	kind tokKind
	off  int
	text string
	num  *numNode
}

func (t tok) describe() string {
	if t.kind == tEOF {
		return "the end"
	}
	return fmt.Sprintf("%q", t.text)
}

type parser struct {
	src  string
	toks []tok
	pos  int
}

func (p *parser) errAt(off int, msg string) *Error { return &Error{Col: col(p.src, off), Msg: msg} }

func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isLetter(c byte) bool    { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isIdentChar(c byte) bool { return isLetter(c) || isDigit(c) || c == '.' || c == '-' }
func isDurationChar(r rune) bool {
	return r >= '0' && r <= '9' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == 'µ' || r == 'μ'
}

func (p *parser) lex() error {
	s := p.src
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isDigit(c) || c == '.' && i+1 < len(s) && isDigit(s[i+1]):
			t, n, err := p.lexNumber(i)
			if err != nil {
				return err
			}
			p.toks = append(p.toks, t)
			i = n
		case isLetter(c):
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			name := s[i:j]
			if last := name[len(name)-1]; last == '.' || last == '-' {
				return p.errAt(j-1, fmt.Sprintf("metric name %q must not end with %q", name, last))
			}
			if strings.Contains(name, "..") {
				return p.errAt(i+strings.Index(name, ".."), fmt.Sprintf("metric name %q has an empty part", name))
			}
			p.toks = append(p.toks, tok{kind: tIdent, off: i, text: name})
			i = j
		case c == '+' || c == '-' || c == '*' || c == '/':
			p.toks = append(p.toks, tok{kind: tOp, off: i, text: s[i : i+1]})
			i++
		case c == '(':
			p.toks = append(p.toks, tok{kind: tLParen, off: i, text: "("})
			i++
		case c == ')':
			p.toks = append(p.toks, tok{kind: tRParen, off: i, text: ")"})
			i++
		case c == '<' || c == '>' || c == '=' || c == '!':
			two := i+1 < len(s) && s[i+1] == '='
			switch {
			case two:
				p.toks = append(p.toks, tok{kind: tCmp, off: i, text: s[i : i+2]})
				i += 2
			case c == '<' || c == '>':
				p.toks = append(p.toks, tok{kind: tCmp, off: i, text: s[i : i+1]})
				i++
			case c == '=':
				return p.errAt(i, "single '=' is not a comparison (expected ==)")
			default:
				return p.errAt(i, "'!' must be followed by '=' (expected !=)")
			}
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return p.errAt(i, fmt.Sprintf("unexpected character %q (expected a number, a duration, a percentage, a metric name, an operator or a parenthesis)", r))
		}
	}
	p.toks = append(p.toks, tok{kind: tEOF, off: len(s)})
	return nil
}

// lexNumber reads 12, 0.5, .5, 25%, 500ms, 1.5s, 1m30s.
func (p *parser) lexNumber(i int) (tok, int, error) {
	s := p.src
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j < len(s) && s[j] == '.' {
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	numText := s[i:j]
	v, err := strconv.ParseFloat(numText, 64)
	if err != nil {
		return tok{}, 0, p.errAt(i, fmt.Sprintf("%q is not a number", numText))
	}
	switch {
	case j < len(s) && s[j] == '%':
		j++
		return tok{kind: tNum, off: i, text: s[i:j], num: &numNode{off: i, text: s[i:j], v: v / 100, unit: Ratio}}, j, nil
	case j < len(s) && (isLetter(s[j]) || s[j] >= utf8.RuneSelf):
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if !isDurationChar(r) {
				break
			}
			j += size
		}
		text := s[i:j]
		d, err := time.ParseDuration(text)
		if err != nil {
			return tok{}, 0, p.errAt(i, fmt.Sprintf("%q is not a duration (expected e.g. 500ms, 1.5s, 2m; units ns, us, ms, s, m, h)", text))
		}
		return tok{kind: tNum, off: i, text: text, num: &numNode{off: i, text: text, v: d.Seconds(), unit: Duration}}, j, nil
	case j < len(s) && s[j] == '.':
		return tok{}, 0, p.errAt(j, fmt.Sprintf("malformed number %q", s[i:j+1]))
	}
	return tok{kind: tNum, off: i, text: numText, num: &numNode{off: i, text: numText, v: v, unit: Number}}, j, nil
}

func (p *parser) peek() tok { return p.toks[p.pos] }

func (p *parser) next() tok {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

// expr := term (('+'|'-') term)*
func (p *parser) expr(depth int) (node, error) {
	if depth > maxDepth {
		return nil, p.errAt(p.peek().off, "expression is nested too deeply")
	}
	x, err := p.term(depth)
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == tOp && (t.text == "+" || t.text == "-"); t = p.peek() {
		p.next()
		y, err := p.term(depth)
		if err != nil {
			return nil, err
		}
		x = &binNode{off: t.off, op: t.text[0], x: x, y: y}
	}
	return x, nil
}

// term := unary (('*'|'/') unary)*
func (p *parser) term(depth int) (node, error) {
	x, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == tOp && (t.text == "*" || t.text == "/"); t = p.peek() {
		p.next()
		y, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		x = &binNode{off: t.off, op: t.text[0], x: x, y: y}
	}
	return x, nil
}

// unary := '-' unary | primary
func (p *parser) unary(depth int) (node, error) {
	if t := p.peek(); t.kind == tOp && t.text == "-" {
		if depth > maxDepth {
			return nil, p.errAt(t.off, "expression is nested too deeply")
		}
		p.next()
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &negNode{off: t.off, x: x}, nil
	}
	return p.primary(depth)
}

// primary := number | metric | '(' expr ')'
func (p *parser) primary(depth int) (node, error) {
	t := p.next()
	switch t.kind {
	case tNum:
		return t.num, nil
	case tIdent:
		return &metricNode{off: t.off, name: t.text}, nil
	case tLParen:
		x, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			if c.kind == tEOF {
				return nil, p.errAt(t.off, "unclosed parenthesis")
			}
			return nil, p.errAt(c.off, fmt.Sprintf("expected ')', found %s", c.describe()))
		}
		return x, nil
	case tEOF:
		return nil, p.errAt(t.off, "unexpected end of threshold (expected a number, a duration, a percentage or a metric)")
	}
	return nil, p.errAt(t.off, fmt.Sprintf("expected a number, a duration, a percentage or a metric, found %s", t.describe()))
}

// Ref is one occurrence of a metric in an expression, at a 1-based column.
type Ref struct {
	Name string
	Col  int
}

// Refs returns every metric occurrence, in order.
func (e *Expr) Refs() []Ref {
	var out []Ref
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case *metricNode:
			out = append(out, Ref{Name: n.name, Col: e.col(n.off)})
		case *negNode:
			walk(n.x)
		case *binNode:
			walk(n.x)
			walk(n.y)
		}
	}
	walk(e.left)
	walk(e.right)
	return out
}
