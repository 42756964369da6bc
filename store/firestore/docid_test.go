package firestore

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDocID: every id maps to a legal Firestore document id, and two
// different ids never share a document.
func FuzzDocID(f *testing.F) {
	for _, seed := range []string{"r1", "a/b", "a%2Fb", "a|b", ".", "..", "__x__", "%", "_", "snowflake/db.schema.table", "ünï/cödé"} {
		f.Add(seed, seed+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, id := range []string{a, b} {
			d := docID(id)
			if strings.Contains(d, "/") || d == "." || d == ".." || strings.HasPrefix(d, "__") {
				t.Fatalf("docID(%q) = %q is not a legal document id", id, d)
			}
			if id != "" && d == "" {
				t.Fatalf("docID(%q) is empty", id)
			}
			if utf8.ValidString(id) && !utf8.ValidString(d) {
				t.Fatalf("docID(%q) = %q broke UTF-8", id, d)
			}
		}
		if a != b && docID(a) == docID(b) {
			t.Fatalf("%q and %q both map to %q", a, b, docID(a))
		}
		if a != b && usageID(a, b) == usageID(b, a) {
			t.Fatalf("usage of (%q, %q) and (%q, %q) collide", a, b, b, a)
		}
	})
}
