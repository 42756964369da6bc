package copilot

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/steward-dev/steward/policy"
)

// kindMask selects which kinds of catalog entries a phrase may resolve to.
type kindMask uint8

const (
	kAttr kindMask = 1 << iota
	kGroup
	kTag
	kAsset
	// kCondition marks a condition ("completed HIPAA training"), where
	// descriptions may match any word, not only words for people.
	kCondition

	subjectKinds = kAttr | kGroup
	objectKinds  = kTag | kAsset
	allKinds     = subjectKinds | objectKinds
)

func (k kindMask) String() string {
	switch k {
	case kAttr:
		return "attribute"
	case kGroup:
		return "group"
	case kTag:
		return "tag"
	case kAsset:
		return "asset"
	}
	return "entry"
}

// entry is one thing in the catalog a phrase can name.
type entry struct {
	kind  kindMask
	key   string // attribute key, group name, tag name, asset id
	value string // attribute value; asset name
	desc  string
	tags  []string // assets: every tag on the table or its columns
}

func (e *entry) label() string {
	switch e.kind {
	case kAttr:
		return fmt.Sprintf("%s %q", e.key, e.value)
	case kGroup:
		return fmt.Sprintf("group %q", e.key)
	case kTag:
		return fmt.Sprintf("tag %q", e.key)
	default:
		return fmt.Sprintf("asset %s (%s)", e.key, e.value)
	}
}

// how a phrase matched an entry; the base score and the reason follow from it.
type how uint8

const (
	howName how = iota
	howAlias
	howDescEq
	howLeaf
	howTable
	howLevel
	howChild
	howSchema
	howKeyPart
	howDescHas
	howInitials
	howHead // the last word of a name that no other name shares (recall.go)
	howNear // every word of the phrase is in one name only (recall.go)
)

var howScore = map[how]float64{
	howName: 1, howAlias: 0.95, howDescEq: 0.9, howLeaf: 0.95, howTable: 0.95, howLevel: 0.9,
	howChild: 0.85, howSchema: 0.75, howKeyPart: 0.8, howDescHas: 0.7,
	howInitials: 0.9, howHead: 0.8, howNear: 0.8,
}

type hit struct {
	e   int32
	how how
	via string // the alias, parent tag, schema or description word that matched
}

// catalogIndex answers "what may this phrase mean" for one catalog without
// scanning it: every name, alias, description and level is keyed by its
// normalised words once, when the index is built.
type catalogIndex struct {
	cat       *policy.Catalog
	entries   []entry
	exact     map[string][]hit // normalised name/alias/description -> entries
	levels    map[string][]hit // "accountant" -> Accountant I..IV
	prefixes  map[string][]hit // dotted tag prefix -> tags under it
	tails     map[string][]hit // tag leaf without its first word -> tags
	schemas   map[string][]hit // "claim" -> assets in the claims schema
	children  map[string][]int32
	descToks  map[string][]int32 // description word -> entries
	nameToks  map[string][]int32 // name word -> entries (suggestions)
	attrHints map[string]string  // "training" -> trainings, "job title" -> job_title
	vocab     map[string][]*vocabEntry
	tagIdx    map[string]int32
	assetIdx  map[string]int32
	users     int
	near      map[string][]string // 3-letter prefix or suffix -> name words (near spellings)

	subjFill, condFill, objFill map[string]bool // words a phrase may drop
	multi                       map[string]bool // attribute -> some user has several values

	recall *recallIndex // built on first use, only when a phrase did not resolve (recall.go)
}

// seniority words that may precede a job name without changing the job.
var seniority = set("junior", "jr", "senior", "sr", "lead", "principal", "staff", "associate", "entry", "mid", "level", "intermediate", "trainee")

func isLevelWord(w string) bool {
	switch w {
	case "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "1", "2", "3", "4", "5", "6", "7", "8", "9", "l1", "l2", "l3", "l4", "l5", "l6", "l7":
		return true
	}
	return false
}

// levelBase returns the job a leveled title names ("Accountant III" ->
// "accountant", "Senior Data Analyst" -> "data analyst"), or "" when the
// title carries no level. A level is a roman numeral or number at the end,
// or a seniority word at the front.
func levelBase(t []string) string {
	start, end := 0, len(t)
	if end > 1 && isLevelWord(t[end-1]) {
		end--
		if end > 1 && (t[end-1] == "level" || t[end-1] == "grade") {
			end--
		}
	}
	for start < end-1 && seniority[t[start]] {
		start++
	}
	if start == 0 && end == len(t) {
		return ""
	}
	return strings.Join(t[start:end], " ")
}

