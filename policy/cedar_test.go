package policy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/cedar-policy/cedar-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCedarPolicyText(t *testing.T) {
	p := Policy{ID: "p1", Name: "Comptrollers read bank data", Effect: Allow, Action: Read, Duration: Duration(720 * 3600e9),
		Subjects: [][]Term{{attr("job_title", "Accountant III", "Accountant IV"), attr("trainings", "Security Awareness")}},
		Objects:  []Clause{{AllTags: []string{"Discovered.Entity.Bank Account Number"}}}}
	got, err := CedarPolicy(p)
	require.NoError(t, err)
	assert.Equal(t, `@id("p1")
@name("Comptrollers read bank data")
@effect("allow")
@duration("720h0m0s")
permit (
  principal is User,
  action == Action::"read",
  resource is Asset
)
when {
  ((principal has job_title && principal.job_title.containsAny(["Accountant III", "Accountant IV"])) && (principal has trainings && principal.trainings.containsAny(["Security Awareness"])))
  && (resource.tags.containsAll(["Discovered.Entity.Bank Account Number"]))
};
`, got)
	var cp cedar.Policy
	require.NoError(t, cp.UnmarshalCedar([]byte(got)))
	assert.Equal(t, cedar.Permit, cp.Effect())

	deny, err := CedarPolicy(Policy{ID: "d", Effect: Deny, Action: Read, Subjects: [][]Term{{not(grp("contractors"))}, {attr("job title", `Q"x`)}}, Objects: []Clause{{Asset: "t1"}, {AllTags: []string{"PII"}, NoneTags: []string{"Public"}}}})
	require.NoError(t, err)
	assert.Contains(t, deny, "forbid (")
	assert.Contains(t, deny, `action in [Action::"read", Action::"write"]`)
	assert.Contains(t, deny, `(!(principal in Group::"contractors")) || ((principal has "job title" && principal["job title"].containsAny(["Q\"x"])))`)
	assert.Contains(t, deny, `resource == Asset::"t1"`)
	assert.Contains(t, deny, `!resource.tags.containsAny(["Public"])`)
	require.NoError(t, cp.UnmarshalCedar([]byte(deny)))
	assert.Equal(t, cedar.Forbid, cp.Effect())

	mask, err := CedarPolicy(Policy{ID: "m", Effect: Mask, Action: Read, Subjects: [][]Term{{}}, Objects: []Clause{tags("PII")}})
	require.NoError(t, err)
	assert.Contains(t, mask, `@effect("mask")`)
	assert.Contains(t, mask, `action == Action::"mask"`)
	require.NoError(t, cp.UnmarshalCedar([]byte(mask)))
	assert.Equal(t, cedar.String("mask"), cp.Annotations()["effect"])

	nobody, err := CedarPolicy(Policy{ID: "n", Effect: Allow, Action: Write, Subjects: [][]Term{}, Objects: []Clause{}})
	require.NoError(t, err)
	assert.Contains(t, nobody, "false\n  && false")

	_, err = CedarPolicy(Policy{ID: "x", Effect: "permit", Action: Read})
	assert.ErrorContains(t, err, `effect "permit"`)
	_, err = CedarPolicy(Policy{ID: "x", Effect: Allow, Action: Read, Subjects: [][]Term{{{}}}})
	assert.ErrorContains(t, err, "exactly one of attribute or group")
}

