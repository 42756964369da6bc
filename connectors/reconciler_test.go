package connectors_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/connectors"
	"github.com/steward-dev/steward/connectors/postgres"
	"github.com/steward-dev/steward/internal/testsupport/pgtest"
	"github.com/steward-dev/steward/policy"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// grantsAt mimics approvals' contract: only grants unexpired at now.
type grantsAt struct {
	mu     sync.Mutex
	grants []approvals.DesiredGrant
}

func (g *grantsAt) set(gs ...approvals.DesiredGrant) { g.mu.Lock(); g.grants = gs; g.mu.Unlock() }

func (g *grantsAt) DesiredGrants(_ context.Context, now time.Time) ([]approvals.DesiredGrant, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []approvals.DesiredGrant
	for _, d := range g.grants {
		if d.ExpiresAt.IsZero() || d.ExpiresAt.After(now) {
			out = append(out, d)
		}
	}
	return out, nil
}

func catalog(t testing.TB, users, tables int) *policy.Catalog {
	t.Helper()
	cat := policy.Catalog{
		Groups: map[string]policy.Group{"analysts": {}, "governance": {}},
		Tags:   map[string]policy.Tag{"PII": {}},
	}
	cat.Users = append(cat.Users,
		policy.User{ID: "alice", Name: "Alice", Email: "alice@example.com", Groups: []string{"analysts"}},
		policy.User{ID: "bob", Name: "Bob", Email: "bob@example.com", Groups: []string{"analysts"}},
		policy.User{ID: "carol", Name: "Carol", Email: "carol@example.com"},
		policy.User{ID: "gina", Name: "Gina", Email: "gina@example.com", Groups: []string{"governance"}},
	)
	for i := 0; i < users; i++ {
		cat.Users = append(cat.Users, policy.User{ID: fmt.Sprintf("u%03d", i), Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("u%03d@example.com", i)})
	}
	cat.Assets = append(cat.Assets,
		policy.Asset{ID: "claims", Platform: "postgres", Name: "public.claims", Owner: "carol", Tags: []string{"PII"}},
		policy.Asset{ID: "payments", Platform: "postgres", Name: "public.payments", Owner: "carol"},
		policy.Asset{ID: "bq.sales", Platform: "bigquery", Name: "sales.orders", Owner: "carol"},
	)
	for i := 0; i < tables; i++ {
		cat.Assets = append(cat.Assets, policy.Asset{ID: fmt.Sprintf("t%03d", i), Platform: "postgres", Name: fmt.Sprintf("bench.t%03d", i), Owner: "carol"})
	}
	c, err := policy.NewCatalog(cat)
	require.NoError(t, err)
	return c
}

type env struct {
	cluster *pgtest.Cluster
	db      *pgtest.Database
	cat     *policy.Catalog
	conn    *postgres.Connector
}

func newEnv(t testing.TB, cluster *pgtest.Cluster, users, tables int) *env {
	t.Helper()
	db := cluster.NewDatabase(t)
	stmts := []string{
		"CREATE TABLE claims (id int)", "INSERT INTO claims VALUES (1)",
		"CREATE TABLE payments (id int)",
		"CREATE SCHEMA bench", "GRANT USAGE ON SCHEMA bench TO PUBLIC",
	}
	for i := 0; i < tables; i++ {
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE bench.t%03d (id int)", i))
	}
	roles := []string{"alice", "bob", "carol", "gina"}
	for i := 0; i < users; i++ {
		roles = append(roles, fmt.Sprintf("u%03d", i))
	}
	for _, r := range roles {
		stmts = append(stmts, "CREATE ROLE "+pgx.Identifier{r}.Sanitize()+" LOGIN")
	}
	db.Exec(t, stmts...)
	cat := catalog(t, users, tables)
	c, err := postgres.New(context.Background(), postgres.Config{URL: db.URL}, cat)
	require.NoError(t, err)
	return &env{cluster: cluster, db: db, cat: cat, conn: c}
}

func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func selectAs(t testing.TB, db *pgtest.Database, role, table string) error {
	t.Helper()
	conn := db.ConnectAs(t, role)
	defer conn.Close(context.Background())
	_, err := conn.Exec(context.Background(), "SELECT * FROM "+table)
	return err
}

func desired(user, asset string, action policy.Action, expires time.Time) approvals.DesiredGrant {
	return approvals.DesiredGrant{User: user, Asset: asset, Action: action, Source: "request/r-" + user, ExpiresAt: expires}
}

