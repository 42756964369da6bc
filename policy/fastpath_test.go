package policy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every (user, asset, action) of random small worlds, against the reference
// rule (referenceAllowed, the reference matchers read straight off the
// policies), with both widths of the fast tables. Some policies are grown
// past what a subjectCheck holds (more clauses, terms and values), and the
// small records make most assets spill, so every path of a decision runs.
func TestAllowedMatchesReferenceExhaustively(t *testing.T) {
	for seed := range uint64(6) {
		r := rand.New(rand.NewPCG(seed, 42))
		c, err := genCatalog(r, 60, 300, 40, 8)
		require.NoError(t, err)
		ps := genPolicies(r, c, 80)
		// Some everyone and nobody subjects too.
		ps[0].Subjects = [][]Term{{}}
		ps[1].Subjects = [][]Term{}
		ps[2].Subjects = append(ps[2].Subjects, []Term{})
		for i := 3; i < len(ps); i += 4 {
			grow(r, c, &ps[i])
		}
		for _, wide := range []bool{false, true} {
			e, err := newEvaluator(c, ps, wide)
			require.NoError(t, err)
			n := 0
			for _, u := range c.Users {
				for _, a := range c.Assets {
					for _, act := range []Action{Read, Write} {
						want := referenceAllowed(ps, u, a.ID, allTags(a), act)
						if want {
							n++
						}
						require.Equal(t, want, e.Allowed(u.ID, a.ID, act), "seed %d wide %v: %s %s %s", seed, wide, u.ID, act, a.ID)
						require.Equal(t, want, e.Explain(u.ID, a.ID, act).Allowed, "seed %d wide %v: explain %s %s %s", seed, wide, u.ID, act, a.ID)
					}
				}
			}
			require.Positive(t, n, "seed %d: the world allows nothing, so the test proves little", seed)
		}
	}
}

// grow adds a clause, a term or values to p's subjects, past the size of a
// subjectCheck.
func grow(r *rand.Rand, c *Catalog, p *Policy) {
	attrs := keys(c.Attributes)
	term := func(n int) Term {
		k := attrs[r.IntN(len(attrs))]
		vals := keys(c.Attributes[k].Values)
		t := Term{Attribute: k, Negate: r.IntN(4) == 0}
		for range n {
			t.Values = append(t.Values, vals[r.IntN(len(vals))])
		}
		return t
	}
	switch r.IntN(3) {
	case 0: // a third and fourth clause
		p.Subjects = append(p.Subjects, []Term{term(1)}, []Term{term(2), term(1)})
	case 1: // a long clause
		p.Subjects = append(p.Subjects, []Term{term(1), term(2), term(1), term(1), term(2)})
	default: // a term with many values
		if len(p.Subjects) > 0 {
			p.Subjects[0] = append(p.Subjects[0], term(9))
		}
	}
}

// A subjectCheck is exact or a necessary condition, and so is a
// subjectScreen: neither ever turns away a user the policy selects.
func TestSubjectChecksNeverMissASelectedUser(t *testing.T) {
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 7))
		c, err := genCatalog(r, 300, 10, 30, 12)
		require.NoError(t, err)
		ps := genPolicies(r, c, 300)
		for i := range ps {
			if i%3 == 0 {
				grow(r, c, &ps[i])
			}
		}
		ix := NewIndex(c)
		cs := compileSubjects(ix, ps)
		prog := newSubjectProgram(cs)
		rows := cs.rows(len(ix.userIDs))
		w := cs.rowWords()
		exact, screened := 0, 0
		for p, clauses := range cs.policies {
			check, screen := newSubjectCheck[uint16](clauses)
			if check.exact {
				exact++
			}
			want := ix.users(ps[p].Subjects)
			for u := range uint32(len(ix.userIDs)) {
				row := rows[int(u)*w : int(u+1)*w]
				sel := prog.selects(uint32(p), row)
				require.Equal(t, want.has(u), sel, "seed %d policy %d user %d: program", seed, p, u)
				if sel {
					require.True(t, check.passes(row), "seed %d policy %d user %d: check", seed, p, u)
					require.True(t, admits(&screen, row), "seed %d policy %d user %d: screen", seed, p, u)
				} else {
					if check.exact {
						require.False(t, check.passes(row), "seed %d policy %d user %d: exact check", seed, p, u)
					}
					if !admits(&screen, row) {
						screened++
					}
				}
			}
		}
		// The checks earn their keep: most policies fit one, and the screen
		// turns most unselected users away.
		assert.Greater(t, exact, len(ps)/2, "seed %d: exact checks", seed)
		assert.Greater(t, screened, len(ps)*len(ix.userIDs)/2, "seed %d: screened out", seed)
	}
}

