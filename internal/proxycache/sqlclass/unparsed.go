package sqlclass

import "strings"

// readOnlyLeadKeywords are the first keywords of statements that cannot
// change table data even when the parser does not understand the rest.
var readOnlyLeadKeywords = setOf("select", "show", "explain", "describe", "desc",
	"set", "do", "help", "use")

// unparsedClassification describes text the parser rejected. normalized is
// the parser's normalised form of the text (see parser.NormalizeDigest).
func unparsedClassification(normalized, digest string) *Classification {
	return &Classification{
		Kind:           KindUnparsed,
		Reason:         ReasonUnparsed,
		InvalidatesAll: unparsedMayWrite(normalized),
		Digest:         digest,
		Normalized:     normalized,
	}
}

// unparsedMayWrite decides from the normaliser's token stream whether text
// the parser rejected may change table data. The normaliser is the parser's
// own lexer: it drops comments, runs /*! ... */ bodies, replaces literals
// with "?", lower-cases keywords and separates tokens by single spaces. The
// text is read only if every statement in it starts with a keyword of
// readOnlyLeadKeywords, or with "(" ... "(" SELECT.
//
// Statements are split at every ";" in the normalised text. A ";" inside a
// quoted identifier splits too much, which can only add statements to check;
// string literals are already "?". Text the lexer could not read at all
// normalises to nothing and is treated as a possible write.
func unparsedMayWrite(normalized string) bool {
	seen := false
	for seg := range strings.SplitSeq(normalized, ";") {
		seg = strings.TrimSpace(seg)
		if seg == "" {
			continue
		}
		seen = true
		parenthesised := false
		for strings.HasPrefix(seg, "(") {
			seg = strings.TrimSpace(seg[1:])
			parenthesised = true
		}
		word := seg
		if i := strings.IndexAny(word, " ("); i >= 0 {
			word = word[:i]
		}
		if parenthesised {
			if word != "select" {
				return true
			}
			continue
		}
		if _, ok := readOnlyLeadKeywords[word]; !ok {
			return true
		}
	}
	return !seen
}
