package connectors_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/connectors"
	"github.com/steward-dev/steward/internal/testsupport/pgtest"
	"github.com/steward-dev/steward/policy"
	"github.com/steward-dev/steward/store/sqlite"
)

// flow is the real thing end to end: the SQLite store, the approvals
// service, the reconciler and PostgreSQL.
type flow struct {
	*env
	clk   *clock
	store *sqlite.Store
	svc   *approvals.Service
	rec   *connectors.Reconciler
}

func newFlow(t *testing.T) *flow {
	t.Helper()
	e := newEnv(t, pgtest.Shared(t), 0, 0)
	clk := newClock()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "steward.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	svc := approvals.New(st, e.cat, clk.Now, approvals.Config{GovernanceGroup: "governance"})
	rec, err := connectors.NewReconciler(svc, e.cat, st, []connectors.Connector{e.conn}, connectors.ReconcilerConfig{
		Now: clk.Now, Holder: "replica-1", Usage: st, UsageEvery: time.Hour,
	})
	require.NoError(t, err)
	return &flow{env: e, clk: clk, store: st, svc: svc, rec: rec}
}

func (f *flow) pass(t *testing.T) []connectors.Result {
	t.Helper()
	res, err := f.rec.RunOnce(context.Background())
	require.NoError(t, err)
	return res
}

func TestApprovedRequestWorksUntilItExpires(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	sub, err := f.svc.Submit(ctx, approvals.NewRequest{Requester: "alice", Assets: []string{"claims"}, Duration: 2 * time.Hour, Reason: "Q3 claims reconciliation"})
	require.NoError(t, err)
	require.False(t, sub.Covered)

	f.pass(t)
	assert.Equal(t, "42501", sqlstate(selectAs(t, f.db, "alice", "claims")), "a pending request grants nothing")

	decidedAt := f.clk.Now()
	_, err = f.svc.Decide(ctx, sub.Request.ID, "carol", approvals.Approve, "ok")
	require.NoError(t, err)
	state, _ := f.rec.GrantState("alice", "claims", decidedAt)
	assert.Equal(t, connectors.GrantApplying, state, "the card shows applying until a pass ran")

	f.clk.Add(time.Second)
	f.pass(t)
	require.NoError(t, selectAs(t, f.db, "alice", "claims"), "approved: alice can SELECT")
	state, _ = f.rec.GrantState("alice", "claims", decidedAt)
	assert.Equal(t, connectors.GrantApplied, state)
	req, err := f.store.GetRequest(ctx, sub.Request.ID)
	require.NoError(t, err)
	state, _ = f.rec.RequestState(req)
	assert.Equal(t, connectors.GrantApplied, state, "the card can say applied")
	assert.Equal(t, "42501", sqlstate(selectAs(t, f.db, "bob", "claims")))

	// alice uses her access; the next usage reading (hourly) records it.
	for i := 0; i < 2; i++ {
		require.NoError(t, selectAs(t, f.db, "alice", "claims"))
	}
	f.clk.Add(time.Hour)
	f.pass(t)
	u, err := f.store.GetUsage(ctx, "alice", "claims")
	require.NoError(t, err)
	if f.conn.Capabilities().Usage {
		assert.True(t, u.Known)
		assert.GreaterOrEqual(t, u.QueryCount, int64(2))
	} else {
		assert.False(t, u.Known, "without pg_stat_statements usage is unknown")
	}
	assert.Equal(t, f.clk.Now(), u.ReportedAt.UTC())

	f.clk.Add(time.Hour - 2*time.Second)
	f.pass(t)
	require.NoError(t, selectAs(t, f.db, "alice", "claims"), "one second before expiry it still works")

	f.clk.Add(time.Second) // the exact expiry instant
	f.pass(t)
	assert.Equal(t, "42501", sqlstate(selectAs(t, f.db, "alice", "claims")), "expired: permission denied")
}

