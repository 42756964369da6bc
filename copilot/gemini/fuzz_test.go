package gemini

import (
	"encoding/json"
	"testing"

	"github.com/steward-dev/steward/copilot"
)

// FuzzAnswer feeds arbitrary model output to the parser and the builder:
// nothing may panic, and whatever becomes a policy names only candidates
// that were offered.
func FuzzAnswer(f *testing.F) {
	cat := testCatalog(f)
	dec, err := copilot.Decompose(fraudSentence)
	if err != nil {
		f.Fatal(err)
	}
	r := retrieve(cat, dec, DefaultCandidates, overlapCandidates)

	good, _ := json.Marshal(fraudAnswer())
	f.Add(string(good))
	f.Add(`{"is_policy":false,"refusal":"no"}`)
	f.Add("```json\n" + string(good) + "\n```")
	f.Add(`{"is_policy":true,"effect":"allow","action":"read","duration":"720h","subjects":[{"phrase":"Fraud analysts","everyone":true}],"objects":[{"phrase":"credit card numbers","clauses":[{"none_tags":["tag:PCI"]}]}],"unresolved":[]}`)
	f.Add(`{"is_policy":true,"subjects":[{"phrase":"Fraud analysts","terms":[{"any_of":["group:fraud-squad","attribute:job_title=Fraud Analyst","attribute:trainings=PCI DSS"],"negate":true}]}]}`)
	f.Add(`[1,2,3]`)
	f.Add(`{"is_policy":true}{"x":1}`)

	allowed := map[string]bool{}
	for ref := range r.byRef {
		allowed[ref] = true
	}
	f.Fuzz(func(t *testing.T, text string) {
		a, err := parseAnswer(text)
		if err != nil {
			return
		}
		d := build(cat, r, a, copilot.Draft{Sentence: fraudSentence, Decomposition: dec})
		if d.Policy == nil {
			if d.Error == "" {
				t.Fatalf("no policy and no reason for %q", text)
			}
			return
		}
		if d.Error != "" {
			t.Fatalf("a policy together with an error %q", d.Error)
		}
		if len(d.Policy.Subjects) == 0 || len(d.Policy.Subjects) > maxClauses {
			t.Fatalf("%d subject clauses", len(d.Policy.Subjects))
		}
		for _, cl := range d.Policy.Subjects {
			for _, tm := range cl {
				if tm.Group != "" && !allowed["group:"+tm.Group] {
					t.Fatalf("group %q was never offered", tm.Group)
				}
				for _, v := range tm.Values {
					if !allowed["attribute:"+tm.Attribute+"="+v] {
						t.Fatalf("%s=%q was never offered", tm.Attribute, v)
					}
				}
			}
		}
		if len(d.Policy.Objects) == 0 {
			t.Fatal("a policy without objects")
		}
		for _, o := range d.Policy.Objects {
			if o.Asset != "" && (len(o.AllTags) > 0 || len(o.NoneTags) > 0) {
				t.Fatalf("clause mixes asset and tags: %+v", o)
			}
			if o.Asset == "" && len(o.AllTags) == 0 {
				t.Fatalf("clause without an asset or required tags: %+v", o)
			}
			if o.Asset != "" && !allowed["asset:"+o.Asset] {
				t.Fatalf("asset %q was never offered", o.Asset)
			}
			for _, tg := range append(append([]string{}, o.AllTags...), o.NoneTags...) {
				if !allowed["tag:"+tg] {
					t.Fatalf("tag %q was never offered", tg)
				}
			}
		}
	})
}
