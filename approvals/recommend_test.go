package approvals_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// plantedRule is a hidden approval habit the generated history follows.
type plantedRule struct {
	name     string
	action   policy.Action
	subjects [][]policy.Term
	objects  []policy.Clause
}

var planted = []plantedRule{
	{"finance reads finance", policy.Read,
		[][]policy.Term{{{Attribute: "department", Values: []string{"Finance"}}}},
		[]policy.Clause{{AllTags: []string{"Domain.Finance"}}}},
	{"recruiters read HR", policy.Read,
		[][]policy.Term{{{Attribute: "title", Values: []string{"Recruiter"}}}},
		[]policy.Clause{{AllTags: []string{"Domain.HR"}}}},
	{"on-call engineers write engineering", policy.Write,
		[][]policy.Term{{{Attribute: "department", Values: []string{"Engineering"}}, {Group: "oncall"}}},
		[]policy.Clause{{AllTags: []string{"Domain.Engineering"}}}},
	{"HIPAA-trained read legal PII", policy.Read,
		[][]policy.Term{{{Attribute: "training", Values: []string{"HIPAA"}}}},
		[]policy.Clause{{AllTags: []string{"Domain.Legal", "PII"}}}},
}

// generatedCatalog: 300 users with random metadata, 200 assets across five
// domains, with sensitivity tags and PII columns.
func generatedCatalog(t testing.TB, rng *rand.Rand) *policy.Catalog {
	t.Helper()
	vals := func(vs ...string) map[string]policy.Value {
		m := map[string]policy.Value{}
		for _, v := range vs {
			m[v] = policy.Value{}
		}
		return m
	}
	depts := []string{"Finance", "HR", "Engineering", "Sales", "Legal", "Marketing"}
	titles := []string{"Analyst", "Engineer", "Manager", "Accountant", "Recruiter", "Counsel", "Rep"}
	locs := []string{"NYC", "London", "Berlin", "Remote"}
	trainings := []string{"SOX", "HIPAA", "Security"}
	c := policy.Catalog{
		Attributes: map[string]policy.Attribute{
			"department": {Values: vals(depts...)}, "title": {Values: vals(titles...)},
			"location": {Values: vals(locs...)}, "training": {Values: vals(trainings...)},
		},
		Groups: map[string]policy.Group{"governance": {}, "contractors": {}, "oncall": {}},
		Tags:   map[string]policy.Tag{"PII": {}, "Sensitivity.Low": {}, "Sensitivity.High": {}},
	}
	c.Users = append(c.Users, policy.User{ID: "gina", Name: "Gina", Groups: []string{"governance"}}, policy.User{ID: "gil", Name: "Gil", Groups: []string{"governance"}})
	for i := range 300 {
		u := policy.User{ID: fmt.Sprintf("u%03d", i), Name: fmt.Sprintf("User %d", i), Attributes: map[string][]string{
			"department": {depts[rng.IntN(len(depts))]},
			"title":      {titles[rng.IntN(len(titles))]},
			"location":   {locs[rng.IntN(len(locs))]},
		}}
		for _, tr := range trainings {
			if rng.IntN(3) == 0 {
				u.Attributes["training"] = append(u.Attributes["training"], tr)
			}
		}
		for _, g := range []string{"contractors", "oncall"} {
			if rng.IntN(4) == 0 {
				u.Groups = append(u.Groups, g)
			}
		}
		c.Users = append(c.Users, u)
	}
	domains := []string{"Finance", "HR", "Engineering", "Sales", "Legal"}
	for _, d := range domains {
		c.Tags["Domain."+d] = policy.Tag{}
	}
	for i := range 200 {
		d := domains[i%len(domains)]
		a := policy.Asset{ID: fmt.Sprintf("%s.t%03d", d, i), Name: fmt.Sprintf("t%03d", i), Owner: "u" + fmt.Sprintf("%03d", 250+i%len(domains)),
			Tags: []string{"Domain." + d, []string{"Sensitivity.Low", "Sensitivity.High"}[rng.IntN(2)]}}
		if rng.IntN(2) == 0 {
			a.Columns = map[string][]string{"email": {"PII"}}
		}
		c.Assets = append(c.Assets, a)
	}
	cat, err := policy.NewCatalog(c)
	require.NoError(t, err)
	return cat
}

