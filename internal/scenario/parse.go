package scenario

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// maxFileBytes bounds a scenario file.
const maxFileBytes = 1 << 20

// Load reads, decodes and validates a scenario file. A scenario problem is
// returned as an ErrorList (file:line:column: path: message per entry).
func Load(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes and validates a scenario; name is the file name used in
// error positions and for the default scenario name. Decoding is strict:
// unknown keys and values of the wrong type are errors, all reported at
// once. Defaults are applied (see the Default* declarations), then the
// whole scenario is validated and every problem reported.
func Parse(name string, data []byte) (*Scenario, error) {
	if len(data) > maxFileBytes {
		return nil, ErrorList{{File: name, Line: 1, Column: 1, Msg: fmt.Sprintf("file is larger than %d bytes", maxFileBytes)}}
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, ErrorList{yamlError(name, err)}
	}
	var body ast.Node
	switch len(f.Docs) {
	case 0:
	case 1:
		body = f.Docs[0].Body
	default:
		line, col := nodePos(f.Docs[1].Body)
		return nil, ErrorList{{File: name, Line: line, Column: col, Msg: "a scenario file holds one YAML document (found a second one)"}}
	}
	if _, ok := body.(*ast.CommentGroupNode); ok {
		body = nil
	}
	d := newDocument(name, body)

	w := &structural{d: d}
	w.walk(body, reflect.TypeFor[Scenario](), nil)
	if len(w.errs) > 0 {
		w.errs.sort()
		return nil, w.errs
	}

	kind := KindEmbedded
	if k, ok := d.scalar(at("target", "kind")); ok {
		kind = k
	}
	s := defaults(nameFromFile(name), kind)
	if body != nil {
		// The parser already rejected duplicate keys; the decoder's own
		// check would also reject a key overriding a merged one (<<: *x).
		dec := yaml.NewDecoder(strings.NewReader(""), yaml.DisallowUnknownField(), yaml.AllowDuplicateMapKey())
		if err := dec.DecodeFromNode(body, s); err != nil {
			return nil, ErrorList{yamlError(name, err)}
		}
	}
	s.finishDefaults(d)
	v := &validator{s: s, d: d}
	v.validate()
	if len(v.errs) > 0 {
		v.errs.sort()
		return nil, v.errs
	}
	return s, nil
}

// yamlError turns a goccy/go-yaml error into a positioned Error.
func yamlError(file string, err error) *Error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		line, col := tokenPos(ye.GetToken())
		return &Error{File: file, Line: line, Column: col, Msg: ye.GetMessage()}
	}
	return &Error{File: file, Line: 1, Column: 1, Msg: err.Error()}
}
