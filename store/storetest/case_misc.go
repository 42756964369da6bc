package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
)

func testRecerts(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	item := approvals.RecertItem{ID: "rc1", GrantID: "r1:pg.a", Approver: "bob", Recommendation: "revoke",
		Why: "no queries in 90 days", State: approvals.RecertOpen, CreatedAt: t0, DueAt: t0.Add(7 * 24 * time.Hour)}
	other := approvals.RecertItem{ID: "rc2", GrantID: "r2:pg.b", Approver: "carol", Recommendation: "keep",
		Why: "queried daily", State: approvals.RecertOpen, CreatedAt: t0.Add(time.Minute), DueAt: t0.Add(7 * 24 * time.Hour)}
	require.NoError(t, s.CreateRecert(ctx, item, auditFor("steward", "recert.created", "recert/rc1", t0)))
	require.NoError(t, s.CreateRecert(ctx, other, auditFor("steward", "recert.created", "recert/rc2", t0)))
	require.ErrorIs(t, s.CreateRecert(ctx, item, auditFor("steward", "recert.created", "recert/rc1", t0)), approvals.ErrConflict)

	got, err := s.ListRecerts(ctx, approvals.RecertFilter{Approver: "bob"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, item, got[0])
	got, err = s.ListRecerts(ctx, approvals.RecertFilter{GrantID: "r2:pg.b"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "rc2", got[0].ID)
	got, err = s.ListRecerts(ctx, approvals.RecertFilter{State: approvals.RecertOpen})
	require.NoError(t, err)
	assert.Len(t, got, 2)

	kept := item
	kept.State, kept.DecidedBy, kept.DecidedAt = approvals.RecertKept, "bob", t1
	require.NoError(t, s.UpdateRecert(ctx, kept, approvals.RecertOpen, auditFor("bob", "recert.kept", "recert/rc1", t1)))
	// A second, concurrent answer based on the open item is refused.
	revoked := item
	revoked.State, revoked.DecidedBy, revoked.DecidedAt = approvals.RecertRevoked, "bob", t1
	err = s.UpdateRecert(ctx, revoked, approvals.RecertOpen, auditFor("bob", "recert.revoked", "recert/rc1", t1))
	var se *approvals.StateError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, string(approvals.RecertKept), se.Have)
	got, err = s.ListRecerts(ctx, approvals.RecertFilter{GrantID: "r1:pg.a"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, kept, got[0], "the first answer stands")
	got, err = s.ListRecerts(ctx, approvals.RecertFilter{State: approvals.RecertOpen})
	require.NoError(t, err)
	assert.Len(t, got, 1)
	assert.Equal(t, 1, countAudit(t, s, "recert/rc1", "recert.kept"))
	assert.Equal(t, 0, countAudit(t, s, "recert/rc1", "recert.revoked"))

	missing := item
	missing.ID = "rc-missing"
	require.ErrorIs(t, s.UpdateRecert(ctx, missing, approvals.RecertOpen, auditFor("bob", "recert.kept", "recert/rc-missing", t1)), approvals.ErrNotFound)
	bad := other
	bad.State = "bogus"
	require.ErrorIs(t, s.UpdateRecert(ctx, bad, approvals.RecertOpen, auditFor("bob", "recert.bogus", "recert/rc2", t1)), approvals.ErrInvalid)
}

func testRecommendations(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	rec := approvals.Recommendation{ID: "rec1", Policy: financePolicy("p-rec1", "Accountants read finance"),
		Support: []string{"r1", "r2", "r7"}, Confidence: 0.875, Why: "3 approved, 0 denied with job_title Accountant IV",
		State: approvals.RecommendationOpen, CreatedAt: t0}
	require.NoError(t, s.SaveRecommendation(ctx, rec, auditFor("steward", "recommendation.created", "recommendation/rec1", t0)))
	got, err := s.ListRecommendations(ctx, approvals.RecommendationOpen)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, rec, got[0], "a recommendation comes back whole, with its policy")

	acc := rec
	acc.State, acc.DecidedBy, acc.DecidedAt = approvals.RecommendationAccepted, "gina", t1
	require.NoError(t, s.UpdateRecommendation(ctx, acc, auditFor("gina", "recommendation.accepted", "recommendation/rec1", t1)))
	dis := rec
	dis.State, dis.DecidedBy, dis.DecidedAt = approvals.RecommendationDismissed, "hank", t1
	err = s.UpdateRecommendation(ctx, dis, auditFor("hank", "recommendation.dismissed", "recommendation/rec1", t1))
	var se *approvals.StateError
	require.ErrorAs(t, err, &se, "only an open recommendation can be answered")
	assert.Equal(t, string(approvals.RecommendationAccepted), se.Have)

	got, err = s.ListRecommendations(ctx, approvals.RecommendationOpen)
	require.NoError(t, err)
	assert.Empty(t, got)
	got, err = s.ListRecommendations(ctx, approvals.RecommendationAccepted)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, acc, got[0])
	assert.Equal(t, 1, countAudit(t, s, "recommendation/rec1", "recommendation.accepted"))
	assert.Equal(t, 0, countAudit(t, s, "recommendation/rec1", "recommendation.dismissed"))

	missing := rec
	missing.ID = "rec-missing"
	require.ErrorIs(t, s.UpdateRecommendation(ctx, missing, auditFor("gina", "recommendation.accepted", "recommendation/rec-missing", t1)), approvals.ErrNotFound)
}