func newCatalogIndex(cat *policy.Catalog) *catalogIndex {
	ix := &catalogIndex{
		cat:       cat,
		exact:     map[string][]hit{},
		levels:    map[string][]hit{},
		prefixes:  map[string][]hit{},
		tails:     map[string][]hit{},
		schemas:   map[string][]hit{},
		children:  map[string][]int32{},
		descToks:  map[string][]int32{},
		nameToks:  map[string][]int32{},
		attrHints: map[string]string{},
		vocab:     map[string][]*vocabEntry{},
		tagIdx:    map[string]int32{},
		assetIdx:  map[string]int32{},
		users:     len(cat.Users),
		subjFill:  mergeSets(subjectFiller, peopleWords, stopWords),
		condFill:  mergeSets(subjectFiller, peopleWords, stopWords, set("on", "in", "at", "from", "and")),
		objFill:   mergeSets(dataWords, objectLinkers, stopWords),
		multi:     map[string]bool{},
	}
	add := func(e entry) int32 {
		ix.entries = append(ix.entries, e)
		return int32(len(ix.entries) - 1)
	}
	key := func(m map[string][]hit, k string, h hit) {
		if k != "" {
			m[k] = append(m[k], h)
		}
	}
	described := func(id int32, desc string, aliases []string) {
		for _, a := range aliases {
			key(ix.exact, normKey(a), hit{e: id, how: howAlias, via: a})
		}
		if desc != "" {
			key(ix.exact, normKey(desc), hit{e: id, how: howDescEq, via: desc})
			seen := map[string]bool{}
			for _, w := range normTokens(desc) {
				if !seen[w] {
					seen[w] = true
					ix.descToks[w] = append(ix.descToks[w], id)
				}
			}
		}
	}
	nameWords := func(id int32, name string) {
		seen := map[string]bool{}
		for _, w := range normTokens(name) {
			if !seen[w] {
				seen[w] = true
				ix.nameToks[w] = append(ix.nameToks[w], id)
			}
		}
	}

	for _, u := range cat.Users {
		for k, vs := range u.Attributes {
			ix.multi[k] = ix.multi[k] || len(vs) > 1
		}
	}
	for _, k := range sortedKeys(cat.Attributes) {
		attr := cat.Attributes[k]
		kt := normTokens(k)
		if len(kt) > 0 {
			ix.attrHints[strings.Join(kt, " ")] = k
			if last := kt[len(kt)-1]; len(kt) > 1 && len(last) >= 4 && last != "type" && last != "name" && last != "kind" && last != "level" && last != "code" {
				if _, taken := ix.attrHints[last]; !taken {
					ix.attrHints[last] = k
				}
			}
		}
		for _, v := range sortedKeys(attr.Values) {
			val := attr.Values[v]
			id := add(entry{kind: kAttr, key: k, value: v, desc: val.Description})
			t := normTokens(v)
			key(ix.exact, strings.Join(t, " "), hit{e: id, how: howName})
			if lk := lowerKey(v); lk != "" && lk != strings.Join(t, " ") {
				key(ix.exact, lk, hit{e: id, how: howName})
			}
			key(ix.levels, levelBase(t), hit{e: id, how: howLevel})
			described(id, val.Description, val.Aliases)
			nameWords(id, v)
		}
	}
	for _, g := range sortedKeys(cat.Groups) {
		grp := cat.Groups[g]
		id := add(entry{kind: kGroup, key: g, desc: grp.Description})
		key(ix.exact, normKey(g), hit{e: id, how: howName})
		if lk := lowerKey(g); lk != "" && lk != normKey(g) {
			key(ix.exact, lk, hit{e: id, how: howName})
		}
		if short := groupBaseName(g); short != "" && short != normKey(g) {
			// "okta:engineering" is "engineering", unless an attribute
			// value is called that: then it is the "engineering group".
			if len(ix.filter(ix.exact[short], kAttr)) == 0 {
				key(ix.exact, short, hit{e: id, how: howName, via: g})
			}
			for _, w := range []string{"group", "team"} {
				key(ix.exact, short+" "+w, hit{e: id, how: howName, via: g})
			}
		}
		described(id, grp.Description, grp.Aliases)
		nameWords(id, g)
	}
	tagNames := sortedKeys(cat.Tags)
	for _, t := range tagNames {
		tag := cat.Tags[t]
		id := add(entry{kind: kTag, key: t, desc: tag.Description})
		ix.tagIdx[t] = id
		key(ix.exact, normKey(t), hit{e: id, how: howName})
		if lk := lowerKey(t); lk != "" && lk != normKey(t) {
			key(ix.exact, lk, hit{e: id, how: howName}) // "DevOps" typed "devops"
		}
		if k, v, ok := keyValueTag(t); ok {
			// "sensitivity:high" is also "high sensitivity" and "highly
			// sensitive"; "retention=7y" is under "retention".
			for _, alt := range keyValueNames(k, v) {
				key(ix.exact, alt, hit{e: id, how: howLeaf, via: t})
			}
			key(ix.prefixes, normKey(k), hit{e: id, how: howChild, via: k})
		}
		parts := tagPath(t)
		// "US Social Security Number", "US_SOCIAL_SECURITY_NUMBER": the leaf
		// without the country in front, used only when no tag has the
		// shorter name.
		if lt := normTokens(parts[len(parts)-1]); len(lt) >= 3 && isCountryWord(lt[0]) {
			key(ix.tails, strings.Join(lt[1:], " "), hit{e: id, how: howLeaf, via: parts[len(parts)-1]})
		}
		if len(parts) > 1 {
			leaf := parts[len(parts)-1]
			key(ix.exact, normKey(leaf), hit{e: id, how: howLeaf, via: leaf})
			for i := 1; i < len(parts); i++ {
				prefix := tagPrefix(t, i)
				key(ix.prefixes, normKey(prefix), hit{e: id, how: howChild, via: prefix})
				if i > 1 {
					key(ix.prefixes, normKey(parts[i-1]), hit{e: id, how: howChild, via: prefix})
				}
				if _, ok := cat.Tags[prefix]; ok {
					ix.children[prefix] = append(ix.children[prefix], id)
				}
			}
		}
		described(id, tag.Description, tag.Aliases)
		nameWords(id, t)
	}
	for _, a := range cat.Assets {
		tags := append([]string(nil), a.Tags...)
		for _, col := range sortedKeys(a.Columns) {
			tags = append(tags, a.Columns[col]...)
		}
		sort.Strings(tags)
		tags = dedupe(tags)
		id := add(entry{kind: kAsset, key: a.ID, value: a.Name, tags: tags})
		ix.assetIdx[a.ID] = id
		key(ix.exact, normKey(a.ID), hit{e: id, how: howName})
		key(ix.exact, normKey(a.Name), hit{e: id, how: howName})
		if parts := assetPath(a.Name); len(parts) > 1 {
			table := parts[len(parts)-1]
			key(ix.exact, normKey(table), hit{e: id, how: howTable, via: table})
			schema := parts[len(parts)-2]
			key(ix.schemas, normKey(schema), hit{e: id, how: howSchema, via: schema})
			// warehouse prefixes: "fact_sales" is the sales fact table,
			// "tbl_orders" the orders table.
			if tt := warehouseTable(table); len(tt) > 1 {
				switch tt[0] {
				case "fact", "dimension", "agg", "aggregate", "snapshot":
					key(ix.exact, strings.Join(append(tt[1:], tt[0]), " "), hit{e: id, how: howTable, via: table})
				case "tbl", "vw":
					key(ix.exact, strings.Join(tt[1:], " "), hit{e: id, how: howTable, via: table})
				}
			}
			// "the CRM customers table", "finance GL entries": the schema
			// and table together, and longer tails of the path.
			for i := len(parts) - 2; i >= 1; i-- {
				tail := strings.Join(parts[i:], ".")
				key(ix.exact, normKey(tail), hit{e: id, how: howTable, via: tail})
			}
		}
		nameWords(id, a.Name)
	}
	for i := range vocabulary {
		v := &vocabulary[i]
		if len(v.keyHint) > 0 {
			// places expand to country codes; catalogs that spell the
			// countries out ("Germany", "United States") are matched too.
			c := *v
			c.expand = withCountryNames(v.expand)
			v = &c
		}
		for _, p := range v.phrases {
			k := normKey(p)
			ix.vocab[k] = append(ix.vocab[k], v)
		}
	}
	for code, names := range countries {
		v := &vocabEntry{expand: append([]string{code}, names...), keyHint: locationKeys, note: fmt.Sprintf("%s is ISO country code %s", capitalize(names[0]), code)}
		for _, n := range names {
			k := normKey(n)
			ix.vocab[k] = append(ix.vocab[k], v)
		}
	}
	ix.addInitials()
	ix.addGroupInitials()
	ix.recall = &recallIndex{}
	ix.near = map[string][]string{}
	for _, w := range sortedKeys(ix.nameToks) {
		if len(w) < 4 {
			continue
		}
		ix.near["^"+w[:3]] = append(ix.near["^"+w[:3]], w)
		ix.near["$"+w[len(w)-3:]] = append(ix.near["$"+w[len(w)-3:]], w)
	}
	for k := range ix.vocab {
		vs := ix.vocab[k]
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].note < vs[j].note })
	}
	return ix
}

