package scenario

import (
	"encoding"
	"fmt"
	"github.com/psbench/psbench/internal/suggest"
	"reflect"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// structural checks the AST against the Go types before decoding, so that
// every unknown key and every value of the wrong type is reported with its
// position in one pass (the decoder stops at the first).
type structural struct {
	d    *document
	errs ErrorList
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

func (w *structural) add(n ast.Node, p path, msg string) {
	line, col := nodePos(n)
	w.errs = append(w.errs, &Error{File: w.d.file, Line: line, Column: col, Path: p.String(), Msg: msg})
}

func (w *structural) walk(n ast.Node, t reflect.Type, p path) {
	if n == nil {
		return
	}
	n = w.d.resolve(n)
	if _, ok := n.(*ast.NullNode); ok {
		return // null decodes as the zero value; validation judges it
	}
	if _, ok := n.(*ast.AliasNode); ok {
		w.add(n, p, "alias to an unknown anchor")
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		s, ok := scalarText(n)
		if !ok {
			w.add(n, p, fmt.Sprintf("expected %s, got %s", expectedText(t), nodeKind(n)))
			return
		}
		v := reflect.New(t).Interface().(encoding.TextUnmarshaler)
		if err := v.UnmarshalText([]byte(s)); err != nil {
			w.add(n, p, err.Error())
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if !w.isMapping(n) {
			w.add(n, p, fmt.Sprintf("expected a mapping (keys: %s), got %s", strings.Join(yamlKeys(t), ", "), nodeKind(n)))
			return
		}
		fields := yamlFields(t)
		for _, mv := range w.d.pairs(n) {
			k := keyString(mv)
			f, ok := fields[k]
			if !ok {
				w.add(mv.Key, p.with(k), unknownKeyMsg(k, p, yamlKeys(t)))
				continue
			}
			w.walk(mv.Value, f.Type, p.with(k))
		}
	case reflect.Map:
		if !w.isMapping(n) {
			w.add(n, p, fmt.Sprintf("expected a mapping, got %s", nodeKind(n)))
			return
		}
		for _, mv := range w.d.pairs(n) {
			w.walk(mv.Value, t.Elem(), p.with(keyString(mv)))
		}
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			w.add(n, p, fmt.Sprintf("expected a list, got %s", nodeKind(n)))
			return
		}
		for i, e := range seq.Values {
			w.walk(e, t.Elem(), p.with(i))
		}
	case reflect.String:
		text, ok := scalarText(n)
		if !ok {
			w.add(n, p, fmt.Sprintf("expected a string, got %s", nodeKind(n)))
			return
		}
		// A number would be re-formatted on its way into a string (8.0
		// becomes "8"): ask for quotes unless it survives as written.
		faithful := true
		switch v := n.(type) {
		case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
			faithful = false
		case *ast.IntegerNode:
			faithful = fmt.Sprint(v.Value) == text
		}
		if !faithful {
			w.add(n, p, fmt.Sprintf("expected a string, got %s (quote it: %q)", nodeKind(n), text))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if _, ok := n.(*ast.IntegerNode); !ok {
			w.add(n, p, fmt.Sprintf("expected an integer, got %s", nodeKind(n)))
		}
	case reflect.Float32, reflect.Float64:
		switch n.(type) {
		case *ast.IntegerNode, *ast.FloatNode:
		default:
			w.add(n, p, fmt.Sprintf("expected a number, got %s", nodeKind(n)))
		}
	case reflect.Bool:
		if _, ok := n.(*ast.BoolNode); !ok {
			w.add(n, p, fmt.Sprintf("expected true or false, got %s", nodeKind(n)))
		}
	}
}

func (w *structural) isMapping(n ast.Node) bool {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return true
	}
	return false
}

func scalarText(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value != nil {
			return v.Value.Value, true
		}
		return "", true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, true
	}
	return "", false
}

func nodeKind(n ast.Node) string {
	switch v := n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return fmt.Sprintf("the string %q", v.GetToken().Value)
	case *ast.IntegerNode:
		return "the integer " + v.GetToken().Value
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "the number " + v.GetToken().Value
	case *ast.BoolNode:
		return v.GetToken().Value
	}
	return n.Type().String()
}

func expectedText(t reflect.Type) string {
	switch t.Name() {
	case "Duration":
		return "a duration (e.g. 10m, 30s, 250ms)"
	case "ByteSize":
		return "a size (e.g. 256MiB, 64KiB, 1048576)"
	}
	return "a scalar"
}

// yamlFields maps a struct's YAML keys to its fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	m := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f
	}
	return m
}

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for k := range yamlFields(t) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func unknownKeyMsg(k string, parent path, keys []string) string {
	where := parent.String()
	if where == "" {
		where = "the top level"
	}
	msg := fmt.Sprintf("unknown key %q in %s (expected one of: %s)", k, where, strings.Join(keys, ", "))
	if s := closest(k, keys); s != "" {
		msg = fmt.Sprintf("unknown key %q in %s; did you mean %q? (expected one of: %s)", k, where, s, strings.Join(keys, ", "))
	}
	return msg
}

// closest returns the candidate within edit distance 2 of s (3 for long
// words), or "".
func closest(s string, candidates []string) string {
	maxD := 3
	if len(s) > 8 {
		maxD = 4
	}
	return suggest.Closest(s, candidates, maxD)
}
