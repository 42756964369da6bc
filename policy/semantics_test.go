package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const semCatalog = `
attributes:
  title: {values: {Accountant: {}, Analyst: {}, Engineer: {}}}
  trainings: {values: {SOX: {}, PCI: {}}}
groups:
  fraud: {}
  interns: {}
tags:
  PII: {}
  PCI: {}
  Finance: {}
  Public: {}
users:
  - {id: acc, name: Acc, attributes: {title: Accountant, trainings: [SOX]}}
  - {id: acc2, name: Acc2, attributes: {title: Accountant}, groups: [interns]}
  - {id: ana, name: Ana, attributes: {title: Analyst, trainings: [SOX, PCI]}, groups: [fraud]}
  - {id: eng, name: Eng, attributes: {title: Engineer}}
  - {id: none, name: None}
assets:
  - {id: ledger, name: ledger, tags: [Finance]}
  - {id: cards, name: cards, tags: [Finance], columns: {pan: [PCI, PII], amount: []}}
  - {id: people, name: people, columns: {name: [PII]}}
  - {id: stores, name: stores, tags: [Public]}
`

func semCat(t *testing.T) *Catalog {
	t.Helper()
	c, err := ParseCatalog("sem.yaml", []byte(semCatalog))
	require.NoError(t, err)
	return c
}

func attr(k string, vs ...string) Term { return Term{Attribute: k, Values: vs} }
func grp(g string) Term                { return Term{Group: g} }
func not(t Term) Term                  { t.Negate = true; return t }
func tags(all ...string) Clause        { return Clause{AllTags: all} }

// Every term and clause form, checked three ways: the reference matchers,
// the bitmap index, and the Cedar export (in the differential test).
func TestSubjectsSemantics(t *testing.T) {
	c := semCat(t)
	ix := NewIndex(c)
	cases := []struct {
		name     string
		subjects [][]Term
		want     []string
	}{
		{"everyone [[]]", [][]Term{{}}, []string{"acc", "acc2", "ana", "eng", "none"}},
		{"nobody []", [][]Term{}, []string{}},
		{"nobody nil", nil, []string{}},
		{"single value", [][]Term{{attr("title", "Accountant")}}, []string{"acc", "acc2"}},
		{"any of values", [][]Term{{attr("title", "Accountant", "Engineer")}}, []string{"acc", "acc2", "eng"}},
		{"multi-valued attribute", [][]Term{{attr("trainings", "PCI")}}, []string{"ana"}},
		{"negated attribute includes users without it", [][]Term{{not(attr("trainings", "SOX"))}}, []string{"acc2", "eng", "none"}},
		{"group", [][]Term{{grp("fraud")}}, []string{"ana"}},
		{"negated group", [][]Term{{not(grp("interns"))}}, []string{"acc", "ana", "eng", "none"}},
		{"AND within a clause", [][]Term{{attr("title", "Accountant"), attr("trainings", "SOX")}}, []string{"acc"}},
		{"AND with negation", [][]Term{{attr("title", "Accountant"), not(grp("interns"))}}, []string{"acc"}},
		{"OR across clauses", [][]Term{{grp("fraud")}, {attr("title", "Engineer")}}, []string{"ana", "eng"}},
		{"everyone clause in an OR", [][]Term{{grp("fraud")}, {}}, []string{"acc", "acc2", "ana", "eng", "none"}},
		{"unknown value matches nobody", [][]Term{{attr("title", "CEO")}}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, u := range c.Users {
				if MatchesUser(u, tc.subjects) {
					got = append(got, u.ID)
				}
			}
			assert.ElementsMatch(t, tc.want, got, "MatchesUser")
			imp := ix.Impact(Policy{Subjects: tc.subjects, Objects: []Clause{tags("Finance")}})
			assert.Equal(t, tc.want, imp.Users, "Index.Impact")
		})
	}
}

func TestObjectsSemantics(t *testing.T) {
	c := semCat(t)
	ix := NewIndex(c)
	cases := []struct {
		name    string
		objects []Clause
		want    []string
	}{
		{"nothing []", []Clause{}, []string{}},
		{"table tag", []Clause{tags("Finance")}, []string{"cards", "ledger"}},
		{"column tag counts", []Clause{tags("PII")}, []string{"cards", "people"}},
		{"all tags across table and column", []Clause{tags("Finance", "PCI")}, []string{"cards"}},
		{"none_tags excludes", []Clause{{AllTags: []string{"PII"}, NoneTags: []string{"PCI"}}}, []string{"people"}},
		{"none_tags on a column excludes", []Clause{{AllTags: []string{"Finance"}, NoneTags: []string{"PII"}}}, []string{"ledger"}},
		{"asset by id", []Clause{{Asset: "stores"}}, []string{"stores"}},
		{"OR of clauses", []Clause{{Asset: "stores"}, tags("PCI")}, []string{"cards", "stores"}},
		{"empty all_tags selects nothing", []Clause{{NoneTags: []string{"PII"}}}, []string{}},
		{"unknown asset", []Clause{{Asset: "nope"}}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, a := range c.Assets {
				if MatchesAsset(a.ID, c.AssetTags(a.ID), tc.objects) {
					got = append(got, a.ID)
				}
			}
			assert.ElementsMatch(t, tc.want, got, "MatchesAsset")
			imp := ix.Impact(Policy{Subjects: [][]Term{{}}, Objects: tc.objects})
			assert.Equal(t, tc.want, imp.Assets, "Index.Impact")
		})
	}
}