// addInitials makes the initials of a title or group of three or more words
// a name for it ("UAP" is Unlicensed Assistive Personnel, "CSR" a Customer
// Service Representative), as requirement documents abbreviate roles. Only
// people are abbreviated this way, and only when the initials are no other
// name in the catalog and no two entries share them: an abbreviation that
// could mean two things is left unresolved.
func (ix *catalogIndex) addInitials() {
	owners := map[string][]int32{}
	for i := range ix.entries {
		e := &ix.entries[i]
		name := e.value
		if e.kind == kGroup {
			name = e.key
		} else if e.kind != kAttr {
			continue
		}
		initials := initialsOf(name)
		if len(initials) < 3 {
			continue
		}
		k := string(initials)
		if !slices.Contains(owners[k], int32(i)) {
			owners[k] = append(owners[k], int32(i))
		}
	}
	for _, k := range sortedKeys(owners) {
		if functionWords[k] || stopWords[k] || peopleWords[k] || dataWords[k] || negators[k] || conditionLead[k] {
			continue // "WHO", "ALL", "ONE": ordinary words first
		}
		if ids := owners[k]; len(ids) == 1 && len(ix.exact[k]) == 0 && len(ix.vocab[k]) == 0 {
			ix.exact[k] = []hit{{e: ids[0], how: howInitials, via: strings.ToUpper(k)}}
		}
	}
}

// warehouseTable returns the words of a table name that starts with a
// warehouse prefix ("fact_sales", "dim_customer", "tbl_orders"), else nil.
func warehouseTable(table string) []string {
	i := strings.IndexAny(table, "_-. ")
	if i <= 0 {
		return nil
	}
	switch strings.ToLower(table[:i]) {
	case "fact", "fct", "dim", "dimension", "agg", "aggregate", "snapshot", "tbl", "vw":
		return normTokens(table)
	}
	return nil
}

