package postgres_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/connectors"
	"github.com/steward-dev/steward/connectors/postgres"
	"github.com/steward-dev/steward/internal/testsupport/pgtest"
	"github.com/steward-dev/steward/policy"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const injected = `x"; DROP TABLE y; --`

func testCatalog() *policy.Catalog {
	return &policy.Catalog{
		Users: []policy.User{
			{ID: "alice", Email: "alice@example.com"},
			{ID: "bob", Email: "bob@example.com"},
			{ID: "carol", Email: "carol@example.com"},
			{ID: "nologin", Email: "nologin@example.com"},
			{ID: "noemail"},
		},
		Assets: []policy.Asset{
			{ID: "claims", Platform: "postgres", Name: "public.claims"},
			{ID: "payments", Platform: "postgres", Name: "finance.payments"},
			{ID: "weird", Platform: "postgres", Name: "public." + injected},
			{ID: "missing", Platform: "postgres", Name: "public.missing"},
			{ID: "bq", Platform: "bigquery", Name: "ds.table"},
		},
	}
}

// setup makes a database with the test tables and login roles alice, bob, carol.
func setup(t *testing.T) (*pgtest.Database, *postgres.Connector) {
	t.Helper()
	db := pgtest.Shared(t).NewDatabase(t)
	db.Exec(t,
		"CREATE TABLE claims (id int, amount numeric)",
		"INSERT INTO claims VALUES (1, 10)",
		"CREATE SCHEMA finance",
		"CREATE TABLE finance.payments (id int, iban text)",
		"GRANT USAGE ON SCHEMA finance TO PUBLIC",
		"CREATE TABLE y (id int)",
		"CREATE TABLE "+pgx.Identifier{injected}.Sanitize()+" (id int)",
	)
	for _, r := range []string{"alice", "bob", "carol"} {
		db.CreateLoginRole(t, r)
	}
	c, err := postgres.New(context.Background(), postgres.Config{URL: db.URL}, testCatalog())
	require.NoError(t, err)
	return db, c
}

func converge(t *testing.T, c *postgres.Connector, desired ...connectors.Grant) connectors.Plan {
	t.Helper()
	ctx := context.Background()
	plan, err := c.Plan(ctx, desired)
	require.NoError(t, err)
	require.NoError(t, c.Apply(ctx, plan))
	again, err := c.Plan(ctx, desired)
	require.NoError(t, err)
	require.Empty(t, again.Changes, "after apply the platform matches the desired grants")
	return plan
}