func TestPolicyForGroupGrantsEveryMemberAndRetiringRevokes(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	p, err := f.svc.SavePolicy(ctx, policy.Policy{
		ID: "analysts-claims", Name: "Analysts read claims", Effect: policy.Allow, Action: policy.Read,
		Subjects: [][]policy.Term{{{Group: "analysts"}}},
		Objects:  []policy.Clause{{AllTags: []string{"PII"}}},
	}, "gina")
	require.NoError(t, err)

	f.pass(t)
	require.NoError(t, selectAs(t, f.db, "alice", "claims"))
	require.NoError(t, selectAs(t, f.db, "bob", "claims"))
	assert.Equal(t, "42501", sqlstate(selectAs(t, f.db, "carol", "claims")), "carol is not an analyst")
	assert.Equal(t, "42501", sqlstate(selectAs(t, f.db, "alice", "payments")), "payments carries no PII tag")

	require.NoError(t, f.svc.RetirePolicy(ctx, p.ID, "gina"))
	f.pass(t)
	assert.Equal(t, "42501", sqlstate(selectAs(t, f.db, "alice", "claims")))
	assert.Equal(t, "42501", sqlstate(selectAs(t, f.db, "bob", "claims")))
}

func TestGrantsMadeByHandSurviveReconciling(t *testing.T) {
	f := newFlow(t)
	f.db.Exec(t, "GRANT SELECT ON payments TO carol", "GRANT SELECT ON claims TO alice")
	_, err := f.svc.SavePolicy(context.Background(), policy.Policy{
		ID: "p", Effect: policy.Allow, Action: policy.Read,
		Subjects: [][]policy.Term{{{Group: "analysts"}}}, Objects: []policy.Clause{{Asset: "claims"}},
	}, "gina")
	require.NoError(t, err)
	f.pass(t)
	require.NoError(t, f.svc.RetirePolicy(context.Background(), "p", "gina"))
	f.pass(t)
	assert.Equal(t, "42501", sqlstate(selectAs(t, f.db, "bob", "claims")), "Steward's grant is gone")
	require.NoError(t, selectAs(t, f.db, "alice", "claims"), "alice's hand-made grant stays")
	require.NoError(t, selectAs(t, f.db, "carol", "payments"), "carol's hand-made grant stays")
}

// gated holds every Apply until released, counting them.
type gated struct {
	connectors.Connector
	applies atomic.Int32
	release chan struct{}
}

func (g *gated) Apply(ctx context.Context, p connectors.Plan) error {
	g.applies.Add(1)
	<-g.release
	return g.Connector.Apply(ctx, p)
}

func TestTwoReplicasOnlyOneApplies(t *testing.T) {
	f := newFlow(t)
	ctx := context.Background()
	_, err := f.svc.SavePolicy(ctx, policy.Policy{
		ID: "p", Effect: policy.Allow, Action: policy.Read,
		Subjects: [][]policy.Term{{{Group: "analysts"}}}, Objects: []policy.Clause{{Asset: "claims"}},
	}, "gina")
	require.NoError(t, err)
	g := &gated{Connector: f.conn, release: make(chan struct{})}
	var recs []*connectors.Reconciler
	for _, holder := range []string{"replica-a", "replica-b"} {
		r, err := connectors.NewReconciler(f.svc, f.cat, f.store, []connectors.Connector{g}, connectors.ReconcilerConfig{Now: f.clk.Now, Holder: holder})
		require.NoError(t, err)
		recs = append(recs, r)
	}
	results := make(chan connectors.Result, 2)
	var wg sync.WaitGroup
	for _, r := range recs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := r.RunOnce(ctx)
			assert.NoError(t, err)
			results <- res[0]
		}()
	}
	first := <-results // the replica without the lease returns while the other is held in Apply
	assert.True(t, first.LeaseHeld)
	assert.Empty(t, first.Applied)
	close(g.release)
	wg.Wait()
	second := <-results
	assert.False(t, second.LeaseHeld)
	assert.Len(t, second.Applied, 6, "two users: role, membership, grant each")
	assert.Equal(t, int32(1), g.applies.Load(), "only one replica applied")
	require.NoError(t, selectAs(t, f.db, "bob", "claims"))

	// The lease was released: the next pass, by either replica, finds nothing to do.
	res, err := recs[0].RunOnce(ctx)
	require.NoError(t, err)
	assert.False(t, res[0].LeaseHeld)
	assert.Empty(t, res[0].Plan.Changes)
}
