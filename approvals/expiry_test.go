package approvals_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
)

func TestExpiryIsExactAtTheBoundary(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dec := e.approved(t, []string{"fin.ledger", "hr.people"}, time.Hour)
	end := dec.Grants[0].ExpiresAt
	require.False(t, end.IsZero())

	justBefore := end.Add(-time.Nanosecond)
	expired, err := e.svc.ExpireDue(ctx, justBefore)
	require.NoError(t, err)
	assert.Empty(t, expired)
	want, err := e.svc.DesiredGrants(ctx, justBefore)
	require.NoError(t, err)
	assert.Len(t, want, 2, "still granted one nanosecond before the end")

	want, err = e.svc.DesiredGrants(ctx, end)
	require.NoError(t, err)
	assert.Empty(t, want, "gone from the desired state at the end, even before ExpireDue runs")

	expired, err = e.svc.ExpireDue(ctx, end)
	require.NoError(t, err)
	require.Len(t, expired, 2)
	for _, g := range expired {
		assert.Equal(t, approvals.GrantExpired, g.State)
		assert.True(t, g.EndedAt.Equal(end))
		es := audit(t, e.store, "grant/"+g.ID)
		require.Equal(t, []string{"grant.expired"}, actions(es))
		requireChange(t, es[0], approvals.SystemActor, end, "active", "expired")
	}
	r, err := e.store.GetRequest(ctx, dec.Request.ID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StateExpired, r.State)
	es := audit(t, e.store, "request/"+r.ID)
	assert.Equal(t, "request.expired", es[len(es)-1].Action)
	requireChange(t, es[len(es)-1], approvals.SystemActor, e.clock.Now(), "approved", "expired")

	again, err := e.svc.ExpireDue(ctx, end.Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, again, "nothing expires twice")
	assert.Len(t, audit(t, e.store, "request/"+r.ID), len(es))
}

func TestRestartBetweenApprovalAndExpiryLosesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dec := e.approved(t, []string{"fin.ledger"}, 2*time.Hour)
	end := dec.Grants[0].ExpiresAt
	require.NoError(t, e.store.Close())

	// A new process: same file, new service, the clock has moved on past the end.
	st := openSQLite(t, e.path)
	c := newClock()
	c.Set(end.Add(10 * time.Minute))
	svc := approvals.New(st, testCatalog(t), c.Now, testConfig())

	want, err := svc.DesiredGrants(ctx, end.Add(-time.Minute))
	require.NoError(t, err)
	require.Len(t, want, 1, "the approval survived the restart")
	assert.Equal(t, "request/"+dec.Request.ID, want[0].Source)

	expired, err := svc.ExpireDue(ctx, c.Now())
	require.NoError(t, err)
	require.Len(t, expired, 1)
	assert.Equal(t, dec.Grants[0].ID, expired[0].ID)
	want, err = svc.DesiredGrants(ctx, c.Now())
	require.NoError(t, err)
	assert.Empty(t, want)
	r, err := st.GetRequest(ctx, dec.Request.ID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StateExpired, r.State)
}

func TestRemindersFireOnceEach(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dec := e.approved(t, []string{"fin.ledger"}, 72*time.Hour)
	end := dec.Grants[0].ExpiresAt
	// A second replica on the same store.
	other := approvals.New(e.store, testCatalog(t), e.clock.Now, testConfig())

	fire := func(at time.Time) []approvals.Reminder {
		t.Helper()
		a, err := e.svc.DueReminders(ctx, at)
		require.NoError(t, err)
		b, err := other.DueReminders(ctx, at)
		require.NoError(t, err)
		return append(a, b...)
	}
	assert.Empty(t, fire(end.Add(-24*time.Hour-time.Nanosecond)))
	got := fire(end.Add(-24 * time.Hour))
	require.Len(t, got, 1)
	assert.Equal(t, 24*time.Hour, got[0].Before)
	assert.Equal(t, dec.Grants[0].ID, got[0].Grant.ID)
	assert.Empty(t, fire(end.Add(-23*time.Hour)), "the 24h reminder fires once")
	got = fire(end.Add(-time.Hour))
	require.Len(t, got, 1)
	assert.Equal(t, time.Hour, got[0].Before)
	assert.Empty(t, fire(end.Add(-time.Minute)))
	assert.Empty(t, fire(end), "no reminder once it has ended")
}

func TestShortGrantGetsOnlyTheReminderThatFits(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dec := e.approved(t, []string{"fin.ledger"}, 3*time.Hour)
	end := dec.Grants[0].ExpiresAt
	got, err := e.svc.DueReminders(ctx, e.clock.Now())
	require.NoError(t, err)
	assert.Empty(t, got, "no 'ends within 24 hours' reminder the moment a 3-hour grant starts")
	got, err = e.svc.DueReminders(ctx, end.Add(-30*time.Minute))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, time.Hour, got[0].Before)
}

// TestEveryChangeIsAuditedOnce walks a request through its life and checks the
// audit log holds exactly one entry per change, each with actor, time, and the
// record before and after.
func TestEveryChangeIsAuditedOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t0 := e.clock.Now()
	r := e.submit(t, approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger", "fin.payroll"}, Duration: time.Hour})
	t1 := e.clock.Advance(time.Minute)
	_, err := e.svc.Decide(ctx, r.ID, "bob", approvals.Approve, "")
	require.NoError(t, err)
	t2 := e.clock.Advance(time.Minute)
	d, err := e.svc.Decide(ctx, r.ID, "gil", approvals.Approve, "fine")
	require.NoError(t, err)
	end := d.Grants[0].ExpiresAt
	e.clock.Set(end)
	_, err = e.svc.ExpireDue(ctx, end)
	require.NoError(t, err)
	_, err = e.svc.ExpireDue(ctx, end.Add(time.Minute)) // a second pass changes nothing
	require.NoError(t, err)

	all, err := e.store.ListAudit(ctx, approvals.AuditFilter{})
	require.NoError(t, err)
	var got []string
	for _, a := range all {
		got = append(got, a.Action+" "+a.Subject)
	}
	assert.ElementsMatch(t, []string{
		"request.created request/" + r.ID,
		"request.reviewed request/" + r.ID,
		"request.approved request/" + r.ID,
		"grant.expired grant/" + r.ID + ":fin.ledger",
		"grant.expired grant/" + r.ID + ":fin.payroll",
		"request.expired request/" + r.ID,
	}, got)
	want := map[string]struct {
		actor         string
		at            time.Time
		before, after string
	}{
		"request.created":  {"alice", t0, "", "pending"},
		"request.reviewed": {"bob", t1, "pending", "pending"},
		"request.approved": {"gil", t2, "pending", "approved"},
		"grant.expired":    {approvals.SystemActor, end, "active", "expired"},
		"request.expired":  {approvals.SystemActor, end, "approved", "expired"},
	}
	for _, a := range all {
		w := want[a.Action]
		requireChange(t, a, w.actor, w.at, w.before, w.after)
		assert.NotEmpty(t, a.ID)
	}
}
