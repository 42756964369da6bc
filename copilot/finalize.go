package copilot

import (
	"errors"
	"fmt"
	"strings"

	"github.com/steward-dev/steward/policy"
)

// Finalize checks a draft whose Policy, Decomposition and Resolution are set:
// validates the policy against the catalog, refuses objects that cover every
// asset, and fills Impact, Cedar, Warnings, OK and Error. Every engine's
// output goes through it. A draft that already carries an Error, has
// unresolved phrases or names anything the catalog does not have is refused:
// Policy becomes nil and OK false.
func Finalize(cat *policy.Catalog, d Draft) Draft {
	if cat == nil {
		d = normalizeDraft(d)
		return refused(d, "no catalog loaded to check the draft against")
	}
	return finalize(cat, &catalogState{impact: policy.NewIndex(cat)}, d)
}

func normalizeDraft(d Draft) Draft {
	if d.Resolution == nil {
		d.Resolution = []PhraseResolution{}
	}
	for i := range d.Resolution {
		if d.Resolution[i].Matches == nil {
			d.Resolution[i].Matches = []Match{}
		}
	}
	if d.Unresolved == nil {
		d.Unresolved = []string{}
	}
	if d.Impact.Users == nil {
		d.Impact.Users = []string{}
	}
	if d.Impact.Assets == nil {
		d.Impact.Assets = []string{}
	}
	normalizeDecomposition(&d.Decomposition)
	return d
}

func refused(d Draft, reason string) Draft {
	d.OK = false
	if d.Error == "" {
		d.Error = reason
	}
	d.Policy = nil
	d.Impact = policy.Impact{Users: []string{}, Assets: []string{}}
	d.Cedar = ""
	return d
}

func finalize(cat *policy.Catalog, st *catalogState, d Draft) Draft {
	d = normalizeDraft(d)
	d.OK = false
	if d.Error != "" {
		return refused(d, d.Error)
	}
	if len(d.Unresolved) > 0 {
		return refused(d, fmt.Sprintf("could not resolve %s; the copilot never guesses metadata", quoteList(d.Unresolved)))
	}
	if d.Policy == nil {
		return refused(d, "no policy was drafted from the sentence")
	}
	p := *d.Policy
	if p.Subjects == nil {
		p.Subjects = [][]policy.Term{}
	}
	if p.Objects == nil {
		p.Objects = []policy.Clause{}
	}
	if p.Sentence == "" {
		p.Sentence = d.Sentence
	}
	if err := grounded(cat, p); err != nil {
		return refused(d, err.Error())
	}
	if err := cat.ValidatePolicy(p); err != nil {
		return refused(d, fmt.Sprintf("the draft does not validate against the catalog: %v", err))
	}
	imp := st.impact.Impact(p)
	if imp.Users == nil {
		imp.Users = []string{}
	}
	if imp.Assets == nil {
		imp.Assets = []string{}
	}
	if n := len(cat.Assets); n > 0 && len(imp.Assets) >= n {
		return refused(d, fmt.Sprintf("refused: the objects cover every asset in the catalog (%d of %d); name tables or kinds of data", len(imp.Assets), n))
	}
	d.Policy = &p
	d.Impact = imp
	d.Warnings = append(d.Warnings[:0:0], d.Warnings...)
	switch {
	case isEveryone(p.Subjects) && p.Effect == policy.Allow:
		d.Warnings = append(d.Warnings, "applies to every user in the catalog")
	case len(imp.Users) == 0:
		d.Warnings = append(d.Warnings, "no user in the catalog matches the subjects today")
	case p.Effect == policy.Allow && len(cat.Users) >= 10 && 2*len(imp.Users) > len(cat.Users):
		d.Warnings = append(d.Warnings, fmt.Sprintf("broad: covers %d of %d users", len(imp.Users), len(cat.Users)))
	}
	if len(imp.Assets) == 0 {
		d.Warnings = append(d.Warnings, "no asset in the catalog matches the objects today")
	}
	if p.Effect == policy.Allow && p.Action == policy.Write {
		d.Warnings = append(d.Warnings, "write access also allows reading")
	}
	if cedar, err := policy.CedarPolicy(p); err == nil {
		d.Cedar = cedar
	} else {
		d.Warnings = append(d.Warnings, "no Cedar text: "+err.Error())
	}
	d.OK = true
	d.Error = ""
	return d
}