func TestExportCedarDevCatalog(t *testing.T) {
	c, err := LoadCatalog("testdata/catalog.yaml")
	require.NoError(t, err)
	ps := []Policy{
		{ID: "comptrollers", Effect: Allow, Action: Read,
			Subjects: [][]Term{{attr("job_title", "Accountant III", "Accountant IV"), attr("trainings", "Security Awareness")}},
			Objects:  []Clause{tags("Discovered.Entity.Bank Account Number")}},
		{ID: "no-contractors-pci", Effect: Deny, Action: Read, Subjects: [][]Term{{attr("employment_type", "Contractor")}}, Objects: []Clause{tags("PCI")}},
		{ID: "fraud", Effect: Allow, Action: Write, Subjects: [][]Term{{grp("fraud-squad")}}, Objects: []Clause{tags("PCI")}},
	}
	text, ents, err := ExportCedar(c, ps)
	require.NoError(t, err)
	set, err := cedar.NewPolicySetFromBytes("steward.cedar", []byte(text))
	require.NoError(t, err)
	var em cedar.EntityMap
	require.NoError(t, json.Unmarshal(ents, &em))
	assert.Len(t, em, 3+20+12)

	ev, err := NewEvaluator(c, ps)
	require.NoError(t, err)
	allowed := 0
	for _, u := range c.Users {
		for _, a := range c.Assets {
			for _, act := range []Action{Read, Write} {
				want := ev.Allowed(u.ID, a.ID, act)
				got, diag := cedar.Authorize(set, em, cedarReq(u.ID, a.ID, string(act)))
				require.Empty(t, diag.Errors)
				require.Equal(t, want, got == cedar.Allow, "%s %s %s", u.ID, act, a.ID)
				if want {
					allowed++
				}
			}
		}
	}
	// ana, ben (comptrollers with training) read 2 bank tables; jade reads and
	// writes 2 PCI tables; kofi is a contractor so the deny wins.
	assert.Equal(t, 2*2+2*2, allowed)
	assert.True(t, ev.Allowed("jade@acme.example", "pg.cards.disputes", Write))
	assert.False(t, ev.Allowed("kofi@acme.example", "pg.cards.disputes", Read))

	_, _, err = ExportCedar(c, []Policy{{ID: "bad", Effect: Allow, Action: Read, Subjects: [][]Term{{}}, Objects: []Clause{tags("Nope")}}})
	assert.ErrorContains(t, err, `policy bad: objects[0]: unknown tag "Nope"`)
}

func cedarReq(u, a, act string) cedar.Request {
	return cedar.Request{
		Principal: cedar.NewEntityUID("User", cedar.String(u)),
		Action:    cedar.NewEntityUID("Action", cedar.String(act)),
		Resource:  cedar.NewEntityUID("Asset", cedar.String(a)),
		Context:   cedar.NewRecord(nil),
	}
}