func TestReconcilerGrantsThenRevokesAtExpiry(t *testing.T) {
	e := newEnv(t, pgtest.Shared(t), 0, 0)
	clk := newClock()
	src := &grantsAt{}
	src.set(desired("alice", "claims", policy.Read, clk.Now().Add(time.Hour)),
		desired("bob", "bq.sales", policy.Read, time.Time{})) // another platform: not ours
	var applied [][]connectors.Change
	reg := prometheus.NewRegistry()
	r, err := connectors.NewReconciler(src, e.cat, nil, []connectors.Connector{e.conn}, connectors.ReconcilerConfig{
		Now:        clk.Now,
		OnApplied:  func(_ string, ch []connectors.Change) { applied = append(applied, ch) },
		Registerer: reg,
	})
	require.NoError(t, err)
	ctx := context.Background()

	decided := clk.Now().Add(-time.Second)
	state, _ := r.GrantState("alice", "claims", decided)
	assert.Equal(t, connectors.GrantApplying, state)
	_, err = r.RunOnce(ctx)
	require.NoError(t, err)
	require.NoError(t, selectAs(t, e.db, "alice", "claims"))
	state, _ = r.GrantState("alice", "claims", decided)
	assert.Equal(t, connectors.GrantApplied, state)
	require.Len(t, applied, 1)
	assert.Len(t, applied[0], 3, "create role, grant role, grant select")

	clk.Add(59 * time.Minute)
	res, err := r.RunOnce(ctx)
	require.NoError(t, err)
	assert.Empty(t, res[0].Plan.Changes, "nothing to do before expiry")
	require.NoError(t, selectAs(t, e.db, "alice", "claims"))

	clk.Add(time.Minute) // exactly at expiry
	_, err = r.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, "42501", sqlstate(selectAs(t, e.db, "alice", "claims")), "permission denied after expiry")
	st := r.Status()
	require.Len(t, st, 1)
	assert.Equal(t, connectors.StateApplied, st[0].State)
	assert.Equal(t, clk.Now(), st[0].LastSuccess)

	got := map[string]float64{}
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			got[key] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	assert.Equal(t, 3.0, got["steward_reconcile_passes_total,connector=postgres,result=applied"])
	assert.Equal(t, 4.0, got["steward_reconcile_changes_applied_total,connector=postgres"], "3 to grant, 1 to revoke")
	assert.Equal(t, 0.0, got["steward_reconcile_pending_changes,connector=postgres"])
}

func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t, pgtest.Shared(t), 0, 0)
	src := &grantsAt{}
	src.set(desired("alice", "claims", policy.Write, time.Time{}), desired("nobody", "claims", policy.Read, time.Time{}))
	r, err := connectors.NewReconciler(src, e.cat, nil, []connectors.Connector{e.conn}, connectors.ReconcilerConfig{})
	require.NoError(t, err)
	plans, err := r.DryRun(context.Background())
	require.NoError(t, err)
	require.Len(t, plans, 1)
	assert.Len(t, plans[0].Changes, 3)
	require.Len(t, plans[0].Skipped, 1)
	assert.Equal(t, "user nobody is not in the catalog", plans[0].Skipped[0].Reason)
	assert.Equal(t, "42501", sqlstate(selectAs(t, e.db, "alice", "claims")))
	grants, err := e.conn.Grants(context.Background())
	require.NoError(t, err)
	assert.Empty(t, grants)
}

// stopMidway applies the first half of a plan, stops the server, then tries
// the rest: a platform that goes down in the middle of an apply.
type stopMidway struct {
	*postgres.Connector
	cluster *pgtest.Cluster
	once    sync.Once
	applied []connectors.Change
}

func (s *stopMidway) Apply(ctx context.Context, p connectors.Plan) error {
	var err error
	stopped := false
	s.once.Do(func() {
		stopped = true
		half := len(p.Changes) / 2
		first := p
		first.Changes = p.Changes[:half]
		if err = s.Connector.Apply(ctx, first); err != nil {
			return
		}
		s.cluster.Stop()
		rest := p
		rest.Changes = p.Changes[half:]
		err = s.Connector.Apply(ctx, rest)
	})
	if !stopped {
		err = s.Connector.Apply(ctx, p)
	}
	return err
}