// lowerKey is the key of a camelCase name read as one word ("DevOps" as
// typed "devops"), or "" when the name has no humps.
func lowerKey(name string) string {
	if !hasHump(name) {
		return ""
	}
	return normKey(strings.ToLower(name))
}

// groupPrefixes are the words identity providers and naming conventions put
// in front of a group's real name ("grp-finance-analysts", "team_fraud").
var groupPrefixes = set("grp", "group", "team", "sg", "dl", "role", "ug", "gg", "acl", "okta", "ad", "aad", "gcp", "aws")

// groupBaseName is the normalised name of a group without its namespace
// ("okta:engineering" -> engineering) or conventional prefix
// ("grp-finance-analysts" -> finance analyst), or "" when nothing is left.
func groupBaseName(g string) string {
	// an LDAP distinguished name: "cn=loss-prevention,ou=groups,dc=corp".
	if lower := strings.ToLower(g); strings.HasPrefix(lower, "cn=") {
		g = g[3:]
		if i := strings.IndexByte(g, ','); i >= 0 {
			g = g[:i]
		}
	}
	if i := strings.LastIndexAny(g, ":/\\"); i >= 0 {
		g = g[i+1:]
	}
	// a prefix counts only when a separator other than a space follows it:
	// "grp-finance", "team_fraud", but not "Team Leads".
	for {
		i := strings.IndexAny(g, "-_.")
		if i <= 0 || i == len(g)-1 || strings.ContainsRune(g[:i], ' ') || !groupPrefixes[strings.ToLower(g[:i])] {
			break
		}
		g = g[i+1:]
	}
	return normKey(g)
}

// tagPath splits a tag name into its levels: "PII.Email", "Finance/Revenue".
func tagPath(t string) []string {
	return strings.FieldsFunc(t, isTagSep)
}

func isTagSep(r rune) bool { return r == '.' || r == '/' }

// tagPrefix is the tag name up to its n-th level ("Discovered.Entity" of
// "Discovered.Entity.Email", n=2), as written.
func tagPrefix(t string, n int) string {
	seen := 0
	for i, r := range t {
		if isTagSep(r) {
			if seen++; seen == n {
				return t[:i]
			}
		}
	}
	return t
}

// keyValueTag splits a tag written as key:value or key=value.
func keyValueTag(t string) (string, string, bool) {
	i := strings.IndexAny(t, ":=")
	if i <= 0 || i == len(t)-1 || strings.ContainsAny(t[i+1:], ":=") {
		return "", "", false
	}
	return t[:i], t[i+1:], true
}

var booleanValues = set("true", "false", "yes", "no", "y", "n", "1", "0")

// isCountryWord reports whether w (normalised) is a country code or name
// that qualifies a kind of data ("US Social Security Number").
func isCountryWord(w string) bool {
	if len(w) == 2 || w == "usa" {
		_, ok := countries[strings.ToUpper(w)]
		return ok || w == "uk" || w == "eu" || w == "usa"
	}
	for _, names := range countries {
		for _, n := range names {
			if n == w {
				return true
			}
		}
	}
	return false
}

// withCountryNames adds to a list of country codes the name of each
// ("DE" -> "DE", "germany").
func withCountryNames(codes []string) []string {
	out := append([]string(nil), codes...)
	for _, c := range codes {
		if names, ok := countries[c]; ok {
			out = append(out, names[0])
		}
	}
	return out
}

// degreeAdverbs turn a level into the adverb people put before an
// adjective ("high" -> "highly sensitive").
var degreeAdverbs = map[string]string{"high": "highly", "low": "lowly", "medium": "moderately", "moderate": "moderately", "very high": "very", "extreme": "extremely", "critical": "critically", "strict": "strictly"}

// keyAdjectives are the adjectives of common tag keys ("sensitivity:high"
// is "highly sensitive" data).
var keyAdjectives = map[string]string{"sensitivity": "sensitive", "classification": "classified", "confidentiality": "confidential", "criticality": "critical", "risk": "risky", "privacy": "private"}

// keyValueNames are the names a key:value tag goes by: "sensitivity high",
// "high sensitivity", "highly sensitive" and, when the value is a word of
// its own rather than a degree ("classification:confidential"), the value.
func keyValueNames(k, v string) []string {
	kk, vk := normKey(k), normKey(v)
	if kk == "" || vk == "" {
		return nil
	}
	if booleanValues[vk] {
		if vk == "true" || vk == "yes" || vk == "y" || vk == "1" {
			return []string{kk} // "pii:true" is PII
		}
		return nil // "pii:false" is named only in full
	}
	out := []string{vk + " " + kk}
	if adv, ok := degreeAdverbs[vk]; ok {
		if adj, ok := keyAdjectives[kk]; ok {
			out = append(out, normKey(adv+" "+adj), normKey(vk+" "+adj))
		}
	} else if len(vk) > 2 && !isLevelWord(vk) {
		out = append(out, vk)
	}
	return out
}