// Awkward names on purpose: spaces, quotes, backslashes, reserved words,
// dots and non-ASCII, so the Cedar quoting is exercised.
var (
	randAttrKeys = []string{"dept", "job title", "in", "trainings", "x-y"}
	randValues   = []string{"A", "B", `Acc "IV"`, "Café", `a\b`, "C"}
	randGroups   = []string{"g1", "team a", `q"t`, "is"}
	randTags     = []string{"PII", "PCI", "Domain.Finance", "Bank Account Number", "Classification.Public", `t"x`, "ü"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func subset(r *rand.Rand, xs []string, p float64) []string {
	out := []string{}
	for _, x := range xs {
		if r.Float64() < p {
			out = append(out, x)
		}
	}
	return out
}

func randomCatalog(r *rand.Rand) *Catalog {
	c := Catalog{Attributes: map[string]Attribute{}, Groups: map[string]Group{}, Tags: map[string]Tag{}}
	for _, k := range subset(r, randAttrKeys, 0.6) {
		vals := map[string]Value{}
		for _, v := range subset(r, randValues, 0.6) {
			vals[v] = Value{}
		}
		vals["A"] = Value{}
		c.Attributes[k] = Attribute{Values: vals}
	}
	for _, g := range subset(r, randGroups, 0.6) {
		c.Groups[g] = Group{}
	}
	for _, tg := range subset(r, randTags, 0.7) {
		c.Tags[tg] = Tag{}
	}
	c.Tags["PII"] = Tag{}
	tagNames, groupNames, attrNames := keys(c.Tags), keys(c.Groups), keys(c.Attributes)
	for i := range 1 + r.IntN(7) {
		u := User{ID: fmt.Sprintf("u%d %s", i, pick(r, []string{"", "é", `"`})), Name: "n", Groups: subset(r, groupNames, 0.4)}
		for _, k := range attrNames {
			if r.Float64() < 0.75 {
				if u.Attributes == nil {
					u.Attributes = map[string][]string{}
				}
				u.Attributes[k] = subset(r, keys(c.Attributes[k].Values), 0.35)
			}
		}
		c.Users = append(c.Users, u)
	}
	for i := range 1 + r.IntN(7) {
		a := Asset{ID: fmt.Sprintf("a%d", i), Name: "t", Tags: subset(r, tagNames, 0.3)}
		for j := range r.IntN(3) {
			if a.Columns == nil {
				a.Columns = map[string][]string{}
			}
			a.Columns[fmt.Sprintf("c%d", j)] = subset(r, tagNames, 0.25)
		}
		c.Assets = append(c.Assets, a)
	}
	cat, err := NewCatalog(c)
	if err != nil {
		panic(err)
	}
	return cat
}

func randomPolicy(r *rand.Rand, c *Catalog, id string) Policy {
	p := Policy{ID: id, Effect: pick(r, []Effect{Allow, Allow, Deny, Deny, Mask}), Action: pick(r, []Action{Read, Write})}
	groupNames, attrNames, tagNames := keys(c.Groups), keys(c.Attributes), keys(c.Tags)
	switch x := r.Float64(); {
	case x < 0.1:
		p.Subjects = [][]Term{}
	case x < 0.25:
		p.Subjects = [][]Term{{}}
	default:
		for range 1 + r.IntN(3) {
			var clause []Term
			for range r.IntN(4) {
				var t Term
				if len(groupNames) > 0 && (len(attrNames) == 0 || r.Float64() < 0.4) {
					t.Group = pick(r, groupNames)
				} else if len(attrNames) > 0 {
					t.Attribute = pick(r, attrNames)
					vals := subset(r, keys(c.Attributes[t.Attribute].Values), 0.4)
					if len(vals) == 0 {
						vals = []string{"A"}
					}
					t.Values = vals
				} else {
					continue
				}
				t.Negate = r.Float64() < 0.3
				clause = append(clause, t)
			}
			p.Subjects = append(p.Subjects, clause)
		}
	}
	if r.Float64() < 0.05 {
		p.Objects = []Clause{}
		return p
	}
	for range 1 + r.IntN(3) {
		if r.Float64() < 0.25 {
			p.Objects = append(p.Objects, Clause{Asset: pick(r, c.Assets).ID})
			continue
		}
		cl := Clause{AllTags: []string{pick(r, tagNames)}}
		if r.Float64() < 0.3 {
			cl.AllTags = append(cl.AllTags, pick(r, tagNames))
		}
		if r.Float64() < 0.4 {
			cl.NoneTags = []string{pick(r, tagNames)}
		}
		p.Objects = append(p.Objects, cl)
	}
	return p
}

// TestDifferentialCedar checks, on seeded random catalogs and policy sets,
// that Allowed, Explain, the reference matchers and cedar-go's authorizer
// agree on every (user, asset, action), and that Impact is exactly the set
// of pairs Cedar permits for each policy alone.
func TestDifferentialCedar(t *testing.T) {
	const cases = 300
	checkedPairs, allowedPairs, deniedByForbid := 0, 0, 0
	for seed := range uint64(cases) {
		r := rand.New(rand.NewPCG(seed, 42))
		c := randomCatalog(r)
		var ps []Policy
		for i := range 1 + r.IntN(6) {
			for range 10 {
				p := randomPolicy(r, c, fmt.Sprintf("p%d", i))
				if c.ValidatePolicy(p) == nil {
					ps = append(ps, p)
					break
				}
			}
		}
		ev, err := NewEvaluator(c, ps)
		require.NoError(t, err, "seed %d", seed)
		text, ents, err := ExportCedar(c, ps)
		require.NoError(t, err, "seed %d", seed)
		set, err := cedar.NewPolicySetFromBytes("random.cedar", []byte(text))
		require.NoError(t, err, "seed %d:\n%s", seed, text)
		var em cedar.EntityMap
		require.NoError(t, json.Unmarshal(ents, &em), "seed %d", seed)

		var wantAll []Access
		for _, u := range c.Users {
			for _, a := range c.Assets {
				atags := c.AssetTags(a.ID)
				for _, act := range []Action{Read, Write} {
					got := ev.Allowed(u.ID, a.ID, act)
					dec, diag := cedar.Authorize(set, em, cedarReq(u.ID, a.ID, string(act)))
					require.Empty(t, diag.Errors, "seed %d", seed)
					ref := referenceAllowed(ps, u, a.ID, atags, act)
					require.Equal(t, ref, got, "seed %d: %s %s %s reference vs Allowed\n%s", seed, u.ID, act, a.ID, text)
					require.Equal(t, dec == cedar.Allow, got, "seed %d: %s %s %s cedar vs Allowed\n%s", seed, u.ID, act, a.ID, text)
					require.Equal(t, got, ev.Explain(u.ID, a.ID, act).Allowed, "seed %d: Explain", seed)
					checkedPairs++
					if got {
						wantAll = append(wantAll, Access{u.ID, a.ID, act})
						allowedPairs++
					} else if dec == cedar.Deny && len(diag.Reasons) > 0 {
						deniedByForbid++
					}
				}
			}
		}
		all := ev.AllAllowed()
		require.ElementsMatch(t, wantAll, all, "seed %d: AllAllowed", seed)
		require.True(t, sort.SliceIsSorted(all, func(i, j int) bool {
			return all[i].User+"\x00"+all[i].Asset+"\x00"+string(all[i].Action) < all[j].User+"\x00"+all[j].Asset+"\x00"+string(all[j].Action)
		}), "seed %d: AllAllowed order", seed)

		ix := NewIndex(c)
		for _, p := range ps {
			imp := ix.Impact(p)
			single := p
			act := "mask"
			if p.Effect != Mask {
				single.Effect = Allow
				act = string(p.Action)
			}
			txt, err := CedarPolicy(single)
			require.NoError(t, err)
			one, err := cedar.NewPolicySetFromBytes("one.cedar", []byte(txt))
			require.NoError(t, err)
			var want, gotPairs []string
			for _, u := range imp.Users {
				for _, a := range imp.Assets {
					want = append(want, u+"|"+a)
				}
			}
			for _, u := range c.Users {
				for _, a := range c.Assets {
					dec, diag := cedar.Authorize(one, em, cedarReq(u.ID, a.ID, act))
					require.Empty(t, diag.Errors)
					if dec == cedar.Allow {
						gotPairs = append(gotPairs, u.ID+"|"+a.ID)
					}
				}
			}
			require.ElementsMatch(t, want, gotPairs, "seed %d: impact of %s\n%s", seed, p.ID, txt)
		}
	}
	t.Logf("%d cases, %d decisions compared, %d allowed, %d denied by a forbid", cases, checkedPairs, allowedPairs, deniedByForbid)
	// The generator must exercise both outcomes and forbids, or the test proves little.
	assert.Greater(t, allowedPairs, checkedPairs/20)
	assert.Greater(t, deniedByForbid, checkedPairs/50)
}

// referenceAllowed is the rule written the slow, obvious way.
func referenceAllowed(ps []Policy, u User, assetID string, atags []string, act Action) bool {
	allow, deny := false, false
	for _, p := range ps {
		if !MatchesUser(u, p.Subjects) || !MatchesAsset(assetID, atags, p.Objects) {
			continue
		}
		switch {
		case p.Effect == Allow && (p.Action == Write || act == Read):
			allow = true
		case p.Effect == Deny && (p.Action == Read || act == Write):
			deny = true
		}
	}
	return allow && !deny
}

func TestCedarStringQuoting(t *testing.T) {
	assert.Equal(t, `"a\"b\\c\n\u{1}é"`, cedarString("a\"b\\c\n\x01é"))
	assert.Equal(t, `"\u{fffd}"`, cedarString("\xff"))
	assert.True(t, strings.HasPrefix(cedarAttr("principal", "in"), `principal["in"]`))
}