func sqlstate(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func canSelect(t *testing.T, db *pgtest.Database, role, table string) error {
	t.Helper()
	conn := db.ConnectAs(t, role)
	defer conn.Close(context.Background())
	_, err := conn.Exec(context.Background(), "SELECT * FROM "+table)
	return err
}

func read(user, asset string) connectors.Grant {
	return connectors.Grant{User: user, Asset: asset, Action: policy.Read}
}

func write(user, asset string) connectors.Grant {
	return connectors.Grant{User: user, Asset: asset, Action: policy.Write}
}

func TestReadGrantMakesSelectWorkAndRevokeTakesItAway(t *testing.T) {
	db, c := setup(t)
	ctx := context.Background()
	require.Equal(t, "42501", sqlstate(canSelect(t, db, "alice", "claims")), "no access before the grant")

	plan := converge(t, c, read("alice", "claims"))
	ops := []string{}
	for _, ch := range plan.Changes {
		ops = append(ops, ch.Op)
	}
	assert.Equal(t, []string{connectors.OpCreateRole, connectors.OpGrantRole, connectors.OpGrant}, ops)
	assert.Equal(t, `GRANT SELECT ON TABLE "public"."claims" TO "steward_u_alice"`, plan.Changes[2].Statement)

	require.NoError(t, canSelect(t, db, "alice", "claims"))
	alice := db.ConnectAs(t, "alice")
	_, err := alice.Exec(ctx, "INSERT INTO claims VALUES (2, 1)")
	assert.Equal(t, "42501", sqlstate(err), "read does not allow INSERT")
	assert.Equal(t, "42501", sqlstate(canSelect(t, db, "bob", "claims")), "bob was not granted")

	grants, err := c.Grants(ctx)
	require.NoError(t, err)
	assert.Equal(t, []connectors.Grant{read("alice", "claims")}, grants)

	plan = converge(t, c)
	require.Len(t, plan.Changes, 1)
	assert.Equal(t, `REVOKE SELECT ON TABLE "public"."claims" FROM "steward_u_alice"`, plan.Changes[0].Statement)
	assert.Equal(t, "42501", sqlstate(canSelect(t, db, "alice", "claims")), "revoked")
	grants, err = c.Grants(ctx)
	require.NoError(t, err)
	assert.Empty(t, grants)
}

func TestWriteGrantsFourPrivilegesAndDowngradeRevokesThree(t *testing.T) {
	db, c := setup(t)
	ctx := context.Background()
	converge(t, c, write("bob", "payments"))
	bob := db.ConnectAs(t, "bob")
	for _, q := range []string{
		"INSERT INTO finance.payments VALUES (1, 'DE00')",
		"UPDATE finance.payments SET iban = 'DE01'",
		"SELECT * FROM finance.payments",
		"DELETE FROM finance.payments",
	} {
		_, err := bob.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	_, err := bob.Exec(ctx, "TRUNCATE finance.payments")
	assert.Equal(t, "42501", sqlstate(err), "write is not TRUNCATE")
	grants, err := c.Grants(ctx)
	require.NoError(t, err)
	assert.Equal(t, []connectors.Grant{write("bob", "payments")}, grants)

	plan := converge(t, c, read("bob", "payments"))
	require.Len(t, plan.Changes, 1)
	assert.Equal(t, `REVOKE INSERT, UPDATE, DELETE ON TABLE "finance"."payments" FROM "steward_u_bob"`, plan.Changes[0].Statement)
	_, err = bob.Exec(ctx, "INSERT INTO finance.payments VALUES (2, 'x')")
	assert.Equal(t, "42501", sqlstate(err))
	_, err = bob.Exec(ctx, "SELECT * FROM finance.payments")
	assert.NoError(t, err)
}

// snapshot is every role, membership and ACL in the database.
func snapshot(t *testing.T, db *pgtest.Database) []string {
	t.Helper()
	conn := db.ConnectAs(t, pgtest.Superuser)
	rows, err := conn.Query(context.Background(), `
		SELECT 'role ' || rolname || ' ' || coalesce(shobj_description(oid, 'pg_authid'), '') FROM pg_roles
		UNION ALL SELECT 'member ' || roleid::regrole::text || ' ' || member::regrole::text FROM pg_auth_members
		UNION ALL SELECT 'acl ' || oid::regclass::text || ' ' || coalesce(relacl::text, '') FROM pg_class WHERE relkind = 'r' AND relnamespace::regnamespace::text IN ('public', 'finance')
		ORDER BY 1`)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return out
}

func TestApplyingTheSamePlanTwiceChangesNothing(t *testing.T) {
	db, c := setup(t)
	ctx := context.Background()
	plan, err := c.Plan(ctx, []connectors.Grant{read("alice", "claims"), write("bob", "payments"), read("carol", "claims")})
	require.NoError(t, err)
	require.Len(t, plan.Changes, 9)
	require.NoError(t, c.Apply(ctx, plan))
	first := snapshot(t, db)
	require.NoError(t, c.Apply(ctx, plan), "re-applying an applied plan is not an error")
	assert.Equal(t, first, snapshot(t, db))
}

func TestGrantsMadeByHandAreUntouched(t *testing.T) {
	db, c := setup(t)
	db.Exec(t,
		"GRANT SELECT ON claims TO bob",           // directly to a login role
		"GRANT SELECT, INSERT ON claims TO alice", // to a user Steward also manages
		"CREATE ROLE analysts NOLOGIN",            // a hand-made group role
		"GRANT SELECT ON finance.payments TO analysts",
		"GRANT analysts TO carol",
	)
	before := snapshot(t, db)
	converge(t, c, read("alice", "claims"), read("alice", "payments"))
	converge(t, c) // and take Steward's grants away again
	assert.Empty(t, diff(snapshot(t, db), before), "nothing but managed roles was added")
	for _, s := range before {
		assert.Contains(t, snapshot(t, db), s)
	}
	require.NoError(t, canSelect(t, db, "bob", "claims"))
	require.NoError(t, canSelect(t, db, "alice", "claims"), "alice's own grant stays after Steward revokes its own")
	require.NoError(t, canSelect(t, db, "carol", "finance.payments"))
}

// diff lists entries of a not in b that are not about managed roles.
func diff(a, b []string) []string {
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if !in[s] && !strings.Contains(s, "steward_u_") {
			out = append(out, s)
		}
	}
	return out
}

func TestInjectionInIdentifiersIsHarmless(t *testing.T) {
	db, _ := setup(t)
	ctx := context.Background()
	evilLogin := `eve"; DROP TABLE y; --`
	db.CreateLoginRole(t, evilLogin)
	cat := testCatalog()
	cat.Users = append(cat.Users, policy.User{ID: `eve'); DROP TABLE y; --`, Attributes: map[string][]string{"pg_role": {evilLogin}}},
		policy.User{ID: "alice2", Attributes: map[string][]string{"pg_role": {"alice"}}})
	c, err := postgres.New(ctx, postgres.Config{URL: db.URL, UserMapping: postgres.UserMapping{Kind: postgres.MapByAttribute, Attribute: "pg_role"}}, cat)
	require.NoError(t, err)

	converge(t, c, read(`eve'); DROP TABLE y; --`, "weird"), read("alice2", "weird"))

	require.NoError(t, canSelect(t, db, "alice", pgx.Identifier{injected}.Sanitize()), "the literal table name was granted")
	require.NoError(t, canSelect(t, db, evilLogin, pgx.Identifier{injected}.Sanitize()))
	require.NoError(t, canSelect(t, db, pgtest.Superuser, "y"), "table y still exists")
	grants, err := c.Grants(ctx)
	require.NoError(t, err)
	assert.ElementsMatch(t, []connectors.Grant{read(`eve'); DROP TABLE y; --`, "weird"), read("alice2", "weird")}, grants,
		"the user id survives the role comment intact")

	converge(t, c)
	assert.Equal(t, "42501", sqlstate(canSelect(t, db, evilLogin, pgx.Identifier{injected}.Sanitize())))
	require.NoError(t, canSelect(t, db, pgtest.Superuser, "y"))
}

func TestPlanSkipsWhatItCannotGrantAndSaysWhy(t *testing.T) {
	_, c := setup(t)
	plan, err := c.Plan(context.Background(), []connectors.Grant{
		read("nologin", "claims"),
		read("noemail", "claims"),
		read("stranger", "claims"),
		read("alice", "missing"),
		read("alice", "bq"),
		{User: "alice", Asset: "claims", Action: "own"},
	})
	require.NoError(t, err)
	assert.Empty(t, plan.Changes)
	reasons := map[string]string{}
	for _, s := range plan.Skipped {
		reasons[s.Grant.User+"/"+s.Grant.Asset+"/"+string(s.Grant.Action)] = s.Reason
	}
	assert.Equal(t, map[string]string{
		"nologin/claims/read":  `PostgreSQL login role "nologin" (for user nologin) does not exist`,
		"noemail/claims/read":  "user noemail has no email to map to a PostgreSQL login role",
		"stranger/claims/read": "user stranger is not in the catalog",
		"alice/missing/read":   "table public.missing (asset missing) does not exist",
		"alice/bq/read":        "asset bq is not a postgres asset in the catalog",
		"alice/claims/own":     `unknown action "own"`,
	}, reasons)
}

func TestApplyNamesExactlyTheChangesThatFailed(t *testing.T) {
	db, c := setup(t)
	ctx := context.Background()
	plan, err := c.Plan(ctx, []connectors.Grant{read("alice", "claims"), read("alice", "payments")})
	require.NoError(t, err)
	db.Exec(t, "DROP TABLE finance.payments") // gone between plan and apply
	err = c.Apply(ctx, plan)
	var ae *connectors.ApplyError
	require.ErrorAs(t, err, &ae)
	require.Len(t, ae.Failed, 1)
	assert.Contains(t, ae.Failed[0].Change.Statement, `"finance"."payments"`)
	assert.Equal(t, "42P01", sqlstate(ae.Failed[0].Err))
	require.NoError(t, canSelect(t, db, "alice", "claims"), "the rest of the batch went through")
}

func TestNewRejectsBadSettings(t *testing.T) {
	ctx := context.Background()
	for name, cfg := range map[string]postgres.Config{
		"no url":     {},
		"bad url":    {URL: "postgres://a:secretpw@host:notaport/db"},
		"bad prefix": {URL: "postgres://localhost/db", RolePrefix: "Steward-"},
		"no attr":    {URL: "postgres://localhost/db", UserMapping: postgres.UserMapping{Kind: postgres.MapByAttribute}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := postgres.New(ctx, cfg, testCatalog())
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "secretpw", "passwords never appear in errors")
		})
	}
}

