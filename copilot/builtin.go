package copilot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/steward-dev/steward/policy"
)

// maxCachedCatalogs bounds how many catalogs one engine keeps indexes for;
// a long-running bot reloads its catalog now and then, never thousands.
const maxCachedCatalogs = 8

// Builtin is the deterministic, offline engine: Decompose, resolve each
// phrase against the catalog, build the policy, Finalize. It keeps one
// resolution index per catalog (keyed by the *policy.Catalog pointer, so a
// reloaded catalog gets a fresh one). Safe for concurrent use.
type Builtin struct {
	mu    sync.Mutex
	cache map[*policy.Catalog]*catalogState
	order []*policy.Catalog
}

// catalogState is what the engine prepares once per catalog.
type catalogState struct {
	once   sync.Once
	ix     *catalogIndex
	impact *policy.Index
}

// NewBuiltin returns the built-in, deterministic, offline engine. The
// Engine is a *Builtin; NewBuiltinEngine returns it as such.
func NewBuiltin() Engine { return newBuiltin() }

// NewBuiltinEngine returns the built-in engine with its cached helpers:
// long-lived callers (the bot, the Gemini engine) should call its
// Candidates, ResolveObjects and Finalize rather than the package functions,
// which index the catalog again on every call.
func NewBuiltinEngine() *Builtin { return newBuiltin() }

func newBuiltin() *Builtin { return &Builtin{cache: map[*policy.Catalog]*catalogState{}} }

func (b *Builtin) state(cat *policy.Catalog) *catalogState {
	b.mu.Lock()
	st, ok := b.cache[cat]
	if !ok {
		if len(b.order) >= maxCachedCatalogs {
			delete(b.cache, b.order[0])
			b.order = b.order[1:]
		}
		st = &catalogState{}
		b.cache[cat] = st
		b.order = append(b.order, cat)
	}
	b.mu.Unlock()
	// Built outside the engine lock so one large catalog does not hold up
	// drafts against another.
	st.once.Do(func() {
		st.ix = newCatalogIndex(cat)
		st.impact = policy.NewIndex(cat)
		// The fallback readings' index (about half a second on a 100,000-asset
		// catalog) is built now in the background, so the first phrase that
		// needs it rarely waits for it.
		go st.ix.recallIdx()
	})
	return st
}

// Candidates is the package's Candidates with this engine's cached index.
func (b *Builtin) Candidates(cat *policy.Catalog, phrase string, k int) []Match {
	if cat == nil {
		return nil
	}
	return b.state(cat).ix.candidates(phrase, allKinds, k)
}

// Finalize is the package's Finalize with this engine's cached indexes.
func (b *Builtin) Finalize(cat *policy.Catalog, d Draft) Draft {
	if cat == nil {
		return Finalize(cat, d)
	}
	return finalize(cat, b.state(cat), d)
}

// ResolveObjects is the package's ResolveObjects with this engine's cached index.
func (b *Builtin) ResolveObjects(cat *policy.Catalog, text string) ([]policy.Clause, []Match, error) {
	if cat == nil {
		return nil, nil, errors.New("resolving objects: no catalog loaded")
	}
	return resolveObjects(b.state(cat).ix, text)
}

// Draft turns one sentence into a policy draft. A sentence the copilot will
// not turn into a policy comes back with OK false and Error saying why; the
// error return is only for a missing catalog or a cancelled context.
func (b *Builtin) Draft(ctx context.Context, sentence string, cat *policy.Catalog) (Draft, error) {
	d := newDraft(sentence)
	d.Engine = "builtin"
	if err := ctx.Err(); err != nil {
		return d, fmt.Errorf("drafting a policy: %w", err)
	}
	if cat == nil {
		return d, errors.New("drafting a policy: no catalog loaded")
	}
	st := b.state(cat)
	dec, err := decompose(sentence)
	d.Decomposition = dec.Decomposition
	normalizeDecomposition(&d.Decomposition)
	if err != nil {
		d.Error = err.Error()
		return d, nil
	}
	d = build(st.ix, dec, d)
	if d.Error != "" {
		return d, nil
	}
	return finalize(cat, st, d), nil
}

