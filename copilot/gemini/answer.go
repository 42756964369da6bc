package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-dev/steward/copilot"
	"github.com/steward-dev/steward/policy"
)

// answer is the JSON the response schema asks the model for.
type answer struct {
	IsPolicy   *bool             `json:"is_policy"`
	Refusal    string            `json:"refusal"`
	Effect     string            `json:"effect"`
	Action     string            `json:"action"`
	Duration   string            `json:"duration"`
	Subjects   []subjectAnswer   `json:"subjects"`
	Conditions []conditionAnswer `json:"conditions"`
	Objects    []objectAnswer    `json:"objects"`
	Unresolved []string          `json:"unresolved"`
}

type termAnswer struct {
	AnyOf  []string `json:"any_of"`
	Negate bool     `json:"negate"`
	Why    string   `json:"why"`
}

type subjectAnswer struct {
	Phrase   string       `json:"phrase"`
	Everyone bool         `json:"everyone"`
	Terms    []termAnswer `json:"terms"`
}

type conditionAnswer struct {
	Phrase string       `json:"phrase"`
	Terms  []termAnswer `json:"terms"`
}

type objectAnswer struct {
	Phrase  string         `json:"phrase"`
	Clauses []clauseAnswer `json:"clauses"`
}

type clauseAnswer struct {
	Asset    string   `json:"asset"`
	AllTags  []string `json:"all_tags"`
	NoneTags []string `json:"none_tags"`
	Why      string   `json:"why"`
}

// maxClauses bounds the subjects after distributing alternatives, so that a
// pathological answer cannot produce an unreadable policy.
const maxClauses = 64

// maxProblems is how many problems with an answer the refusal spells out.
const maxProblems = 5

// parseAnswer decodes the model's text strictly: a field the schema does not
// define means the model did not follow it.
func parseAnswer(text string) (answer, error) {
	t := strings.TrimSpace(text)
	// Tolerate a Markdown fence, which some models add despite the MIME type.
	if strings.HasPrefix(t, "```") {
		t = strings.TrimPrefix(t, "```json")
		t = strings.TrimPrefix(t, "```")
		t = strings.TrimSuffix(strings.TrimSpace(t), "```")
	}
	var a answer
	if t == "" {
		return a, fmt.Errorf("the answer is empty")
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(t)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return a, fmt.Errorf("the answer is not the JSON the schema asks for: %v", err)
	}
	if dec.More() {
		return a, fmt.Errorf("the answer has data after the JSON object")
	}
	if a.IsPolicy == nil {
		return a, fmt.Errorf("the answer lacks is_policy")
	}
	return a, nil
}

// builder turns a parsed answer into a policy, checking every reference
// against the candidates offered and the catalog.
type builder struct {
	cat      *policy.Catalog
	r        retrieval
	problems []string
	used     map[string]bool
	matches  map[string][]copilot.Match
}

func (b *builder) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !slices.Contains(b.problems, msg) {
		b.problems = append(b.problems, msg)
	}
}

// describeRef names a reference the way a person reads it.
func describeRef(rf string) string {
	// The model wrote it: keep it short enough for a Slack card.
	rf = oneLine(rf, 120)
	kind, rest, ok := strings.Cut(rf, ":")
	if !ok {
		return fmt.Sprintf("%q", rf)
	}
	switch kind {
	case "attribute":
		key, val, _ := strings.Cut(rest, "=")
		return fmt.Sprintf("attribute value %s=%q", key, val)
	case "group", "tag", "asset":
		return fmt.Sprintf("%s %q", kind, rest)
	}
	return fmt.Sprintf("%q", rf)
}

