package sqlclass

import (
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

func init() {
	// A panic in the parser or in this package must fail tests (and the
	// fuzzer) instead of being absorbed as an unparsed classification.
	repanic = true
}

// testDB is the current database most tests classify under.
const testDB = "Shop"

// refs builds table references: "x" is shop.x, "a.b" is a.b.
func refs(names ...string) []TableRef {
	if len(names) == 0 {
		return nil
	}
	out := make([]TableRef, len(names))
	for i, n := range names {
		if schema, name, ok := strings.Cut(n, "."); ok {
			out[i] = TableRef{Schema: schema, Name: name}
		} else {
			out[i] = TableRef{Schema: "shop", Name: n}
		}
	}
	return out
}

// newTestClassifier returns a Classifier closed at the end of the test.
func newTestClassifier(tb testing.TB) *Classifier {
	tb.Helper()
	c := NewClassifier(0)
	tb.Cleanup(c.Close)
	return c
}

// assertClassification compares got with want on every field but Digest and
// Normalized, which must merely be well-formed. A zero want.Statements means
// 1 unless want.Kind is unparsed.
func assertClassification(tb testing.TB, sql string, got *Classification, want Classification) {
	tb.Helper()
	if want.Statements == 0 && want.Kind != KindUnparsed {
		want.Statements = 1
	}
	if len(got.Digest) != 64 {
		tb.Errorf("%q: digest %q is not 64 hex digits", sql, got.Digest)
	} else if _, err := hex.DecodeString(got.Digest); err != nil {
		tb.Errorf("%q: digest %q: %v", sql, got.Digest, err)
	}
	if want.Kind != KindUnparsed && strings.TrimSpace(sql) != "" && got.Normalized == "" {
		tb.Errorf("%q: empty normalized text", sql)
	}
	g := *got
	g.Digest, g.Normalized = "", ""
	// ReadKeys/WriteKeys must mirror Reads/Writes exactly; then compare the rest.
	if !equalKeys(g.ReadKeys, g.Reads) || !equalKeys(g.WriteKeys, g.Writes) {
		tb.Errorf("%q: keys %v/%v do not mirror tables %v/%v", sql, g.ReadKeys, g.WriteKeys, g.Reads, g.Writes)
	}
	g.ReadKeys, g.WriteKeys = nil, nil
	if !reflect.DeepEqual(g, want) {
		tb.Errorf("%q:\n got  %+v\n want %+v", sql, g, want)
	}
}

// selectOK is the classification of a cacheable SELECT reading tables.
func selectOK(tables ...string) Classification {
	return Classification{Kind: KindSelect, Cacheable: true, Reads: refs(tables...)}
}

// selectNot is the classification of an uncacheable SELECT.
func selectNot(reason Reason, tables ...string) Classification {
	return Classification{Kind: KindSelect, Reason: reason, Reads: refs(tables...)}
}

// write is the classification of a single write statement.
func write(kind Kind, writes []TableRef, reads ...string) Classification {
	return Classification{Kind: kind, Reason: ReasonNotSelect, Writes: writes, Reads: refs(reads...)}
}

// notSelect is the classification of a statement of kind that names no
// table and changes nothing.
func notSelect(kind Kind) Classification {
	return Classification{Kind: kind, Reason: ReasonNotSelect}
}

// equalKeys reports whether keys are exactly the String() of refs.
func equalKeys(keys []string, refs []TableRef) bool {
	if len(keys) != len(refs) {
		return false
	}
	for i, r := range refs {
		if keys[i] != r.String() {
			return false
		}
	}
	return true
}
