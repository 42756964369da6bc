package sqlite

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
)

// TestDecideIsAtomic: when writing a grant fails halfway through a decision,
// the request stays pending and no audit entry exists: all or nothing.
func TestDecideIsAtomic(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "steward.db"))
	require.NoError(t, err)
	defer s.Close()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := approvals.Request{ID: "r1", Requester: "alice", Assets: []string{"pg.a", "pg.b"}, Action: "read", Reason: "audit",
		Approvers: []string{"bob"}, RequiredApprovals: 1, CreatedAt: at, Duration: time.Hour}
	require.NoError(t, s.CreateRequest(ctx, r, approvals.AuditEntry{}))
	// Plant a row under the second grant's deterministic id, as if a broken
	// earlier run had left it: the decision must not half-apply.
	_, err = s.db.ExecContext(ctx, `INSERT INTO grants (id, request_id, user_id, asset, action, state) VALUES ('r1:pg.b', 'r1', 'alice', 'pg.b', 'read', 'revoked')`)
	require.NoError(t, err)

	_, err = s.Decide(ctx, "r1", approvals.Review{Reviewer: "bob", Verdict: approvals.Approve, At: at.Add(time.Minute)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "r1:pg.b")

	got, err := s.GetRequest(ctx, "r1")
	require.NoError(t, err)
	assert.Equal(t, approvals.StatePending, got.State)
	assert.Empty(t, got.Reviews)
	gs, err := s.ListGrants(ctx, approvals.GrantFilter{RequestID: "r1"})
	require.NoError(t, err)
	require.Len(t, gs, 1, "the first grant of the failed decision was rolled back")
	assert.Equal(t, "r1:pg.b", gs[0].ID)
	es, err := s.ListAudit(ctx, approvals.AuditFilter{Subject: "request/r1"})
	require.NoError(t, err)
	require.Len(t, es, 1, "no audit entry for the failed decision")
	assert.Equal(t, "request.created", es[0].Action)
}

// TestConcurrentOpenMigratesOnce: replicas starting together on a new file
// all open it, and each migration is applied exactly once.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "steward.db")
	const n = 5
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		stores []*Store
		errs   []error
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, path)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			stores = append(stores, s)
		}()
	}
	wg.Wait()
	for _, s := range stores {
		defer s.Close()
	}
	require.Empty(t, errs)
	require.Len(t, stores, n)
	ms, err := migrations()
	require.NoError(t, err)
	var count int
	require.NoError(t, stores[0].db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&count))
	assert.Equal(t, len(ms), count)
}