// lookup returns the candidate behind a reference, or records why the
// reference is rejected: not a reference, the wrong kind, not in the
// catalog, or in the catalog but never offered.
func (b *builder) lookup(rf string, kinds ...string) (candidate, bool) {
	c, offered := b.r.byRef[rf]
	kind, rest, _ := strings.Cut(rf, ":")
	if !slices.Contains(kinds, kind) {
		if offered || slices.Contains([]string{"attribute", "group", "tag", "asset"}, kind) {
			b.problem("it put %s where only %s belong", describeRef(rf), strings.Join(kinds, " or "))
		} else {
			b.problem("it named %q, which is not a catalog reference", oneLine(rf, 120))
		}
		return candidate{}, false
	}
	m := copilot.Match{Kind: kind, Key: rest}
	if kind == "attribute" {
		m.Key, m.Value, _ = strings.Cut(rest, "=")
	}
	if !inCatalog(b.cat, m) {
		b.problem("it named %s, which is not in the catalog", describeRef(rf))
		return candidate{}, false
	}
	if !offered {
		b.problem("it named %s, which is in the catalog but was not among the candidates retrieved for this sentence", describeRef(rf))
		return candidate{}, false
	}
	return c, true
}

func (b *builder) phrase(text, role string) bool {
	for _, p := range b.r.Phrases {
		if p.Text == text && p.Role == role {
			return true
		}
	}
	b.problem("it answered for the %s phrase %q, which is not part of the sentence", role, oneLine(text, 120))
	return false
}

func (b *builder) record(phrase string, c candidate, why string, negate bool) {
	m := c.Match
	m.Why = strings.TrimSpace(oneLine(why, 200))
	if m.Why == "" {
		m.Why = c.Match.Why
	}
	if negate {
		m.Why = "excluded: " + m.Why
	}
	for _, have := range b.matches[phrase] {
		if have.Kind == m.Kind && have.Key == m.Key && have.Value == m.Value {
			return
		}
	}
	b.matches[phrase] = append(b.matches[phrase], m)
}

// expand turns terms (AND of ORs over catalog references) into alternatives,
// each a conjunction of policy terms: same-attribute values share one term,
// different attributes or groups inside one any_of become alternatives, and
// a negated any_of becomes one negated term per attribute or group
// (not (A or B) = not A and not B).
func (b *builder) expand(phrase string, terms []termAnswer) [][]policy.Term {
	alts := [][]policy.Term{{}}
	for _, t := range terms {
		var units []policy.Term
		for _, rf := range t.AnyOf {
			c, ok := b.lookup(rf, "attribute", "group")
			if !ok {
				continue
			}
			b.record(phrase, c, t.Why, t.Negate)
			m := c.Match
			if m.Kind == "group" {
				if !slices.ContainsFunc(units, func(u policy.Term) bool { return u.Group == m.Key }) {
					units = append(units, policy.Term{Group: m.Key, Negate: t.Negate})
				}
				continue
			}
			i := slices.IndexFunc(units, func(u policy.Term) bool { return u.Attribute == m.Key })
			if i < 0 {
				units = append(units, policy.Term{Attribute: m.Key, Negate: t.Negate})
				i = len(units) - 1
			}
			if !slices.Contains(units[i].Values, m.Value) {
				units[i].Values = append(units[i].Values, m.Value)
			}
		}
		if len(units) == 0 {
			continue
		}
		var choices [][]policy.Term
		if t.Negate {
			choices = [][]policy.Term{units}
		} else {
			for _, u := range units {
				choices = append(choices, []policy.Term{u})
			}
		}
		var next [][]policy.Term
		for _, a := range alts {
			for _, c := range choices {
				next = append(next, appendTerms(a, c))
			}
		}
		alts = next
		if len(alts) > maxClauses {
			b.problem("its answer for %q combines into more than %d alternatives", phrase, maxClauses)
			return nil
		}
	}
	if len(alts) == 1 && len(alts[0]) == 0 {
		return nil
	}
	return alts
}

