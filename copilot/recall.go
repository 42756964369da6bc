package copilot

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Recall without over-grants: three readings a careful person is sure of,
// each used only where the strict resolution found nothing and only when it
// picks out one thing in the catalog. When several things fit, the phrase is
// refused with them as the candidates.
//
//   - a role by its head noun: "Tellers" for the job title "Bank Teller",
//     when no other title or group ends in, or even contains, "teller";
//   - data by some of the words of its name: "card numbers" for the tag
//     "Payment Card Number" or the column card_number, "product prices" for
//     the table products.price_list, when no other table or tag has all the
//     words;
//   - the two-letter initials of a group followed by "members" ("PC members"
//     for the Program Committee), when no other group has those initials and
//     they are no ordinary word.

// recallIndex holds what the near readings look up. It is built the first
// time a phrase does not resolve strictly, so that catalogs whose sentences
// all resolve never pay for it.
type recallIndex struct {
	once       sync.Once
	heads      map[string][]int32 // last word of a title or group of two or more words -> entries
	nearNames  []nearName         // names an object phrase may use some of the words of
	nearByWord map[string][]int32 // word -> nearNames holding it
}

// recallIdx returns the recall index, building it once.
func (ix *catalogIndex) recallIdx() *recallIndex {
	ri := ix.recall
	ri.once.Do(func() {
		ri.heads = ix.buildHeads()
		ri.nearNames, ri.nearByWord = ix.buildNearNames()
	})
	return ri
}

// nearName is one name of a table or tag (its name, an alias, a short
// description, or the name of a column carrying exactly one tag) whose words
// an object phrase may use some of.
type nearName struct {
	words []string   // normalised, deduplicated
	own   []string   // the words of the thing's own name: a table's, not its schema's or bucket's
	e     int32      // the tag or asset entry it names
	via   string     // how it is shown in the evidence
	cols  [][]string // a column's name: the names of every column carrying its tag
}

// maxNearDescWords bounds the descriptions taken as names: a long
// description mentions too much to be read as a name.
const maxNearDescWords = 8

// buildNearNames indexes the names of tables and tags by word.
func (ix *catalogIndex) buildNearNames() ([]nearName, map[string][]int32) {
	var nearNames []nearName
	nearByWord := map[string][]int32{}
	add := func(text string, e int32, via string) bool {
		ws := uniqueWords(normTokens(text))
		if len(ws) == 0 {
			return false
		}
		own := ws
		if ix.entries[e].kind == kAsset {
			parts := assetPath(text)
			own = normTokens(parts[len(parts)-1])
		}
		id := int32(len(nearNames))
		nearNames = append(nearNames, nearName{words: ws, own: own, e: e, via: via})
		for _, w := range ws {
			nearByWord[w] = append(nearByWord[w], id)
		}
		return true
	}
	for _, t := range sortedKeys(ix.cat.Tags) {
		id, ok := ix.tagIdx[t]
		if !ok {
			continue
		}
		if len(ix.children[t]) > 0 {
			continue // a tag over other tags: its near forms are not read
		}
		tag := ix.cat.Tags[t]
		add(t, id, fmt.Sprintf("the name of tag %q", t))
		for _, a := range tag.Aliases {
			add(a, id, fmt.Sprintf("the alias %q of tag %q", a, t))
		}
		if d := tag.Description; d != "" && len(normTokens(d)) <= maxNearDescWords {
			add(d, id, fmt.Sprintf("the description %q of tag %q", d, t))
		}
	}
	// A column's name stands for its tag only when the tag is on no table
	// as a whole and every column carrying it has the words asked for: then
	// the tag is that kind of column, and no more.
	onTable := map[string]bool{}
	tagCols := map[string][][]string{}
	for _, a := range ix.cat.Assets {
		for _, t := range a.Tags {
			onTable[t] = true
		}
		for _, col := range sortedKeys(a.Columns) {
			for _, t := range a.Columns[col] {
				tagCols[t] = append(tagCols[t], normTokens(col))
			}
		}
	}
	for _, a := range ix.cat.Assets {
		id, ok := ix.assetIdx[a.ID]
		if !ok {
			continue
		}
		add(a.Name, id, fmt.Sprintf("the name of asset %s", a.ID))
		for _, col := range sortedKeys(a.Columns) {
			tags := a.Columns[col]
			if len(tags) != 1 || onTable[tags[0]] {
				continue // a column with several tags names no one of them
			}
			if tid, ok := ix.tagIdx[tags[0]]; ok && len(ix.children[tags[0]]) == 0 {
				if n := len(nearNames); add(col, tid, fmt.Sprintf("column %s of %s, which carries tag %q", col, a.ID, tags[0])) {
					nearNames[n].cols = tagCols[tags[0]]
				}
			}
		}
	}
	return nearNames, nearByWord
}

