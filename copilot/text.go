package copilot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxSentenceRunes bounds the text the copilot looks at. Policy sentences are
// short; anything longer is refused before any parsing so that hostile input
// cannot cost more than a few microseconds per character.
const maxSentenceRunes = 1000

// tokens splits text into lower-case words on anything that is not a letter
// or digit ("Full-Time" -> [full time], "merch.price_book" -> [merch price book]),
// and at camelCase humps ("creditCardNumber" -> [credit card number],
// "GLEntries" -> [gl entries]), so that names exported from warehouses and
// identity providers compare with plain English. Letters written with
// periods are one word ("M.D." -> md). A lone "s" left by a possessive
// ("customer's") is dropped.
func tokens(s string) []string {
	out := make([]string, 0, 8)
	start, runes, dotted := -1, 0, false
	var last rune // the last rune of the current word
	flush := func(end int) {
		if start < 0 {
			return
		}
		raw := s[start:end]
		if dotted {
			raw = strings.ReplaceAll(raw, ".", "")
		}
		start, runes, dotted = -1, 0, false
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
	// peek returns the rune n places behind the one at i (0 past the end).
	peek := func(i, n int) rune {
		var r rune
		for ; n > 0 && i < len(s); n-- {
			_, size := runeAt(s, i)
			i += size
			r, _ = runeAt(s, i)
		}
		return r
	}
	for i, r := range s {
		if !isWordRune(r) {
			// "M.D.", "R.N.": single letters joined by periods.
			if r == '.' && runes == 1 && unicode.IsLetter(last) && last != 'u' && last != 'U' && unicode.IsLetter(peek(i, 1)) && !isWordRune(peek(i, 2)) {
				dotted = true
				continue
			}
			flush(i)
			continue
		}
		if runes > 1 && unicode.IsUpper(r) {
			switch {
			case unicode.IsLower(last):
				flush(i) // creditCard
			case unicode.IsUpper(last):
				// GLEntries, but not SSNs
				if next := peek(i, 1); unicode.IsLower(next) && !(next == 's' && !isWordRune(peek(i, 2))) {
					flush(i)
				}
			}
		}
		if start < 0 {
			start = i
		}
		runes++
		last = r
	}
	flush(len(s))
	return out
}

// runeAt decodes the rune at byte offset i of s; 0 past the end.
func runeAt(s string, i int) (rune, int) {
	if i >= len(s) {
		return 0, 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// hasHump reports whether s has a lower-case letter followed by an upper-case
// one ("DevOps"), where tokens splits a word.
func hasHump(s string) bool {
	for i := 1; i < len(s); i++ {
		if 'a' <= s[i-1] && s[i-1] <= 'z' && 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// irregular plurals that suffix rules get wrong.
var irregularSingular = map[string]string{
	"americas": "americas", "people": "person", "men": "man", "women": "woman", "children": "child",
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
	"diagnoses": "diagnosis", "prognoses": "prognosis", "theses": "thesis", "hypotheses": "hypothesis",
	"crises": "crisis", "synopses": "synopsis",
}

// abbreviations people write for words catalogs spell out. Applied to both
// sides of every comparison, like singular.
var abbreviations = map[string]string{
	"rep": "representative", "mgr": "manager", "dept": "department", "sr": "senior", "jr": "junior",
	"eng": "engineer", "admin": "administrator", "exec": "executive", "info": "information",
	"txn": "transaction", "acct": "account", "org": "organization", "addr": "address",
	"tel": "telephone", "num": "number", "nbr": "number",
	// job and ledger shorthand found in HR and warehouse exports.
	"swe": "software engineer", "vp": "vice president", "svp": "senior vice president",
	"tech": "technician", "ops": "operations", "mgmt": "management", "gl": "general ledger", "ap": "accounts payable", "stg": "staging", "asst": "assistant", "dim": "dimension", "fct": "fact",
	"sec": "security", "qty": "quantity", "amt": "amount", "cust": "customer", "emp": "employee",
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

// normTokens is tokens followed by singular on each word, with
// abbreviations spelled out ("SWE II" -> [software engineer ii]) and
// "level 5" written as l5.
func normTokens(s string) []string {
	t := tokens(s)
	out := t[:0]
	var extra []string
	skip := false
	for i, w := range t {
		if skip {
			skip = false
			continue
		}
		// "Level 5" is written "L5" as often as not.
		if w == "level" && i+1 < len(t) && len(t[i+1]) == 1 && isLevelWord("l"+t[i+1]) {
			w, skip = "l"+t[i+1], true
		}
		w = singular(w)
		if a, ok := abbreviations[w]; ok {
			if strings.IndexByte(a, ' ') >= 0 {
				if extra == nil {
					extra = append(make([]string, 0, len(t)+2), out...)
				}
				for _, x := range strings.Fields(a) {
					extra = append(extra, singular(x))
				}
				continue
			}
			w = a
		}
		if extra != nil {
			extra = append(extra, w)
			continue
		}
		out = append(out, w)
	}
	if extra != nil {
		return extra
	}
	return out
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
