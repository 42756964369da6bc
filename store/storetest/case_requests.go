package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
)

func testRequestsCreateGetList(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")

	r1 := newRequest("r1", t0)
	r2 := newRequest("r2", t0.Add(time.Minute))
	r2.Requester, r2.Approvers = "dave", []string{"bob"}
	r3 := newRequest("r3", t0.Add(2*time.Minute))
	r3.Approvers = []string{"carolyn"} // "carol" is a substring: must not match
	r3.Duration = 0
	r3.ExtendsRequest = "r1"
	for _, r := range []approvals.Request{r1, r2, r3} {
		mustCreate(t, s, r)
	}

	got, err := s.GetRequest(ctx, "r1")
	require.NoError(t, err)
	assert.Equal(t, normRequest(r1), normRequest(got), "a request comes back as stored")
	requireUTC(t, t0, got.CreatedAt, "CreatedAt")
	got3, err := s.GetRequest(ctx, "r3")
	require.NoError(t, err)
	assert.Equal(t, normRequest(r3), normRequest(got3))

	_, err = s.GetRequest(ctx, "r-missing")
	require.ErrorIs(t, err, approvals.ErrNotFound)

	dup := newRequest("r1", t1)
	dup.Reason = "overwrite attempt"
	require.ErrorIs(t, s.CreateRequest(ctx, dup, createdAudit(dup)), approvals.ErrConflict, "a duplicate id is a conflict")
	got, err = s.GetRequest(ctx, "r1")
	require.NoError(t, err)
	assert.Equal(t, "reconcile Q3", got.Reason, "a conflicting create changes nothing")
	assert.Equal(t, 1, countAudit(t, s, "request/r1", ""), "a conflicting create writes no audit entry")

	_, err = s.Decide(ctx, "r2", review("bob", approvals.Approve, t1))
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		filter approvals.RequestFilter
		want   []string
	}{
		{"all, newest first", approvals.RequestFilter{}, []string{"r3", "r2", "r1"}},
		{"by requester", approvals.RequestFilter{Requester: "alice"}, []string{"r3", "r1"}},
		{"by approver, exact", approvals.RequestFilter{Approver: "carol"}, []string{"r1"}},
		{"by approver, other", approvals.RequestFilter{Approver: "carolyn"}, []string{"r3"}},
		{"by approver, prefix only", approvals.RequestFilter{Approver: "caro"}, []string{}},
		{"by approver, two requests", approvals.RequestFilter{Approver: "bob"}, []string{"r2", "r1"}},
		{"by state pending", approvals.RequestFilter{State: approvals.StatePending}, []string{"r3", "r1"}},
		{"by state approved", approvals.RequestFilter{State: approvals.StateApproved}, []string{"r2"}},
		{"by state denied", approvals.RequestFilter{State: approvals.StateDenied}, []string{}},
		{"requester and approver", approvals.RequestFilter{Requester: "alice", Approver: "bob"}, []string{"r1"}},
		{"approver and state", approvals.RequestFilter{Approver: "bob", State: approvals.StatePending}, []string{"r1"}},
		{"limit", approvals.RequestFilter{Limit: 2}, []string{"r3", "r2"}},
		{"unknown requester", approvals.RequestFilter{Requester: "nobody"}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := s.ListRequests(ctx, tc.filter)
			require.NoError(t, err)
			assert.Equal(t, tc.want, requestIDs(rs))
		})
	}
	rs, err := s.ListRequests(ctx, approvals.RequestFilter{Requester: "alice"})
	require.NoError(t, err)
	assert.Equal(t, normRequests([]approvals.Request{r3, r1}), normRequests(rs), "listed requests are complete")
}