func uniqueWords(ws []string) []string {
	out := make([]string, 0, len(ws))
	seen := map[string]bool{}
	for _, w := range ws {
		if w != "" && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// nearObject resolves an object phrase the strict resolution could not:
// every content word of the phrase (two or more) is a word of one name of a
// table or tag, and the names holding all of them name one table or tag.
// problem is set when they name several: the phrase is then refused.
func (ix *catalogIndex) nearObject(words []string) (r resolved, problem string, ok bool) {
	content := make([]string, 0, len(words))
	head := "" // the word the phrase is about: "numbers" in "card numbers", "names" in "names of authors"
	for _, w := range words {
		if w == "of" && head == "" && len(content) > 0 {
			head = content[len(content)-1]
		}
		switch {
		case stopWords[w], dataWords[w], objectLinkers[w], functionWords[w]:
			continue
		case negators[w], relationalWords[w]:
			return resolved{}, "", false
		}
		if len(w) < 2 {
			return resolved{}, "", false
		}
		content = append(content, w)
	}
	if len(content) > 0 && head == "" {
		head = content[len(content)-1]
	}
	content = uniqueWords(content)
	if len(content) < 2 || len(content) > 6 {
		return resolved{}, "", false
	}
	// the rarest word picks the names to compare
	ri := ix.recallIdx()
	first := content[0]
	for _, w := range content[1:] {
		if len(ri.nearByWord[w]) < len(ri.nearByWord[first]) {
			first = w
		}
	}
	var hits []hit
	found := map[int32]bool{}
	for _, id := range ri.nearByWord[first] {
		n := &ri.nearNames[id]
		// every word is in the name, and the word the phrase is about is in
		// the table's own name: "the employees export" is not the table
		// employees in the bucket hr-exports
		if !containsAll(n.words, content) || !containsAll(n.own, []string{head}) {
			continue
		}
		if !allColumnsHave(n.cols, content) {
			continue
		}
		if !found[n.e] {
			found[n.e] = true
			hits = append(hits, hit{e: n.e, how: howNear, via: n.via})
		}
	}
	switch len(hits) {
	case 0:
		return resolved{}, "", false
	case 1:
		return resolved{hits: hits, score: 1, text: strings.Join(content, " ")}, "", true
	}
	var names []string
	for _, h := range hits {
		names = append(names, ix.entries[h.e].label())
	}
	sort.Strings(names)
	return resolved{}, fmt.Sprintf("no table or tag is called that, and its words are in several: it could mean %s; say which", strings.Join(firstN(names, 6), " or ")), false
}

// buildHeads indexes titles and groups of two or more words by their last
// word, leaving out a trailing level ("Bank Teller II" ends in "teller").
func (ix *catalogIndex) buildHeads() map[string][]int32 {
	heads := map[string][]int32{}
	for i := range ix.entries {
		e := &ix.entries[i]
		var name string
		switch e.kind {
		case kAttr:
			name = e.value
		case kGroup:
			name = e.key
		default:
			continue
		}
		t := normTokens(name)
		for len(t) > 1 && isLevelWord(t[len(t)-1]) {
			t = t[:len(t)-1]
		}
		if len(t) < 2 {
			continue
		}
		heads[t[len(t)-1]] = append(heads[t[len(t)-1]], int32(i))
	}
	return heads
}

// headNoun resolves a subject of one word for a person ("Tellers") that is
// the last word of exactly one title or group ("Bank Teller") and appears in
// no other name of people at all. problem is set when it is the last word of
// several ("Analysts": Fraud Analyst, Data Analyst) or is also in another
// name ("Nurses" against Head Nurse and Nurse Practitioner).
func (ix *catalogIndex) headNoun(words []string, filler map[string]bool) (seg, string, bool) {
	var w string
	for _, x := range words {
		if filler[x] || stopWords[x] {
			continue
		}
		if w != "" {
			return seg{}, "", false
		}
		w = x
	}
	if w == "" || !personNoun(w) && !genericHeads[w] {
		return seg{}, "", false
	}
	heads := ix.recallIdx().heads[w]
	if len(heads) == 0 {
		return seg{}, "", false
	}
	all := map[int32]bool{}
	var ids []int32
	for _, id := range heads {
		if !all[id] {
			all[id] = true
			ids = append(ids, id)
		}
	}
	for _, id := range ix.nameToks[w] {
		if ix.entries[id].kind&subjectKinds != 0 && !all[id] {
			all[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 1 && genericHeads[w] {
		return seg{}, "", false
	}
	if len(ids) == 1 {
		return seg{words: []string{w}, r: resolved{hits: []hit{{e: ids[0], how: howHead, via: w}}, score: 1}}, "", true
	}
	var names []string
	for _, id := range ids {
		names = append(names, ix.entries[id].label())
	}
	sort.Strings(names)
	return seg{}, fmt.Sprintf("%q is part of several titles or groups: it could mean %s; say which", w, strings.Join(firstN(names, 6), " or ")), false
}

// genericHeads name a rank or a function found in every line of work
// ("Managers", "officers", "clerks"): the one title of the catalog that ends
// in one is not what the word means, so it is never read as that title.
var genericHeads = set("manager", "director", "officer", "head", "lead", "chief", "supervisor", "administrator",
	"coordinator", "assistant", "associate", "executive", "representative", "agent", "specialist", "consultant",
	"owner", "president", "partner", "clerk", "analyst", "engineer", "operator", "technician", "worker", "member",
	"advisor", "adviser", "leader", "employee", "contractor", "intern", "trainee", "volunteer", "user", "admin",
	"developer", "scientist", "architect", "planner", "controller", "secretary", "investigator", "inspector")

// twoLetterWords are ordinary words and common abbreviations of two letters
// that are never read as initials.
var twoLetterWords = set("am", "an", "as", "at", "be", "by", "do", "go", "he", "hi", "if", "in", "is", "it",
	"me", "my", "no", "of", "oh", "ok", "on", "or", "so", "to", "up", "us", "we", "id", "ip", "ai", "ml",
	"qa", "hr", "pr", "vp", "gl", "ap", "ar", "tv", "pm", "uk", "eu", "ex", "re", "vs", "ie", "eg")

// addGroupInitials makes "XY member" a name of a group of two words whose
// initials are XY ("PC members" for the Program Committee): a group is what
// has members. Only when no other group has the same initials, and the
// initials are no ordinary word, country code or other name in the catalog.
// Two letters alone ("DAs") stay unresolved: too few to be sure of.
func (ix *catalogIndex) addGroupInitials() {
	owners := map[string][]int32{}
	for i := range ix.entries {
		e := &ix.entries[i]
		if e.kind != kGroup {
			continue
		}
		name := e.key
		if short := groupBaseName(e.key); short != "" {
			name = short // "grp-program-committee" is the Program Committee
		}
		initials := initialsOf(name)
		if len(initials) != 2 {
			continue
		}
		k := string(initials)
		owners[k] = append(owners[k], int32(i))
	}
	for _, k := range sortedKeys(owners) {
		if twoLetterWords[k] || functionWords[k] || stopWords[k] || peopleWords[k] || dataWords[k] || negators[k] ||
			conditionLead[k] || firstPerson[k] || isCountryWord(k) {
			continue
		}
		if _, ok := abbreviations[k]; ok {
			continue
		}
		name := k + " member"
		if ids := owners[k]; len(ids) == 1 && len(ix.exact[k]) == 0 && len(ix.exact[name]) == 0 && len(ix.vocab[k]) == 0 {
			ix.exact[name] = []hit{{e: ids[0], how: howInitials, via: strings.ToUpper(k)}}
		}
	}
}

// allColumnsHave reports whether every column name holds every word.
func allColumnsHave(cols [][]string, words []string) bool {
	for _, c := range cols {
		if !containsAll(c, words) {
			return false
		}
	}
	return true
}