func TestValidatePolicy(t *testing.T) {
	c := semCat(t)
	ok := Policy{Effect: Allow, Action: Read, Subjects: [][]Term{{attr("title", "Analyst")}}, Objects: []Clause{tags("PCI")}}
	require.NoError(t, c.ValidatePolicy(ok))
	require.NoError(t, c.ValidatePolicy(Policy{Effect: Mask, Action: Read, Subjects: [][]Term{}, Objects: []Clause{}}))

	cases := []struct {
		name string
		mod  func(p *Policy)
		want string
	}{
		{"effect", func(p *Policy) { p.Effect = "permit" }, `effect "permit" is not one of allow, deny, mask`},
		{"action", func(p *Policy) { p.Action = "" }, `action is missing`},
		{"unknown attribute", func(p *Policy) { p.Subjects = [][]Term{{attr("titel", "Analyst")}} }, `subjects[0][0]: unknown attribute "titel" (did you mean "title"?)`},
		{"unknown value", func(p *Policy) { p.Subjects = [][]Term{{attr("title", "Analist")}} }, `unknown value "Analist" for attribute title (did you mean "Analyst"?)`},
		{"no values", func(p *Policy) { p.Subjects = [][]Term{{attr("title")}} }, `attribute "title" needs at least one value`},
		{"unknown group", func(p *Policy) { p.Subjects = [][]Term{{grp("frauds")}} }, `unknown group "frauds"`},
		{"both", func(p *Policy) {
			p.Subjects = [][]Term{{{Attribute: "title", Values: []string{"Analyst"}, Group: "fraud"}}}
		}, `either an attribute or a group, not both`},
		{"empty term", func(p *Policy) { p.Subjects = [][]Term{{{Negate: true}}} }, `a term needs an attribute`},
		{"unknown tag", func(p *Policy) { p.Objects = []Clause{tags("PHI")} }, `objects[0]: unknown tag "PHI"`},
		{"unknown none tag", func(p *Policy) { p.Objects = []Clause{{AllTags: []string{"PII"}, NoneTags: []string{"X"}}} }, `unknown tag "X" in none_tags`},
		{"unknown asset", func(p *Policy) { p.Objects = []Clause{{Asset: "ledgr"}} }, `unknown asset "ledgr"`},
		{"asset and tags", func(p *Policy) { p.Objects = []Clause{{Asset: "ledger", AllTags: []string{"PII"}}} }, `either an asset or all_tags`},
		{"empty clause", func(p *Policy) { p.Objects = []Clause{{}} }, `needs an asset or at least one tag`},
		{"every asset", func(p *Policy) { p.Objects = []Clause{tags("Finance"), tags("PII"), {Asset: "stores"}} }, `objects cover every asset in the catalog (4 of 4)`},
		{"negative duration", func(p *Policy) { p.Duration = -1 }, `negative`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := ok
			tc.mod(&p)
			err := c.ValidatePolicy(p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var pe *PolicyError
			assert.ErrorAs(t, err, &pe)
		})
	}
	// Every problem at once.
	bad := Policy{Effect: "x", Action: "y", Subjects: [][]Term{{grp("nope")}}, Objects: []Clause{tags("nope")}}
	var pe *PolicyError
	require.ErrorAs(t, c.ValidatePolicy(bad), &pe)
	assert.Len(t, pe.Problems, 4)
}

