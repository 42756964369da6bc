package connectors_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/connectors"
	"github.com/steward-dev/steward/internal/testsupport/pgtest"
	"github.com/steward-dev/steward/policy"
)

const benchUsers, benchTables = 100, 100

// benchDesired is every user reading every table: 10,000 grants.
func benchDesired() []approvals.DesiredGrant {
	out := make([]approvals.DesiredGrant, 0, benchUsers*benchTables)
	for u := 0; u < benchUsers; u++ {
		for a := 0; a < benchTables; a++ {
			out = append(out, approvals.DesiredGrant{User: fmt.Sprintf("u%03d", u), Asset: fmt.Sprintf("t%03d", a), Action: policy.Read, Source: "policy/bench"})
		}
	}
	return out
}

type fixedSource struct {
	mu sync.Mutex
	gs []approvals.DesiredGrant
}

func (s *fixedSource) set(gs []approvals.DesiredGrant) { s.mu.Lock(); s.gs = gs; s.mu.Unlock() }

func (s *fixedSource) DesiredGrants(context.Context, time.Time) ([]approvals.DesiredGrant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gs, nil
}

func benchSetup(b *testing.B) (*env, *fixedSource, *connectors.Reconciler) {
	b.Helper()
	e := newEnv(b, pgtest.Shared(b), benchUsers, benchTables)
	src := &fixedSource{}
	r, err := connectors.NewReconciler(src, e.cat, nil, []connectors.Connector{e.conn}, connectors.ReconcilerConfig{})
	require.NoError(b, err)
	return e, src, r
}

// dropManaged removes every managed role, so the next pass starts from scratch.
func dropManaged(b *testing.B, e *env) {
	b.Helper()
	var stmts []string
	for u := 0; u < benchUsers; u++ {
		r := fmt.Sprintf(`"steward_u_u%03d"`, u)
		stmts = append(stmts, "DROP OWNED BY "+r, "DROP ROLE IF EXISTS "+r)
	}
	e.db.Exec(b, "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'steward_u_u000') THEN "+
		joinStmts(stmts)+" END IF; END $$")
}

func joinStmts(s []string) string {
	out := ""
	for _, x := range s {
		out += "EXECUTE '" + x + "'; "
	}
	return out
}

func BenchmarkReconcileFull(b *testing.B) {
	e, src, r := benchSetup(b)
	ctx := context.Background()
	src.set(benchDesired())
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dropManaged(b, e)
		b.StartTimer()
		start := time.Now()
		res, err := r.RunOnce(ctx)
		total += time.Since(start)
		require.NoError(b, err)
		require.Len(b, res[0].Applied, benchUsers*benchTables+2*benchUsers)
	}
	grants, err := e.conn.Grants(ctx)
	require.NoError(b, err)
	require.Len(b, grants, benchUsers*benchTables)
	sec := total.Seconds() / float64(b.N)
	b.ReportMetric(sec, "s/pass")
	b.ReportMetric(float64(benchUsers*benchTables)/sec, "grants/s")
}

func BenchmarkReconcileIncremental(b *testing.B) {
	_, src, r := benchSetup(b)
	ctx := context.Background()
	base := benchDesired()
	src.set(base)
	_, err := r.RunOnce(ctx)
	require.NoError(b, err)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		// 100 changes: 50 grants revoked (u000 loses t000..t049) and 50 new
		// write grants (u001 gets write on t000..t049: INSERT, UPDATE, DELETE).
		next := make([]approvals.DesiredGrant, 0, len(base)+50)
		for _, g := range base {
			if g.User == "u000" && g.Asset < "t050" {
				continue
			}
			next = append(next, g)
		}
		for a := 0; a < 50; a++ {
			next = append(next, approvals.DesiredGrant{User: "u001", Asset: fmt.Sprintf("t%03d", a), Action: policy.Write, Source: "request/bench"})
		}
		if i%2 == 1 { // and back again, so every iteration has 100 changes
			next = base
		}
		src.set(next)
		start := time.Now()
		res, err := r.RunOnce(ctx)
		total += time.Since(start)
		require.NoError(b, err)
		require.Len(b, res[0].Applied, 100)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/pass")
}

// BenchmarkReconcileSteady is the cost of a pass that finds nothing to do,
// which is what every 15-second tick costs at 10,000 grants.
func BenchmarkReconcileSteady(b *testing.B) {
	_, src, r := benchSetup(b)
	ctx := context.Background()
	src.set(benchDesired())
	_, err := r.RunOnce(ctx)
	require.NoError(b, err)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		res, err := r.RunOnce(ctx)
		require.NoError(b, err)
		require.Empty(b, res[0].Plan.Changes)
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/pass")
}