func newDraft(sentence string) Draft {
	return Draft{
		Sentence:   truncateRunes(sentence, 2*maxSentenceRunes),
		Resolution: []PhraseResolution{},
		Unresolved: []string{},
		Impact:     policy.Impact{Users: []string{}, Assets: []string{}},
	}
}

func normalizeDecomposition(d *Decomposition) {
	if d.Subjects == nil {
		d.Subjects = []string{}
	}
	if d.Objects == nil {
		d.Objects = []string{}
	}
	if d.Conditions == nil {
		d.Conditions = []string{}
	}
}

// build resolves every phrase and assembles the policy. Every phrase must
// resolve: an unresolved one refuses the draft, naming the phrase and the
// nearest catalog entries.
func build(ix *catalogIndex, dec decomposition, d Draft) Draft {
	var problems []string
	unresolved := func(phrase, role, why string, kinds kindMask) {
		d.Unresolved = append(d.Unresolved, phrase)
		msg := fmt.Sprintf("could not resolve %s %q: %s", role, phrase, why)
		if hint := ix.missingPlace(phrase); hint != "" {
			msg += "; " + hint
		}
		if sug := ix.candidates(phrase, kinds, 3); len(sug) > 0 {
			if d.Suggestions == nil {
				d.Suggestions = map[string][]Match{}
			}
			d.Suggestions[phrase] = sug
			var names []string
			for _, m := range sug {
				names = append(names, matchLabel(m))
			}
			msg += "; nearest in the catalog: " + strings.Join(names, ", ")
		}
		problems = append(problems, msg)
	}

	// A purpose that ties the data to the person ("for their courses") is a
	// restriction the policy cannot carry; dropping it would over-grant.
	if w := relational(normTokens(dec.Purpose)); w != "" {
		d.Error = fmt.Sprintf("the purpose %q limits the access: %s", dec.Purpose, relationalProblem(w))
		return d
	}

	// "Nobody except HR, but not contractors": the second exception
	// narrows the first, so the deny must cover contractors in HR too; read
	// as two exceptions side by side it would cover fewer people than meant.
	if dec.Effect != string(policy.Allow) && nestedExceptions(dec.Conditions, d.Sentence) {
		d.Error = "the sentence makes an exception to an exception (\"except HR, but not contractors\", \"unless ...\"), which a deny or mask could read as covering fewer people than meant; write who the deny or mask covers directly, e.g. \"Contractors and everyone outside HR cannot read salaries\""
		return d
	}

	// Subjects: the whole phrase first ("Research and Development"), then
	// the list items, which are OR'ed.
	var subjects [][]policy.Term
	items := dec.Subjects
	if len(items) > 1 && ix.namesOneThing(dec.subjectText, subjectKinds) {
		items = []string{dec.subjectText}
		d.Decomposition.Subjects = items
	}
	for _, p := range items {
		r := ix.resolveSubject(p)
		if r.problem != "" {
			unresolved(p, "subject", r.problem, subjectKinds)
			continue
		}
		if dec.Effect != string(policy.Allow) {
			if missed := ix.missedNamesakes(p, r.dnf); missed != "" {
				unresolved(p, "subject", missed, subjectKinds)
				continue
			}
		}
		d.Resolution = append(d.Resolution, PhraseResolution{Phrase: p, Role: "subject", Matches: nonNilMatches(r.matches)})
		subjects = append(subjects, r.dnf...)
	}

	var objects []policy.Clause
	items = dec.Objects
	if len(items) > 1 && ix.namesOneThing(dec.objectText, objectKinds) {
		items = []string{dec.objectText}
		d.Decomposition.Objects = items
	}
	for _, p := range items {
		r := ix.resolveObject(p)
		if r.problem == "" && listsTables(d.Decomposition.Verb, p) {
			r = objectResult{problem: "listing which tables exist is not reading them, and a policy can only grant the data; write the policy for the data, or leave this to the catalog"}
		}
		if r.problem != "" {
			if r.problem == coversEverything {
				d.Error = fmt.Sprintf("refused: the objects %q %s", p, r.problem)
				return d
			}
			unresolved(p, "object", r.problem, objectKinds)
			continue
		}
		d.Resolution = append(d.Resolution, PhraseResolution{Phrase: p, Role: "object", Matches: nonNilMatches(r.matches)})
		objects = append(objects, r.clauses...)
	}

	var none []string
	for _, c := range dec.Conditions {
		r := ix.resolveCondition(c)
		if r.problem != "" {
			unresolved(c, "condition", r.problem, subjectKinds)
			continue
		}
		d.Resolution = append(d.Resolution, PhraseResolution{Phrase: c, Role: "condition", Matches: nonNilMatches(r.matches)})
		if r.noneTags != nil {
			none = append(none, r.noneTags...)
			continue
		}
		subjects = product(subjects, r.dnf)
	}
	if len(problems) > 0 {
		d.Error = strings.Join(problems, "; ")
		return d
	}
	if len(subjects) > maxClauses || len(objects) > maxClauses {
		d.Error = "the policy expands to too many alternatives; split it into simpler sentences"
		return d
	}
	if len(none) > 0 {
		var kept []policy.Clause
		for _, c := range objects {
			if c.Asset != "" {
				if e, ok := ix.assetIdx[c.Asset]; ok && hasAny(ix.entries[e].tags, none) {
					continue // the exception leaves this whole table out
				}
				kept = append(kept, c)
				continue
			}
			c.NoneTags = dedupe(sortedCopy(append(c.NoneTags, none...)))
			kept = append(kept, c)
		}
		if len(kept) == 0 {
			d.Error = "the exceptions leave out every table the sentence names"
			return d
		}
		objects = kept
	}
	subjects = simplifyDNF(subjects)
	if dec.exclusive {
		d.Warnings = append(d.Warnings, "\"only\" is read as allowing these people; it takes no access away from anyone else. To exclude everyone else, also save a deny policy such as \"No one except <them> may <act on> <data>\"")
	}
	p := &policy.Policy{
		Sentence: d.Sentence,
		Effect:   policy.Effect(dec.Effect),
		Action:   policy.Action(dec.Action),
		Subjects: subjects,
		Objects:  objects,
		Duration: policy.Duration(dec.duration),
	}
	if p.Subjects == nil {
		p.Subjects = [][]policy.Term{}
	}
	if p.Objects == nil {
		p.Objects = []policy.Clause{}
	}
	d.Policy = p
	return d
}

