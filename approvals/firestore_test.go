package approvals_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/internal/testsupport/firestoreemu"
	"github.com/steward-dev/steward/policy"
	"github.com/steward-dev/steward/store/firestore"
)

// openFirestore opens a store on the shared emulator; two calls with the same
// project are two replicas on one database.
func openFirestore(t testing.TB, emu *firestoreemu.Emulator, project string) approvals.Store {
	t.Helper()
	st, err := firestore.Open(context.Background(), firestore.Config{ProjectID: project, EmulatorHost: emu.Host})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestConcurrentApprovalsDecideOnceFirestore(t *testing.T) {
	emu := firestoreemu.Shared(t)
	project := emu.Project(t)
	st := openFirestore(t, emu, project)
	clk := newClock()
	svcs := []*approvals.Service{
		approvals.New(st, testCatalog(t), clk.Now, testConfig()),
		approvals.New(openFirestore(t, emu, project), testCatalog(t), clk.Now, testConfig()),
	}
	concurrentApprovals(t, svcs, st)
}

// bulkCatalog: bob owns n tables that alice may ask for.
func bulkCatalog(t testing.TB, n int) *policy.Catalog {
	t.Helper()
	c := policy.Catalog{
		Groups: map[string]policy.Group{"governance": {}},
		Users: []policy.User{
			{ID: "alice", Name: "Alice"}, {ID: "bob", Name: "Bob"}, {ID: "gina", Name: "Gina", Groups: []string{"governance"}},
		},
		Tags: map[string]policy.Tag{"Domain.Finance": {}},
	}
	for i := range n {
		c.Assets = append(c.Assets, policy.Asset{ID: fmt.Sprintf("bulk.t%04d", i), Name: fmt.Sprintf("t%04d", i), Owner: "bob", Tags: []string{"Domain.Finance"}})
	}
	cat, err := policy.NewCatalog(c)
	require.NoError(t, err)
	return cat
}

// TestTwoReplicasExpireEachGrantOnceFirestore: two service instances, each
// with its own connection to one Firestore database, race to expire the same
// 1,000 grants. Every grant is expired exactly once, with one audit entry, and
// every request moves to expired exactly once.
func TestTwoReplicasExpireEachGrantOnceFirestore(t *testing.T) {
	const requests, perRequest = 20, 50
	ctx := context.Background()
	emu := firestoreemu.Shared(t)
	project := emu.Project(t)
	cat := bulkCatalog(t, requests*perRequest)
	clk := newClock()
	cfg := approvals.Config{GovernanceGroup: "governance"}
	a := approvals.New(openFirestore(t, emu, project), cat, clk.Now, cfg)
	bStore := openFirestore(t, emu, project)
	b := approvals.New(bStore, cat, clk.Now, cfg)

	var end time.Time
	for r := range requests {
		var assets []string
		for i := range perRequest {
			assets = append(assets, fmt.Sprintf("bulk.t%04d", r*perRequest+i))
		}
		res, err := a.Submit(ctx, approvals.NewRequest{Requester: "alice", Assets: assets, Duration: time.Hour, Reason: "bulk load"})
		require.NoError(t, err)
		d, err := b.Decide(ctx, res.Request.ID, "bob", approvals.Approve, "")
		require.NoError(t, err)
		require.Len(t, d.Grants, perRequest)
		end = d.Grants[0].ExpiresAt
	}

	var wg sync.WaitGroup
	results := make([][]approvals.Grant, 2)
	errs := make([]error, 2)
	for i, svc := range []*approvals.Service{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = svc.ExpireDue(ctx, end)
		}()
	}
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	seen := map[string]int{}
	for _, rs := range results {
		for _, g := range rs {
			seen[g.ID]++
		}
	}
	t.Logf("replica A expired %d grants, replica B %d", len(results[0]), len(results[1]))
	require.Len(t, seen, requests*perRequest, "every grant expired")
	for id, n := range seen {
		require.Equal(t, 1, n, "grant %s expired by both replicas", id)
	}

	es, err := bStore.ListAudit(ctx, approvals.AuditFilter{Actor: approvals.SystemActor})
	require.NoError(t, err)
	perSubject := map[string]int{}
	expiredRequests := 0
	for _, e := range es {
		switch e.Action {
		case "grant.expired":
			perSubject[e.Subject]++
		case "request.expired":
			expiredRequests++
		}
	}
	assert.Len(t, perSubject, requests*perRequest)
	for s, n := range perSubject {
		assert.Equal(t, 1, n, "audit entries for %s", s)
	}
	assert.Equal(t, requests, expiredRequests, "each request expires once")
	active, err := bStore.ListGrants(ctx, approvals.GrantFilter{State: approvals.GrantActive})
	require.NoError(t, err)
	assert.Empty(t, active)
	left, err := a.DesiredGrants(ctx, end)
	require.NoError(t, err)
	assert.Empty(t, left)
}