func TestServerStoppedDuringApplyRecoversAndConverges(t *testing.T) {
	cluster := pgtest.Start(t)
	e := newEnv(t, cluster, 10, 10)
	src := &grantsAt{}
	var want []connectors.Grant
	var gs []approvals.DesiredGrant
	for u := 0; u < 10; u++ {
		for a := 0; a < 10; a++ {
			user, asset := fmt.Sprintf("u%03d", u), fmt.Sprintf("t%03d", a)
			gs = append(gs, desired(user, asset, policy.Read, time.Time{}))
			want = append(want, connectors.Grant{User: user, Asset: asset, Action: policy.Read})
		}
	}
	src.set(gs...)
	conn := &stopMidway{Connector: e.conn, cluster: cluster}
	r, err := connectors.NewReconciler(src, e.cat, nil, []connectors.Connector{conn}, connectors.ReconcilerConfig{
		MinBackoff: time.Minute, MaxBackoff: 10 * time.Minute,
	})
	require.NoError(t, err)
	ctx := context.Background()

	res, err := r.RunOnce(ctx)
	require.Error(t, err, "the server went away")
	var ae *connectors.ApplyError
	require.ErrorAs(t, err, &ae)
	total := len(res[0].Plan.Changes)
	assert.Equal(t, 120, total, "10 roles, 10 memberships, 100 grants")
	st := r.Status()[0]
	assert.Equal(t, connectors.StateFailed, st.State)
	assert.Equal(t, 1, st.Failures)
	assert.Len(t, st.Pending, total-total/2, "the changes not applied are pending")
	assert.WithinDuration(t, time.Now().Add(time.Minute), st.NextRetry, 10*time.Second, "retry after the first backoff step")
	state, detail := r.GrantState("u009", "t009", time.Now().Add(-time.Hour))
	assert.Equal(t, connectors.GrantApplying, state)
	assert.NotEmpty(t, detail, "the card can say why it is still applying")

	require.NoError(t, cluster.Start())
	res, err = r.RunOnce(ctx)
	require.NoError(t, err)
	assert.Len(t, res[0].Plan.Changes, total-total/2, "only what was missing is applied again")

	grants, err := e.conn.Grants(ctx)
	require.NoError(t, err)
	assert.ElementsMatch(t, want, grants, "no duplicate and no missing grant")
	again, err := e.conn.Plan(ctx, want)
	require.NoError(t, err)
	assert.Empty(t, again.Changes)
	require.NoError(t, selectAs(t, e.db, "u000", "bench.t000"))
	require.NoError(t, selectAs(t, e.db, "u009", "bench.t009"))
	assert.Equal(t, connectors.StateApplied, r.Status()[0].State)
	assert.Equal(t, 0, r.Status()[0].Failures)
}

func TestRunLoopRetriesWithBackoffAndAnswersTriggers(t *testing.T) {
	cluster := pgtest.Start(t)
	e := newEnv(t, cluster, 0, 0)
	src := &grantsAt{}
	r, err := connectors.NewReconciler(src, e.cat, nil, []connectors.Connector{e.conn}, connectors.ReconcilerConfig{
		Interval: time.Hour, MinBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()

	require.Eventually(t, func() bool { return r.Status()[0].State == connectors.StateApplied }, 10*time.Second, 10*time.Millisecond)

	// A decision arrives: Trigger applies it without waiting for the hour.
	src.set(desired("alice", "claims", policy.Read, time.Time{}))
	r.Trigger()
	r.Trigger() // coalesced
	require.Eventually(t, func() bool { return selectAs(t, e.db, "alice", "claims") == nil }, 10*time.Second, 20*time.Millisecond)

	// The server goes down; the next decision fails and is retried with backoff.
	cluster.Stop()
	src.set(desired("alice", "claims", policy.Read, time.Time{}), desired("bob", "claims", policy.Read, time.Time{}))
	r.Trigger()
	require.Eventually(t, func() bool { return r.Status()[0].Failures >= 3 }, 20*time.Second, 10*time.Millisecond,
		"failed passes are retried without waiting for the interval")
	st := r.Status()[0]
	assert.Equal(t, connectors.StateFailed, st.State)
	assert.Contains(t, st.LastError, "connecting to PostgreSQL")

	require.NoError(t, cluster.Start())
	require.Eventually(t, func() bool { return r.Status()[0].State == connectors.StateApplied }, 20*time.Second, 10*time.Millisecond)
	require.NoError(t, selectAs(t, e.db, "bob", "claims"), "the change made while the server was down was not lost")
}

func TestGrantStateExplainsSkippedAndUnservedGrants(t *testing.T) {
	e := newEnv(t, pgtest.Shared(t), 0, 0)
	e.db.Exec(t, "DROP ROLE bob")
	src := &grantsAt{}
	src.set(desired("alice", "claims", policy.Read, time.Time{}), desired("bob", "claims", policy.Read, time.Time{}),
		desired("alice", "bq.sales", policy.Read, time.Time{}))
	r, err := connectors.NewReconciler(src, e.cat, nil, []connectors.Connector{e.conn}, connectors.ReconcilerConfig{})
	require.NoError(t, err)
	before := time.Now().Add(-time.Second)
	_, err = r.RunOnce(context.Background())
	require.NoError(t, err)

	state, _ := r.GrantState("alice", "claims", before)
	assert.Equal(t, connectors.GrantApplied, state)
	state, why := r.GrantState("bob", "claims", before)
	assert.Equal(t, connectors.GrantSkipped, state)
	assert.Equal(t, `PostgreSQL login role "bob" (for user bob) does not exist`, why)
	state, why = r.GrantState("alice", "bq.sales", before)
	assert.Equal(t, connectors.GrantNoTarget, state)
	assert.Equal(t, `no connector serves platform "bigquery"`, why)
	require.Len(t, r.Status()[0].Skipped, 1)
}
