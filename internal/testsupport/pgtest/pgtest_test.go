package pgtest_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/internal/testsupport/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestSharedClusterRunsPostgres15WithLoginRoles(t *testing.T) {
	c := pgtest.Shared(t)
	db := c.NewDatabase(t)
	ctx := context.Background()
	admin := db.ConnectAs(t, pgtest.Superuser)
	var version string
	require.NoError(t, admin.QueryRow(ctx, "SHOW server_version").Scan(&version))
	assert.Regexp(t, `^15\.`, version)

	db.Exec(t, "CREATE TABLE t (id int)", "INSERT INTO t VALUES (1)")
	db.CreateLoginRole(t, "alice")
	alice := db.ConnectAs(t, "alice")
	_, err := alice.Exec(ctx, "SELECT * FROM t")
	var pgErr *pgconn.PgError
	require.True(t, errors.As(err, &pgErr), "want a PostgreSQL error, got %v", err)
	assert.Equal(t, "42501", pgErr.Code, "alice has no privilege yet")

	db.Exec(t, "GRANT SELECT ON t TO alice")
	var n int
	require.NoError(t, alice.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n))
	assert.Equal(t, 1, n)

	if c.StatStatements {
		var ok bool
		require.NoError(t, admin.QueryRow(ctx, "SELECT to_regclass('pg_stat_statements') IS NOT NULL").Scan(&ok))
		assert.True(t, ok, "pg_stat_statements view exists in test databases")
	}
}

func TestStopAndStartKeepsData(t *testing.T) {
	c := pgtest.Start(t)
	db := c.NewDatabase(t)
	db.Exec(t, "CREATE TABLE kept (id int)", "INSERT INTO kept VALUES (42)")
	ctx := context.Background()

	c.Stop()
	require.False(t, c.Running())
	_, err := c.TryConnect(ctx, db.Name, pgtest.Superuser)
	require.Error(t, err, "a stopped server refuses connections")

	require.NoError(t, c.Start())
	conn := db.ConnectAs(t, pgtest.Superuser)
	var v int
	require.NoError(t, conn.QueryRow(ctx, "SELECT id FROM kept").Scan(&v))
	assert.Equal(t, 42, v)
}