func ruleCovers(cat *policy.Catalog, r plantedRule, u policy.User, asset string, action policy.Action) bool {
	if !policy.MatchesUser(u, r.subjects) || !policy.MatchesAsset(asset, cat.AssetTags(asset), r.objects) {
		return false
	}
	return r.action == action || (r.action == policy.Write && action == policy.Read)
}

// TestRecommendationsFindPlantedRules drives a generated history (60% of the
// requests follow one of four planted rules; the rest are random and denied
// unless a rule covers them, with 3% exceptional approvals as noise) and
// measures precision and recall of the proposals against the planted rules,
// then the automation rate once they are all accepted. The noisy cases also
// deny 5% of the requests a rule covers (approver mistakes), with the strict
// default (any denied requester vetoes a subject) and with DeniedTolerance.
func TestRecommendationsFindPlantedRules(t *testing.T) {
	cases := []struct {
		name                 string
		mistakenDenials, tol float64
		strict               bool // assert the figures
	}{
		{"clean history", 0, 0, true},
		{"5% mistaken denials, strict", 0.05, 0, false},
		{"5% mistaken denials, tolerance 0.15", 0.05, 0.15, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plantedRulesCase(t, c.mistakenDenials, c.tol, c.strict)
		})
	}
}

func plantedRulesCase(t *testing.T, mistakenDenials, tolerance float64, strict bool) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	cat := generatedCatalog(t, rng)
	st := openSQLite(t, filepath.Join(t.TempDir(), "steward.db"))
	clk := newClock()
	svc := approvals.New(st, cat, clk.Now, approvals.Config{GovernanceGroup: "governance", DeniedTolerance: tolerance})

	var requesters []policy.User
	for _, u := range cat.Users {
		if u.ID != "gina" && u.ID != "gil" {
			requesters = append(requesters, u)
		}
	}
	pick := func(match func(policy.User) bool) policy.User {
		for {
			u := requesters[rng.IntN(len(requesters))]
			if match(u) {
				return u
			}
		}
	}
	approvedN, deniedN := 0, 0
	for i := range 600 {
		var u policy.User
		var asset string
		var action policy.Action
		if rng.Float64() < 0.6 {
			r := planted[rng.IntN(len(planted))]
			u = pick(func(u policy.User) bool { return policy.MatchesUser(u, r.subjects) })
			for {
				a := cat.Assets[rng.IntN(len(cat.Assets))]
				if policy.MatchesAsset(a.ID, cat.AssetTags(a.ID), r.objects) {
					asset = a.ID
					break
				}
			}
			action = r.action
		} else {
			u = pick(func(policy.User) bool { return true })
			asset = cat.Assets[rng.IntN(len(cat.Assets))].ID
			action = policy.Read
			if rng.IntN(3) == 0 {
				action = policy.Write
			}
		}
		covered := false
		for _, r := range planted {
			covered = covered || ruleCovers(cat, r, u, asset, action)
		}
		verdict := approvals.Reject
		if (covered && rng.Float64() >= mistakenDenials) || (!covered && rng.Float64() < 0.03) {
			verdict = approvals.Approve
		}
		clk.Advance(time.Minute)
		res, err := svc.Submit(ctx, approvals.NewRequest{Requester: u.ID, Assets: []string{asset}, Action: action, Reason: fmt.Sprintf("case %d", i)})
		require.NoError(t, err)
		require.False(t, res.Covered)
		_, err = svc.Decide(ctx, res.Request.ID, "gina", verdict, "")
		require.NoError(t, err)
		if verdict == approvals.Approve {
			approvedN++
		} else {
			deniedN++
		}
	}
	t.Logf("history: %d approved, %d denied", approvedN, deniedN)

	recs, err := svc.Recommend(ctx)
	require.NoError(t, err)
	if strict {
		require.NotEmpty(t, recs)
	}

	ix := policy.NewIndex(cat)
	usersOf := func(s [][]policy.Term) []string {
		return ix.Impact(policy.Policy{Effect: policy.Allow, Subjects: s, Objects: []policy.Clause{{Asset: cat.Assets[0].ID}}}).Users
	}
	assetsOf := func(o []policy.Clause) []string {
		return ix.Impact(policy.Policy{Effect: policy.Allow, Subjects: [][]policy.Term{{}}, Objects: o}).Assets
	}
	found := map[string]bool{}
	matched := 0
	for _, rec := range recs {
		hit := ""
		for _, r := range planted {
			if rec.Policy.Action == r.action && slices.Equal(usersOf(rec.Policy.Subjects), usersOf(r.subjects)) &&
				slices.Equal(assetsOf(rec.Policy.Objects), assetsOf(r.objects)) {
				hit = r.name
			}
		}
		t.Logf("proposal %s (support %d, confidence %.2f) -> %q: %s", rec.ID, len(rec.Support), rec.Confidence, hit, rec.Policy.Name)
		if hit != "" {
			matched++
			found[hit] = true
		}
		assert.GreaterOrEqual(t, len(rec.Support), 3)
		assert.Greater(t, rec.Confidence, 0.0)
		assert.LessOrEqual(t, rec.Confidence, 1.0)
		require.NoError(t, cat.ValidatePolicy(rec.Policy))
	}
	precision := float64(matched) / float64(max(len(recs), 1))
	recall := float64(len(found)) / float64(len(planted))

	// Pair level: the (user, asset, action) the proposals would grant vs the planted rules.
	type triple struct{ u, a string }
	pairs := func(subjects [][]policy.Term, objects []policy.Clause, action policy.Action, into map[triple]bool) {
		imp := ix.Impact(policy.Policy{Effect: policy.Allow, Subjects: subjects, Objects: objects})
		for _, u := range imp.Users {
			for _, a := range imp.Assets {
				into[triple{u, a + "/" + string(action)}] = true
			}
		}
	}
	truth, proposed := map[triple]bool{}, map[triple]bool{}
	for _, r := range planted {
		pairs(r.subjects, r.objects, r.action, truth)
	}
	for _, rec := range recs {
		pairs(rec.Policy.Subjects, rec.Policy.Objects, rec.Policy.Action, proposed)
	}
	both := 0
	for p := range proposed {
		if truth[p] {
			both++
		}
	}
	pairPrecision := float64(both) / float64(max(len(proposed), 1))
	pairRecall := float64(both) / float64(len(truth))
	t.Logf("planted rules: precision %.2f (%d of %d proposals), recall %.2f (%d of %d rules); pair level: precision %.3f, recall %.3f",
		precision, matched, len(recs), recall, len(found), len(planted), pairPrecision, pairRecall)
	// Whatever is proposed grants little beyond the planted rules.
	assert.GreaterOrEqual(t, pairPrecision, 0.85)
	if !strict {
		return
	}
	assert.GreaterOrEqual(t, recall, 0.75)
	assert.GreaterOrEqual(t, pairRecall, 0.9)

	// Proposals are not repeated.
	again, err := svc.Recommend(ctx)
	require.NoError(t, err)
	assert.Empty(t, again)

	// Only governance accepts; accepting saves the policy.
	_, err = svc.AcceptRecommendation(ctx, recs[0].ID, "u001")
	require.ErrorIs(t, err, approvals.ErrForbidden)
	for i, rec := range recs {
		p, err := svc.AcceptRecommendation(ctx, rec.ID, "gina")
		require.NoError(t, err)
		assert.Equal(t, rec.ID, p.ID)
		assert.Equal(t, "gina", p.CreatedBy)
		want := []string{"recommendation.created", "recommendation.accepted"}
		if i == 0 {
			want = []string{"recommendation.created", "recommendation.decision_refused", "recommendation.accepted"}
		}
		es := audit(t, st, "recommendation/"+rec.ID)
		require.Equal(t, want, actions(es))
		requireChange(t, es[len(es)-1], "gina", clk.Now(), "open", "accepted")
	}
	_, err = svc.AcceptRecommendation(ctx, recs[0].ID, "gil")
	require.ErrorIs(t, err, approvals.ErrNotFound, "accepted once")
	saved, err := st.ListPolicies(ctx)
	require.NoError(t, err)
	assert.Len(t, saved, len(recs))

	rep, err := svc.Automation(ctx)
	require.NoError(t, err)
	rate, err := svc.AutomationRate(ctx)
	require.NoError(t, err)
	assert.Equal(t, rep.Rate, rate)
	t.Logf("automation: %d of %d past requests (%.1f%%) would have been answered by the accepted recommendations; %d denied ones would have been allowed",
		rep.Automated, rep.Requests, 100*rep.Rate, rep.WronglyAllowed)
	assert.Equal(t, 600, rep.Requests)
	assert.Greater(t, rep.Rate, 0.4)
	if mistakenDenials == 0 {
		assert.Equal(t, 0, rep.WronglyAllowed)
	}

	// Once accepted, the matching requests are answered at once.
	u := requesters[slices.IndexFunc(requesters, func(u policy.User) bool { return policy.MatchesUser(u, planted[0].subjects) })]
	fin := assetsOf(planted[0].objects)[0]
	res, err := svc.Submit(ctx, approvals.NewRequest{Requester: u.ID, Assets: []string{fin}, Reason: "report"})
	require.NoError(t, err)
	assert.True(t, res.Covered)
}