func testUsage(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	u1 := approvals.Usage{User: "alice", Asset: "pg.a", Known: true, LastQueryAt: t0, QueryCount: 3, ReportedAt: t0.Add(time.Minute)}
	u2 := approvals.Usage{User: "alice", Asset: "pg.b", Known: false, ReportedAt: t0.Add(time.Minute)}
	require.NoError(t, s.RecordUsage(ctx, []approvals.Usage{u1, u2}))
	got, err := s.GetUsage(ctx, "alice", "pg.a")
	require.NoError(t, err)
	assert.Equal(t, u1, got)

	u1b := u1
	u1b.LastQueryAt, u1b.QueryCount, u1b.ReportedAt = t1, 7, t1.Add(time.Minute)
	require.NoError(t, s.RecordUsage(ctx, []approvals.Usage{u1b}))
	got, err = s.GetUsage(ctx, "alice", "pg.a")
	require.NoError(t, err)
	assert.Equal(t, u1b, got, "usage is replaced by (user, asset)")
	got, err = s.GetUsage(ctx, "alice", "pg.b")
	require.NoError(t, err)
	assert.Equal(t, u2, got)
	assert.False(t, got.Known)

	_, err = s.GetUsage(ctx, "bob", "pg.a")
	require.ErrorIs(t, err, approvals.ErrNotFound)
	require.ErrorIs(t, s.RecordUsage(ctx, []approvals.Usage{{User: "carol", Asset: "pg.c"}, {User: "", Asset: "pg.a"}}), approvals.ErrInvalid)
	_, err = s.GetUsage(ctx, "carol", "pg.c")
	require.ErrorIs(t, err, approvals.ErrNotFound, "a rejected batch writes none of its records")
	require.NoError(t, s.RecordUsage(ctx, nil), "an empty batch is fine")
}

func testWorkspace(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	w := approvals.Workspace{TeamID: "T0001", TeamName: "Acme", BotUserID: "U0BOT", BotToken: "xoxb-not-a-real-token",
		InstalledBy: "U0ADMIN", InstalledAt: t0}
	require.NoError(t, s.SaveWorkspace(ctx, w))
	got, err := s.GetWorkspace(ctx, "T0001")
	require.NoError(t, err)
	assert.Equal(t, w, got, "the bot token is stored although it is not serialised to JSON")

	w.BotToken, w.InstalledAt = "xoxb-rotated", t1
	require.NoError(t, s.SaveWorkspace(ctx, w))
	got, err = s.GetWorkspace(ctx, "T0001")
	require.NoError(t, err)
	assert.Equal(t, "xoxb-rotated", got.BotToken, "reinstalling replaces the token")
	requireUTC(t, t1, got.InstalledAt, "InstalledAt")

	_, err = s.GetWorkspace(ctx, "T-missing")
	require.ErrorIs(t, err, approvals.ErrNotFound)
	require.ErrorIs(t, s.SaveWorkspace(ctx, approvals.Workspace{TeamName: "no id"}), approvals.ErrInvalid)

	other := approvals.Workspace{TeamID: "T0000", TeamName: "Beta", BotToken: "xoxb-beta", InstalledAt: t0}
	require.NoError(t, s.SaveWorkspace(ctx, other))
	all, err := s.ListWorkspaces(ctx)
	require.NoError(t, err)
	require.Len(t, all, 2, "one per team, the reinstall replaced the first")
	assert.Equal(t, []string{"T0000", "T0001"}, []string{all[0].TeamID, all[1].TeamID}, "by team id")
	assert.Equal(t, "xoxb-rotated", all[1].BotToken)

	empty, err := open(t, "b").ListWorkspaces(ctx)
	require.NoError(t, err)
	assert.NotNil(t, empty, "none is an empty list")
	assert.Empty(t, empty)
}
