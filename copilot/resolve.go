package copilot

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/steward-dev/steward/policy"
)

// maxPhraseWords bounds the words of one phrase the resolver segments.
const maxPhraseWords = 12

// maxClauses bounds the subject and object clauses of one draft.
const maxClauses = 64

// seg is one run of words in a phrase and what it resolved to.
type seg struct {
	words  []string
	negate bool
	skip   bool // a filler word ("team", "data")
	r      resolved
}

// segment splits words into runs that each name something in the catalog,
// preferring the fewest runs (so "fraud analysts" is one job, not two
// words), letting filler words go, and reading a leading "non"/"not" as a
// negation of its run. ok is false when some word belongs to no run.
func (ix *catalogIndex) segment(words []string, kinds kindMask, filler map[string]bool) ([]seg, bool) {
	n := len(words)
	if n == 0 || n > maxPhraseWords {
		return nil, false
	}
	const inf = 1 << 30
	cost := make([]int, n+1)
	back := make([]seg, n+1)
	from := make([]int, n+1)
	for i := 1; i <= n; i++ {
		cost[i] = inf
		for j := i - 1; j >= 0; j-- {
			if cost[j] == inf {
				continue
			}
			span := words[j:i]
			if i-j == 1 && filler[span[0]] && cost[j]+1 < cost[i] {
				cost[i], from[i], back[i] = cost[j]+1, j, seg{words: span, skip: true}
			}
			neg, sw := false, span
			if len(span) > 1 && (span[0] == "non" || span[0] == "not") {
				neg, sw = true, span[1:]
			}
			if cost[j]+10 >= cost[i] {
				continue
			}
			if r, ok := ix.resolveSpan(sw, kinds); ok {
				// a span found only in descriptions is weaker evidence than
				// a name with a filler word beside it: "program committee
				// members" is the Program Committee group, not the role
				// described as "program committee member who reviews papers"
				c := cost[j] + 10
				if weakOnly(r) {
					c += 2
				}
				if c < cost[i] {
					cost[i], from[i], back[i] = c, j, seg{words: sw, negate: neg, r: r}
				}
			}
		}
	}
	if cost[n] == inf {
		return nil, false
	}
	var out []seg
	for i := n; i > 0; i = from[i] {
		out = append(out, back[i])
	}
	for l, r := 0, len(out)-1; l < r; l, r = l+1, r-1 {
		out[l], out[r] = out[r], out[l]
	}
	return out, true
}

// namesOneThing reports whether a phrase that reads like a list ("Research
// and Development staff") is really one catalog name: the phrase resolves
// to a single run of words (and filler). Otherwise the list is a list.
func (ix *catalogIndex) namesOneThing(phrase string, kinds kindMask) bool {
	words := phraseWords(phrase)
	if len(words) == 0 || len(words) > maxPhraseWords {
		return false
	}
	filler := ix.subjFill
	if kinds&objectKinds != 0 {
		filler = ix.objFill
	}
	segs, ok := ix.segment(words, kinds, filler)
	if !ok {
		return false
	}
	named := 0
	for _, s := range segs {
		if !s.skip {
			named++
		}
	}
	return named == 1
}

// phraseWords are the normalised words of a phrase without leading stop
// words; later ones stay ("Ward A", "date of birth") and the segmenter may
// drop them.
func phraseWords(phrase string) []string {
	return trimStop(normTokens(truncateRunes(phrase, 300)))
}

func trimStop(words []string) []string {
	for len(words) > 0 && stopWords[words[0]] {
		words = words[1:]
	}
	return words
}

