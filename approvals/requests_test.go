package approvals_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

func TestSubmitRejectsBadInputAndChangesNothing(t *testing.T) {
	long := strings.Repeat("x", 1001)
	cases := []struct {
		name string
		nr   approvals.NewRequest
		want string
	}{
		{"unknown requester", approvals.NewRequest{Requester: "mallory", Assets: []string{"fin.ledger"}, Reason: "r"}, `requester "mallory" is not a user in the catalog`},
		{"unknown asset", approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger", "fin.nope"}, Reason: "r"}, "unknown assets: fin.nope"},
		{"duplicate asset", approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger", "fin.ledger"}, Reason: "r"}, "assets named more than once: fin.ledger"},
		{"no assets", approvals.NewRequest{Requester: "alice", Reason: "r"}, "no assets"},
		{"bad action", approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger"}, Action: "delete", Reason: "r"}, `action "delete" is not read or write`},
		{"no reason", approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger"}, Reason: "   "}, "a reason is required"},
		{"reason too long", approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger"}, Reason: long}, "the reason is 1001 characters; at most 1000"},
		{"too long", approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger"}, Reason: "r", Duration: 91 * 24 * time.Hour}, "duration 91 days is longer than the maximum of 90 days"},
		{"negative", approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger"}, Reason: "r", Duration: -time.Hour}, "negative"},
		{"extends unknown", approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger"}, Reason: "r", ExtendsRequest: "nope"}, "request nope to extend does not exist"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.svc.Submit(context.Background(), c.nr)
			require.Error(t, err)
			assert.ErrorIs(t, err, approvals.ErrInvalid)
			assert.Contains(t, err.Error(), c.want)
			rs, err := e.store.ListRequests(context.Background(), approvals.RequestFilter{})
			require.NoError(t, err)
			assert.Empty(t, rs)
			es, err := e.store.ListAudit(context.Background(), approvals.AuditFilter{})
			require.NoError(t, err)
			assert.Empty(t, es)
		})
	}
}

func TestSubmitReportsEveryProblemAtOnce(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.Submit(context.Background(), approvals.NewRequest{Requester: "alice", Assets: []string{"x.y"}, Action: "drop", Duration: 200 * 24 * time.Hour})
	require.Error(t, err)
	for _, want := range []string{"unknown assets: x.y", `action "drop"`, "longer than the maximum", "a reason is required"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestSubmitRoutesToOwnerAndGovernance(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	r := e.submit(t, approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger"}, Query: "the ledger"})
	assert.Equal(t, approvals.StatePending, r.State)
	assert.Equal(t, []string{"bob", "gil", "gina"}, r.Approvers)
	assert.Equal(t, 1, r.RequiredApprovals)
	assert.Equal(t, policy.Read, r.Action)
	assert.Equal(t, 7*24*time.Hour, r.Duration, "default duration")

	stored, err := e.store.GetRequest(context.Background(), r.ID)
	require.NoError(t, err)
	assert.Equal(t, r.Approvers, stored.Approvers)

	es := audit(t, e.store, "request/"+r.ID)
	require.Equal(t, []string{"request.created"}, actions(es))
	requireChange(t, es[0], "alice", now, "", "pending")

	// Restricted data needs two approvals (a rule on the parent tag applies to its children).
	r2 := e.submit(t, approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger", "fin.payroll"}, Action: policy.Write, Duration: time.Hour})
	assert.Equal(t, 2, r2.RequiredApprovals)

	// Assets with different owners: only governance can decide on all of them.
	r3 := e.submit(t, approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger", "hr.people"}})
	assert.Equal(t, []string{"gil", "gina"}, r3.Approvers)

	// The requester is never one of the approvers.
	r4 := e.submit(t, approvals.NewRequest{Requester: "bob", Assets: []string{"fin.ledger"}})
	assert.Equal(t, []string{"gil", "gina"}, r4.Approvers)
}

func TestSubmitWithoutAnyoneToApproveIsAClearError(t *testing.T) {
	e := newEnv(t)
	cfg := testConfig()
	cfg.GovernanceGroup = ""
	svc := approvals.New(e.store, testCatalog(t), e.clock.Now, cfg)
	for _, c := range []struct {
		who    string
		assets []string
		want   string
	}{
		{"bob", []string{"fin.ledger"}, "nobody other than bob is an approver"},         // own table
		{"alice", []string{"eng.logs"}, "nobody other than alice is an approver"},       // no owner
		{"alice", []string{"fin.ledger", "hr.people"}, "ask for assets with different"}, // two owners
		{"alice", []string{"fin.payroll"}, "needs 2 approvals but only 1"},
	} {
		_, err := svc.Submit(context.Background(), approvals.NewRequest{Requester: c.who, Assets: c.assets, Reason: "r"})
		require.ErrorIs(t, err, approvals.ErrNoApprover, c.assets)
		assert.Contains(t, err.Error(), c.want)
	}
	rs, err := e.store.ListRequests(context.Background(), approvals.RequestFilter{})
	require.NoError(t, err)
	assert.Empty(t, rs)
}

func TestQuorumCollectsReviewsUntilReached(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.submit(t, approvals.NewRequest{Requester: "alice", Assets: []string{"fin.payroll"}, Duration: 48 * time.Hour})
	require.Equal(t, 2, r.RequiredApprovals)

	t1 := e.clock.Advance(time.Minute)
	d1, err := e.svc.Decide(ctx, r.ID, "bob", approvals.Approve, "ok by me")
	require.NoError(t, err)
	assert.Equal(t, approvals.StatePending, d1.Request.State)
	assert.Empty(t, d1.Grants)
	gs, err := e.store.ListGrants(ctx, approvals.GrantFilter{RequestID: r.ID})
	require.NoError(t, err)
	assert.Empty(t, gs, "no grant before the quorum")

	// The same approver cannot count twice.
	_, err = e.svc.Decide(ctx, r.ID, "bob", approvals.Approve, "")
	require.ErrorIs(t, err, approvals.ErrAlreadyReviewed)

	t2 := e.clock.Advance(time.Minute)
	d2, err := e.svc.Decide(ctx, r.ID, "gina", approvals.Approve, "")
	require.NoError(t, err)
	assert.Equal(t, approvals.StateApproved, d2.Request.State)
	assert.Equal(t, "gina", d2.Request.DecidedBy)
	require.Len(t, d2.Grants, 1)
	g := d2.Grants[0]
	assert.Equal(t, "alice", g.User)
	assert.Equal(t, "fin.payroll", g.Asset)
	assert.True(t, g.ExpiresAt.Equal(t2.Add(48*time.Hour)))

	es := audit(t, e.store, "request/"+r.ID)
	require.Equal(t, []string{"request.created", "request.reviewed", "request.approved"}, actions(es))
	requireChange(t, es[1], "bob", t1, "pending", "pending")
	requireChange(t, es[2], "gina", t2, "pending", "approved")
	assert.Equal(t, "ok by me", es[1].Detail)
}

func TestOneDenyEndsTheRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.submit(t, approvals.NewRequest{Requester: "alice", Assets: []string{"fin.payroll"}})
	_, err := e.svc.Decide(ctx, r.ID, "bob", approvals.Approve, "")
	require.NoError(t, err)
	d, err := e.svc.Decide(ctx, r.ID, "gina", approvals.Reject, "not for this purpose")
	require.NoError(t, err)
	assert.Equal(t, approvals.StateDenied, d.Request.State)
	assert.Empty(t, d.Grants)

	_, err = e.svc.Decide(ctx, r.ID, "gil", approvals.Approve, "")
	var de *approvals.DecidedError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "gina", de.By)
	assert.Equal(t, approvals.StateDenied, de.State)
}

func TestSelfApprovalIsRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// gina is governance and could approve anything, except her own request.
	r := e.submit(t, approvals.NewRequest{Requester: "gina", Assets: []string{"fin.ledger"}})
	_, err := e.svc.Decide(ctx, r.ID, "gina", approvals.Approve, "")
	require.ErrorIs(t, err, approvals.ErrSelfApproval)
	got, err := e.store.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StatePending, got.State)
	assert.Empty(t, got.Reviews)
	assert.Equal(t, []string{"request.created", "request.review_refused"}, actions(audit(t, e.store, "request/"+r.ID)))
}

func TestOutsiderDecisionRefusedWithNoStateChange(t *testing.T) {
	cases := []struct {
		name     string
		assets   []string
		reviewer string
	}{
		{"stranger", []string{"fin.ledger"}, "oscar"},
		{"owner of another table", []string{"fin.ledger"}, "carol"},
		{"owner of only some assets", []string{"fin.ledger", "hr.people"}, "bob"},
		{"not in the catalog", []string{"fin.ledger"}, "mallory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			r := e.submit(t, approvals.NewRequest{Requester: "alice", Assets: c.assets})
			before, err := e.store.GetRequest(ctx, r.ID)
			require.NoError(t, err)
			for _, v := range []approvals.Verdict{approvals.Approve, approvals.Reject} {
				_, err := e.svc.Decide(ctx, r.ID, c.reviewer, v, "")
				require.ErrorIs(t, err, approvals.ErrNotApprover)
			}
			after, err := e.store.GetRequest(ctx, r.ID)
			require.NoError(t, err)
			assert.Equal(t, before, after)
			gs, err := e.store.ListGrants(ctx, approvals.GrantFilter{RequestID: r.ID})
			require.NoError(t, err)
			assert.Empty(t, gs)
			es := audit(t, e.store, "request/"+r.ID)
			assert.Equal(t, []string{"request.created", "request.review_refused", "request.review_refused"}, actions(es))
			assert.Equal(t, c.reviewer, es[1].Actor)
			assert.Contains(t, es[1].Detail, "not an approver")
		})
	}
}

func TestDecisionIsAuthorisedAgainstTheCurrentCatalog(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.submit(t, approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger"}})
	require.Contains(t, r.Approvers, "bob")

	// The ledger changes hands and gina leaves governance before anyone clicks.
	cat := testCatalog(t)
	c2 := *cat
	c2.Assets = append([]policy.Asset(nil), cat.Assets...)
	c2.Assets[0].Owner = "carol"
	c2.Users = append([]policy.User(nil), cat.Users...)
	for i := range c2.Users {
		if c2.Users[i].ID == "gina" {
			c2.Users[i].Groups = nil
		}
	}
	reloaded, err := policy.NewCatalog(policy.Catalog{Attributes: c2.Attributes, Groups: c2.Groups, Users: c2.Users, Tags: c2.Tags, Assets: c2.Assets})
	require.NoError(t, err)
	e.svc.SetCatalog(reloaded)

	_, err = e.svc.Decide(ctx, r.ID, "bob", approvals.Approve, "")
	require.ErrorIs(t, err, approvals.ErrNotApprover, "the former owner")
	_, err = e.svc.Decide(ctx, r.ID, "gina", approvals.Approve, "")
	require.ErrorIs(t, err, approvals.ErrNotApprover, "the former governance member")
	d, err := e.svc.Decide(ctx, r.ID, "gil", approvals.Approve, "")
	require.NoError(t, err)
	assert.Equal(t, approvals.StateApproved, d.Request.State)
}

func TestBadVerdictAndCommentAreRejected(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.submit(t, approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger"}})
	_, err := e.svc.Decide(ctx, r.ID, "bob", "maybe", "")
	require.ErrorIs(t, err, approvals.ErrInvalid)
	_, err = e.svc.Decide(ctx, r.ID, "bob", approvals.Reject, strings.Repeat("y", 2001))
	require.ErrorIs(t, err, approvals.ErrInvalid)
	_, err = e.svc.Decide(ctx, "no-such-request", "bob", approvals.Approve, "")
	require.ErrorIs(t, err, approvals.ErrNotFound)
	got, err := e.store.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StatePending, got.State)
}

func TestConcurrentApprovalsDecideOnceSQLite(t *testing.T) {
	e := newEnv(t)
	// A second replica: its own connection to the same database file.
	other := approvals.New(openSQLite(t, e.path), testCatalog(t), e.clock.Now, testConfig())
	concurrentApprovals(t, []*approvals.Service{e.svc, other}, e.store)
}

// concurrentApprovals: 100 approve clicks at once, spread over the replicas
// and the two governance approvers of a request that needs two approvals,
// make two reviews, one decision, one set of grants and one approval audit entry.
func concurrentApprovals(t *testing.T, svcs []*approvals.Service, st approvals.Store) {
	ctx := context.Background()
	res, err := svcs[0].Submit(ctx, approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger", "fin.payroll"}, Duration: time.Hour, Reason: "audit"})
	require.NoError(t, err)
	id := res.Request.ID
	require.Equal(t, 2, res.Request.RequiredApprovals)

	reviewers := []string{"gina", "gil"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var wins []approvals.Decision
	errs := map[string]int{}
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := svcs[(i/2)%len(svcs)].Decide(ctx, id, reviewers[i%2], approvals.Approve, "")
			mu.Lock()
			defer mu.Unlock()
			var de *approvals.DecidedError
			switch {
			case err == nil:
				wins = append(wins, d)
			case errors.As(err, &de):
				errs["decided"]++
			case errors.Is(err, approvals.ErrAlreadyReviewed):
				errs["reviewed"]++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	// Exactly two reviews land (one per approver), the second approves.
	require.Len(t, wins, 2, "errors: %v", errs)
	approvedN, grantsN := 0, 0
	for _, w := range wins {
		if w.Request.State == approvals.StateApproved {
			approvedN++
		}
		grantsN += len(w.Grants)
	}
	assert.Equal(t, 1, approvedN)
	assert.Equal(t, 2, grantsN)
	gs, err := st.ListGrants(ctx, approvals.GrantFilter{RequestID: id})
	require.NoError(t, err)
	assert.Len(t, gs, 2)
	r, err := st.GetRequest(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, approvals.StateApproved, r.State)
	assert.Len(t, r.Reviews, 2)
	es := audit(t, st, "request/"+id)
	assert.Equal(t, []string{"request.created", "request.reviewed", "request.approved"}, actions(es))
}

func TestCancelByRequesterOnly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.submit(t, approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger"}})
	_, err := e.svc.Cancel(ctx, r.ID, "bob")
	require.ErrorIs(t, err, approvals.ErrForbidden)
	at := e.clock.Advance(time.Minute)
	got, err := e.svc.Cancel(ctx, r.ID, "alice")
	require.NoError(t, err)
	assert.Equal(t, approvals.StateCancelled, got.State)
	_, err = e.svc.Cancel(ctx, r.ID, "alice")
	var se *approvals.StateError
	require.ErrorAs(t, err, &se)
	_, err = e.svc.Decide(ctx, r.ID, "bob", approvals.Approve, "")
	var de *approvals.DecidedError
	require.ErrorAs(t, err, &de)

	es := audit(t, e.store, "request/"+r.ID)
	require.Equal(t, []string{"request.created", "request.cancel_refused", "request.cancelled"}, actions(es))
	requireChange(t, es[2], "alice", at, "pending", "cancelled")
}

func TestRevokeEndsGrants(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dec := e.approved(t, []string{"fin.ledger"}, 24*time.Hour)
	id := dec.Request.ID

	_, err := e.svc.Revoke(ctx, id, "oscar")
	require.ErrorIs(t, err, approvals.ErrForbidden)

	at := e.clock.Advance(time.Hour)
	r, err := e.svc.Revoke(ctx, id, "bob") // an approver
	require.NoError(t, err)
	assert.Equal(t, approvals.StateRevoked, r.State)
	gs, err := e.store.ListGrants(ctx, approvals.GrantFilter{RequestID: id})
	require.NoError(t, err)
	require.Len(t, gs, 1)
	assert.Equal(t, approvals.GrantRevoked, gs[0].State)
	assert.Equal(t, "bob", gs[0].EndedBy)
	assert.True(t, gs[0].EndedAt.Equal(at))

	want, err := e.svc.DesiredGrants(ctx, at)
	require.NoError(t, err)
	assert.Empty(t, want)

	es := audit(t, e.store, "request/"+id)
	assert.Equal(t, "request.revoked", es[len(es)-1].Action)
	requireChange(t, es[len(es)-1], "bob", at, "approved", "revoked")
	ges := audit(t, e.store, "grant/"+gs[0].ID)
	require.Equal(t, []string{"grant.revoked"}, actions(ges))
	requireChange(t, ges[0], "bob", at, "active", "revoked")

	// Nothing is left to revoke, and expiry later does nothing.
	expired, err := e.svc.ExpireDue(ctx, at.Add(48*time.Hour))
	require.NoError(t, err)
	assert.Empty(t, expired)
}

func TestRequesterMayRevokeEarly(t *testing.T) {
	e := newEnv(t)
	dec := e.approved(t, []string{"fin.ledger"}, 24*time.Hour)
	r, err := e.svc.Revoke(context.Background(), dec.Request.ID, "alice")
	require.NoError(t, err)
	assert.Equal(t, approvals.StateRevoked, r.State)
}

func TestExtendCreatesALinkedRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dec := e.approved(t, []string{"fin.ledger"}, 24*time.Hour)

	_, err := e.svc.Extend(ctx, dec.Request.ID, "dave", 24*time.Hour, "please")
	require.ErrorIs(t, err, approvals.ErrForbidden)

	res, err := e.svc.Extend(ctx, dec.Request.ID, "alice", 48*time.Hour, "the audit runs over")
	require.NoError(t, err)
	ext := res.Request
	assert.Equal(t, dec.Request.ID, ext.ExtendsRequest)
	assert.Equal(t, approvals.StatePending, ext.State)
	assert.Equal(t, []string{"fin.ledger"}, ext.Assets)
	assert.Equal(t, 48*time.Hour, ext.Duration)

	// Only approved access can be extended.
	_, err = e.svc.Extend(ctx, ext.ID, "alice", time.Hour, "again")
	require.ErrorIs(t, err, approvals.ErrInvalid)
	assert.Contains(t, err.Error(), "only approved access can be extended")

	// Extension approved: access runs until the later end.
	at := e.clock.Advance(time.Hour)
	_, err = e.svc.Decide(ctx, ext.ID, "bob", approvals.Approve, "")
	require.NoError(t, err)
	want, err := e.svc.DesiredGrants(ctx, at)
	require.NoError(t, err)
	require.Len(t, want, 1)
	assert.Equal(t, "request/"+ext.ID, want[0].Source)
	assert.True(t, want[0].ExpiresAt.Equal(at.Add(48*time.Hour)))
}

func TestPolicySavingIsForGovernanceAndValidated(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := policy.Policy{
		Name: "finance analysts read finance", Effect: policy.Allow, Action: policy.Read,
		Subjects: [][]policy.Term{{{Attribute: "department", Values: []string{"Finance"}}}},
		Objects:  []policy.Clause{{AllTags: []string{"Domain.Finance"}}},
	}
	_, err := e.svc.SavePolicy(ctx, p, "alice")
	require.ErrorIs(t, err, approvals.ErrForbidden)

	bad := p
	bad.Objects = []policy.Clause{{AllTags: []string{"Domain.Nowhere"}}}
	_, err = e.svc.SavePolicy(ctx, bad, "gina")
	require.ErrorIs(t, err, approvals.ErrInvalid)

	at := e.clock.Now()
	saved, err := e.svc.SavePolicy(ctx, p, "gina")
	require.NoError(t, err)
	assert.NotEmpty(t, saved.ID)
	assert.Equal(t, "gina", saved.CreatedBy)
	assert.Equal(t, 1, saved.Version)

	e.clock.Advance(time.Minute)
	p.ID = saved.ID
	p.Action = policy.Write
	v2, err := e.svc.SavePolicy(ctx, p, "gil")
	require.NoError(t, err)
	assert.Equal(t, 2, v2.Version)

	require.ErrorIs(t, e.svc.RetirePolicy(ctx, saved.ID, "bob"), approvals.ErrForbidden)
	require.NoError(t, e.svc.RetirePolicy(ctx, saved.ID, "gil"))
	ps, err := e.store.ListPolicies(ctx)
	require.NoError(t, err)
	assert.Empty(t, ps)

	es := audit(t, e.store, "policy/"+saved.ID)
	require.Equal(t, []string{"policy.saved", "policy.saved", "policy.retired"}, actions(es))
	assert.Equal(t, "gina", es[0].Actor)
	assert.True(t, es[0].At.Equal(at))
	assert.Empty(t, es[0].Before)
	assert.NotEmpty(t, es[1].Before)
	assert.NotEmpty(t, es[2].Before)
}

func TestAlreadyCoveredRequestIsAnsweredAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, err := e.svc.SavePolicy(ctx, policy.Policy{
		Effect: policy.Allow, Action: policy.Write,
		Subjects: [][]policy.Term{{{Attribute: "department", Values: []string{"Finance"}}}},
		Objects:  []policy.Clause{{AllTags: []string{"Domain.Finance"}}},
	}, "gina")
	require.NoError(t, err)

	res, err := e.svc.Submit(ctx, approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger", "fin.payroll"}, Reason: "month end"})
	require.NoError(t, err)
	assert.True(t, res.Covered)
	assert.Equal(t, []string{p.ID}, res.CoveredBy)
	assert.Empty(t, res.Request.ID, "nothing stored")
	assert.Equal(t, []string{"fin.ledger", "fin.payroll"}, res.Request.Assets)
	rs, err := e.store.ListRequests(ctx, approvals.RequestFilter{})
	require.NoError(t, err)
	assert.Empty(t, rs, "no pending request and no card for covered access")
	es := audit(t, e.store, "user/alice")
	require.Equal(t, []string{"request.covered"}, actions(es))
	assert.Contains(t, es[0].Detail, p.ID)

	// Partly covered: a normal request.
	res, err = e.svc.Submit(ctx, approvals.NewRequest{Requester: "alice", Assets: []string{"fin.ledger", "hr.people"}, Reason: "month end"})
	require.NoError(t, err)
	assert.False(t, res.Covered)
	assert.Equal(t, approvals.StatePending, res.Request.State)
}

func TestDenyPolicyRefusesTheRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.svc.SavePolicy(ctx, policy.Policy{
		ID: "no-contractor-pii", Name: "contractors never see PII", Effect: policy.Deny, Action: policy.Read,
		Subjects: [][]policy.Term{{{Group: "contractors"}}},
		Objects:  []policy.Clause{{AllTags: []string{"PII"}}},
	}, "gina")
	require.NoError(t, err)
	_, err = e.svc.Submit(ctx, approvals.NewRequest{Requester: "dave", Assets: []string{"fin.payroll"}, Reason: "r"})
	require.ErrorIs(t, err, approvals.ErrDeniedByPolicy)
	assert.Contains(t, err.Error(), "no-contractor-pii (contractors never see PII)")
	rs, err := e.store.ListRequests(ctx, approvals.RequestFilter{})
	require.NoError(t, err)
	assert.Empty(t, rs)
}
