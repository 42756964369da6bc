package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
)

func testDecideApprove(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	r := mustCreate(t, s, newRequest("r1", t0))

	d, err := s.Decide(ctx, r.ID, approvals.Review{Reviewer: "bob", Verdict: approvals.Approve, Comment: "ok for Q3", At: t1})
	require.NoError(t, err)
	assert.Equal(t, approvals.StateApproved, d.Request.State)
	assert.Equal(t, "bob", d.Request.DecidedBy)
	requireUTC(t, t1, d.Request.DecidedAt, "DecidedAt")
	require.Len(t, d.Grants, 2, "one grant per asset")
	for _, g := range d.Grants {
		assert.Equal(t, approvals.GrantActive, g.State)
		assert.Equal(t, "alice", g.User)
		requireUTC(t, t1.Add(24*time.Hour), g.ExpiresAt, "ExpiresAt")
	}
	assert.Equal(t, "request.approved", d.Audit.Action)

	stored, err := s.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, normRequest(d.Request), normRequest(stored), "the stored request is the one Decide returned")
	require.Len(t, stored.Reviews, 1)
	assert.Equal(t, "ok for Q3", stored.Reviews[0].Comment)
	requireUTC(t, t1, stored.Reviews[0].At, "review time")

	gs, err := s.ListGrants(ctx, approvals.GrantFilter{RequestID: r.ID})
	require.NoError(t, err)
	assert.Equal(t, sortedGrantIDs(d.Grants), sortedGrantIDs(gs), "the grants are stored with the decision")
	for _, g := range gs {
		requireUTC(t, t1, g.GrantedAt, "GrantedAt")
		requireUTC(t, t1.Add(24*time.Hour), g.ExpiresAt, "stored ExpiresAt")
		assert.Equal(t, r.Action, g.Action)
	}

	es := mustAudit(t, s, approvals.AuditFilter{Subject: "request/" + r.ID})
	require.Equal(t, []string{"request.created", "request.approved"}, auditActions(es))
	assert.Equal(t, d.Audit.ID, es[1].ID)
	assert.Equal(t, "bob", es[1].Actor)
	requireUTC(t, t1, es[1].At, "audit time")
	assert.NotEmpty(t, es[1].Before)
	assert.Contains(t, es[1].After, `"approved"`)
	assert.Equal(t, "ok for Q3", es[1].Detail)

	_, err = s.Decide(ctx, "r-missing", review("bob", approvals.Approve, t1))
	require.ErrorIs(t, err, approvals.ErrNotFound)
}

func testDecideTwice(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	for _, tc := range []struct {
		id    string
		first approvals.Verdict
		want  approvals.RequestState
	}{
		{"r-approved", approvals.Approve, approvals.StateApproved},
		{"r-denied", approvals.Reject, approvals.StateDenied},
	} {
		t.Run(string(tc.want), func(t *testing.T) {
			mustCreate(t, s, newRequest(tc.id, t0))
			_, err := s.Decide(ctx, tc.id, review("bob", tc.first, t1))
			require.NoError(t, err)
			audits := countAudit(t, s, "request/"+tc.id, "")

			_, err = s.Decide(ctx, tc.id, review("carol", approvals.Approve, t1.Add(time.Minute)))
			var de *approvals.DecidedError
			require.ErrorAs(t, err, &de, "a second decision is a *DecidedError")
			assert.Equal(t, tc.id, de.RequestID)
			assert.Equal(t, tc.want, de.State)
			assert.Equal(t, "bob", de.By, "the error names who decided")
			requireUTC(t, t1, de.At, "the error says when")
			assert.Contains(t, err.Error(), "bob")

			stored, err := s.GetRequest(ctx, tc.id)
			require.NoError(t, err)
			assert.Equal(t, tc.want, stored.State)
			assert.Len(t, stored.Reviews, 1, "the refused review is not recorded")
			assert.Equal(t, audits, countAudit(t, s, "request/"+tc.id, ""), "a refused decision writes no audit entry")
		})
	}
}

// testDecideRace: many approvers click at once; exactly one decision wins.
// With handles > 1 the goroutines are spread over several handles on the
// same data, as with several replicas.
func testDecideRace(handles int) func(t *testing.T, open Opener) {
	return func(t *testing.T, open Opener) {
		ctx := t.Context()
		stores := make([]approvals.Store, handles)
		for i := range stores {
			stores[i] = open(t, "a")
		}
		const n = 50
		r := newRequest("r-race", t0)
		r.Approvers = nil
		for i := range n {
			r.Approvers = append(r.Approvers, fmt.Sprintf("approver-%02d", i))
		}
		mustCreate(t, stores[0], r)

		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			successes []approvals.Decision
			decided   int
			others    []error
		)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				d, err := stores[i%handles].Decide(ctx, r.ID, review(r.Approvers[i], approvals.Approve, t1.Add(time.Duration(i))))
				mu.Lock()
				defer mu.Unlock()
				var de *approvals.DecidedError
				switch {
				case err == nil:
					successes = append(successes, d)
				case errors.As(err, &de):
					decided++
				default:
					others = append(others, err)
				}
			}()
		}
		close(start)
		wg.Wait()

		require.Empty(t, others, "every losing decider gets a *DecidedError, nothing else")
		require.Len(t, successes, 1, "exactly one decision succeeds")
		assert.Equal(t, n-1, decided)

		stored, err := stores[0].GetRequest(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, approvals.StateApproved, stored.State)
		require.Len(t, stored.Reviews, 1, "one review recorded")
		assert.Equal(t, successes[0].Request.DecidedBy, stored.DecidedBy)
		gs, err := stores[0].ListGrants(ctx, approvals.GrantFilter{RequestID: r.ID})
		require.NoError(t, err)
		assert.Len(t, gs, len(r.Assets), "grants created once")
		assert.Equal(t, 1, countAudit(t, stores[0], "request/"+r.ID, "request.approved"), "one audit entry for the decision")
		assert.Equal(t, 2, countAudit(t, stores[0], "request/"+r.ID, ""), "created + approved, nothing else")
	}
}