func nonNilMatches(m []Match) []Match {
	if m == nil {
		return []Match{}
	}
	return m
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// simplifyDNF removes duplicate terms within a clause and duplicate clauses,
// keeping the order in which they were written.
func simplifyDNF(d [][]policy.Term) [][]policy.Term {
	var out [][]policy.Term
	seen := map[string]bool{}
	for _, c := range d {
		var clause []policy.Term
		inClause := map[string]bool{}
		for _, t := range c {
			k := termKey(t)
			if !inClause[k] {
				inClause[k] = true
				clause = append(clause, t)
			}
		}
		if clause == nil {
			clause = []policy.Term{}
		}
		keys := make([]string, 0, len(clause))
		for _, t := range clause {
			keys = append(keys, termKey(t))
		}
		sort.Strings(keys)
		ck := strings.Join(keys, "\x01")
		if seen[ck] {
			continue
		}
		seen[ck] = true
		out = append(out, clause)
	}
	return out
}

func termKey(t policy.Term) string {
	return fmt.Sprintf("%s\x00%s\x00%s\x00%v", t.Attribute, strings.Join(t.Values, "\x00"), t.Group, t.Negate)
}

func matchLabel(m Match) string {
	switch m.Kind {
	case "attribute":
		return fmt.Sprintf("%s %q", m.Key, m.Value)
	case "asset":
		return fmt.Sprintf("asset %s", m.Key)
	}
	return fmt.Sprintf("%s %q", m.Kind, m.Key)
}

var reNestedExcept = regexp.MustCompile(`(?i)\b(?:but\s+not|unless|(?:except|other\s+than|apart\s+from|but)\b.*\b(?:except|other\s+than|apart\s+from|excluding))\b`)

// nestedExceptions reports whether a sentence with two or more exclusions
// words one as an exception to the other.
func nestedExceptions(conds []string, sentence string) bool {
	neg := 0
	for _, c := range conds {
		if strings.HasPrefix(c, "not ") || strings.HasPrefix(c, "outside ") {
			neg++
		}
	}
	return neg >= 2 && reNestedExcept.MatchString(sentence)
}
