package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
)

// Cases in this file pin points where the two stores once read the
// interface differently.

// testSaveRecommendationCreatesOnce: SaveRecommendation only creates. An id
// that exists, whatever its state, is ErrConflict and changes nothing:
// approvals.Service.Recommend reads ErrConflict as "already proposed" and
// posts no card, so two replicas mining the same history propose it once,
// and a proposal never loses its CreatedAt. Changing an open recommendation
// is UpdateRecommendation's job.
func testSaveRecommendationCreatesOnce(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	rec := approvals.Recommendation{ID: "rec1", Policy: financePolicy("p-rec1", "Accountants read finance"),
		Support: []string{"r1", "r2"}, Confidence: 0.6, Why: "2 approved", State: approvals.RecommendationOpen, CreatedAt: t0}
	require.NoError(t, s.SaveRecommendation(ctx, rec, auditFor("steward", "recommendation.created", "recommendation/rec1", t0)))

	again := rec
	again.Support, again.Confidence, again.Why, again.CreatedAt = []string{"r1", "r2", "r3"}, 0.75, "3 approved", t1
	err := s.SaveRecommendation(ctx, again, auditFor("steward", "recommendation.created", "recommendation/rec1", t1))
	require.ErrorIs(t, err, approvals.ErrConflict, "an open recommendation is not proposed twice")

	got, err := s.ListRecommendations(ctx, "")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, rec, got[0], "the first proposal stands, CreatedAt included")
	assert.Equal(t, 1, countAudit(t, s, "recommendation/rec1", "recommendation.created"))

	for _, st := range []approvals.RecommendationState{approvals.RecommendationAccepted, approvals.RecommendationDismissed} {
		id := "rec-" + string(st)
		r := rec
		r.ID = id
		require.NoError(t, s.SaveRecommendation(ctx, r, auditFor("steward", "recommendation.created", "recommendation/"+id, t0)))
		done := r
		done.State, done.DecidedBy, done.DecidedAt = st, "gina", t1
		require.NoError(t, s.UpdateRecommendation(ctx, done, auditFor("gina", "recommendation."+string(st), "recommendation/"+id, t1)))
		err := s.SaveRecommendation(ctx, r, auditFor("steward", "recommendation.created", "recommendation/"+id, t1))
		require.ErrorIs(t, err, approvals.ErrConflict, "a %s recommendation is not proposed again", st)
		got, err := s.ListRecommendations(ctx, st)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, done, got[0], "the %s answer stands", st)
		assert.Equal(t, 1, countAudit(t, s, "recommendation/"+id, "recommendation.created"))
	}
}

// testCreateDefaults: like CreateRequest (empty state is pending) and
// SavePolicy (zero CreatedAt is now), CreateRecert and SaveRecommendation
// store an empty state as open and a zero CreatedAt as the time of writing.
func testCreateDefaults(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	before := time.Now().UTC().Add(-time.Second)

	item := approvals.RecertItem{ID: "rc1", GrantID: "r1:pg.a", Approver: "bob", Recommendation: "keep",
		Why: "queried daily", DueAt: t1}
	require.NoError(t, s.CreateRecert(ctx, item, auditFor("steward", "recert.created", "recert/rc1", t0)))
	items, err := s.ListRecerts(ctx, approvals.RecertFilter{State: approvals.RecertOpen})
	require.NoError(t, err)
	require.Len(t, items, 1, "a recertification created without a state is open")
	assert.False(t, items[0].CreatedAt.Before(before), "a zero CreatedAt is set when stored, got %s", items[0].CreatedAt)
	assert.Equal(t, time.UTC, items[0].CreatedAt.Location())

	rec := approvals.Recommendation{ID: "rec1", Policy: financePolicy("p-rec1", "Accountants read finance"),
		Support: []string{"r1"}, Confidence: 0.5, Why: "1 approved"}
	require.NoError(t, s.SaveRecommendation(ctx, rec, auditFor("steward", "recommendation.created", "recommendation/rec1", t0)))
	recs, err := s.ListRecommendations(ctx, approvals.RecommendationOpen)
	require.NoError(t, err)
	require.Len(t, recs, 1, "a recommendation saved without a state is open")
	assert.False(t, recs[0].CreatedAt.Before(before), "a zero CreatedAt is set when stored, got %s", recs[0].CreatedAt)
	assert.Equal(t, time.UTC, recs[0].CreatedAt.Location())
}

