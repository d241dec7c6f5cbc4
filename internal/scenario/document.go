package scenario

import (
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// document is a parsed scenario file: the goccy/go-yaml AST, used to put
// a line and column on every error.
type document struct {
	file    string
	body    ast.Node // nil for an empty file
	anchors map[string]ast.Node
}

func newDocument(file string, body ast.Node) *document {
	d := &document{file: file, body: body, anchors: map[string]ast.Node{}}
	if body != nil {
		ast.Walk(anchorCollector(d.anchors), body)
	}
	return d
}

type anchorCollector map[string]ast.Node

func (a anchorCollector) Visit(n ast.Node) ast.Visitor {
	if an, ok := n.(*ast.AnchorNode); ok && an.Name != nil {
		a[an.Name.GetToken().Value] = an.Value
	}
	return a
}

// resolve looks through anchors, aliases and tags to the value node.
func (d *document) resolve(n ast.Node) ast.Node {
	for range 16 {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.AliasNode:
			if x.Value == nil {
				return n
			}
			v, ok := d.anchors[x.Value.GetToken().Value]
			if !ok {
				return n
			}
			n = v
		case *ast.TagNode:
			n = x.Value
		default:
			return n
		}
	}
	return n
}

// pairs returns the key/value pairs of a mapping node, with merge keys
// (<<: *anchor) expanded after the explicit keys; nil if n is no mapping.
func (d *document) pairs(n ast.Node) []*ast.MappingValueNode {
	return d.pairsDepth(n, 0)
}

func (d *document) pairsDepth(n ast.Node, depth int) []*ast.MappingValueNode {
	if depth > 8 {
		return nil
	}
	var in []*ast.MappingValueNode
	switch m := d.resolve(n).(type) {
	case *ast.MappingNode:
		in = m.Values
	case *ast.MappingValueNode:
		in = []*ast.MappingValueNode{m}
	default:
		return nil
	}
	var out, merged []*ast.MappingValueNode
	for _, mv := range in {
		if isMergeKey(mv) {
			v := d.resolve(mv.Value)
			if seq, ok := v.(*ast.SequenceNode); ok {
				for _, e := range seq.Values {
					merged = append(merged, d.pairsDepth(e, depth+1)...)
				}
			} else {
				merged = append(merged, d.pairsDepth(v, depth+1)...)
			}
			continue
		}
		out = append(out, mv)
	}
	return append(out, merged...)
}

func isMergeKey(mv *ast.MappingValueNode) bool {
	if mv.Key == nil {
		return false
	}
	_, ok := mv.Key.(*ast.MergeKeyNode)
	return ok || mv.Key.GetToken() != nil && mv.Key.GetToken().Value == "<<" && mv.Key.GetToken().Type == token.MergeKeyType
}

func keyString(mv *ast.MappingValueNode) string {
	if mv.Key == nil || mv.Key.GetToken() == nil {
		return ""
	}
	return mv.Key.GetToken().Value
}

// lookup finds the pair for key in a mapping node (the first explicit one,
// then merged ones).
func (d *document) lookup(n ast.Node, key string) *ast.MappingValueNode {
	for _, mv := range d.pairs(n) {
		if keyString(mv) == key {
			return mv
		}
	}
	return nil
}

// find walks p from the document body. It returns the deepest node found
// (the value node when the whole path exists), the key node of the last
// mapping key walked, and whether the whole path exists.
func (d *document) find(p path) (value, key ast.Node, exact bool) {
	n := d.body
	if n == nil {
		return nil, nil, len(p) == 0
	}
	for _, seg := range p {
		switch s := seg.(type) {
		case string:
			mv := d.lookup(n, s)
			if mv == nil {
				return n, key, false
			}
			key = mv.Key
			n = mv.Value
		case int:
			seq, ok := d.resolve(n).(*ast.SequenceNode)
			if !ok || s < 0 || s >= len(seq.Values) {
				return n, key, false
			}
			key = nil
			n = seq.Values[s]
		}
	}
	return n, key, true
}

// has reports whether the file sets p (to anything, null included).
func (d *document) has(p path) bool {
	_, _, ok := d.find(p)
	return ok
}

// scalar returns the scalar value at p, if the file sets one.
func (d *document) scalar(p path) (string, bool) {
	n, _, ok := d.find(p)
	if !ok {
		return "", false
	}
	switch v := d.resolve(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case ast.ScalarNode:
		if tk := v.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

// pos returns the line and column of p's value (keyPos: of its key) or of
// the nearest enclosing node that exists.
func (d *document) pos(p path, keyPos bool) (line, col int) {
	v, k, exact := d.find(p)
	if exact && k != nil && (keyPos || isNull(d.resolve(v))) {
		return tokenPos(k.GetToken()) // a key, or a key with no value
	}
	if !exact && k != nil && v != nil {
		// The path stops inside the value of key k: point at that key,
		// unless the value is a mapping or list with its own position.
		if _, ok := d.resolve(v).(ast.ScalarNode); ok {
			return tokenPos(k.GetToken())
		}
	}
	return nodePos(v)
}

func tokenPos(tk *token.Token) (int, int) {
	if tk == nil || tk.Position == nil {
		return 1, 1
	}
	return tk.Position.Line, tk.Position.Column
}

// nodePos is where a node starts: a block mapping at its first key, a
// sequence at its first entry or bracket, a scalar at its token.
func nodePos(n ast.Node) (int, int) {
	switch x := n.(type) {
	case nil:
		return 1, 1
	case *ast.MappingNode:
		if len(x.Values) > 0 && !x.IsFlowStyle && x.Values[0].Key != nil {
			return tokenPos(x.Values[0].Key.GetToken())
		}
		return tokenPos(x.Start)
	case *ast.MappingValueNode:
		if x.Key != nil {
			return tokenPos(x.Key.GetToken())
		}
	case *ast.SequenceNode:
		return tokenPos(x.Start)
	case *ast.AnchorNode:
		return tokenPos(x.Start)
	case *ast.TagNode:
		return tokenPos(x.Start)
	}
	return tokenPos(n.GetToken())
}

// errorAt builds an Error at p.
func (d *document) errorAt(p path, keyPos bool, msg string) *Error {
	line, col := d.pos(p, keyPos)
	return &Error{File: d.file, Line: line, Column: col, Path: p.String(), Msg: msg}
}
