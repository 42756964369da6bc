package approvals_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// BenchmarkDesiredGrants: 5,000 users, 5,000 assets, 30 allow and 5 deny
// policies (millions of policy pairs) and up to 500 approved request grants.
func BenchmarkDesiredGrants(b *testing.B) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	const nUsers, nAssets = 5000, 5000
	depts := []string{"d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9"}
	c := policy.Catalog{
		Attributes: map[string]policy.Attribute{"department": {Values: map[string]policy.Value{}}},
		Groups:     map[string]policy.Group{"governance": {}, "contractors": {}},
		Tags:       map[string]policy.Tag{"PII": {}},
	}
	for _, d := range depts {
		c.Attributes["department"].Values[d] = policy.Value{}
		c.Tags["Domain."+d] = policy.Tag{}
	}
	c.Users = append(c.Users, policy.User{ID: "gina", Name: "Gina", Groups: []string{"governance"}})
	for i := range nUsers {
		u := policy.User{ID: fmt.Sprintf("u%05d", i), Name: "u", Attributes: map[string][]string{"department": {depts[rng.IntN(len(depts))]}}}
		if rng.IntN(20) == 0 {
			u.Groups = []string{"contractors"}
		}
		c.Users = append(c.Users, u)
	}
	for i := range nAssets {
		a := policy.Asset{ID: fmt.Sprintf("a%05d", i), Name: "a", Owner: "u00000", Tags: []string{"Domain." + depts[rng.IntN(len(depts))]}}
		if rng.IntN(10) == 0 {
			a.Tags = append(a.Tags, "PII")
		}
		c.Assets = append(c.Assets, a)
	}
	cat, err := policy.NewCatalog(c)
	require.NoError(b, err)
	st := openSQLite(b, filepath.Join(b.TempDir(), "steward.db"))
	clk := newClock()
	svc := approvals.New(st, cat, clk.Now, approvals.Config{GovernanceGroup: "governance"})
	for i := range 30 {
		// Each department reads (some write) one other department's data.
		act := policy.Read
		if i%3 == 0 {
			act = policy.Write
		}
		_, err := svc.SavePolicy(ctx, policy.Policy{Effect: policy.Allow, Action: act,
			Subjects: [][]policy.Term{{{Attribute: "department", Values: []string{depts[i%10]}}}},
			Objects:  []policy.Clause{{AllTags: []string{"Domain." + depts[(i*7+3)%10]}}}}, "gina")
		require.NoError(b, err)
	}
	for i := range 5 {
		_, err := svc.SavePolicy(ctx, policy.Policy{Effect: policy.Deny, Action: policy.Read,
			Subjects: [][]policy.Term{{{Group: "contractors"}, {Attribute: "department", Values: []string{depts[i]}}}},
			Objects:  []policy.Clause{{AllTags: []string{"PII"}}}}, "gina")
		require.NoError(b, err)
	}
	for i := range 50 {
		var assets []string
		for j := range 10 {
			assets = append(assets, fmt.Sprintf("a%05d", (i*10+j)*37%nAssets))
		}
		res, err := svc.Submit(ctx, approvals.NewRequest{Requester: fmt.Sprintf("u%05d", 1+i), Assets: assets, Duration: 24 * time.Hour, Reason: "bench"})
		if errors.Is(err, approvals.ErrDeniedByPolicy) {
			continue // a contractor asking for PII
		}
		require.NoError(b, err)
		if !res.Covered {
			_, err = svc.Decide(ctx, res.Request.ID, "gina", approvals.Approve, "")
			require.NoError(b, err)
		}
	}
	b.ResetTimer()
	var n int
	start := time.Now()
	for b.Loop() {
		got, err := svc.DesiredGrants(ctx, clk.Now())
		require.NoError(b, err)
		n = len(got)
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(n), "grants")
	b.ReportMetric(float64(per.Milliseconds()), "ms/op-wall")
	b.ReportMetric(float64(n)/per.Seconds(), "grants/s")
}