// appendTerms is a ++ c without aliasing a and without repeating a term.
func appendTerms(a, c []policy.Term) []policy.Term {
	out := slices.Clone(a)
	for _, t := range c {
		if !slices.ContainsFunc(out, func(o policy.Term) bool { return termKey(o) == termKey(t) }) {
			out = append(out, t)
		}
	}
	return out
}

func termKey(t policy.Term) string {
	v := slices.Clone(t.Values)
	slices.Sort(v)
	return fmt.Sprintf("%s|%s|%v|%q", t.Attribute, t.Group, t.Negate, v)
}

func clauseKey(c []policy.Term) string {
	keys := make([]string, len(c))
	for i, t := range c {
		keys[i] = termKey(t)
	}
	slices.Sort(keys)
	return strings.Join(keys, "&")
}

// build checks the answer and turns it into a draft: a policy with its
// resolution, or a refusal that says exactly what was wrong. d already
// carries the sentence and decomposition.
func build(cat *policy.Catalog, r retrieval, a answer, d copilot.Draft) copilot.Draft {
	b := &builder{cat: cat, r: r, used: map[string]bool{}, matches: map[string][]copilot.Match{}}

	if !*a.IsPolicy {
		reason := oneLine(a.Refusal, 300)
		if reason == "" {
			reason = "it did not say why"
		}
		d.Error = "Gemini did not read this as an access policy: " + reason
		return d
	}

	effect := policy.Effect(a.Effect)
	if effect != policy.Allow && effect != policy.Deny && effect != policy.Mask {
		b.problem("it gave the effect %q, which is not allow, deny or mask", oneLine(a.Effect, 40))
	}
	action := policy.Action(a.Action)
	if action != policy.Read && action != policy.Write {
		b.problem("it gave the action %q, which is not read or write", oneLine(a.Action, 40))
	}
	dur, err := parseDuration(a.Duration)
	if err != nil {
		b.problem("it gave the duration %q, which is not a duration: %v", oneLine(a.Duration, 40), err)
	}

	// Subjects: one or more clauses per phrase, OR'ed.
	var subjects [][]policy.Term
	for _, s := range a.Subjects {
		if !b.phrase(s.Phrase, roleSubject) {
			continue
		}
		alts := b.expand(s.Phrase, s.Terms)
		if alts == nil && s.Everyone && len(s.Terms) == 0 {
			if !meansEveryone(s.Phrase) {
				// A policy for every user from a phrase that names a kind of
				// person is the broadest mistake the model can make.
				b.problem("it read %q as every user", s.Phrase)
				continue
			}
			alts = [][]policy.Term{{}}
		}
		if alts == nil {
			continue
		}
		b.used[s.Phrase] = true
		subjects = append(subjects, alts...)
	}
	// Conditions: folded into every subject clause.
	conds := [][]policy.Term{{}}
	for _, c := range a.Conditions {
		if !b.phrase(c.Phrase, roleCondition) {
			continue
		}
		if strings.HasPrefix(strings.ToLower(c.Phrase), "not ") {
			// The decomposer writes exceptions as "not X": a positive term
			// would grant exactly the people the sentence excludes.
			for _, t := range c.Terms {
				if !t.Negate && len(t.AnyOf) > 0 {
					b.problem("it did not negate the exception %q", c.Phrase)
					break
				}
			}
		}
		alts := b.expand(c.Phrase, c.Terms)
		if alts == nil {
			continue
		}
		b.used[c.Phrase] = true
		var next [][]policy.Term
		for _, x := range conds {
			for _, y := range alts {
				next = append(next, appendTerms(x, y))
			}
		}
		conds = next
	}
	var clauses [][]policy.Term
	seenClause := map[string]bool{}
	for _, s := range subjects {
		for _, c := range conds {
			cl := appendTerms(s, c)
			if k := clauseKey(cl); !seenClause[k] {
				seenClause[k] = true
				clauses = append(clauses, cl)
			}
		}
	}
	if len(clauses) > maxClauses {
		b.problem("its subjects and conditions combine into %d alternatives, more than %d", len(clauses), maxClauses)
	}

	// Objects: each clause one asset or a tag combination, OR'ed.
	var objects []policy.Clause
	seenObj := map[string]bool{}
	for _, o := range a.Objects {
		if !b.phrase(o.Phrase, roleObject) {
			continue
		}
		for _, c := range o.Clauses {
			cl, ok := b.clause(o.Phrase, c)
			if !ok {
				continue
			}
			b.used[o.Phrase] = true
			k := fmt.Sprintf("%s|%q|%q", cl.Asset, cl.AllTags, cl.NoneTags)
			if !seenObj[k] {
				seenObj[k] = true
				objects = append(objects, cl)
			}
		}
	}

	// Every phrase is either resolved or listed as unresolved: a dropped
	// condition would widen the policy without anyone noticing.
	var unresolved []string
	for _, u := range a.Unresolved {
		if slices.Contains(r.allPhrases(), u) {
			if !slices.Contains(unresolved, u) {
				unresolved = append(unresolved, u)
			}
		} else {
			b.problem("it listed %q as unresolved, which is not a phrase of the sentence", oneLine(u, 120))
		}
	}
	for _, p := range r.Phrases {
		if !b.used[p.Text] && !slices.Contains(unresolved, p.Text) {
			unresolved = append(unresolved, p.Text)
		}
	}

	for _, p := range r.Phrases {
		res := copilot.PhraseResolution{Phrase: p.Text, Role: p.Role, Matches: b.matches[p.Text]}
		if res.Matches == nil {
			res.Matches = []copilot.Match{}
		}
		if !slices.ContainsFunc(d.Resolution, func(x copilot.PhraseResolution) bool { return x.Phrase == p.Text && x.Role == p.Role }) {
			d.Resolution = append(d.Resolution, res)
		}
	}

	if len(b.problems) > 0 {
		shown := b.problems
		if len(shown) > maxProblems {
			shown = append(slices.Clone(shown[:maxProblems]), fmt.Sprintf("and %d more problems", len(b.problems)-maxProblems))
		}
		d.Error = "The Gemini answer was rejected and nothing was drafted: " + strings.Join(shown, "; ") + "."
		return d
	}
	if len(unresolved) > 0 {
		d.Unresolved = unresolved
		d.Suggestions = map[string][]copilot.Match{}
		var parts []string
		for _, u := range unresolved {
			var sugg []copilot.Match
			var names []string
			for _, p := range r.Phrases {
				if p.Text != u {
					continue
				}
				for _, c := range p.Candidates {
					if len(sugg) == 3 {
						break
					}
					sugg = append(sugg, c.Match)
					names = append(names, describeRef(c.Ref))
				}
			}
			if len(sugg) > 0 {
				d.Suggestions[u] = sugg
				parts = append(parts, fmt.Sprintf("%q (nearest catalog entries: %s)", u, strings.Join(names, ", ")))
			} else {
				parts = append(parts, fmt.Sprintf("%q (nothing similar in the catalog)", u))
			}
		}
		d.Error = "Could not resolve " + strings.Join(parts, "; ") + "; rephrase with names from the catalog."
		return d
	}
	if len(clauses) == 0 {
		d.Error = "Gemini did not say who the policy is for."
		return d
	}
	if len(objects) == 0 {
		d.Error = "Gemini did not say which data the policy covers."
		return d
	}

	d.Policy = &policy.Policy{
		Sentence: d.Sentence,
		Effect:   effect,
		Action:   action,
		Subjects: clauses,
		Objects:  objects,
		Duration: policy.Duration(dur),
	}
	d.Warnings = append(d.Warnings, disagreements(d.Decomposition, effect, action, dur)...)
	return d
}

