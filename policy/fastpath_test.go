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
// rule (referenceAllowed, the reference matchers read straight off the policies): the compiled subjects and kind-grouped candidate runs must decide
// exactly as the policies read.
func TestAllowedMatchesReferenceExhaustively(t *testing.T) {
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 42))
		c, err := genCatalog(r, 60, 300, 40, 8)
		require.NoError(t, err)
		ps := genPolicies(r, c, 80)
		// Some everyone and nobody subjects too.
		ps[0].Subjects = [][]Term{{}}
		ps[1].Subjects = [][]Term{}
		e, err := NewEvaluator(c, ps)
		require.NoError(t, err)
		n := 0
		for _, u := range c.Users {
			for _, a := range c.Assets {
				for _, act := range []Action{Read, Write} {
					want := referenceAllowed(ps, u, a.ID, allTags(a), act)
					if want {
						n++
					}
					require.Equal(t, want, e.Allowed(u.ID, a.ID, act), "seed %d: %s %s %s", seed, u.ID, act, a.ID)
					require.Equal(t, want, e.Explain(u.ID, a.ID, act).Allowed, "seed %d: explain %s %s %s", seed, u.ID, act, a.ID)
				}
			}
		}
		require.Positive(t, n, "seed %d: the world allows nothing, so the test proves little", seed)
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

// Many ids hash into a table a quarter full; every one is found at its own
// position and absent ids are not found.
func TestIDTable(t *testing.T) {
	ids := make([]string, 5000)
	for i := range ids {
		ids[i] = fmt.Sprintf("%0*d", 1+i%40, i)
	}
	tab := newIDTable(ids, func(i int) uint32 { return uint32(i * 3) })
	for i, id := range ids {
		p, ok := tab.lookup(id)
		require.True(t, ok, id)
		require.Equal(t, uint32(i*3), p, id)
		_, ok = tab.lookup(id + "!")
		require.False(t, ok, id+"!")
	}
	_, ok := newIDTable(nil, nil).lookup("")
	assert.False(t, ok)
}