// testUpdateRecertUnknownFrom: an unknown expected state is bad input
// (ErrInvalid), not a state mismatch, and writes nothing.
func testUpdateRecertUnknownFrom(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	item := approvals.RecertItem{ID: "rc1", GrantID: "r1:pg.a", Approver: "bob", Recommendation: "revoke",
		Why: "unused", State: approvals.RecertOpen, CreatedAt: t0, DueAt: t1}
	require.NoError(t, s.CreateRecert(ctx, item, auditFor("steward", "recert.created", "recert/rc1", t0)))
	kept := item
	kept.State, kept.DecidedBy, kept.DecidedAt = approvals.RecertKept, "bob", t1
	err := s.UpdateRecert(ctx, kept, "bogus", auditFor("bob", "recert.kept", "recert/rc1", t1))
	require.ErrorIs(t, err, approvals.ErrInvalid)
	var se *approvals.StateError
	assert.NotErrorAs(t, err, &se)
	got, err := s.ListRecerts(ctx, approvals.RecertFilter{GrantID: "r1:pg.a"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, item, got[0])
	assert.Equal(t, 0, countAudit(t, s, "recert/rc1", "recert.kept"))
}

// testTransitionPendingNamesWhoEnded: ending a pending request is its
// decision, so a later click reads "already cancelled by alice at ...", not
// by nobody at year one.
func testTransitionPendingNamesWhoEnded(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	r := mustCreate(t, s, newRequest("r1", t0))
	got, err := s.TransitionRequest(ctx, r.ID, []approvals.RequestState{approvals.StatePending}, approvals.StateCancelled, "alice", t1,
		auditFor("alice", "request.cancelled", "request/r1", t1))
	require.NoError(t, err)
	assert.Equal(t, "alice", got.DecidedBy)
	requireUTC(t, t1, got.DecidedAt, "DecidedAt of the returned request")
	stored, err := s.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, "alice", stored.DecidedBy)
	requireUTC(t, t1, stored.DecidedAt, "DecidedAt of the stored request")

	_, err = s.Decide(ctx, r.ID, review("bob", approvals.Approve, t1.Add(time.Minute)))
	var de *approvals.DecidedError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, approvals.StateCancelled, de.State)
	assert.Equal(t, "alice", de.By)
	requireUTC(t, t1, de.At, "DecidedError.At")
}

// testTransitionAuditsEachGrant: grants ended because their request left
// approved each get their own audit entry, as EndGrant gives them, so a
// grant's history says how it ended.
func testTransitionAuditsEachGrant(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	r := mustCreate(t, s, newRequest("r1", t0))
	_, err := s.Decide(ctx, r.ID, review("bob", approvals.Approve, t1))
	require.NoError(t, err)
	at := t1.Add(time.Hour)
	_, err = s.TransitionRequest(ctx, r.ID, []approvals.RequestState{approvals.StateApproved}, approvals.StateRevoked, "carol", at,
		auditFor("carol", "request.revoked", "request/r1", at))
	require.NoError(t, err)
	for _, asset := range r.Assets {
		subject := "grant/" + r.ID + ":" + asset
		es, err := s.ListAudit(ctx, approvals.AuditFilter{Subject: subject})
		require.NoError(t, err)
		require.Len(t, es, 1, "%s has one audit entry for its end", subject)
		assert.Equal(t, "carol", es[0].Actor)
		assert.Equal(t, "grant.revoked", es[0].Action)
		requireUTC(t, at, es[0].At, "audit At of "+subject)
	}
	assert.Equal(t, 1, countAudit(t, s, "request/r1", "request.revoked"))
}

