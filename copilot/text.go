package copilot

import (
	"strings"
	"unicode"
)

// maxSentenceRunes bounds the text the copilot looks at. Policy sentences are
// short; anything longer is refused before any parsing so that hostile input
// cannot cost more than a few microseconds per character.
const maxSentenceRunes = 1000

// tokens splits text into lower-case words on anything that is not a letter
// or digit ("Full-Time" -> [full time], "merch.price_book" -> [merch price book]).
// A lone "s" left by a possessive ("customer's") is dropped.
func tokens(s string) []string {
	out := make([]string, 0, 8)
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		raw := s[start:end]
		start = -1
		// "TAs", "PMs", "SSNs": an acronym's plural keeps the acronym.
		if n := len(raw); n >= 3 && raw[n-1] == 's' && strings.ToUpper(raw[:n-1]) == raw[:n-1] && strings.ToLower(raw[:n-1]) != raw[:n-1] {
			raw = raw[:n-1]
		}
		w := strings.ToLower(raw)
		if w == "s" {
			return
		}
		out = append(out, w)
	}
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(s))
	return out
}

// irregular plurals that suffix rules get wrong.
var irregularSingular = map[string]string{
	"people": "person", "men": "man", "women": "woman", "children": "child",
	"staff": "staff", "data": "data", "criteria": "criterion", "analyses": "analysis",
	"bases": "base", "indices": "index", "matrices": "matrix", "statuses": "status",
	"addresses": "address", "businesses": "business", "processes": "process",
	"classes": "class", "taxes": "tax", "boxes": "box", "attorneys": "attorney",
	"series": "series", "species": "species", "news": "news", "sales": "sales",
	"analytics": "analytics", "logistics": "logistics", "ops": "ops",
	"devops": "devops", "its": "its", "this": "this", "has": "has", "was": "was",
	"is": "is", "us": "us", "as": "as", "yes": "yes", "gas": "gas",
	"wages": "wage", "payees": "payee", "employees": "employee", "lives": "life",
	"wives": "wife", "leaves": "leave", "halves": "half", "shelves": "shelf",
}

// abbreviations people write for words catalogs spell out. Applied to both
// sides of every comparison, like singular.
var abbreviations = map[string]string{
	"rep": "representative", "mgr": "manager", "dept": "department", "sr": "senior", "jr": "junior",
	"eng": "engineer", "admin": "administrator", "exec": "executive", "info": "information",
	"txn": "transaction", "acct": "account", "org": "organization", "addr": "address",
	"tel": "telephone", "num": "number", "nbr": "number",
}

// singular returns the singular of an English noun, good enough to compare
// "actuaries" with "Actuary" and "analysts" with "Analyst". It is applied to
// both sides of every comparison, so the odd wrong stem still compares equal.
func singular(w string) string {
	if s, ok := irregularSingular[w]; ok {
		return s
	}
	n := len(w)
	switch {
	case n <= 3:
		return w
	case strings.HasSuffix(w, "ies") && n > 4:
		return w[:n-3] + "y"
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "zzes"):
		return w[:n-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"), strings.HasSuffix(w, "os") && n <= 4:
		return w
	case strings.HasSuffix(w, "s"):
		return w[:n-1]
	}
	return w
}

// normTokens is tokens followed by singular on each word.
func normTokens(s string) []string {
	t := tokens(s)
	for i, w := range t {
		w = singular(w)
		if a, ok := abbreviations[w]; ok {
			w = a
		}
		t[i] = w
	}
	return t
}

// normKey is the comparison key of a phrase: its singular words joined by spaces.
func normKey(s string) string { return strings.Join(normTokens(s), " ") }

// isPluralWord reports whether w looks like a plural noun.
func isPluralWord(w string) bool {
	w = strings.ToLower(w)
	return singular(w) != w
}

var numberWords = map[string]int{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
	"seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
	"thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "twenty": 20,
	"thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
	"a couple of": 2, "couple of": 2,
}

// squeeze collapses runs of white space to one space and trims the ends.
func squeeze(s string) string { return strings.Join(strings.Fields(s), " ") }

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}
