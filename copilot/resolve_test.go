package copilot

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/policy"
)

// TestResolutionKinds checks each way a phrase reaches the catalog, with the
// evidence a person sees.
func TestResolutionKinds(t *testing.T) {
	cases := []struct {
		catalog, phrase, role string
		wantKind, wantKey     string
		wantValues            []string
		whyContains           string
	}{
		{"acme", "fraud analysts", "subject", "attribute", "job_title", []string{"Fraud Analyst"}, "by name"},
		{"acme", "accountants", "subject", "attribute", "job_title", []string{"Accountant I", "Accountant II", "Accountant III", "Accountant IV"}, "is a level of"},
		{"acme", "comptrollers", "subject", "attribute", "job_title", []string{"Accountant III", "Accountant IV"}, "mentions \"comptroller\""},
		{"acme", "senior accountants", "subject", "attribute", "job_title", []string{"Accountant III"}, "Senior accountant who"},
		{"university", "lecturers", "subject", "attribute", "role", []string{"Instructor"}, "also called lecturer"},
		{"acme", "lawyers", "subject", "attribute", "job_title", []string{"Legal Counsel"}, "built-in vocabulary"},
		{"acme", "the legal team", "subject", "attribute", "department", []string{"Legal"}, "department \"Legal\""},
		{"acme", "the pricing committee", "subject", "group", "pricing-committee", nil, "group \"pricing-committee\""},
		{"acme", "in Mexico", "condition", "attribute", "country", []string{"MX"}, "described as \"Mexico\""},
		{"acme", "completed PCI training", "condition", "attribute", "trainings", []string{"PCI DSS"}, "the only trainings value"},
		{"acme", "full-time", "subject", "attribute", "employment_type", []string{"Full-Time"}, ""},
		{"acme", "card transactions", "object", "asset", "pg.cards.transactions", nil, "asset pg.cards.transactions"},
		{"acme", "the price book", "object", "asset", "pg.merch.price_book", nil, "table name"},
		{"acme", "bank account information", "object", "tag", "Discovered.Entity.Bank Account Number", nil, "built-in vocabulary"},
		{"acme", "email addresses", "object", "tag", "Discovered.Entity.Email Address", nil, "last part of tag"},
		{"acme", "card data", "object", "tag", "PCI", nil, "card data is PCI data"},
		{"saas", "SREs", "subject", "attribute", "role", []string{"Site Reliability Engineer"}, "alias"},
		{"saas", "on call", "condition", "group", "oncall", nil, "alias"},
		{"saas", "PII", "object", "tag", "PII.Email", nil, "under \"PII\""},
		{"hospital", "Ward A", "condition", "attribute", "ward", []string{"Ward A"}, ""},
		{"hospital", "in the emergency room", "condition", "attribute", "department", []string{"Emergency"}, "alias"},
		{"bank", "the loan committee", "subject", "group", "credit-committee", nil, "alias"},
		{"bank", "in LATAM", "condition", "attribute", "country", []string{"BR", "MX"}, "Latin American"},
	}
	for _, tc := range cases {
		t.Run(tc.catalog+"/"+tc.phrase, func(t *testing.T) {
			ix := newCatalogIndex(loadCatalog(t, tc.catalog))
			var matches []Match
			var terms []policy.Term
			switch tc.role {
			case "subject":
				r := ix.resolveSubject(tc.phrase)
				require.Empty(t, r.problem)
				require.Len(t, r.dnf, 1)
				terms, matches = r.dnf[0], r.matches
			case "condition":
				r := ix.resolveCondition(tc.phrase)
				require.Empty(t, r.problem)
				require.Len(t, r.dnf, 1)
				terms, matches = r.dnf[0], r.matches
			case "object":
				r := ix.resolveObject(tc.phrase)
				require.Empty(t, r.problem)
				matches = r.matches
				found := false
				for _, c := range r.clauses {
					found = found || c.Asset == tc.wantKey || (len(c.AllTags) == 1 && c.AllTags[0] == tc.wantKey)
				}
				assert.True(t, found, "clauses %+v lack %s", r.clauses, tc.wantKey)
			}
			if tc.wantKind == "attribute" {
				require.Len(t, terms, 1)
				assert.Equal(t, tc.wantKey, terms[0].Attribute)
				assert.Equal(t, tc.wantValues, terms[0].Values)
			}
			if tc.wantKind == "group" {
				require.Len(t, terms, 1)
				assert.Equal(t, tc.wantKey, terms[0].Group)
			}
			require.NotEmpty(t, matches)
			var whys []string
			for _, m := range matches {
				assert.Equal(t, tc.wantKind, m.Kind)
				whys = append(whys, m.Why)
			}
			assert.Contains(t, joinLines(whys), tc.whyContains)
		})
	}
}

func joinLines(s []string) string {
	out := ""
	for _, x := range s {
		out += x + "\n"
	}
	return out
}