func testDecideQuorum(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	r := newRequest("r-quorum", t0)
	r.Approvers = []string{"bob", "carol", "dave"}
	r.RequiredApprovals = 2
	mustCreate(t, s, r)

	d, err := s.Decide(ctx, r.ID, review("bob", approvals.Approve, t1))
	require.NoError(t, err)
	assert.Equal(t, approvals.StatePending, d.Request.State, "one approval of two leaves it pending")
	assert.Empty(t, d.Grants)
	assert.Equal(t, "request.reviewed", d.Audit.Action)
	gs, err := s.ListGrants(ctx, approvals.GrantFilter{RequestID: r.ID})
	require.NoError(t, err)
	assert.Empty(t, gs, "no grants before the quorum")

	_, err = s.Decide(ctx, r.ID, review("bob", approvals.Approve, t1.Add(time.Second)))
	require.ErrorIs(t, err, approvals.ErrAlreadyReviewed, "one review per person")
	stored, err := s.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Len(t, stored.Reviews, 1)

	d, err = s.Decide(ctx, r.ID, review("carol", approvals.Approve, t1.Add(time.Minute)))
	require.NoError(t, err)
	assert.Equal(t, approvals.StateApproved, d.Request.State, "the second approval reaches the quorum")
	assert.Equal(t, "carol", d.Request.DecidedBy)
	assert.Len(t, d.Grants, 2)
	stored, err = s.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StateApproved, stored.State)
	assert.Len(t, stored.Reviews, 2)
	gs, err = s.ListGrants(ctx, approvals.GrantFilter{RequestID: r.ID})
	require.NoError(t, err)
	assert.Len(t, gs, 2)
	assert.Equal(t, []string{"request.created", "request.reviewed", "request.approved"},
		auditActions(mustAudit(t, s, approvals.AuditFilter{Subject: "request/" + r.ID})))
}

func testDecideDeny(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	r := newRequest("r-deny", t0)
	r.RequiredApprovals = 2
	mustCreate(t, s, r)

	d, err := s.Decide(ctx, r.ID, approvals.Review{Reviewer: "bob", Verdict: approvals.Reject, Comment: "use the aggregate view", At: t1})
	require.NoError(t, err)
	assert.Equal(t, approvals.StateDenied, d.Request.State, "one deny ends the request")
	assert.Empty(t, d.Grants)
	_, err = s.Decide(ctx, r.ID, review("carol", approvals.Approve, t1.Add(time.Minute)))
	var de *approvals.DecidedError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, approvals.StateDenied, de.State)
	gs, err := s.ListGrants(ctx, approvals.GrantFilter{RequestID: r.ID})
	require.NoError(t, err)
	assert.Empty(t, gs, "a denied request has no grants")
	assert.Equal(t, 1, countAudit(t, s, "request/"+r.ID, "request.denied"))
}

func testDecideRefused(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	r := newRequest("r-self", t0)
	r.Approvers = []string{"alice", "bob"} // the requester owns one asset
	mustCreate(t, s, r)

	for _, tc := range []struct {
		name string
		rv   approvals.Review
		want error
	}{
		{"self approval", review("alice", approvals.Approve, t1), approvals.ErrSelfApproval},
		{"outsider", review("mallory", approvals.Approve, t1), approvals.ErrNotApprover},
		{"unknown verdict", review("bob", "maybe", t1), approvals.ErrInvalid},
		{"oversized comment", approvals.Review{Reviewer: "bob", Verdict: approvals.Approve, Comment: strings.Repeat("x", 5000), At: t1}, approvals.ErrInvalid},
		{"no reviewer", review("", approvals.Approve, t1), approvals.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Decide(ctx, r.ID, tc.rv)
			require.ErrorIs(t, err, tc.want)
			stored, err := s.GetRequest(ctx, r.ID)
			require.NoError(t, err)
			assert.Equal(t, approvals.StatePending, stored.State, "a refused review changes nothing")
			assert.Empty(t, stored.Reviews)
			assert.Equal(t, 1, countAudit(t, s, "request/"+r.ID, ""), "only the creation is audited")
			gs, err := s.ListGrants(ctx, approvals.GrantFilter{RequestID: r.ID})
			require.NoError(t, err)
			assert.Empty(t, gs)
		})
	}
}
