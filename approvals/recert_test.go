package approvals_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
)

func TestRecertificationFromUsage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t0 := e.clock.Now()
	day := 24 * time.Hour
	standing := func(asset, approver string) approvals.Grant {
		t.Helper()
		r := e.submit(t, approvals.NewRequest{Requester: "alice", Assets: []string{asset}, Standing: true, Reason: "weekly " + asset + " report"})
		d, err := e.svc.Decide(ctx, r.ID, approver, approvals.Approve, "")
		require.NoError(t, err)
		require.Len(t, d.Grants, 1)
		require.True(t, d.Grants[0].ExpiresAt.IsZero(), "standing")
		return d.Grants[0]
	}
	ledger := standing("fin.ledger", "bob")
	people := standing("hr.people", "carol")
	logs := standing("eng.logs", "gina")
	// A temporary grant is never recertified.
	e.approved(t, []string{"fin.payroll"}, 30*day)

	require.NoError(t, e.store.RecordUsage(ctx, []approvals.Usage{
		{User: "alice", Asset: "fin.ledger", Known: true, LastQueryAt: t0.Add(80 * day), QueryCount: 40, ReportedAt: t0.Add(85 * day)},
		{User: "alice", Asset: "hr.people", Known: true, QueryCount: 0, ReportedAt: t0.Add(85 * day)},
	}))

	items, err := e.svc.Recertify(ctx, t0.Add(90*day-time.Second))
	require.NoError(t, err)
	assert.Empty(t, items, "not old enough yet")

	at := t0.Add(90 * day)
	e.clock.Set(at)
	items, err = e.svc.Recertify(ctx, at)
	require.NoError(t, err)
	byApprover := map[string]approvals.RecertItem{}
	for _, it := range items {
		byApprover[it.Approver] = it
		assert.Equal(t, approvals.RecertOpen, it.State)
		assert.True(t, it.DueAt.Equal(at.Add(7*day)))
	}
	require.Len(t, items, 4, "%+v", items)
	assert.Equal(t, ledger.ID, byApprover["bob"].GrantID)
	assert.Equal(t, approvals.RecommendKeep, byApprover["bob"].Recommendation)
	assert.Contains(t, byApprover["bob"].Why, "40 queries")
	assert.Contains(t, byApprover["bob"].Why, `"weekly fin.ledger report"`)
	assert.Equal(t, people.ID, byApprover["carol"].GrantID)
	assert.Equal(t, approvals.RecommendRevoke, byApprover["carol"].Recommendation)
	assert.Contains(t, byApprover["carol"].Why, "Never used")
	// No owner: each governance member gets the item.
	assert.Equal(t, logs.ID, byApprover["gina"].GrantID)
	assert.Equal(t, logs.ID, byApprover["gil"].GrantID)
	assert.Equal(t, approvals.RecommendKeep, byApprover["gina"].Recommendation)
	assert.Contains(t, byApprover["gina"].Why, "Usage unknown")
	es := audit(t, e.store, "recert/"+byApprover["bob"].ID)
	require.Equal(t, []string{"recert.created"}, actions(es))
	requireChange(t, es[0], approvals.SystemActor, at, "", "open")

	// Running again, here or on another replica, creates nothing new.
	again, err := e.svc.Recertify(ctx, at.Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, again)
	other := approvals.New(e.store, testCatalog(t), e.clock.Now, testConfig())
	again, err = other.Recertify(ctx, at.Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, again)

	// The holder and strangers cannot decide.
	_, err = e.svc.DecideRecert(ctx, byApprover["carol"].ID, "alice", true)
	require.ErrorIs(t, err, approvals.ErrForbidden)
	_, err = e.svc.DecideRecert(ctx, byApprover["carol"].ID, "oscar", true)
	require.ErrorIs(t, err, approvals.ErrForbidden)

	// Carol follows the recommendation and revokes: the grant ends, and the request with it.
	it, err := e.svc.DecideRecert(ctx, byApprover["carol"].ID, "carol", false)
	require.NoError(t, err)
	assert.Equal(t, approvals.RecertRevoked, it.State)
	gs, err := e.store.ListGrants(ctx, approvals.GrantFilter{RequestID: people.RequestID})
	require.NoError(t, err)
	assert.Equal(t, approvals.GrantRevoked, gs[0].State)
	r, err := e.store.GetRequest(ctx, people.RequestID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StateRevoked, r.State)
	want, err := e.svc.DesiredGrants(ctx, at)
	require.NoError(t, err)
	for _, g := range want {
		assert.NotEqual(t, "hr.people", g.Asset)
	}

	// Gina keeps the logs grant; Gil's copy of the item closes with it.
	_, err = e.svc.DecideRecert(ctx, byApprover["gina"].ID, "gina", true)
	require.NoError(t, err)
	open, err := e.store.ListRecerts(ctx, approvals.RecertFilter{GrantID: logs.ID})
	require.NoError(t, err)
	for _, it := range open {
		assert.Equal(t, approvals.RecertKept, it.State, it.ID)
		assert.Equal(t, "gina", it.DecidedBy)
	}

	// Bob does not answer: after the deadline the item escalates to governance.
	esc, err := e.svc.Recertify(ctx, at.Add(7*day))
	require.NoError(t, err)
	require.Len(t, esc, 1)
	assert.Equal(t, approvals.RecertEscalated, esc[0].State)
	assert.Equal(t, byApprover["bob"].ID, esc[0].ID)
	_, err = e.svc.DecideRecert(ctx, esc[0].ID, "bob", true)
	require.ErrorIs(t, err, approvals.ErrForbidden, "escalated items are for governance")
	e.clock.Set(at.Add(8 * day))
	kept, err := e.svc.DecideRecert(ctx, esc[0].ID, "gil", true)
	require.NoError(t, err)
	assert.Equal(t, approvals.RecertKept, kept.State)
	_, err = e.svc.DecideRecert(ctx, esc[0].ID, "gina", false)
	var se *approvals.StateError
	require.ErrorAs(t, err, &se, "decided once")
	assert.Equal(t, []string{"recert.created", "recert.decision_refused", "recert.escalated", "recert.kept"}, actions(audit(t, e.store, "recert/"+esc[0].ID)),
		"bob's refused click is on record too")

	// A kept grant comes up again a full cycle after it was kept.
	next, err := e.svc.Recertify(ctx, at.Add(90*day))
	require.NoError(t, err)
	assert.Len(t, next, 2, "the logs grant (kept at day 90), one item per governance member")
	next, err = e.svc.Recertify(ctx, at.Add(98*day))
	require.NoError(t, err)
	var created, escalated []approvals.RecertItem
	for _, it := range next {
		if it.State == approvals.RecertOpen {
			created = append(created, it)
		} else {
			escalated = append(escalated, it)
		}
	}
	require.Len(t, created, 1, "the ledger grant (kept at day 98)")
	assert.Equal(t, ledger.ID, created[0].GrantID)
	assert.Len(t, escalated, 2, "the logs items from day 180 are overdue")
}
