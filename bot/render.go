package bot

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"

	"github.com/steward-dev/steward/policy"
)

// termText renders one term as a person would say it.
func termText(t policy.Term) string {
	var s string
	switch {
	case t.Group != "" && t.Negate:
		return "not in *" + esc(t.Group) + "*"
	case t.Group != "":
		return "in *" + esc(t.Group) + "*"
	default:
		vals := make([]string, len(t.Values))
		for i, v := range t.Values {
			vals[i] = "*" + esc(v) + "*"
		}
		s = esc(t.Attribute) + " is " + more(vals, 8, " or ")
		if t.Negate {
			s = esc(t.Attribute) + " is not " + more(vals, 8, " or ")
		}
	}
	return s
}

func clauseText(terms []policy.Term) string {
	if len(terms) == 0 {
		return "everyone"
	}
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = termText(t)
	}
	return strings.Join(parts, " and ")
}

func subjectsText(subjects [][]policy.Term) string {
	if len(subjects) == 0 {
		return "nobody"
	}
	parts := make([]string, len(subjects))
	for i, c := range subjects {
		parts[i] = clauseText(c)
		if len(subjects) > 1 && len(c) > 1 {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return more(parts, 10, " _or_ ")
}

func objectText(c policy.Clause) string {
	if c.Asset != "" {
		return "table `" + esc(c.Asset) + "`"
	}
	tags := make([]string, len(c.AllTags))
	for i, t := range c.AllTags {
		tags[i] = "`" + esc(t) + "`"
	}
	s := "data tagged " + strings.Join(tags, " and ")
	if len(c.AllTags) == 0 {
		s = "any data"
	}
	if len(c.NoneTags) > 0 {
		none := make([]string, len(c.NoneTags))
		for i, t := range c.NoneTags {
			none[i] = "`" + esc(t) + "`"
		}
		s += " but not " + strings.Join(none, " or ")
	}
	return s
}

func objectsText(objects []policy.Clause) string {
	if len(objects) == 0 {
		return "no data"
	}
	parts := make([]string, len(objects))
	for i, c := range objects {
		parts[i] = objectText(c)
	}
	return more(parts, 10, " _or_ ")
}

// policyLine is a one-line summary of a saved policy.
func policyLine(p policy.Policy) string {
	dur := ""
	if p.Duration > 0 {
		dur = " for " + humanDuration(timeDuration(p.Duration))
	}
	name := p.Sentence
	if name == "" {
		name = p.Name
	}
	return fmt.Sprintf("`%s` v%d · *%s %s*%s · %s", esc(p.ID), p.Version, p.Effect, p.Action, dur, esc(clamp(name, 200)))
}

// newID returns prefix plus 12 random hex digits.
func newID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// policyIDFor derives a readable, unique policy id from a sentence.
func policyIDFor(sentence string) string {
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(sentence), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if len(words) == 5 {
			break
		}
		ascii := strings.Map(func(r rune) rune {
			if r < 128 {
				return r
			}
			return -1
		}, w)
		if ascii != "" {
			words = append(words, ascii)
		}
	}
	slug := clamp(strings.Join(words, "-"), 32)
	slug = strings.TrimSuffix(strings.TrimRight(slug, "…-"), "-")
	if slug == "" {
		slug = "policy"
	}
	suffix := newID("")[:4]
	return slug + "-" + suffix
}