// assetPath splits an asset name into its parts: "PROD.FINANCE.GL_ENTRIES",
// "s3://bucket/dir/file", "proj:dataset.table".
func assetPath(name string) []string {
	if i := strings.Index(name, "://"); i >= 0 {
		name = name[i+3:]
	}
	if strings.ContainsRune(name, '/') {
		// a path: folders and a file, whose extension is no part of its name.
		parts := strings.FieldsFunc(name, func(r rune) bool { return r == '/' })
		if n := len(parts); n > 0 {
			if dot := strings.LastIndexByte(parts[n-1], '.'); dot > 0 {
				parts[n-1] = parts[n-1][:dot]
			}
		}
		return parts
	}
	return strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == ':' })
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func (ix *catalogIndex) filter(hs []hit, kinds kindMask) []hit {
	var out []hit
	for _, h := range hs {
		if ix.entries[h.e].kind&kinds != 0 {
			out = append(out, h)
		}
	}
	return out
}

// lookup is the strict match of a normalised phrase: names, aliases, whole
// descriptions, levels of a job, tags under a dotted prefix, and for objects
// the assets of a schema when nothing else matched.
func (ix *catalogIndex) lookup(key string, kinds kindMask) []hit {
	if key == "" {
		return nil
	}
	hs := ix.filter(ix.exact[key], kinds)
	hs = append(hs, ix.filter(ix.levels[key], kinds)...)
	if len(hs) == 0 && kinds&kTag != 0 {
		hs = append(hs, ix.tails[key]...)
	}
	if kinds&kTag != 0 {
		hs = append(hs, ix.prefixes[key]...)
		// a tag also covers the tags under it (PII -> PII.Email).
		n := len(hs)
		for _, h := range hs[:n] {
			if e := &ix.entries[h.e]; e.kind == kTag {
				for _, c := range ix.children[e.key] {
					hs = append(hs, hit{e: c, how: howChild, via: e.key})
				}
			}
		}
	}
	if len(hs) == 0 && kinds&kAsset != 0 {
		hs = ix.schemas[key]
	}
	return dedupeHits(hs)
}

// dedupeHits keeps the first (best) hit per entry, in order.
func dedupeHits(hs []hit) []hit {
	if len(hs) < 2 {
		return hs
	}
	seen := make(map[int32]bool, len(hs))
	out := make([]hit, 0, len(hs))
	for _, h := range hs {
		if !seen[h.e] {
			seen[h.e] = true
			out = append(out, h)
		}
	}
	return out
}

// descContains returns entries whose description contains every word.
func (ix *catalogIndex) descContains(words []string, kinds kindMask) []int32 {
	if len(words) == 0 {
		return nil
	}
	long := false
	for _, w := range words {
		if functionWords[w] {
			return nil // "and" in a description says nothing about the entry
		}
		if len(w) >= 3 && !stopWords[w] {
			long = true
		}
	}
	if !long {
		return nil
	}
	var cur []int32
	for i, w := range words {
		p := ix.descToks[w]
		if len(p) == 0 {
			return nil
		}
		if i == 0 {
			cur = append([]int32(nil), p...)
			continue
		}
		cur = intersect(cur, p)
		if len(cur) == 0 {
			return nil
		}
	}
	out := cur[:0]
	for _, id := range cur {
		if ix.entries[id].kind&kinds != 0 {
			out = append(out, id)
		}
	}
	return out
}

func intersect(a, b []int32) []int32 {
	var out []int32
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			out = append(out, a[i])
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return out
}

// keyMatchesHint reports whether an attribute's key or description contains
// one of the hint words (country codes only apply to country-like keys).
func (ix *catalogIndex) keyMatchesHint(attr string, hints []string) bool {
	if len(hints) == 0 {
		return true
	}
	words := normTokens(attr + " " + ix.cat.Attributes[attr].Description)
	for _, w := range words {
		for _, h := range hints {
			if w == singular(h) {
				return true
			}
		}
	}
	return false
}

// resolved is one way a span of words matched the catalog.
type resolved struct {
	hits  []hit
	score float64 // multiplier for indirect matches (vocabulary)
	why   []string
	text  string // the words that matched, when not the whole run
}