func allIn(words []string, sets ...map[string]bool) bool {
	for _, w := range words {
		in := false
		for _, s := range sets {
			if s[w] {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}

// subjectResult is what a subject or condition phrase means, as an OR of ANDs.
type subjectResult struct {
	dnf     [][]policy.Term
	matches []Match
	problem string // why it did not resolve, when it did not
}

// termsOf groups a run's hits into alternative terms: the values of one
// attribute form one term; each group is its own term.
func (ix *catalogIndex) termsOf(r resolved) ([]policy.Term, string) {
	byKey := map[string][]string{}
	var keys []string
	var groups []string
	for _, h := range r.hits {
		e := &ix.entries[h.e]
		switch e.kind {
		case kAttr:
			if _, ok := byKey[e.key]; !ok {
				keys = append(keys, e.key)
			}
			byKey[e.key] = append(byKey[e.key], e.value)
		case kGroup:
			groups = append(groups, e.key)
		}
	}
	sort.Strings(keys)
	sort.Strings(groups)
	var terms []policy.Term
	for _, k := range keys {
		vals := byKey[k]
		sort.Strings(vals)
		terms = append(terms, policy.Term{Attribute: k, Values: dedupe(vals)})
	}
	for _, g := range groups {
		terms = append(terms, policy.Term{Group: g})
	}
	// Two different things with the very same name ("Legal" the department
	// and "legal" the group) is ambiguity, not a union: ask.
	// Unless they hold the very same people ("Store Mgr" the title and
	// "Store Managers" the group): then either reading grants the same.
	if len(terms) > 1 && r.score == 1 && !ix.samePeople(terms) {
		var names []string
		for _, t := range terms {
			names = append(names, termLabel(t))
		}
		return nil, "it could mean " + strings.Join(names, " or ") + "; say which"
	}
	return terms, ""
}

// samePeople reports whether every term selects the same, non-empty set of
// users in the catalog.
func (ix *catalogIndex) samePeople(terms []policy.Term) bool {
	some := false
	for i := range ix.cat.Users {
		u := &ix.cat.Users[i]
		first := termHolds(u, terms[0])
		some = some || first
		for _, t := range terms[1:] {
			if termHolds(u, t) != first {
				return false
			}
		}
	}
	return some
}

// termHolds reports whether a user satisfies a (positive) term.
func termHolds(u *policy.User, t policy.Term) bool {
	if t.Group != "" {
		return slices.Contains(u.Groups, t.Group)
	}
	for _, v := range u.Attributes[t.Attribute] {
		if slices.Contains(t.Values, v) {
			return true
		}
	}
	return false
}

func termLabel(t policy.Term) string {
	s := ""
	if t.Group != "" {
		s = fmt.Sprintf("group %q", t.Group)
	} else {
		s = fmt.Sprintf("%s in %q", t.Attribute, t.Values)
	}
	if t.Negate {
		s = "not " + s
	}
	return s
}

// resolveSubject resolves a phrase naming people ("full-time fraud
// analysts", "the legal team", "everyone").
func (ix *catalogIndex) resolveSubject(phrase string) subjectResult {
	words := phraseWords(phrase)
	if len(words) == 1 && firstPerson[words[0]] || len(words) == 0 && firstPerson[strings.ToLower(strings.TrimSpace(phrase))] {
		return subjectResult{problem: "a policy is about kinds of people, not yourself; to get access for yourself, file an access request"}
	}
	// "the patient's doctor", "an employee's manager": people tied to other
	// people, a relationship no attribute or group expresses.
	for w := range possessives(phrase) {
		if _, named := ix.resolveSpan(strings.Fields(w), subjectKinds); named || dataSubjects[w] || peopleWords[w] {
			return subjectResult{problem: fmt.Sprintf("%q ties the people to someone else (a relationship, such as a patient's doctor or an employee's manager), which a policy over user attributes and groups cannot express; name the people by role, attribute or group", w+"'s")}
		}
	}
	if len(words) == 0 || allIn(words, peopleWords, stopWords) {
		return subjectResult{dnf: [][]policy.Term{{}}, matches: []Match{{Kind: "everyone", Score: 1, Why: fmt.Sprintf("%q means every user in the catalog", phrase)}}}
	}
	r := ix.resolvePeople(words, ix.subjFill, subjectKinds)
	if r.problem == "" {
		if w := ix.droppedModifier(words, r.matches); w != "" {
			return subjectResult{problem: fmt.Sprintf("%q narrows the people, and not everyone it matched is %q by name, alias or description; name the certification, training or level as the catalog has it", w+" "+strings.Join(words[slices.Index(words, w)+1:], " "), w)}
		}
	}
	return r
}

// narrowingModifiers are words in front of a role that narrow it ("staff
// accountants", "certified nurses") but that the segmenter may drop as
// filler; dropping them grants every member of the role.
var narrowingModifiers = set("staff", "associate", "certified", "trained", "licensed", "qualified", "accredited", "authorized", "authorised", "approved", "vetted", "cleared")

// droppedModifier returns a narrowing modifier that opens the phrase (or
// follows only stop words) when some match does not carry it in its name,
// aliases or description, or "" when there is none.
func (ix *catalogIndex) droppedModifier(words []string, matches []Match) string {
	for i, w := range words {
		if !narrowingModifiers[w] {
			continue
		}
		if i+1 >= len(words) || peopleWords[words[i+1]] || stopWords[words[i+1]] {
			continue // "staff", "all staff", "staff in Finance": the people themselves
		}
		if i > 0 && !stopWords[words[i-1]] {
			continue // "PCI certified", "HIPAA trained": the certification is named
		}
		// Every match must carry it: "staff engineers" is the Staff
		// Software Engineer, not every engineer because one of them is.
		for _, m := range matches {
			if m.Kind != "everyone" && !ix.carries(m, w) {
				return w
			}
		}
		return ""
	}
	return ""
}

// carries reports whether the catalog entry of m has word w in its name,
// aliases or description.
func (ix *catalogIndex) carries(m Match, w string) bool {
	var texts []string
	switch m.Kind {
	case "attribute":
		v := ix.cat.Attributes[m.Key].Values[m.Value]
		texts = append(append(texts, m.Key, m.Value, v.Description), v.Aliases...)
	case "group":
		g := ix.cat.Groups[m.Key]
		texts = append(append(texts, m.Key, g.Description), g.Aliases...)
	default:
		return true
	}
	for _, t := range texts {
		if slices.Contains(normTokens(t), w) {
			return true
		}
	}
	return false
}

func (ix *catalogIndex) resolvePeople(words []string, filler map[string]bool, kinds kindMask) subjectResult {
	segs, ok := ix.segment(words, kinds, filler)
	if !ok && kinds == subjectKinds {
		// "Tellers" for Bank Teller, when nothing else has the word
		s, problem, found := ix.headNoun(words, filler)
		if problem != "" {
			return subjectResult{problem: problem}
		}
		segs, ok = []seg{s}, found
	}
	if !ok {
		return subjectResult{problem: "nothing in the catalog matches it"}
	}
	dnf := [][]policy.Term{{}}
	var matches []Match
	for _, s := range segs {
		if s.skip {
			continue
		}
		terms, problem := ix.termsOf(s.r)
		if problem != "" {
			return subjectResult{problem: problem}
		}
		if len(terms) == 0 {
			return subjectResult{problem: "nothing in the catalog that describes people matches it"}
		}
		text := strings.Join(s.words, " ")
		for _, h := range s.r.hits {
			matches = append(matches, ix.match(h, text, s.r))
		}
		var alt [][]policy.Term
		if s.negate {
			var clause []policy.Term
			for _, t := range terms {
				t.Negate = true
				clause = append(clause, t)
			}
			alt = [][]policy.Term{clause}
		} else {
			for _, t := range terms {
				alt = append(alt, []policy.Term{t})
			}
		}
		dnf = product(dnf, alt)
	}
	if len(dnf) > maxClauses {
		return subjectResult{problem: "it expands to too many alternatives; name fewer kinds of people"}
	}
	return subjectResult{dnf: dnf, matches: matches}
}

// weakOnly reports whether every hit of r comes from a description that
// mentions the words, the weakest kind of evidence.
func weakOnly(r resolved) bool {
	for _, h := range r.hits {
		if h.how != howDescHas {
			return false
		}
	}
	return len(r.hits) > 0
}

func mergeSets(sets ...map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, s := range sets {
		for k := range s {
			out[k] = true
		}
	}
	return out
}

// product is the AND of two ORs of ANDs.
func product(a, b [][]policy.Term) [][]policy.Term {
	var out [][]policy.Term
	for _, x := range a {
		for _, y := range b {
			c := append(append([]policy.Term(nil), x...), y...)
			out = append(out, c)
			if len(out) > maxClauses {
				return out
			}
		}
	}
	return out
}

// negateDNF is NOT of an OR of ANDs, as an OR of ANDs (De Morgan).
func negateDNF(d [][]policy.Term) [][]policy.Term {
	out := [][]policy.Term{{}}
	for _, clause := range d {
		var alt [][]policy.Term
		for _, t := range clause {
			t.Negate = !t.Negate
			alt = append(alt, []policy.Term{t})
		}
		if len(alt) == 0 {
			return nil // NOT everyone is nobody
		}
		out = product(out, alt)
	}
	return out
}

// conditionResult is what a condition means: terms on the people, or for an
// exception that names data ("except SSNs"), tags to leave out.
type conditionResult struct {
	dnf      [][]policy.Term
	noneTags []string
	matches  []Match
	problem  string
}

// resolveCondition resolves "completed PCI training", "in Mexico",
// "not seasonal workers", "outside Canada", "on call".
func (ix *catalogIndex) resolveCondition(text string) conditionResult {
	neg, words := conditionWords(text)
	if parts := splitList(text); len(parts) > 1 && len(words) > 0 {
		if r, ok := ix.resolveConditionList(parts, neg, reOr.MatchString(text)); ok {
			return r
		}
	}
	return ix.resolveConditionWords(neg, words)
}

var reOr = regexp.MustCompile(`(?i)\bor\b`)

var reBoth = regexp.MustCompile(`(?i)\bboth\b`)

// conditionWords strips the verbs and prepositions in front of a condition
// ("after completing", "based in") and reads its negation ("not", "outside").
func conditionWords(text string) (bool, []string) {
	words := normTokens(truncateRunes(text, 300))
	neg := false
	for len(words) > 0 {
		w := words[0]
		if negators[w] {
			neg = !neg
			words = words[1:]
			if len(words) > 0 && words[0] == "of" {
				words = words[1:]
			}
			continue
		}
		if conditionLead[w] || stopWords[w] {
			words = words[1:]
			continue
		}
		break
	}
	return neg, trimStop(words)
}

// resolveConditionList resolves "in Germany or France", "completed PCI and
// SOX training": items joined by "or" are alternatives; items joined by
// "and" must all hold, except values of an attribute each person has only
// one of ("in Germany and France"), which can only mean either.
func (ix *catalogIndex) resolveConditionList(parts []string, neg, or bool) (conditionResult, bool) {
	var items []conditionResult
	// "PCI and security awareness training": the attribute named at the end
	// ("training") belongs to every item.
	_, last := conditionWords(parts[len(parts)-1])
	hint := ""
	if n := len(last); n > 1 {
		if _, ok := ix.attrHints[last[n-1]]; ok {
			hint = last[n-1]
		}
	}
	for i, p := range parts {
		pn, w := conditionWords(p)
		if hint != "" && len(w) > 0 && w[len(w)-1] != hint {
			w = append(w, hint)
		}
		if i == 0 {
			pn = false // the list's own negation is applied once, below
		}
		if pn || len(w) == 0 {
			return conditionResult{}, false
		}
		r := ix.resolveConditionWords(false, w)
		if r.problem != "" || r.noneTags != nil {
			return conditionResult{}, false
		}
		items = append(items, r)
	}
	if !or {
		key := ""
		for _, it := range items {
			if len(it.dnf) != 1 || len(it.dnf[0]) != 1 || it.dnf[0][0].Attribute == "" {
				key = ""
				break
			}
			if key == "" {
				key = it.dnf[0][0].Attribute
			} else if key != it.dnf[0][0].Attribute {
				key = ""
				break
			}
		}
		or = key != "" && ix.singleValued(key)
		// "in both Engineering and Business": the writer insists on each,
		// which no one can hold; reading it as either would grant more.
		if or && reBoth.MatchString(strings.Join(parts, " ")) {
			return conditionResult{problem: fmt.Sprintf("it asks for both values of %s, which no one has at once; write \"or\" if either is meant", key)}, true
		}
	}
	var dnf [][]policy.Term
	var matches []Match
	if or {
		for _, it := range items {
			dnf = append(dnf, it.dnf...)
		}
	} else {
		dnf = [][]policy.Term{{}}
		for _, it := range items {
			dnf = product(dnf, it.dnf)
		}
	}
	for _, it := range items {
		matches = append(matches, it.matches...)
	}
	if neg {
		dnf = negateDNF(dnf)
		if dnf == nil {
			return conditionResult{}, false
		}
	}
	return conditionResult{dnf: dnf, matches: matches}, true
}

// singleValued reports whether no user has more than one value of attr.
func (ix *catalogIndex) singleValued(attr string) bool {
	v, ok := ix.multi[attr]
	return ok && !v
}

func (ix *catalogIndex) resolveConditionWords(neg bool, words []string) conditionResult {
	if len(words) == 0 {
		return conditionResult{problem: "it names nothing to check"}
	}
	if w := relational(words); w != "" {
		return conditionResult{problem: relationalProblem(w)}
	}
	if allIn(words, peopleWords, stopWords) {
		return conditionResult{problem: "it names everyone, which does not narrow the policy"}
	}
	r := ix.resolvePeople(words, ix.condFill, subjectKinds|kCondition)
	if r.problem != "" {
		if neg {
			// "except SSNs": an exception that names data leaves that data out.
			if tags, ms, ok := ix.tagsOnly(words); ok {
				return conditionResult{noneTags: tags, matches: ms}
			}
		}
		return conditionResult{problem: r.problem}
	}
	if neg {
		r.dnf = negateDNF(r.dnf)
		if r.dnf == nil {
			return conditionResult{problem: "it excludes everyone"}
		}
		for i := range r.matches {
			r.matches[i].Why = "excluded: " + r.matches[i].Why
		}
	}
	return conditionResult{dnf: r.dnf, matches: r.matches}
}

// tagsOnly resolves words as a single kind of data, for exceptions.
func (ix *catalogIndex) tagsOnly(words []string) ([]string, []Match, bool) {
	segs, ok := ix.segment(words, kTag, ix.objFill)
	if !ok {
		return nil, nil, false
	}
	var tags []string
	var ms []Match
	for _, s := range segs {
		if s.skip {
			continue
		}
		if s.negate {
			return nil, nil, false
		}
		text := strings.Join(s.words, " ")
		for _, h := range s.r.hits {
			tags = append(tags, ix.entries[h.e].key)
			m := ix.match(h, text, s.r)
			m.Why = "left out: " + m.Why
			ms = append(ms, m)
		}
	}
	sort.Strings(tags)
	return dedupe(tags), ms, len(tags) > 0
}

// objectResult is what an object phrase means.
type objectResult struct {
	clauses []policy.Clause
	matches []Match
	problem string
}

// coversEverything is the refusal for objects that name no data in particular.
const coversEverything = "it names no data in particular and would cover every asset; name tables or kinds of data (tags)"

// resolveObject resolves a phrase naming data: a table ("card
// transactions" -> cards.transactions) when the phrase names one, otherwise
// tags that must all be present ("confidential PCI data").
func (ix *catalogIndex) resolveObject(phrase string) objectResult {
	if w := relational(normTokens(truncateRunes(phrase, 300))); w != "" {
		return objectResult{problem: relationalProblem(w)}
	}
	words := phraseWords(phrase)
	if problem := ix.aboutTheData(phrase, words); problem != "" {
		return objectResult{problem: problem}
	}
	if r, ok := ix.resolveOwnedTable(words, possessives(phrase)); ok {
		return r
	}
	var segs []seg
	ok := false
	if len(words) == 0 || allIn(words, stopWords, dataWords, objectLinkers, set("everything", "anything", "every", "all", "any", "whatever", "whole", "entire")) {
		// Words that usually say "any data" can together be the name of one
		// tag or table ("classifiedReport", "data_export").
		r, whole := ix.namedByGenericWords(words)
		if !whole {
			return objectResult{problem: coversEverything}
		}
		segs, ok = []seg{{words: words, r: r}}, true
	} else {
		segs, ok = ix.segment(words, objectKinds, ix.objFill)
	}
	if !ok {
		// "the medical records of patients", "a patient's lab results": the
		// people the data is about, when the catalog has no data of that name,
		// only say whose data it is; the rest of the phrase must name it.
		if rest, dropped := ix.withoutDataSubjects(words, possessives(phrase)); dropped {
			if len(rest) == 0 || allIn(rest, stopWords, dataWords, objectLinkers) {
				return objectResult{problem: coversEverything}
			}
			segs, ok = ix.segment(rest, objectKinds, ix.objFill)
			// Only a table stays the same data whoever it is about; "PII of
			// patients" is not all PII, so tags without a table are refused.
			table := false
			for _, sg := range segs {
				table = table || (!sg.skip && ix.namesAsset(sg.r))
			}
			if ok && !table {
				return objectResult{problem: "it says whose data it is (the people it is about), and the catalog has no tag for that; name the table, or a tag the data carries"}
			}
		}
	}
	if !ok {
		// "card numbers" for the tag Payment Card Number, when no other
		// table or tag has both words
		r, problem, found := ix.nearObject(words)
		if problem != "" {
			return objectResult{problem: problem}
		}
		if found {
			segs, ok = []seg{{words: words, r: r}}, true
		}
	}
	if !ok {
		return objectResult{problem: "no table or tag in the catalog matches it"}
	}
	var assets []int32
	assetSegs := 0
	var alts [][]string // each positive run: alternative tags
	var none []string
	var matches []Match
	for _, s := range segs {
		if s.skip {
			continue
		}
		text := strings.Join(s.words, " ")
		var as, ts []hit
		for _, h := range s.r.hits {
			if ix.entries[h.e].kind == kAsset {
				as = append(as, h)
			} else {
				ts = append(ts, h)
			}
		}
		if len(as) > 0 { // a phrase that names a table means that table
			if s.negate {
				return objectResult{problem: fmt.Sprintf("%q names a table to leave out; name the data to include instead", text)}
			}
			assetSegs++
			for _, h := range as {
				assets = append(assets, h.e)
				matches = append(matches, ix.match(h, text, s.r))
			}
			continue
		}
		var tags []string
		for _, h := range ts {
			tags = append(tags, ix.entries[h.e].key)
			m := ix.match(h, text, s.r)
			if s.negate {
				m.Why = "left out: " + m.Why
			}
			matches = append(matches, m)
		}
		sort.Strings(tags)
		tags = dedupe(tags)
		if s.negate {
			none = append(none, tags...)
		} else {
			alts = append(alts, tags)
		}
	}
	sort.Strings(none)
	none = dedupe(none)
	if assetSegs > 1 {
		return objectResult{problem: "it names more than one table in one phrase; separate them with \"and\""}
	}
	if assetSegs == 1 {
		var clauses []policy.Clause
		for _, id := range assets {
			e := &ix.entries[id]
			if hasEach(e.tags, alts) && !hasAny(e.tags, none) {
				clauses = append(clauses, policy.Clause{Asset: e.key})
			}
		}
		if len(clauses) == 0 {
			return objectResult{problem: "the table it names does not carry the other tags it mentions"}
		}
		if len(clauses) > 5 {
			return objectResult{problem: fmt.Sprintf("it matches %d tables; name the table more precisely (schema.table)", len(clauses))}
		}
		return objectResult{clauses: clauses, matches: matches}
	}
	if len(alts) == 0 {
		return objectResult{problem: "it only says what to leave out, which would cover nearly every asset; name the kind of data to include"}
	}
	sets := [][]string{{}}
	for _, alt := range alts {
		var next [][]string
		for _, cur := range sets {
			for _, t := range alt {
				next = append(next, append(append([]string(nil), cur...), t))
			}
		}
		sets = next
		if len(sets) > maxClauses {
			return objectResult{problem: "it expands to too many combinations of tags; be more specific"}
		}
	}
	var clauses []policy.Clause
	seen := map[string]bool{}
	for _, s := range sets {
		sort.Strings(s)
		s = dedupe(s)
		k := strings.Join(s, "\x00")
		if seen[k] {
			continue
		}
		seen[k] = true
		c := policy.Clause{AllTags: s}
		if len(none) > 0 {
			c.NoneTags = append([]string(nil), none...)
		}
		clauses = append(clauses, c)
	}
	return objectResult{clauses: clauses, matches: matches}
}

// containerWords name a schema, dataset or bucket of tables.
var containerWords = set("schema", "dataset", "database", "db", "bucket", "folder", "directory", "container")

// namedByGenericWords resolves a phrase made only of generic data words
// when, taken whole, it is the name of a tag or table: by name, alias, leaf
// or table name, never by a prefix or description (so "data" never means
// every tag under Data.*).
func (ix *catalogIndex) namedByGenericWords(words []string) (resolved, bool) {
	if len(words) < 2 {
		return resolved{}, false
	}
	hs := ix.filter(ix.exact[strings.Join(words, " ")], objectKinds)
	if last := words[len(words)-1]; len(hs) == 0 && containerWords[last] {
		// "the reports dataset", "the exports bucket": a schema by name.
		hs = ix.schemas[strings.Join(words[:len(words)-1], " ")]
		return resolved{hits: hs, score: 1}, len(hs) > 0
	}
	for _, h := range hs {
		switch h.how {
		case howName, howAlias, howLeaf, howTable:
		default:
			return resolved{}, false
		}
	}
	if len(hs) == 0 {
		return resolved{}, false
	}
	return resolved{hits: dedupeHits(hs), score: 1}, true
}

// namesAsset reports whether a run names a table.
func (ix *catalogIndex) namesAsset(r resolved) bool {
	for _, h := range r.hits {
		if ix.entries[h.e].kind == kAsset {
			return true
		}
	}
	return false
}

// dataSubjects are the people data is about ("the records of patients", "a
// patient's chart"); they say whose data it is, not which data. Employees and
// users are left out on purpose: employee data and customer data are the
// distinction catalogs most often draw, so "employee accounts" is never
// read as "accounts".
var dataSubjects = set("patient", "customer", "client", "student", "applicant", "cardholder", "subscriber",
	"consumer", "citizen", "member")

// possessives returns the normalised words written as possessives in phrase
// ("patient's", "patients'").
func possessives(phrase string) map[string]bool {
	out := map[string]bool{}
	for _, f := range strings.Fields(truncateRunes(phrase, 300)) {
		f = strings.ReplaceAll(f, "\u2019", "'")
		var base string
		switch {
		case strings.HasSuffix(f, "'s"):
			base = f[:len(f)-2]
		case strings.HasSuffix(f, "s'"):
			base = f[:len(f)-1]
		default:
			continue
		}
		if k := normKey(base); k != "" {
			out[k] = true
		}
	}
	return out
}

// withoutDataSubjects drops the data subjects of an object phrase written
// as a possessive or an "of" phrase ("a patient's", "of students") when the
// catalog's data has nothing of that name; a word the catalog has as a tag
// or table stays and must resolve.
func (ix *catalogIndex) withoutDataSubjects(words []string, poss map[string]bool) ([]string, bool) {
	unnamed := func(w string) bool {
		_, named := ix.resolveSpan([]string{w}, objectKinds)
		return dataSubjects[w] && !named
	}
	out := make([]string, 0, len(words))
	dropped := false
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "of" && i+1 < len(words) && unnamed(words[i+1]) {
			dropped = true
			i++
			continue
		}
		if poss[w] && unnamed(w) {
			dropped = true
			continue
		}
		out = append(out, w)
	}
	return out, dropped
}

// resolveOwnedTable reads "a patient's prescriptions", "the emergency
// report of any patient", "customer orders" as the prescriptions and the emergency reports when
// the catalog also has a table of patients: a possessive or "of" phrase says
// whose data it is, never a second table. It applies only when the people
// word names tables alone (a tag of that name narrows the data instead, see
// withoutDataSubjects) and the rest of the phrase names one table, other than
// those people's own: tags without a table are not the same data whoever it
// is about ("PII of patients" is not all PII).
func (ix *catalogIndex) resolveOwnedTable(words []string, poss map[string]bool) (objectResult, bool) {
	var own []int32
	tableOnly := func(w string) bool {
		if !dataSubjects[w] {
			return false
		}
		r, named := ix.resolveSpan([]string{w}, objectKinds)
		if !named || len(r.hits) == 0 {
			return false
		}
		for _, h := range r.hits {
			if ix.entries[h.e].kind != kAsset {
				return false
			}
		}
		for _, h := range r.hits {
			own = append(own, h.e)
		}
		return true
	}
	rest := make([]string, 0, len(words))
	dropped := false
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "of" {
			j := i + 1
			for j < len(words) && stopWords[words[j]] {
				j++
			}
			if j < len(words) && tableOnly(words[j]) {
				dropped = true
				i = j
				continue
			}
		}
		// "customer orders": the people as the first word of a longer name
		if (poss[w] || i == 0 && len(words) > 1) && tableOnly(w) {
			dropped = true
			continue
		}
		rest = append(rest, w)
	}
	if !dropped || len(rest) == 0 || allIn(rest, stopWords, dataWords, objectLinkers) || relational(rest) != "" {
		return objectResult{}, false
	}
	// "customer data about employees": the rest names other people, so the
	// first word is not just whose data it is; the employees table is not
	// customer data.
	if slices.ContainsFunc(rest, func(w string) bool { return peopleWords[w] || dataSubjects[w] }) {
		return objectResult{}, false
	}
	r := ix.resolveObject(strings.Join(rest, " "))
	if r.problem != "" || len(r.clauses) == 0 {
		return objectResult{}, false
	}
	for _, c := range r.clauses {
		if c.Asset == "" {
			return objectResult{}, false
		}
		for _, id := range own {
			if ix.entries[id].key == c.Asset {
				return objectResult{}, false
			}
		}
	}
	return r, true
}

// hasEach: for every group of alternatives, the asset carries one of them.
func hasEach(tags []string, alts [][]string) bool {
	for _, alt := range alts {
		if !hasAny(tags, alt) {
			return false
		}
	}
	return true
}

func hasAny(tags, want []string) bool {
	for _, w := range want {
		i := sort.SearchStrings(tags, w)
		if i < len(tags) && tags[i] == w {
			return true
		}
	}
	return false
}

// relationalWords tie the data to the particular person ("her ward", "their
// own patients"): a policy over user attributes and data tags cannot say that.
var relationalWords = set("his", "her", "hers", "their", "theirs", "own", "them", "themselves", "himself", "herself", "assigned", "whose")

func relational(words []string) string {
	for _, w := range words {
		if relationalWords[w] {
			return w
		}
	}
	return ""
}

func relationalProblem(w string) string {
	return fmt.Sprintf("%q ties the data to each person (a relationship, such as their own records or their ward), which a policy over user attributes and data tags cannot express; name an attribute or tag instead (\"nurses in Ward A\")", w)
}

// missingPlace explains a place the vocabulary knows but the catalog does
// not have ("in Canada" when country has no CA): the most common reason a
// location condition does not resolve.
func (ix *catalogIndex) missingPlace(phrase string) string {
	_, words := conditionWords(phrase)
	for _, v := range ix.vocab[strings.Join(words, " ")] {
		if len(v.keyHint) == 0 {
			continue
		}
		for _, attr := range sortedKeys(ix.cat.Attributes) {
			if !ix.keyMatchesHint(attr, v.keyHint) {
				continue
			}
			return fmt.Sprintf("%s: no such value of %s in the catalog (it has %s)", v.note, attr, strings.Join(firstN(sortedKeys(ix.cat.Attributes[attr].Values), 12), ", "))
		}
	}
	return ""
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], "...")
	}
	return s
}

