package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
)

// testReopen: everything written before a restart is there after it, and a
// different name is a different, empty store.
func testReopen(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")

	_, err := s.SavePolicy(ctx, financePolicy("p1", "v1"), auditFor("gina", "policy.saved", "policy/p1", t0))
	require.NoError(t, err)
	_, err = s.SavePolicy(ctx, financePolicy("p1", "v2"), auditFor("gina", "policy.saved", "policy/p1", t0))
	require.NoError(t, err)
	_, err = s.SavePolicy(ctx, financePolicy("p-retired", "old"), auditFor("gina", "policy.saved", "policy/p-retired", t0))
	require.NoError(t, err)
	require.NoError(t, s.RetirePolicy(ctx, "p-retired", auditFor("gina", "policy.retired", "policy/p-retired", t0)))
	mustCreate(t, s, newRequest("r-pending", t0))
	grants := approved(t, s, "r-approved", time.Hour, t1)
	require.NoError(t, s.SaveMessageRef(ctx, approvals.MessageRef{RequestID: "r-approved", Kind: "approval_card", Channel: "C1", TS: "1.1"}))
	claimed, err := s.Claim(ctx, "click:1", t0, t0.Add(time.Hour))
	require.NoError(t, err)
	require.True(t, claimed)
	leased, err := s.AcquireLease(ctx, "reconcile", "replica-a", t0, time.Hour)
	require.NoError(t, err)
	require.True(t, leased)
	require.NoError(t, s.RecordUsage(ctx, []approvals.Usage{{User: "alice", Asset: "pg.a", Known: true, QueryCount: 2, LastQueryAt: t0, ReportedAt: t0}}))
	require.NoError(t, s.SaveWorkspace(ctx, approvals.Workspace{TeamID: "T1", BotToken: "xoxb-kept", InstalledAt: t0}))
	require.NoError(t, s.CreateRecert(ctx, approvals.RecertItem{ID: "rc1", GrantID: grants[0].ID, Approver: "bob", State: approvals.RecertOpen, CreatedAt: t0, DueAt: t1},
		auditFor("steward", "recert.created", "recert/rc1", t0)))
	require.NoError(t, s.SaveRecommendation(ctx, approvals.Recommendation{ID: "rec1", Policy: financePolicy("p-rec", "rec"), State: approvals.RecommendationOpen, CreatedAt: t0},
		auditFor("steward", "recommendation.created", "recommendation/rec1", t0)))
	auditBefore := mustAudit(t, s, approvals.AuditFilter{})
	require.NoError(t, s.Close(), "closing the first handle (the process stops)")

	s2 := open(t, "a")
	p, err := s2.GetPolicy(ctx, "p1")
	require.NoError(t, err)
	assert.Equal(t, 2, p.Version)
	hist, err := s2.PolicyHistory(ctx, "p-retired")
	require.NoError(t, err)
	assert.Len(t, hist, 1)
	_, err = s2.GetPolicy(ctx, "p-retired")
	require.ErrorIs(t, err, approvals.ErrNotFound, "still retired after the restart")
	r, err := s2.GetRequest(ctx, "r-pending")
	require.NoError(t, err)
	assert.Equal(t, normRequest(newRequest("r-pending", t0)), normRequest(r))
	r, err = s2.GetRequest(ctx, "r-approved")
	require.NoError(t, err)
	assert.Equal(t, approvals.StateApproved, r.State)
	due, err := s2.GrantsDueBefore(ctx, t1.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, sortedGrantIDs(grants), sortedGrantIDs(due), "expiry survives a restart")
	refs, err := s2.MessageRefs(ctx, "r-approved")
	require.NoError(t, err)
	assert.Len(t, refs, 1)
	claimed, err = s2.Claim(ctx, "click:1", t0.Add(time.Minute), t0.Add(time.Hour))
	require.NoError(t, err)
	assert.False(t, claimed, "a claim survives a restart")
	leased, err = s2.AcquireLease(ctx, "reconcile", "replica-b", t0.Add(time.Minute), time.Hour)
	require.NoError(t, err)
	assert.False(t, leased, "a lease survives a restart")
	u, err := s2.GetUsage(ctx, "alice", "pg.a")
	require.NoError(t, err)
	assert.Equal(t, int64(2), u.QueryCount)
	w, err := s2.GetWorkspace(ctx, "T1")
	require.NoError(t, err)
	assert.Equal(t, "xoxb-kept", w.BotToken)
	rcs, err := s2.ListRecerts(ctx, approvals.RecertFilter{})
	require.NoError(t, err)
	assert.Len(t, rcs, 1)
	recs, err := s2.ListRecommendations(ctx, approvals.RecommendationOpen)
	require.NoError(t, err)
	assert.Len(t, recs, 1)
	assert.Equal(t, auditBefore, mustAudit(t, s2, approvals.AuditFilter{}), "the audit log survives a restart")

	// Work continues where it stopped.
	_, err = s2.Decide(ctx, "r-pending", review("carol", approvals.Approve, t1))
	require.NoError(t, err)
	_, err = s2.Decide(ctx, "r-approved", review("carol", approvals.Approve, t1))
	var de *approvals.DecidedError
	require.ErrorAs(t, err, &de, "a decision before the restart still counts")

	other := open(t, "b")
	rs, err := other.ListRequests(ctx, approvals.RequestFilter{})
	require.NoError(t, err)
	assert.Empty(t, rs, "another name is another store")
	ps, err := other.ListPolicies(ctx)
	require.NoError(t, err)
	assert.Empty(t, ps)
}