func testTransitionRequest(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")

	// Cancel while pending.
	rc := mustCreate(t, s, newRequest("r-cancel", t0))
	at := t0.Add(time.Minute)
	got, err := s.TransitionRequest(ctx, rc.ID, []approvals.RequestState{approvals.StatePending}, approvals.StateCancelled, "alice", at,
		auditFor("alice", "request.cancelled", "request/r-cancel", at))
	require.NoError(t, err)
	assert.Equal(t, approvals.StateCancelled, got.State)
	requireUTC(t, at, got.UpdatedAt, "UpdatedAt")
	stored, err := s.GetRequest(ctx, rc.ID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StateCancelled, stored.State)
	assert.Equal(t, 1, countAudit(t, s, "request/r-cancel", "request.cancelled"))

	// A second cancel fails with the state it found, and writes nothing.
	_, err = s.TransitionRequest(ctx, rc.ID, []approvals.RequestState{approvals.StatePending}, approvals.StateCancelled, "alice", at,
		auditFor("alice", "request.cancelled", "request/r-cancel", at))
	var se *approvals.StateError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, string(approvals.StateCancelled), se.Have)
	assert.Equal(t, 1, countAudit(t, s, "request/r-cancel", "request.cancelled"))
	// Deciding a cancelled request is refused.
	_, err = s.Decide(ctx, rc.ID, review("bob", approvals.Approve, t1))
	var de *approvals.DecidedError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, approvals.StateCancelled, de.State)

	// Revoke an approved request: its active grants end with it.
	rr := mustCreate(t, s, newRequest("r-revoke", t0))
	_, err = s.Decide(ctx, rr.ID, review("bob", approvals.Approve, t1))
	require.NoError(t, err)
	gs, err := s.ListGrants(ctx, approvals.GrantFilter{RequestID: rr.ID})
	require.NoError(t, err)
	require.Len(t, gs, 2)
	// One grant already expired by hand: it keeps its own end.
	early := t1.Add(time.Minute)
	_, err = s.EndGrant(ctx, gs[0].ID, approvals.GrantExpired, "steward", early, auditFor("steward", "grant.expired", "grant/"+gs[0].ID, early))
	require.NoError(t, err)
	revokeAt := t1.Add(time.Hour)
	got, err = s.TransitionRequest(ctx, rr.ID, []approvals.RequestState{approvals.StateApproved}, approvals.StateRevoked, "bob", revokeAt,
		auditFor("bob", "request.revoked", "request/r-revoke", revokeAt))
	require.NoError(t, err)
	assert.Equal(t, approvals.StateRevoked, got.State)
	assert.Equal(t, "bob", got.DecidedBy, "revoking keeps who approved")
	gs, err = s.ListGrants(ctx, approvals.GrantFilter{RequestID: rr.ID})
	require.NoError(t, err)
	require.Len(t, gs, 2)
	byID := map[string]approvals.Grant{gs[0].ID: gs[0], gs[1].ID: gs[1]}
	first, second := byID[rr.ID+":pg.finance.ledger"], byID[rr.ID+":pg.finance.payments"]
	assert.Equal(t, approvals.GrantExpired, first.State, "an already ended grant keeps its state")
	requireUTC(t, early, first.EndedAt, "EndedAt of the earlier expiry")
	assert.Equal(t, approvals.GrantRevoked, second.State, "revoking the request revokes its active grants")
	requireUTC(t, revokeAt, second.EndedAt, "EndedAt")
	assert.Equal(t, "bob", second.EndedBy)
	active, err := s.ListGrants(ctx, approvals.GrantFilter{RequestID: rr.ID, State: approvals.GrantActive})
	require.NoError(t, err)
	assert.Empty(t, active)

	// Expire an approved request: grants become expired.
	re := mustCreate(t, s, newRequest("r-expire", t0))
	_, err = s.Decide(ctx, re.ID, review("carol", approvals.Approve, t1))
	require.NoError(t, err)
	expAt := t1.Add(24 * time.Hour)
	_, err = s.TransitionRequest(ctx, re.ID, []approvals.RequestState{approvals.StateApproved}, approvals.StateExpired, "steward", expAt,
		auditFor("steward", "request.expired", "request/r-expire", expAt))
	require.NoError(t, err)
	gs, err = s.ListGrants(ctx, approvals.GrantFilter{RequestID: re.ID})
	require.NoError(t, err)
	for _, g := range gs {
		assert.Equal(t, approvals.GrantExpired, g.State)
		requireUTC(t, expAt, g.EndedAt, "EndedAt")
	}

	_, err = s.TransitionRequest(ctx, "r-missing", []approvals.RequestState{approvals.StatePending}, approvals.StateCancelled, "alice", at,
		auditFor("alice", "request.cancelled", "request/r-missing", at))
	require.ErrorIs(t, err, approvals.ErrNotFound)
	rb := mustCreate(t, s, newRequest("r-bogus", t0))
	_, err = s.TransitionRequest(ctx, rb.ID, []approvals.RequestState{approvals.StatePending}, "bogus", "alice", at,
		auditFor("alice", "request.bogus", "request/r-bogus", at))
	require.ErrorIs(t, err, approvals.ErrInvalid, "an unknown target state is rejected")
	stored, err = s.GetRequest(ctx, rb.ID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StatePending, stored.State)
}