// testActorRequired: a change made by nobody cannot be audited, so
// TransitionRequest, EndGrant and AppendAudit without an actor are
// ErrInvalid and write nothing.
func testActorRequired(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	r := mustCreate(t, s, newRequest("r1", t0))
	_, err := s.TransitionRequest(ctx, r.ID, []approvals.RequestState{approvals.StatePending}, approvals.StateCancelled, "", t1,
		auditFor("alice", "request.cancelled", "request/r1", t1))
	require.ErrorIs(t, err, approvals.ErrInvalid)
	stored, err := s.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StatePending, stored.State)
	_, err = s.TransitionRequest(ctx, r.ID, []approvals.RequestState{"bogus"}, approvals.StateCancelled, "alice", t1,
		auditFor("alice", "request.cancelled", "request/r1", t1))
	require.ErrorIs(t, err, approvals.ErrInvalid, "an unknown starting state is bad input, not a state mismatch")
	assert.Equal(t, 0, countAudit(t, s, "request/r1", "request.cancelled"))

	_, err = s.Decide(ctx, r.ID, review("bob", approvals.Approve, t1))
	require.NoError(t, err)
	gid := r.ID + ":" + r.Assets[0]
	_, err = s.EndGrant(ctx, gid, approvals.GrantRevoked, "", t1, auditFor("bob", "grant.revoked", "grant/"+gid, t1))
	require.ErrorIs(t, err, approvals.ErrInvalid)
	active, err := s.ListGrants(ctx, approvals.GrantFilter{RequestID: r.ID, State: approvals.GrantActive})
	require.NoError(t, err)
	assert.Len(t, active, 2)
	assert.Equal(t, 0, countAudit(t, s, "grant/"+gid, ""))

	err = s.AppendAudit(ctx, approvals.AuditEntry{At: t1, Action: "click.refused", Subject: "request/r2"})
	require.ErrorIs(t, err, approvals.ErrInvalid)
	assert.Equal(t, 0, countAudit(t, s, "request/r2", ""))
}

// testRecordFieldsChecked: a recertification's recommendation is keep or
// revoke (or none), and a recommendation's supporting request ids are ids;
// anything else is ErrInvalid and writes nothing.
func testRecordFieldsChecked(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	item := approvals.RecertItem{ID: "rc1", GrantID: "r1:pg.a", Approver: "bob", Recommendation: "maybe",
		Why: "unsure", State: approvals.RecertOpen, CreatedAt: t0, DueAt: t1}
	require.ErrorIs(t, s.CreateRecert(ctx, item, auditFor("steward", "recert.created", "recert/rc1", t0)), approvals.ErrInvalid)
	items, err := s.ListRecerts(ctx, approvals.RecertFilter{})
	require.NoError(t, err)
	assert.Empty(t, items)
	assert.Equal(t, 0, countAudit(t, s, "recert/rc1", ""))

	long := make([]byte, 300)
	for i := range long {
		long[i] = 'r'
	}
	rec := approvals.Recommendation{ID: "rec1", Policy: financePolicy("p-rec1", "Accountants read finance"),
		Support: []string{"r1", string(long)}, Confidence: 0.5, Why: "2 approved", State: approvals.RecommendationOpen, CreatedAt: t0}
	require.ErrorIs(t, s.SaveRecommendation(ctx, rec, auditFor("steward", "recommendation.created", "recommendation/rec1", t0)), approvals.ErrInvalid)
	recs, err := s.ListRecommendations(ctx, "")
	require.NoError(t, err)
	assert.Empty(t, recs)
	assert.Equal(t, 0, countAudit(t, s, "recommendation/rec1", ""))
}

// testClaimLongKey: claim keys up to 1024 characters work (a prefix plus a
// grant id, itself request:asset, can pass 512), slashes and all; longer
// ones are ErrInvalid.
func testClaimLongKey(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	key := "expiry-warning:" + strings.Repeat("r/", 300) + ":" + strings.Repeat("pg.asset", 50)
	require.LessOrEqual(t, len(key), 1024)
	require.Greater(t, len(key), 1000)
	first, err := s.Claim(ctx, key, t0, t1)
	require.NoError(t, err)
	assert.True(t, first)
	again, err := s.Claim(ctx, key, t0.Add(time.Second), t1)
	require.NoError(t, err)
	assert.False(t, again, "a long key is claimed once like any other")
	other, err := s.Claim(ctx, key[:len(key)-1], t0, t1)
	require.NoError(t, err)
	assert.True(t, other, "keys that differ in the last character are different keys")

	_, err = s.Claim(ctx, strings.Repeat("k", 1025), t0, t1)
	require.ErrorIs(t, err, approvals.ErrInvalid)
}