// TestUnresolvedNeverGuessed: phrases with no catalog meaning are reported,
// not approximated, however close a partial match is.
func TestUnresolvedNeverGuessed(t *testing.T) {
	ix := newCatalogIndex(loadCatalog(t, "acme"))
	for _, p := range []string{"managers", "analysts", "engineers in marketing", "pilots", "interns", "Tax", "accountant supervisors"} {
		r := ix.resolveSubject(p)
		assert.NotEmpty(t, r.problem, "%q must not resolve, got %+v", p, r.dnf)
	}
	for _, p := range []string{"flight plans", "transactions and more", "SSNs", "payroll"} {
		r := ix.resolveObject(p)
		assert.NotEmpty(t, r.problem, "%q must not resolve, got %+v", p, r.clauses)
	}
	for _, p := range []string{"SOX training", "in Canada", "not interns"} {
		r := ix.resolveCondition(p)
		assert.NotEmpty(t, r.problem, "%q must not resolve, got %+v", p, r.dnf)
	}
}

// TestDescriptionMentionsAreNotIdentities: a description that only
// mentions a role ("supports the office manager") does not make its entry
// that role.
func TestDescriptionMentionsAreNotIdentities(t *testing.T) {
	fresh := loadCatalog(t, "acme")
	attr := fresh.Attributes["job_title"]
	attr.Values["Office Assistant"] = policy.Value{Description: "Supports the office manager and books travel for managers"}
	fresh.Attributes["job_title"] = attr
	cat, err := policy.NewCatalog(*fresh)
	require.NoError(t, err)
	ix := newCatalogIndex(cat)
	for _, p := range []string{"managers", "office managers", "travel"} {
		r := ix.resolveSubject(p)
		assert.NotEmpty(t, r.problem, "%q must not resolve, got %+v", p, r.dnf)
	}
}

func TestSameNameInTwoPlacesIsAmbiguous(t *testing.T) {
	cat := loadCatalog(t, "acme")
	cat.Groups["legal"] = policy.Group{Description: "Legal mailing list"}
	cat, err := policy.NewCatalog(*cat)
	require.NoError(t, err)
	d, err := NewBuiltin().Draft(context.Background(), "Legal can read supplier contracts.", cat)
	require.NoError(t, err)
	require.False(t, d.OK)
	assert.Contains(t, d.Error, "could mean")
	assert.Contains(t, d.Error, `group "legal"`)
}

func TestCandidates(t *testing.T) {
	cat := loadCatalog(t, "acme")
	got := Candidates(cat, "accountants", 10)
	require.NotEmpty(t, got)
	var values []string
	for _, m := range got[:4] {
		values = append(values, m.Value)
		assert.NotEmpty(t, m.Why)
	}
	assert.ElementsMatch(t, []string{"Accountant I", "Accountant II", "Accountant III", "Accountant IV"}, values, "levels first")
	assert.LessOrEqual(t, len(got), 10)
	for i := 1; i < len(got); i++ {
		assert.GreaterOrEqual(t, got[i-1].Score, got[i].Score, "best first")
	}

	got = Candidates(cat, "payment card stuff", 5)
	require.NotEmpty(t, got, "retrieval is generous: shared words count")
	keys := map[string]bool{}
	for _, m := range got {
		keys[m.Key] = true
	}
	assert.True(t, keys["PCI"] || keys["Discovered.Entity.Credit Card Number"], "got %+v", got)

	got = Candidates(cat, "acountant", 5)
	require.NotEmpty(t, got, "near spellings are suggested")
	assert.Contains(t, got[0].Value, "Accountant")

	assert.Empty(t, Candidates(cat, "", 5))
	assert.Empty(t, Candidates(cat, "accountants", 0))
	assert.Empty(t, Candidates(nil, "accountants", 5))

	b := newBuiltin()
	assert.Equal(t, Candidates(cat, "card transactions", 5), b.Candidates(cat, "card transactions", 5), "cached and uncached agree")
}