// resolveSpan matches a run of normalised words against the catalog:
// strict lookup first; then an attribute named in the phrase ("PCI
// training" -> trainings); then the built-in vocabulary; then descriptions.
func (ix *catalogIndex) resolveSpan(words []string, kinds kindMask) (resolved, bool) {
	key := strings.Join(words, " ")
	if hs := ix.lookup(key, kinds); len(hs) > 0 {
		return resolved{hits: hs, score: 1}, true
	}
	if alt := reordered(words); alt != "" {
		if hs := ix.lookup(alt, kinds); len(hs) > 0 {
			return resolved{hits: hs, score: 1}, true
		}
	}
	if kinds&kAttr != 0 {
		if r, ok := ix.resolveWithKeyHint(words); ok {
			return r, true
		}
	}
	if vs := ix.vocab[key]; len(vs) > 0 {
		// Expansions that name catalog entries win over expansions found
		// only in descriptions: "card data" is the PCI tag, not every tag
		// whose description mentions payment cards.
		for _, byDesc := range []bool{false, true} {
			var hs []hit
			var why []string
			for _, v := range vs {
				found := false
				for _, x := range v.expand {
					var got []hit
					if !byDesc {
						if xk := normKey(x); xk != key {
							got = ix.lookup(xk, kinds)
						}
					} else {
						ids := ix.descContains(normTokens(x), kinds)
						if kinds&objectKinds == 0 && !ix.someDefining(ids, normTokens(x)) {
							ids = nil
						}
						for _, id := range ids {
							got = append(got, hit{e: id, how: howDescHas, via: x})
						}
					}
					for _, h := range got {
						if e := &ix.entries[h.e]; e.kind == kAttr && !ix.keyMatchesHint(e.key, v.keyHint) {
							continue
						}
						hs = append(hs, h)
						found = true
					}
				}
				if found {
					why = append(why, "built-in vocabulary: "+v.note)
				}
			}
			if hs = dedupeHits(hs); len(hs) > 0 {
				return resolved{hits: hs, score: 0.9, why: why}, true
			}
		}
	}
	// Descriptions are prose: a word found there names a person only when it
	// is a word for a person ("comptroller" in "acting as comptroller"), not
	// any word ("tax" in "prepares tax filings").
	if kinds&(objectKinds|kCondition) == 0 && !personNoun(words[len(words)-1]) {
		return resolved{}, false
	}
	ids := ix.descContains(words, kinds)
	// Conditions too: "on call" is not the customer service representative
	// whose description says "Answers customer calls".
	if kinds&objectKinds == 0 && !ix.someDefining(ids, words) {
		ids = nil
	}
	if len(ids) > 0 && len(ids) <= 4 && sameFamily(ix, ids) {
		hs := make([]hit, len(ids))
		for i, id := range ids {
			hs[i] = hit{e: id, how: howDescHas, via: key}
		}
		return resolved{hits: hs, score: 1}, true
	}
	return resolved{}, false
}

// reordered is the other way a name is written, or "": a level in front
// ("L5 research scientists" for Research Scientist L5) or an "of" inside
// ("VP of Finance" for VP Finance).
func reordered(words []string) string {
	if len(words) < 2 || len(words) > 6 {
		return ""
	}
	if isLevelWord(words[0]) && !isLevelWord(words[1]) {
		return strings.Join(words[1:], " ") + " " + words[0]
	}
	for i := 1; i < len(words)-1; i++ {
		if words[i] == "of" && !stopWords[words[i+1]] {
			return strings.Join(words[:i], " ") + " " + strings.Join(words[i+1:], " ")
		}
	}
	return ""
}

// sameFamily: description matches are only trusted when they all land in one
// attribute, or all on tags: a word that appears across the catalog is noise.
func sameFamily(ix *catalogIndex, ids []int32) bool {
	first := &ix.entries[ids[0]]
	for _, id := range ids[1:] {
		e := &ix.entries[id]
		if e.kind != first.kind || (e.kind == kAttr && e.key != first.key) || e.kind == kGroup || e.kind == kAsset {
			return false
		}
	}
	return true
}