// metaWords ask for something about the data (its schema, a count, a
// summary) rather than the data itself; a read grant on the data would give
// far more than that, so such a phrase is refused unless the catalog has
// data of that name ("quarterly summaries").
var metaWords = set("metadata", "meta", "structure", "definition", "layout", "lineage", "inventory",
	"statistic", "stat", "summary", "aggregate", "aggregated", "aggregation", "total", "average", "count",
	"existence", "sample", "preview", "overview")

// metaOf are words that ask about the data when followed by "of" at the
// start of the phrase ("the list of X", "the number of X", "the schema of X").
var metaOf = set("list", "listing", "number", "schema", "count", "name", "size")

// tableWords name tables and their parts, as in "table names".
var tableWords = set("table", "column", "field", "dataset", "schema", "database", "db", "file", "asset", "bucket", "folder")

// aboutTheData explains why phrase asks about data rather than for it, or
// returns "".
func (ix *catalogIndex) aboutTheData(phrase string, words []string) string {
	const why = "it asks about the data (%q), not for the data itself; a policy can only grant the data, so write the policy for the data or leave this to the catalog"
	if raw := normTokens(truncateRunes(phrase, 300)); len(raw) > 0 {
		switch raw[0] {
		case "which", "what", "whether", "where", "how":
			return fmt.Sprintf(why, raw[0])
		}
	}
	for i, w := range words {
		if metaWords[w] && len(ix.nameToks[w]) == 0 {
			return fmt.Sprintf(why, w)
		}
		next := ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		if i == 0 && metaOf[w] && (next == "of" || next == "for") {
			// "the names of tables" asks about tables; "the names of
			// authors" may be data the catalog tags. "The number of
			// accounts" is a count even where "number" names data
			// ("account number").
			if w == "name" && i+2 < len(words) && tableWords[words[i+2]] || w != "name" {
				return fmt.Sprintf(why, w+" "+next)
			}
		}
		if w == "name" && i > 0 && tableWords[words[i-1]] {
			return fmt.Sprintf(why, words[i-1]+" "+w)
		}
		if w == "schema" && len(ix.nameToks[w]) == 0 {
			if next == "of" || next == "for" {
				return fmt.Sprintf(why, "schema "+next)
			}
			// "the card transactions schema": a table's structure, unless
			// the words in front name a schema of tables ("the finance schema").
			before := words[:i]
			if n := len(before); n > 0 && (before[n-1] == "table" || before[n-1] == "tables") {
				return fmt.Sprintf(why, "table schema")
			}
			if len(before) > 0 && len(ix.schemas[strings.Join(before, " ")]) == 0 {
				return fmt.Sprintf(why, strings.Join(before, " ")+" schema")
			}
		}
	}
	return ""
}