func TestUserRemovedFromCatalogLosesManagedGrants(t *testing.T) {
	db, c := setup(t)
	ctx := context.Background()
	converge(t, c, read("alice", "claims"))

	cat := testCatalog()
	cat.Users = cat.Users[1:] // alice left the company
	c2, err := postgres.New(ctx, postgres.Config{URL: db.URL}, cat)
	require.NoError(t, err)
	grants, err := c2.Grants(ctx)
	require.NoError(t, err)
	assert.Equal(t, []connectors.Grant{read("alice", "claims")}, grants, "the role comment still names the user")
	plan := converge(t, c2)
	require.Len(t, plan.Changes, 1)
	assert.Equal(t, connectors.OpRevoke, plan.Changes[0].Op)
	assert.Equal(t, "42501", sqlstate(canSelect(t, db, "alice", "claims")))
}

// A reloaded catalog reaches the running connector: a joiner's grant is
// applied, and a leaver's managed grant is revoked.
func TestSetCatalogTakesJoinersAndLeavers(t *testing.T) {
	db, c := setup(t)
	ctx := context.Background()
	db.CreateLoginRole(t, "dave")
	converge(t, c, read("alice", "claims"))
	plan, err := c.Plan(ctx, []connectors.Grant{read("alice", "claims"), read("dave", "claims")})
	require.NoError(t, err)
	require.Len(t, plan.Skipped, 1)
	assert.Equal(t, "user dave is not in the catalog", plan.Skipped[0].Reason)

	cat := testCatalog()
	cat.Users = append(cat.Users[1:], policy.User{ID: "dave", Email: "dave@example.com"}) // alice left, dave joined
	c.SetCatalog(cat)
	converge(t, c, read("dave", "claims"))
	require.NoError(t, canSelect(t, db, "dave", "claims"))
	assert.Equal(t, "42501", sqlstate(canSelect(t, db, "alice", "claims")))
}