func TestEvaluatorDecisions(t *testing.T) {
	c := semCat(t)
	policies := []Policy{
		{ID: "fin-read", Effect: Allow, Action: Read, Subjects: [][]Term{{attr("title", "Accountant")}}, Objects: []Clause{tags("Finance")}},
		{ID: "no-interns-pci", Effect: Deny, Action: Read, Subjects: [][]Term{{grp("interns")}}, Objects: []Clause{tags("PCI")}},
		{ID: "fraud-write", Effect: Allow, Action: Write, Subjects: [][]Term{{grp("fraud")}}, Objects: []Clause{tags("PCI")}},
		{ID: "no-eng-write", Effect: Deny, Action: Write, Subjects: [][]Term{{attr("title", "Engineer")}}, Objects: []Clause{{Asset: "stores"}}},
		{ID: "all-stores", Effect: Allow, Action: Write, Subjects: [][]Term{{}}, Objects: []Clause{{Asset: "stores"}}},
		{ID: "mask-pii", Effect: Mask, Action: Read, Subjects: [][]Term{{not(grp("fraud"))}}, Objects: []Clause{tags("PII")}},
		{ID: "nobody", Effect: Allow, Action: Write, Subjects: [][]Term{}, Objects: []Clause{tags("PII")}},
	}
	e, err := NewEvaluator(c, policies)
	require.NoError(t, err)
	cases := []struct {
		user, asset string
		action      Action
		want        bool
	}{
		{"acc", "ledger", Read, true},
		{"acc", "ledger", Write, false},  // read-only policy
		{"acc", "cards", Read, true},     // Finance on the table
		{"acc2", "cards", Read, false},   // deny on read wins over allow
		{"acc2", "ledger", Read, true},   // deny is only on PCI
		{"ana", "cards", Write, true},    // write allow
		{"ana", "cards", Read, true},     // write includes read
		{"ana", "people", Read, false},   // no allow covers it
		{"eng", "stores", Write, false},  // deny write wins
		{"eng", "stores", Read, true},    // a write deny does not block read
		{"none", "stores", Write, true},  // [[]] is everyone
		{"acc", "people", Read, false},   // mask does not allow; [] allows nobody
		{"ghost", "ledger", Read, false}, // unknown user
		{"acc", "ghost", Read, false},    // unknown asset
		{"acc", "ledger", "delete", false},
	}
	for _, tc := range cases {
		got := e.Allowed(tc.user, tc.asset, tc.action)
		assert.Equal(t, tc.want, got, "%s %s %s", tc.user, tc.action, tc.asset)
		ex := e.Explain(tc.user, tc.asset, tc.action)
		assert.Equal(t, tc.want, ex.Allowed, "Explain %s %s %s: %s", tc.user, tc.action, tc.asset, ex.Summary)
	}

	// A read deny blocks write for the same user even with a write allow.
	e2, err := NewEvaluator(c, []Policy{
		{ID: "w", Effect: Allow, Action: Write, Subjects: [][]Term{{grp("fraud")}}, Objects: []Clause{tags("PCI")}},
		{ID: "r", Effect: Deny, Action: Read, Subjects: [][]Term{{attr("trainings", "PCI")}}, Objects: []Clause{tags("PII")}},
	})
	require.NoError(t, err)
	assert.False(t, e2.Allowed("ana", "cards", Write))
	assert.False(t, e2.Allowed("ana", "cards", Read))

	ex := e.Explain("acc2", "cards", Read)
	assert.Equal(t, "denied: acc2 may not read cards: policy no-interns-pci forbids it (deny wins over policy fin-read)", ex.Summary)
	require.Len(t, ex.Denies, 1)
	assert.Equal(t, []Term{grp("interns")}, ex.Denies[0].MatchedTerms)
	assert.Equal(t, tags("PCI"), ex.Denies[0].Clause)

	ex = e.Explain("acc", "ledger", Write)
	assert.Equal(t, "denied: no policy lets acc write ledger (policy fin-read allows read only)", ex.Summary)
	ex = e.Explain("acc", "cards", Read)
	assert.Equal(t, "allowed: acc may read cards under policy fin-read; columns pan are masked", ex.Summary)
	require.Len(t, ex.Masks, 1)
	assert.Equal(t, "mask-pii", ex.Masks[0].PolicyID)

	assert.Equal(t, []string{"pan"}, e.MaskedColumns("acc", "cards"))
	assert.Empty(t, e.MaskedColumns("ana", "cards"), "fraud is exempt from the mask")
	assert.Equal(t, []string{"name"}, e.MaskedColumns("eng", "people"))
}

func TestNewEvaluatorRejectsBadPolicies(t *testing.T) {
	c := semCat(t)
	_, err := NewEvaluator(c, []Policy{
		{ID: "a", Effect: Allow, Action: Read, Subjects: [][]Term{{}}, Objects: []Clause{tags("Nope")}},
		{ID: "b", Effect: Allow, Action: Read, Subjects: [][]Term{{}}, Objects: []Clause{tags("PII")}},
		{ID: "b", Effect: Allow, Action: Read, Subjects: [][]Term{{}}, Objects: []Clause{tags("PII")}},
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `policy a: objects[0]: unknown tag "Nope"`)
	assert.Contains(t, err.Error(), `policy b: the id is used by more than one policy`)
}

// Evaluators and indexes are shared by the bot's handlers; -race checks
// that concurrent decisions and impact queries do not write shared state.
func TestConcurrentUse(t *testing.T) {
	c := semCat(t)
	ps := []Policy{
		{ID: "a", Effect: Allow, Action: Write, Subjects: [][]Term{{grp("fraud")}}, Objects: []Clause{tags("PCI")}},
		{ID: "m", Effect: Mask, Action: Read, Subjects: [][]Term{{}}, Objects: []Clause{tags("PII")}},
	}
	e, err := NewEvaluator(c, ps)
	require.NoError(t, err)
	ix := NewIndex(c)
	done := make(chan bool)
	for range 8 {
		go func() {
			ok := true
			for range 200 {
				ok = ok && e.Allowed("ana", "cards", Read) && !e.Allowed("eng", "cards", Read)
				ok = ok && e.Explain("ana", "cards", Write).Allowed
				ok = ok && len(e.MaskedColumns("ana", "cards")) == 1
				ok = ok && len(ix.Impact(ps[0]).Users) == 1
				_, found := c.User("ana")
				ok = ok && found
			}
			done <- ok
		}()
	}
	for range 8 {
		assert.True(t, <-done)
	}
}
