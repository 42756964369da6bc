package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

func financePolicy(id, name string) policy.Policy {
	return policy.Policy{
		ID:       id,
		Name:     name,
		Sentence: "Comptrollers can read data containing bank account information after completing security awareness training.",
		Effect:   policy.Allow,
		Action:   policy.Read,
		Subjects: [][]policy.Term{{
			{Attribute: "job_title", Values: []string{"Accountant III", "Accountant IV"}},
			{Attribute: "trainings", Values: []string{"Security Awareness"}},
			{Group: "contractors", Negate: true},
		}},
		Objects:   []policy.Clause{{AllTags: []string{"Discovered.Entity.Bank Account Number"}, NoneTags: []string{"Restricted"}}, {Asset: "pg.finance.ledger"}},
		Duration:  policy.Duration(30 * 24 * time.Hour),
		CreatedBy: "gina",
	}
}

func testPolicyVersions(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")

	p := financePolicy("p-finance", "Comptrollers read bank data")
	v1, err := s.SavePolicy(ctx, p, auditFor("gina", "policy.saved", "policy/p-finance", t0))
	require.NoError(t, err)
	assert.Equal(t, 1, v1.Version, "a new policy starts at version 1")
	require.False(t, v1.CreatedAt.IsZero(), "CreatedAt is set when the caller leaves it zero")
	assert.Equal(t, time.UTC, v1.CreatedAt.Location())

	p.Name = "Comptrollers read bank data (v2)"
	p.CreatedAt = t1
	v2, err := s.SavePolicy(ctx, p, auditFor("gina", "policy.saved", "policy/p-finance", t1))
	require.NoError(t, err)
	assert.Equal(t, 2, v2.Version, "saving again creates version 2")
	requireUTC(t, t1, v2.CreatedAt, "caller's CreatedAt")

	got, err := s.GetPolicy(ctx, "p-finance")
	require.NoError(t, err)
	assert.Equal(t, 2, got.Version, "GetPolicy returns the latest version")
	assert.Equal(t, p.Name, got.Name)
	assert.Equal(t, p.Sentence, got.Sentence)
	assert.Equal(t, p.Effect, got.Effect)
	assert.Equal(t, p.Action, got.Action)
	assert.Equal(t, p.Subjects, got.Subjects)
	assert.Equal(t, p.Objects, got.Objects)
	assert.Equal(t, p.Duration, got.Duration)
	assert.Equal(t, p.CreatedBy, got.CreatedBy)
	requireUTC(t, t1, got.CreatedAt, "stored CreatedAt")

	// [[]] (every user) and [] (nobody) must survive the round trip distinctly.
	everyone := policy.Policy{ID: "p-everyone", Effect: policy.Deny, Action: policy.Write,
		Subjects: [][]policy.Term{{}}, Objects: []policy.Clause{{AllTags: []string{"PII"}}}}
	_, err = s.SavePolicy(ctx, everyone, auditFor("gina", "policy.saved", "policy/p-everyone", t0))
	require.NoError(t, err)
	nobody := policy.Policy{ID: "p-nobody", Effect: policy.Mask, Action: policy.Read,
		Subjects: [][]policy.Term{}, Objects: []policy.Clause{{AllTags: []string{"PII"}}}}
	_, err = s.SavePolicy(ctx, nobody, auditFor("gina", "policy.saved", "policy/p-nobody", t0))
	require.NoError(t, err)
	gotEveryone, err := s.GetPolicy(ctx, "p-everyone")
	require.NoError(t, err)
	require.Len(t, gotEveryone.Subjects, 1, "[[]] (every user) must not collapse to [] (nobody)")
	assert.Empty(t, gotEveryone.Subjects[0])
	gotNobody, err := s.GetPolicy(ctx, "p-nobody")
	require.NoError(t, err)
	assert.Empty(t, gotNobody.Subjects, "[] (nobody) must not turn into [[]] (every user)")

	list, err := s.ListPolicies(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"p-everyone", "p-finance", "p-nobody"}, policyIDs(list), "ListPolicies is by id")
	assert.Equal(t, 2, list[1].Version, "ListPolicies gives the latest version")

	hist, err := s.PolicyHistory(ctx, "p-finance")
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, []int{1, 2}, []int{hist[0].Version, hist[1].Version}, "history is oldest first")
	assert.Equal(t, "Comptrollers read bank data", hist[0].Name)

	require.NoError(t, s.RetirePolicy(ctx, "p-finance", auditFor("gina", "policy.retired", "policy/p-finance", t1.Add(time.Hour))))
	_, err = s.GetPolicy(ctx, "p-finance")
	require.ErrorIs(t, err, approvals.ErrNotFound, "a retired policy is not in force")
	list, err = s.ListPolicies(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"p-everyone", "p-nobody"}, policyIDs(list), "ListPolicies leaves out retired policies")
	hist, err = s.PolicyHistory(ctx, "p-finance")
	require.NoError(t, err)
	assert.Len(t, hist, 2, "retiring keeps the history")
	require.ErrorIs(t, s.RetirePolicy(ctx, "p-finance", auditFor("gina", "policy.retired", "policy/p-finance", t1)), approvals.ErrNotFound,
		"retiring a retired policy")
	require.ErrorIs(t, s.RetirePolicy(ctx, "p-missing", auditFor("gina", "policy.retired", "policy/p-missing", t1)), approvals.ErrNotFound)

	// Saving again brings it back as a new version.
	v3, err := s.SavePolicy(ctx, p, auditFor("gina", "policy.saved", "policy/p-finance", t1.Add(2*time.Hour)))
	require.NoError(t, err)
	assert.Equal(t, 3, v3.Version)
	got, err = s.GetPolicy(ctx, "p-finance")
	require.NoError(t, err)
	assert.Equal(t, 3, got.Version)
	list, err = s.ListPolicies(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"p-everyone", "p-finance", "p-nobody"}, policyIDs(list))

	_, err = s.PolicyHistory(ctx, "p-missing")
	require.ErrorIs(t, err, approvals.ErrNotFound)
	_, err = s.GetPolicy(ctx, "p-missing")
	require.ErrorIs(t, err, approvals.ErrNotFound)

	assert.Equal(t, []string{"policy.saved", "policy.saved", "policy.retired", "policy.saved"},
		auditActions(mustAudit(t, s, approvals.AuditFilter{Subject: "policy/p-finance"})),
		"every save and retire is in the audit log")
}

func policyIDs(ps []policy.Policy) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func mustAudit(t testing.TB, s approvals.Store, f approvals.AuditFilter) []approvals.AuditEntry {
	t.Helper()
	es, err := s.ListAudit(t.Context(), f)
	require.NoError(t, err)
	return es
}