// listsTables reports whether an object written after "list" names tables
// ("list the tables with card numbers"): listing which tables exist is not
// reading them, and a read grant would give their contents.
func listsTables(verb, object string) bool {
	if verb != "list" && verb != "enumerate" {
		return false
	}
	words := phraseWords(object)
	return len(words) > 0 && tableWords[words[0]]
}

// missedNamesakes explains, for a deny or mask whose people are one bare
// noun ("Engineers cannot read secrets"), which titles ending in that noun
// the resolution left out ("Site Reliability Engineer"): a deny or mask that
// covers fewer people than the sentence names lets them through. It returns
// "" when the noun covers every such title, or the phrase says more.
func (ix *catalogIndex) missedNamesakes(phrase string, dnf [][]policy.Term) string {
	words := phraseWords(phrase)
	if len(words) != 1 || peopleWords[words[0]] {
		return ""
	}
	head := words[0]
	// A title named exactly so ("Student") is what the noun means here;
	// longer titles ("Graduate Student") are then other people.
	if len(ix.filter(ix.exact[head], subjectKinds)) > 0 {
		return ""
	}
	var missed []string
	for _, k := range sortedKeys(ix.cat.Attributes) {
		for _, v := range sortedKeys(ix.cat.Attributes[k].Values) {
			vt := normTokens(v)
			if len(vt) < 2 || vt[len(vt)-1] != head {
				continue
			}
			for i := range ix.cat.Users {
				u := &ix.cat.Users[i]
				if slices.Contains(u.Attributes[k], v) && !dnfHolds(u, dnf) {
					missed = append(missed, fmt.Sprintf("%s %q", k, v))
					break
				}
			}
		}
	}
	if len(missed) == 0 {
		return ""
	}
	return fmt.Sprintf("a deny or mask for %q would leave out %s, whose titles also end in %q; name every kind of %s it covers", phrase, strings.Join(firstN(missed, 5), ", "), head, head)
}

// dnfHolds reports whether a user satisfies a subject DNF.
func dnfHolds(u *policy.User, dnf [][]policy.Term) bool {
	for _, clause := range dnf {
		ok := true
		for _, t := range clause {
			if termHolds(u, t) == t.Negate {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