func TestDismissedRecommendationIsNotProposedAgain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// alice, dave and bob (Finance) were each given the ledger; oscar was refused.
	for _, who := range []string{"alice", "dave", "alice", "bob"} {
		r := e.submit(t, approvals.NewRequest{Requester: who, Assets: []string{"fin.ledger"}})
		approver := "bob"
		if who == "bob" {
			approver = "gina"
		}
		_, err := e.svc.Decide(ctx, r.ID, approver, approvals.Approve, "")
		require.NoError(t, err)
		e.clock.Advance(time.Minute)
	}
	r := e.submit(t, approvals.NewRequest{Requester: "oscar", Assets: []string{"fin.ledger"}})
	_, err := e.svc.Decide(ctx, r.ID, "bob", approvals.Reject, "")
	require.NoError(t, err)

	recs, err := e.svc.Recommend(ctx)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	rec := recs[0]
	assert.Equal(t, [][]policy.Term{{{Attribute: "department", Values: []string{"Finance"}}}}, rec.Policy.Subjects)
	assert.Equal(t, []policy.Clause{{AllTags: []string{"Domain.Finance"}}}, rec.Policy.Objects)
	assert.Len(t, rec.Support, 4)

	require.ErrorIs(t, e.svc.DismissRecommendation(ctx, rec.ID, "alice"), approvals.ErrForbidden)
	require.NoError(t, e.svc.DismissRecommendation(ctx, rec.ID, "gil"))
	again, err := e.svc.Recommend(ctx)
	require.NoError(t, err)
	assert.Empty(t, again)
	es := audit(t, e.store, "recommendation/"+rec.ID)
	require.Equal(t, []string{"recommendation.created", "recommendation.decision_refused", "recommendation.dismissed"}, actions(es))
	requireChange(t, es[2], "gil", e.clock.Now(), "open", "dismissed")
}