// everyoneWords are the words a subject phrase may consist of and still
// mean every user: "Everyone", "Employees", "all staff", "anyone at the
// company". A phrase with any other word ("seasonal workers") names a kind
// of person and needs terms.
var everyoneWords = map[string]bool{
	"everyone": true, "everybody": true, "anyone": true, "anybody": true, "all": true, "every": true,
	"any": true, "the": true, "our": true, "whole": true, "entire": true, "company": true, "company-wide": true,
	"employee": true, "employees": true, "staff": true, "user": true, "users": true, "people": true,
	"person": true, "persons": true, "personnel": true, "member": true, "members": true, "worker": true,
	"workers": true, "colleague": true, "colleagues": true, "organization": true, "organisation": true,
	"org": true, "of": true, "at": true, "in": true, "else": true,
}

// meansEveryone reports whether a subject phrase can mean every user.
func meansEveryone(phrase string) bool {
	words := strings.FieldsFunc(strings.ToLower(phrase), func(r rune) bool { return r == ' ' || r == ',' || r == '.' })
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		if !everyoneWords[w] {
			return false
		}
	}
	return true
}

// clause checks one object clause.
func (b *builder) clause(phrase string, c clauseAnswer) (policy.Clause, bool) {
	var out policy.Clause
	ok := true
	if c.Asset != "" {
		cand, good := b.lookup(c.Asset, "asset")
		if good {
			out.Asset = cand.Match.Key
			b.record(phrase, cand, c.Why, false)
		}
		ok = ok && good
	}
	tags := func(refs []string, negate bool) []string {
		var names []string
		for _, rf := range refs {
			cand, good := b.lookup(rf, "tag")
			if !good {
				ok = false
				continue
			}
			b.record(phrase, cand, c.Why, negate)
			if !slices.Contains(names, cand.Match.Key) {
				names = append(names, cand.Match.Key)
			}
		}
		return names
	}
	out.AllTags = tags(c.AllTags, false)
	out.NoneTags = tags(c.NoneTags, true)
	if !ok {
		return policy.Clause{}, false
	}
	switch {
	case out.Asset != "" && (len(out.AllTags) > 0 || len(out.NoneTags) > 0):
		b.problem("for %q it combined an asset with tags in one clause", phrase)
		return policy.Clause{}, false
	case out.Asset == "" && len(out.AllTags) == 0 && len(out.NoneTags) > 0:
		b.problem("for %q it gave only tags to exclude, which would cover almost every asset", phrase)
		return policy.Clause{}, false
	case out.Asset == "" && len(out.AllTags) == 0:
		return policy.Clause{}, false
	}
	return out, true
}

