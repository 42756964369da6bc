package approvals_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// A reloaded catalog is taken only when the governance group and every
// saved policy still hold under it; otherwise the running one stays and the
// error names what to fix.
func TestReplaceCatalog(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	_, err := e.svc.SavePolicy(ctx, policy.Policy{ID: "finance-read", Effect: policy.Allow, Action: policy.Read,
		Subjects: [][]policy.Term{{{Attribute: "department", Values: []string{"Finance"}}}},
		Objects:  []policy.Clause{{AllTags: []string{"Domain.Finance"}}}}, "gina")
	require.NoError(t, err)
	running := e.svc.Catalog()

	edited := func(edit func(c *policy.Catalog)) *policy.Catalog {
		c := *testCatalog(t)
		c.Users = append([]policy.User(nil), c.Users...)
		c.Tags = maps.Clone(c.Tags)
		c.Groups = maps.Clone(c.Groups)
		edit(&c)
		out, err := policy.NewCatalog(c)
		require.NoError(t, err)
		return out
	}
	for _, tc := range []struct {
		name string
		cat  *policy.Catalog
		want string
	}{
		{"a tag a saved policy uses is gone", edited(func(c *policy.Catalog) {
			delete(c.Tags, "Domain.Finance")
			for i := range c.Assets {
				c.Assets[i].Tags = nil
			}
		}), "finance-read"},
		{"the governance group is gone", edited(func(c *policy.Catalog) {
			delete(c.Groups, "governance")
			for i := range c.Users {
				c.Users[i].Groups = nil
			}
		}), `no group "governance"`},
		{"no catalog", nil, "no catalog"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.svc.ReplaceCatalog(ctx, tc.cat)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Same(t, running, e.svc.Catalog(), "the running catalog stays")
		})
	}

	// A joiner: the new catalog is taken, and the newcomer can ask for access.
	joined := edited(func(c *policy.Catalog) {
		c.Users = append(c.Users, policy.User{ID: "nadia", Name: "Nadia", Attributes: map[string][]string{"department": {"Finance"}}})
	})
	_, err = e.svc.Submit(ctx, approvals.NewRequest{Requester: "nadia", Assets: []string{"eng.logs"}, Duration: 24 * time.Hour, Reason: "on-call"})
	require.Error(t, err, "nadia is not in the running catalog yet")
	require.NoError(t, e.svc.ReplaceCatalog(ctx, joined))
	assert.Same(t, joined, e.svc.Catalog())
	res, err := e.svc.Submit(ctx, approvals.NewRequest{Requester: "nadia", Assets: []string{"eng.logs"}, Duration: 24 * time.Hour, Reason: "on-call"})
	require.NoError(t, err)
	assert.Equal(t, "nadia", res.Request.Requester)
}