// Ids short enough to sit in the lookup table's slots and ids too long for
// them both resolve; near misses (prefixes, extensions, other case) do not.
func TestAllowedIDLengths(t *testing.T) {
	long := strings.Repeat("x", 200)
	ids := []string{"u", "exactly-23-bytes-long-u", "exactly-24-bytes-long-uu", "a-rather-longer-user-id-" + long, long + "a", long + "b"}
	c := Catalog{
		Attributes: map[string]Attribute{"title": {Values: map[string]Value{"Eng": {}}}},
		Groups:     map[string]Group{},
		Tags:       map[string]Tag{"T": {}},
	}
	for _, id := range ids {
		c.Users = append(c.Users, User{ID: id, Name: id, Attributes: map[string][]string{"title": {"Eng"}}})
		c.Assets = append(c.Assets, Asset{ID: "asset-" + id, Name: id, Tags: []string{"T"}})
	}
	c.Assets = append(c.Assets, Asset{ID: "other", Name: "other"})
	cat, err := NewCatalog(c)
	require.NoError(t, err)
	e, err := NewEvaluator(cat, []Policy{{ID: "p", Effect: Allow, Action: Read,
		Subjects: [][]Term{{attr("title", "Eng")}}, Objects: []Clause{tags("T")}}})
	require.NoError(t, err)
	for _, u := range ids {
		for _, a := range ids {
			assert.True(t, e.Allowed(u, "asset-"+a, Read), "%s reads asset-%s", u, a)
			assert.False(t, e.Allowed(u, "asset-"+a, Write), "%s writes asset-%s", u, a)
		}
		assert.False(t, e.Allowed(u, "other", Read))
		for _, near := range []string{u[:len(u)-1], u + "x", strings.ToUpper(u), ""} {
			assert.False(t, e.Allowed(near, "asset-"+u, Read), "unknown user %q", near)
			assert.False(t, e.Allowed(u, "asset-"+near, Read), "unknown asset %q", "asset-"+near)
		}
	}
	assert.False(t, e.Allowed(ids[0], "asset-"+ids[0], Action("delete")))
}

// Every id of a set gets its own slot, which slot() finds again; ids of
// every length and count, including none and one.
func TestPerfectHash(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 5000, 60000} {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("%0*d", 1+i%40, i)
		}
		h, slots := newPerfectHash(ids)
		require.Len(t, slots, n)
		used := make([]bool, h.slots)
		for i, id := range ids {
			s := slots[i]
			require.Less(t, uint64(s), h.slots)
			require.False(t, used[s], "%s shares slot %d", id, s)
			used[s] = true
			require.Equal(t, uint64(s), h.slot(h.hash(id)), id)
		}
		if n > 100 {
			assert.GreaterOrEqual(t, float64(n)/float64(h.slots), 0.9*slotLoad/100, "n=%d: slots used", n)
		}
	}
}

// Catalogs with no users, no assets or neither decide every request as
// denied, whatever the ids.
func TestAllowedOnEmptyCatalogs(t *testing.T) {
	user := User{ID: "ana", Name: "Ana"}
	asset := Asset{ID: "db.t", Name: "t"}
	for name, c := range map[string]Catalog{
		"empty":     {},
		"no assets": {Users: []User{user}},
		"no users":  {Assets: []Asset{asset}},
	} {
		cat, err := NewCatalog(c)
		require.NoError(t, err, name)
		for _, wide := range []bool{false, true} {
			e, err := newEvaluator(cat, nil, wide)
			require.NoError(t, err, name)
			for _, ids := range [][2]string{{"ana", "db.t"}, {"", ""}, {"x", "y"}} {
				assert.False(t, e.Allowed(ids[0], ids[1], Read), "%s: %v", name, ids)
			}
		}
	}
}