// parseDuration reads the model's duration: "" or "0s" is standing access,
// otherwise a Go duration ("720h") or words ("30 days").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", "0", "0s", "0h":
		return 0, nil
	}
	return copilot.ParseDuration(s)
}

// disagreements are warnings where the model and the rule-based reading of
// the sentence differ, so the reviewer looks twice.
func disagreements(dec copilot.Decomposition, effect policy.Effect, action policy.Action, dur time.Duration) []string {
	var w []string
	if dec.Effect != "" && dec.Effect != string(effect) {
		w = append(w, fmt.Sprintf("Gemini chose the effect %s where the sentence's wording reads as %s; check it", effect, dec.Effect))
	}
	if dec.Action != "" && dec.Action != string(action) {
		w = append(w, fmt.Sprintf("Gemini chose the action %s where the sentence's verb reads as %s; check it", action, dec.Action))
	}
	if want, err := parseDuration(dec.Duration); err == nil && want != dur {
		if dur == 0 {
			w = append(w, fmt.Sprintf("Gemini made the access standing though the sentence says %q; check it", dec.Duration))
		} else if dec.Duration == "" {
			w = append(w, fmt.Sprintf("Gemini limited the access to %s though the sentence gives no duration; check it", dur))
		} else {
			w = append(w, fmt.Sprintf("Gemini read the duration as %s where the sentence says %q; check it", dur, dec.Duration))
		}
	}
	return w
}
