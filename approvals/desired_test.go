package approvals_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

func TestDesiredGrantsCombinesPoliciesRequestsDeniesAndExpiry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t0 := e.clock.Now()
	save := func(p policy.Policy) {
		t.Helper()
		_, err := e.svc.SavePolicy(ctx, p, "gina")
		require.NoError(t, err)
	}
	finance := [][]policy.Term{{{Attribute: "department", Values: []string{"Finance"}}}}
	// Finance (alice, dave, bob) may write finance data...
	save(policy.Policy{ID: "fin-write", Effect: policy.Allow, Action: policy.Write, Subjects: finance,
		Objects: []policy.Clause{{AllTags: []string{"Domain.Finance"}}}})
	// ...contractors (dave) may not read PII, which takes write away too...
	save(policy.Policy{ID: "no-contractor-pii", Effect: policy.Deny, Action: policy.Read,
		Subjects: [][]policy.Term{{{Group: "contractors"}}}, Objects: []policy.Clause{{AllTags: []string{"PII"}}}})
	// ...and nobody but managers may write restricted data (bob keeps write, alice keeps read).
	save(policy.Policy{ID: "restricted-write", Effect: policy.Deny, Action: policy.Write,
		Subjects: [][]policy.Term{{{Attribute: "title", Values: []string{"Manager"}, Negate: true}}},
		Objects:  []policy.Clause{{AllTags: []string{"Classification.Restricted"}}}})
	// Oscar reads the logs for a day.
	save(policy.Policy{ID: "oscar-logs", Effect: policy.Allow, Action: policy.Read,
		Subjects: [][]policy.Term{{{Attribute: "department", Values: []string{"Engineering"}}}},
		Objects:  []policy.Clause{{Asset: "eng.logs"}}, Duration: policy.Duration(24 * time.Hour)})

	// Alice was granted the HR table for two hours; carol the ledger for one (already over by t0+3h).
	hr := e.approved(t, []string{"hr.people"}, 2*time.Hour)
	res, err := e.svc.Submit(ctx, approvals.NewRequest{Requester: "carol", Assets: []string{"fin.ledger"}, Duration: time.Hour, Reason: "r"})
	require.NoError(t, err)
	_, err = e.svc.Decide(ctx, res.Request.ID, "bob", approvals.Approve, "")
	require.NoError(t, err)

	at := t0.Add(90 * time.Minute)
	got, err := e.svc.DesiredGrants(ctx, at)
	require.NoError(t, err)
	day := t0.Add(24 * time.Hour)
	want := []approvals.DesiredGrant{
		{User: "alice", Asset: "fin.ledger", Action: policy.Write, Source: "policy/fin-write"},
		{User: "alice", Asset: "fin.payroll", Action: policy.Read, Source: "policy/fin-write"},
		{User: "alice", Asset: "hr.people", Action: policy.Read, Source: "request/" + hr.Request.ID, ExpiresAt: hr.Grants[0].ExpiresAt},
		{User: "bob", Asset: "fin.ledger", Action: policy.Write, Source: "policy/fin-write"},
		{User: "bob", Asset: "fin.payroll", Action: policy.Write, Source: "policy/fin-write"},
		{User: "dave", Asset: "fin.ledger", Action: policy.Write, Source: "policy/fin-write"},
		{User: "oscar", Asset: "eng.logs", Action: policy.Read, Source: "policy/oscar-logs", ExpiresAt: day},
	}
	require.Equal(t, len(want), len(got), "got %+v", got)
	for i := range want {
		assert.Equal(t, want[i].User, got[i].User, i)
		assert.Equal(t, want[i].Asset, got[i].Asset, i)
		assert.Equal(t, want[i].Action, got[i].Action, i)
		assert.Equal(t, want[i].Source, got[i].Source, i)
		assert.True(t, want[i].ExpiresAt.Equal(got[i].ExpiresAt), "%d: expires %s, want %s", i, got[i].ExpiresAt, want[i].ExpiresAt)
	}

	// A day later: the request grants and oscar's day are over.
	got, err = e.svc.DesiredGrants(ctx, day)
	require.NoError(t, err)
	for _, g := range got {
		assert.Equal(t, "policy/fin-write", g.Source)
	}
	assert.Len(t, got, 5) // alice ledger+payroll, bob ledger+payroll, dave ledger
}

func TestDesiredGrantsPrefersTheLongerOfReadAndWrite(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	t0 := e.clock.Now()
	// A standing read policy and a two-hour write request on the same table:
	// both are needed (write ends sooner than read).
	_, err := e.svc.SavePolicy(ctx, policy.Policy{ID: "fin-read", Effect: policy.Allow, Action: policy.Read,
		Subjects: [][]policy.Term{{{Attribute: "title", Values: []string{"Analyst"}}}},
		Objects:  []policy.Clause{{Asset: "fin.ledger"}}}, "gina")
	require.NoError(t, err)
	r := e.submit(t, approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger"}, Action: policy.Write, Duration: 2 * time.Hour})
	_, err = e.svc.Decide(ctx, r.ID, "bob", approvals.Approve, "")
	require.NoError(t, err)
	got, err := e.svc.DesiredGrants(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	var alice []approvals.DesiredGrant
	for _, g := range got {
		if g.User == "alice" {
			alice = append(alice, g)
		}
	}
	require.Len(t, alice, 2)
	assert.Equal(t, policy.Read, alice[0].Action)
	assert.True(t, alice[0].ExpiresAt.IsZero())
	assert.Equal(t, policy.Write, alice[1].Action)
	assert.Equal(t, "request/"+r.ID, alice[1].Source)
}