// resolveWithKeyHint handles phrases that name the attribute they mean:
// "security awareness training" (trainings), "the finance department".
// The rest of the phrase must name a value of that attribute exactly, or be
// part of exactly one of its values ("PCI training" -> "PCI DSS").
func (ix *catalogIndex) resolveWithKeyHint(words []string) (resolved, bool) {
	for n := 2; n >= 1; n-- {
		for i := 0; i+n <= len(words); i++ {
			attr, ok := ix.attrHints[strings.Join(words[i:i+n], " ")]
			if !ok {
				continue
			}
			rest := append(append([]string(nil), words[:i]...), words[i+n:]...)
			if len(rest) == 0 {
				continue
			}
			var hs []hit
			for _, h := range ix.lookup(strings.Join(rest, " "), kAttr) {
				if ix.entries[h.e].key == attr {
					hs = append(hs, h)
				}
			}
			if len(hs) == 0 {
				var only []int32
				for _, v := range sortedKeys(ix.cat.Attributes[attr].Values) {
					if containsAll(normTokens(v), rest) {
						for _, h := range ix.exact[normKey(v)] {
							if e := &ix.entries[h.e]; e.kind == kAttr && e.key == attr && e.value == v {
								only = append(only, h.e)
							}
						}
					}
				}
				if len(only) == 1 {
					hs = []hit{{e: only[0], how: howKeyPart, via: strings.Join(rest, " ")}}
				}
			}
			if len(hs) > 0 {
				return resolved{hits: hs, score: 1, text: strings.Join(rest, " "), why: []string{fmt.Sprintf("the phrase names the attribute %s", attr)}}, true
			}
		}
	}
	return resolved{}, false
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// match turns a hit into the evidence shown to people.
func (ix *catalogIndex) match(h hit, phrase string, r resolved) Match {
	mult, extra := r.score, r.why
	if r.text != "" {
		phrase = r.text
	}
	e := &ix.entries[h.e]
	m := Match{Kind: e.kind.String(), Key: e.key, Score: round2(howScore[h.how] * mult)}
	if e.kind == kAttr {
		m.Value = e.value
	}
	if e.kind == kAsset {
		m.Value = e.value
	}
	var why string
	switch h.how {
	case howName:
		why = fmt.Sprintf("%q matches %s by name", phrase, e.label())
		if strings.ToLower(squeeze(phrase)) != strings.ToLower(e.displayName()) {
			why += " (ignoring case, punctuation and plurals)"
		}
	case howAlias:
		why = fmt.Sprintf("%q is an alias of %s", h.via, e.label())
	case howDescEq:
		why = fmt.Sprintf("%s is described as %q", e.label(), h.via)
	case howLeaf:
		why = fmt.Sprintf("%q is the last part of %s", h.via, e.label())
	case howTable:
		why = fmt.Sprintf("%q is the table name of %s", h.via, e.label())
	case howLevel:
		why = fmt.Sprintf("%s is a level of %q", e.label(), phrase)
	case howChild:
		why = fmt.Sprintf("%s is under %q in the tag hierarchy", e.label(), h.via)
	case howSchema:
		why = fmt.Sprintf("%s is in schema %q", e.label(), h.via)
	case howKeyPart:
		why = fmt.Sprintf("%q is part of %s, the only %s value containing it", h.via, e.label(), e.key)
	case howDescHas:
		why = fmt.Sprintf("the description of %s mentions %q: %q", e.label(), h.via, e.desc)
	case howInitials:
		why = fmt.Sprintf("%q is the initials of %s", h.via, e.label())
	case howHead:
		why = fmt.Sprintf("%q is the last word of %s, and of no other title or group in the catalog (no other name has the word at all)", h.via, e.label())
	case howNear:
		why = fmt.Sprintf("every word of %q is in %s, and all of them together are in no other name of a table or tag in the catalog", phrase, h.via)
		if !strings.Contains(h.via, e.label()) {
			why += fmt.Sprintf(", which is %s", e.label())
		}
	}
	if len(extra) > 0 {
		why = strings.Join(extra, "; ") + "; " + why
	}
	m.Why = why
	return m
}

func (e *entry) displayName() string {
	switch e.kind {
	case kAttr, kAsset:
		return e.value
	}
	return e.key
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// candidates lists what a phrase may mean, best first: strict and vocabulary
// matches, then entries sharing words with the phrase (by name or
// description), then names within a small edit distance. It is generous on
// purpose: it feeds suggestions and the Gemini engine's retrieval, never a
// policy directly.
func (ix *catalogIndex) candidates(phrase string, kinds kindMask, k int) []Match {
	if k <= 0 {
		return nil
	}
	words := contentWords(normTokens(truncateRunes(phrase, 200)))
	if len(words) == 0 {
		return nil
	}
	best := map[int32]Match{}
	order := []int32{}
	addM := func(id int32, m Match) {
		if old, ok := best[id]; ok && old.Score >= m.Score {
			return
		}
		if _, ok := best[id]; !ok {
			order = append(order, id)
		}
		best[id] = m
	}
	if r, ok := ix.resolveSpan(words, kinds); ok {
		for _, h := range r.hits {
			addM(h.e, ix.match(h, phrase, r))
		}
	}
	// sub-spans resolve too ("confidential PCI data" -> PCI, Confidential).
	for n := len(words) - 1; n >= 1 && len(words) <= 8; n-- {
		for i := 0; i+n <= len(words); i++ {
			if r, ok := ix.resolveSpan(words[i:i+n], kinds); ok {
				sub := strings.Join(words[i:i+n], " ")
				for _, h := range r.hits {
					m := ix.match(h, sub, r)
					m.Score = round2(m.Score * 0.8 * float64(n) / float64(len(words)))
					addM(h.e, m)
				}
			}
		}
	}
	// shared words.
	overlap := map[int32]int{}
	const perWord = 5000
	for _, w := range words {
		for i, id := range ix.nameToks[w] {
			if i >= perWord {
				break
			}
			overlap[id]++
		}
		for i, id := range ix.descToks[w] {
			if i >= perWord {
				break
			}
			overlap[id]++
		}
	}
	ids := make([]int32, 0, len(overlap))
	for id := range overlap {
		if ix.entries[id].kind&kinds != 0 {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		if overlap[ids[i]] != overlap[ids[j]] {
			return overlap[ids[i]] > overlap[ids[j]]
		}
		return ids[i] < ids[j]
	})
	if len(ids) > 4*k {
		ids = ids[:4*k]
	}
	for _, id := range ids {
		e := &ix.entries[id]
		nw := len(normTokens(e.displayName()))
		score := 0.5 * float64(overlap[id]) / float64(max(len(words), nw))
		addM(id, Match{Kind: e.kind.String(), Key: e.key, Value: valueOf(e), Score: round2(score),
			Why: fmt.Sprintf("%s shares %d of the words of %q", e.label(), min(overlap[id], len(words)), phrase)})
	}
	// near spellings ("acountants", "pilot" vs "pilots").
	if len(best) < k {
		for _, w := range words {
			if len(w) < 4 {
				continue
			}
			for _, tw := range ix.nearWords(w) {
				for i, id := range ix.nameToks[tw] {
					if i >= 50 {
						break
					}
					if e := &ix.entries[id]; e.kind&kinds != 0 {
						addM(id, Match{Kind: e.kind.String(), Key: e.key, Value: valueOf(e), Score: 0.2,
							Why: fmt.Sprintf("%q is spelled like %q in %s", w, tw, e.label())})
					}
				}
			}
		}
	}
	out := make([]Match, 0, len(order))
	for _, id := range order {
		out = append(out, best[id])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > k {
		out = out[:k]
	}
	return out
}

func valueOf(e *entry) string {
	if e.kind == kAttr || e.kind == kAsset {
		return e.value
	}
	return ""
}

// nearWords returns catalog name words within edit distance 1 (2 for long
// words) of w. A typo rarely touches both ends of a word, so only words
// sharing w's first or last three letters are compared.
func (ix *catalogIndex) nearWords(w string) []string {
	limit := 1
	if len(w) >= 8 {
		limit = 2
	}
	var out []string
	for b, bucket := range [][]string{ix.near["^"+w[:3]], ix.near["$"+w[len(w)-3:]]} {
		for i, tw := range bucket {
			if i >= 300 || len(out) >= 5 {
				break
			}
			if tw == w || abs(len(tw)-len(w)) > limit || (b == 1 && tw[:3] == w[:3]) {
				continue // the second bucket skips what the first one saw
			}
			if editDistance(w, tw, limit) <= limit {
				out = append(out, tw)
			}
		}
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// editDistance is Levenshtein distance over bytes, giving up above limit.
// Words longer than 63 bytes are never near anything.
func editDistance(a, b string, limit int) int {
	if abs(len(a)-len(b)) > limit || len(a) > 63 || len(b) > 63 {
		return limit + 1
	}
	var prevA, curA [64]int
	prev, cur := prevA[:len(b)+1], curA[:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// contentWords drops words that carry no meaning in a phrase.
func contentWords(words []string) []string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		if !stopWords[w] && !functionWords[w] && !conditionLead[w] && !negators[w] {
			out = append(out, w)
		}
	}
	return out
}

// Candidates returns up to k catalog entries (attribute values, groups, tags,
// assets) that phrase may mean, best first, each with a score and reason.
// It builds a resolution index for the catalog on every call; engines that
// draft many sentences should use (*Builtin).Candidates, which caches it.
func Candidates(cat *policy.Catalog, phrase string, k int) []Match {
	if cat == nil {
		return nil
	}
	return newCatalogIndex(cat).candidates(phrase, allKinds, k)
}

// personNoun reports whether a (singular) word looks like a word for a
// person or a role: lawyer, auditor, pharmacist, accountant, physician.
func personNoun(w string) bool {
	for _, suf := range []string{"er", "or", "ist", "ant", "ent", "ian", "man", "woman", "eer", "ive", "rep", "ee", "nurse", "head", "lead", "chief", "staff", "officer", "clerk", "agent"} {
		if strings.HasSuffix(w, suf) && len(w) > len(suf)+1 {
			return true
		}
	}
	return false
}

// descriptionBreaks end the defining head of a description ("Senior
// accountant | who reviews ...").
var descriptionBreaks = set("who", "that", "which", "whose", "for", "of", "with", "in", "on", "by", "at", "to",
	"from", "and", "or", "but", "supports", "support", "helps", "assists", "reports", "serves", "works")

// definingMention reports whether words appear in desc where a description
// says what its entry is: in the leading noun phrase, or right after "as",
// "called", "aka".
func definingMention(description string, words []string) bool {
	desc := normTokens(description)
	if len(words) == 0 || len(desc) < len(words) {
		return false
	}
	// A description that starts with a verb ("Supports ...", "Prepares
	// ...") says what the entry does; only "as X" in it names a role.
	raw := tokens(description)
	verbFirst := len(raw) > 0 && strings.HasSuffix(raw[0], "s") && !strings.HasSuffix(raw[0], "ss") && !strings.HasSuffix(raw[0], "us") && !strings.HasSuffix(raw[0], "is")
	head := len(desc)
	if verbFirst {
		head = 0 // "Supports the office manager": an activity, not an identity
	}
	for i := 1; i < head; i++ {
		if descriptionBreaks[desc[i]] {
			head = i
			break
		}
	}
	for i := 0; i+len(words) <= len(desc); i++ {
		match := true
		for j, w := range words {
			if desc[i+j] != w {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		if i+len(words) <= head && head > 0 {
			return true
		}
		if i > 0 && (desc[i-1] == "as" || desc[i-1] == "called" || desc[i-1] == "aka" || desc[i-1] == "named") {
			return true
		}
	}
	return false
}

// someDefining: descriptions name a kind of person only when at least one of
// them says its entry is one ("Lead accountant acting as comptroller");
// then the entries whose descriptions tie them to that role ("supports the
// comptroller") count too. Mentions alone ("prepares files for loan
// officers") never do.
func (ix *catalogIndex) someDefining(ids []int32, words []string) bool {
	for _, id := range ids {
		if definingMention(ix.entries[id].desc, words) {
			return true
		}
	}
	return false
}

// capitalize upper-cases the first letter of each word ("united states" ->
// "United States").
func capitalize(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// initialsOf is the first letters of name's words, function words left
// out ("Unlicensed Assistive Personnel" -> uap), or nil when a word does not
// start with a letter.
func initialsOf(name string) []byte {
	var initials []byte
	for _, w := range normTokens(name) {
		if functionWords[w] || w == "" {
			continue
		}
		if w[0] < 'a' || w[0] > 'z' {
			return nil
		}
		initials = append(initials, w[0])
	}
	return initials
}
