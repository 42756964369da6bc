package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/store/storetest"
)

// opener maps suite names to files in one directory per top-level test, so
// the same name reopens the same file.
func opener(dir string) storetest.Opener {
	return func(t testing.TB, name string) approvals.Store {
		t.Helper()
		s, err := Open(context.Background(), filepath.Join(dir, name+".db"))
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, opener(t.TempDir()))
}

func BenchmarkSQLite(b *testing.B) {
	storetest.Bench(b, opener(b.TempDir()))
}

func TestMigrationsAppliedOnce(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "steward.db")
	s, err := Open(ctx, path)
	require.NoError(t, err)
	ms, err := migrations()
	require.NoError(t, err)
	require.NotEmpty(t, ms)

	type row struct {
		version   int
		name      string
		appliedAt int64
	}
	read := func(s *Store) []row {
		rows, err := s.db.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
		require.NoError(t, err)
		defer rows.Close()
		var out []row
		for rows.Next() {
			var r row
			require.NoError(t, rows.Scan(&r.version, &r.name, &r.appliedAt))
			out = append(out, r)
		}
		require.NoError(t, rows.Err())
		return out
	}
	first := read(s)
	require.Len(t, first, len(ms), "every embedded migration is recorded")
	for i, m := range ms {
		assert.Equal(t, m.version, first[i].version)
		assert.Equal(t, m.name, first[i].name)
	}
	require.NoError(t, s.Close())

	s2, err := Open(ctx, path)
	require.NoError(t, err)
	defer s2.Close()
	assert.Equal(t, first, read(s2), "reopening applies nothing again")

	var mode string
	require.NoError(t, s2.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode))
	assert.Equal(t, "wal", mode)
	var fk int
	require.NoError(t, s2.db.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk))
	assert.Equal(t, 1, fk)
}

func TestRefusesNewerSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "steward.db")
	s, err := Open(ctx, path)
	require.NoError(t, err)
	_, err = s.db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future', 0)`)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	_, err = Open(ctx, path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "schema version 9999")
	assert.Contains(t, err.Error(), path, "the error names the file")
}

func TestFileSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "steward.db")
	s, err := Open(ctx, path)
	require.NoError(t, err)
	r := approvals.Request{ID: "r1", Requester: "alice", Assets: []string{"pg.a"}, Action: "read", Reason: "audit",
		Approvers: []string{"bob"}, RequiredApprovals: 1, CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC)}
	require.NoError(t, s.CreateRequest(ctx, r, approvals.AuditEntry{}))
	require.NoError(t, s.Close())

	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the database holds bot tokens: owner only")

	s2, err := Open(ctx, path)
	require.NoError(t, err)
	defer s2.Close()
	got, err := s2.GetRequest(ctx, "r1")
	require.NoError(t, err)
	assert.Equal(t, approvals.StatePending, got.State, "an empty state is stored as pending")
	es, err := s2.ListAudit(ctx, approvals.AuditFilter{Subject: "request/r1"})
	require.NoError(t, err)
	require.Len(t, es, 1, "a change is audited even when the caller passed an empty entry")
	assert.Equal(t, "request.created", es[0].Action)
	assert.Equal(t, "alice", es[0].Actor)
}

func TestAuditIsAppendOnlyInTheSchema(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "steward.db"))
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.AppendAudit(ctx, approvals.AuditEntry{ID: "e1", Actor: "bob", Action: "click.refused", Subject: "request/r1"}))
	_, err = s.db.ExecContext(ctx, `UPDATE audit SET actor = 'mallory'`)
	require.ErrorContains(t, err, "append-only")
	_, err = s.db.ExecContext(ctx, `DELETE FROM audit`)
	require.ErrorContains(t, err, "append-only")
	es, err := s.ListAudit(ctx, approvals.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, es, 1)
	assert.Equal(t, "bob", es[0].Actor)
}

func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	_, err := Open(ctx, "")
	require.ErrorContains(t, err, "no database path")
	missing := filepath.Join(t.TempDir(), "no-such-dir", "steward.db")
	_, err = Open(ctx, missing)
	require.ErrorContains(t, err, "does not exist")
	assert.Contains(t, err.Error(), missing)
}

func TestOddPathCharacters(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "a dir?with#odd%chars", "steward.db")
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	s, err := Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, s.AppendAudit(ctx, approvals.AuditEntry{Actor: "bob", Action: "x", Subject: "y"}))
	require.NoError(t, s.Close())
	_, err = os.Stat(path)
	require.NoError(t, err, "the database is where it was asked to be")
}