func TestFinalizeRejectsWhatTheCatalogLacks(t *testing.T) {
	cat := loadCatalog(t, "acme")
	base := func() Draft {
		return Draft{Sentence: "x", Policy: &policy.Policy{Effect: policy.Allow, Action: policy.Read,
			Subjects: [][]policy.Term{{{Attribute: "job_title", Values: []string{"Fraud Analyst"}}}},
			Objects:  []policy.Clause{{Asset: "pg.cards.transactions"}}}}
	}
	ok := Finalize(cat, base())
	require.True(t, ok.OK, ok.Error)
	assert.ElementsMatch(t, []string{"jade@acme.example", "kofi@acme.example"}, ok.Impact.Users)
	assert.Equal(t, []string{"pg.cards.transactions"}, ok.Impact.Assets)
	assert.Contains(t, ok.Cedar, "permit")

	cases := map[string]func(*Draft){
		`tag "Hallucinated.Tag" is not in the catalog`: func(d *Draft) { d.Policy.Objects = []policy.Clause{{AllTags: []string{"Hallucinated.Tag"}}} },
		`"Pilot" is not a value of job_title`:          func(d *Draft) { d.Policy.Subjects[0][0].Values = []string{"Pilot"} },
		`attribute "rank" is not in the catalog`:       func(d *Draft) { d.Policy.Subjects[0][0].Attribute = "rank" },
		`group "admins" is not in the catalog`:         func(d *Draft) { d.Policy.Subjects = [][]policy.Term{{{Group: "admins"}}} },
		`asset "pg.nope" is not in the catalog`:        func(d *Draft) { d.Policy.Objects = []policy.Clause{{Asset: "pg.nope"}} },
		"selects nobody":                               func(d *Draft) { d.Policy.Subjects = nil },
		"covers no data":                               func(d *Draft) { d.Policy.Objects = nil },
		"would cover nearly every asset":               func(d *Draft) { d.Policy.Objects = []policy.Clause{{NoneTags: []string{"PII"}}} },
		"cover every asset": func(d *Draft) {
			d.Policy.Objects = []policy.Clause{{AllTags: []string{"Classification.Public"}}, {AllTags: []string{"Classification.Internal"}}, {AllTags: []string{"Classification.Confidential"}}}
		},
		`effect "grant"`:             func(d *Draft) { d.Policy.Effect = "grant" },
		`could not resolve "pilots"`: func(d *Draft) { d.Unresolved = []string{"pilots"} },
		"no policy was drafted":      func(d *Draft) { d.Policy = nil },
		"upstream refusal":           func(d *Draft) { d.Error = "upstream refusal" },
	}
	for want, mutate := range cases {
		t.Run(want, func(t *testing.T) {
			d := base()
			mutate(&d)
			d.OK = true // an engine's claim is not trusted
			got := Finalize(cat, d)
			assert.False(t, got.OK)
			assert.Nil(t, got.Policy, "a refused draft carries no policy")
			assert.Contains(t, got.Error, want)
			assert.Empty(t, got.Impact.Users)
			assert.Empty(t, got.Cedar)
		})
	}
	got := Finalize(nil, base())
	assert.False(t, got.OK)
	assert.Contains(t, got.Error, "no catalog")
}

func TestResolveObjects(t *testing.T) {
	cat := loadCatalog(t, "hospital")
	clauses, matches, err := ResolveObjects(cat, "the claims tables")
	require.NoError(t, err)
	assert.ElementsMatch(t, []policy.Clause{{Asset: "claims.submissions"}, {Asset: "claims.payments"}}, clauses)
	require.NotEmpty(t, matches)
	assert.Contains(t, matches[0].Why, "schema")

	clauses, _, err = ResolveObjects(cat, "lab results and prescriptions")
	require.NoError(t, err)
	assert.ElementsMatch(t, []policy.Clause{{Asset: "lab.results"}, {Asset: "ehr.prescriptions"}}, clauses)

	clauses, _, err = ResolveObjects(cat, "restricted PHI")
	require.NoError(t, err)
	assert.Contains(t, clauses, policy.Clause{AllTags: []string{"Classification.Restricted", "PHI"}})

	_, _, err = ResolveObjects(cat, "the flight plans")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"the flight plans"`)

	_, _, err = ResolveObjects(cat, "everything")
	assert.ErrorContains(t, err, "every asset")
	_, _, err = ResolveObjects(cat, "  ")
	assert.ErrorContains(t, err, "say which data")

	b := newBuiltin()
	c1, _, err := b.ResolveObjects(cat, "medical records")
	require.NoError(t, err)
	assert.Equal(t, []policy.Clause{{Asset: "ehr.medical_records"}}, c1)
}

// TestEngineCacheIsPerCatalogPointer: a reloaded catalog gets a fresh index,
// so a draft never resolves against stale metadata.
func TestEngineCacheIsPerCatalogPointer(t *testing.T) {
	b := newBuiltin()
	old := loadCatalog(t, "acme")
	d, err := b.Draft(context.Background(), "Pilots can read shipments.", old)
	require.NoError(t, err)
	require.False(t, d.OK)

	fresh := loadCatalog(t, "acme")
	attr := fresh.Attributes["job_title"]
	attr.Values["Pilot"] = policy.Value{}
	fresh.Attributes["job_title"] = attr
	fresh.Users[0].Attributes["job_title"] = []string{"Pilot"}
	reloaded, err := policy.NewCatalog(*fresh)
	require.NoError(t, err)
	d, err = b.Draft(context.Background(), "Pilots can read shipments.", reloaded)
	require.NoError(t, err)
	require.True(t, d.OK, d.Error)
	assert.Equal(t, []string{"ana@acme.example"}, d.Impact.Users)

	for i := 0; i < maxCachedCatalogs+3; i++ {
		b.state(loadCatalog(t, "saas"))
	}
	assert.LessOrEqual(t, len(b.cache), maxCachedCatalogs, "the cache is bounded")
}