func isEveryone(s [][]policy.Term) bool {
	for _, c := range s {
		if len(c) == 0 {
			return true
		}
	}
	return false
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// grounded checks that everything the policy names exists in the catalog,
// with messages that say exactly what is missing. Engines that generate
// text (Gemini) are held to this: nothing invented gets through.
func grounded(cat *policy.Catalog, p policy.Policy) error {
	var probs []string
	switch p.Effect {
	case policy.Allow, policy.Deny, policy.Mask:
	default:
		probs = append(probs, fmt.Sprintf("effect %q is not allow, deny or mask", p.Effect))
	}
	switch p.Action {
	case policy.Read, policy.Write:
	default:
		probs = append(probs, fmt.Sprintf("action %q is not read or write", p.Action))
	}
	if p.Duration < 0 {
		probs = append(probs, "the duration is negative")
	}
	if len(p.Subjects) == 0 {
		probs = append(probs, "the policy selects nobody (no subjects)")
	}
	for _, c := range p.Subjects {
		for _, t := range c {
			switch {
			case t.Group != "" && t.Attribute != "":
				probs = append(probs, fmt.Sprintf("a term names both group %q and attribute %q", t.Group, t.Attribute))
			case t.Group != "":
				if _, ok := cat.Groups[t.Group]; !ok {
					probs = append(probs, fmt.Sprintf("group %q is not in the catalog", t.Group))
				}
			case t.Attribute != "":
				a, ok := cat.Attributes[t.Attribute]
				if !ok {
					probs = append(probs, fmt.Sprintf("attribute %q is not in the catalog", t.Attribute))
					continue
				}
				if len(t.Values) == 0 {
					probs = append(probs, fmt.Sprintf("the term on %s has no values", t.Attribute))
				}
				for _, v := range t.Values {
					if _, ok := a.Values[v]; !ok {
						probs = append(probs, fmt.Sprintf("%q is not a value of %s in the catalog", v, t.Attribute))
					}
				}
			default:
				probs = append(probs, "a term names neither a group nor an attribute")
			}
		}
	}
	if len(p.Objects) == 0 {
		probs = append(probs, "the policy covers no data (no objects)")
	}
	for _, c := range p.Objects {
		if c.Asset != "" {
			if len(c.AllTags)+len(c.NoneTags) > 0 {
				probs = append(probs, fmt.Sprintf("the clause for asset %s also lists tags", c.Asset))
			}
			if _, ok := assetByID(cat, c.Asset); !ok {
				probs = append(probs, fmt.Sprintf("asset %q is not in the catalog", c.Asset))
			}
			continue
		}
		if len(c.AllTags) == 0 {
			probs = append(probs, "a clause requires no tag, so it would cover nearly every asset")
		}
		for _, t := range append(append([]string(nil), c.AllTags...), c.NoneTags...) {
			if _, ok := cat.Tags[t]; !ok {
				probs = append(probs, fmt.Sprintf("tag %q is not in the catalog", t))
			}
		}
	}
	if len(probs) > 0 {
		return errors.New("refused: " + strings.Join(probs, "; "))
	}
	return nil
}

func assetByID(cat *policy.Catalog, id string) (policy.Asset, bool) {
	if a, ok := cat.Asset(id); ok {
		return a, true
	}
	return policy.Asset{}, false
}

// ResolveObjects turns free text such as "the claims tables" into object
// clauses and the matches behind them; an error says what did not resolve
// and what the catalog has that comes closest.
func ResolveObjects(cat *policy.Catalog, text string) ([]policy.Clause, []Match, error) {
	if cat == nil {
		return nil, nil, errors.New("resolving objects: no catalog loaded")
	}
	return resolveObjects(newCatalogIndex(cat), text)
}

func resolveObjects(ix *catalogIndex, text string) ([]policy.Clause, []Match, error) {
	text = squeeze(truncateRunes(text, maxSentenceRunes))
	if text == "" {
		return nil, nil, errors.New("resolving objects: say which data, e.g. \"the claims tables\"")
	}
	var clauses []policy.Clause
	var matches []Match
	items := []string{text}
	if !ix.namesOneThing(text, objectKinds) {
		items = splitList(text)
	}
	var probs []string
	for _, it := range items {
		r := ix.resolveObject(it)
		if r.problem != "" {
			msg := fmt.Sprintf("%q: %s", it, r.problem)
			if sug := ix.candidates(it, objectKinds, 3); len(sug) > 0 && r.problem != coversEverything {
				var names []string
				for _, m := range sug {
					names = append(names, matchLabel(m))
				}
				msg += "; nearest in the catalog: " + strings.Join(names, ", ")
			}
			probs = append(probs, msg)
			continue
		}
		clauses = append(clauses, r.clauses...)
		matches = append(matches, r.matches...)
	}
	if len(probs) > 0 {
		return nil, nil, fmt.Errorf("resolving objects: %s", strings.Join(probs, "; "))
	}
	return clauses, matches, nil
}
