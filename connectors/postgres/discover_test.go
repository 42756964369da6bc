package postgres_test

import (
	"context"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/connectors"
	"github.com/steward-dev/steward/connectors/postgres"
	"github.com/steward-dev/steward/policy"
)

func TestParseTags(t *testing.T) {
	for _, tc := range []struct {
		comment string
		want    []string
	}{
		{"", nil},
		{"Claims paid out. No tags here.", nil},
		{"steward:tags=PII", []string{"PII"}},
		{"Card payments. steward:tags=PII, Domain.Finance ,PII", []string{"PII", "Domain.Finance"}},
		{"steward:tags=Discovered.Entity.Bank Account Number; owner: finance", []string{"Discovered.Entity.Bank Account Number"}},
		{"steward:tags=A\nsecond line steward:tags=B,,C", []string{"A", "B", "C"}},
		{"steward:tags=", nil},
		{"STEWARD:TAGS=PII", nil}, // the marker is case-sensitive
	} {
		assert.Equal(t, tc.want, postgres.ParseTags(tc.comment), tc.comment)
	}
}

func FuzzParseTags(f *testing.F) {
	for _, s := range []string{"steward:tags=PII,Domain.Finance", "x steward:tags=a;b steward:tags=c\nd", "steward:tags=,,,", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tags := postgres.ParseTags(s)
		seen := map[string]bool{}
		for _, tag := range tags {
			require.NotEmpty(t, tag)
			require.NotContains(t, tag, ",")
			require.NotContains(t, tag, ";")
			require.NotContains(t, tag, "\n")
			require.False(t, seen[tag], "no duplicates")
			seen[tag] = true
			if utf8.ValidString(s) {
				require.True(t, utf8.ValidString(tag))
			}
		}
	})
}

func TestDiscoverReadsTablesTagsAndUsage(t *testing.T) {
	db, c := setup(t)
	ctx := context.Background()
	db.Exec(t,
		"COMMENT ON TABLE claims IS 'Claims paid. steward:tags=PII, Domain.Insurance'",
		"COMMENT ON COLUMN finance.payments.iban IS 'steward:tags=Discovered.Entity.Bank Account Number'",
		"COMMENT ON COLUMN finance.payments.id IS 'surrogate key'",
		"CREATE VIEW finance.big_payments AS SELECT * FROM finance.payments",
	)
	converge(t, c, read("alice", "claims"), read("bob", "payments"))
	alice := db.ConnectAs(t, "alice")
	for i := 0; i < 3; i++ {
		_, err := alice.Exec(ctx, "SELECT count(*) FROM claims")
		require.NoError(t, err)
	}

	d, err := c.Discover(ctx)
	require.NoError(t, err)
	byName := map[string]policy.Asset{}
	for _, a := range d.Assets {
		byName[a.Name] = a
		assert.Equal(t, "postgres", a.Platform)
	}
	require.Contains(t, byName, "public.claims")
	assert.Equal(t, "claims", byName["public.claims"].ID, "a table the catalog knows keeps its id")
	assert.Equal(t, []string{"PII", "Domain.Insurance"}, byName["public.claims"].Tags)
	assert.Equal(t, map[string][]string{"iban": {"Discovered.Entity.Bank Account Number"}}, byName["finance.payments"].Columns)
	assert.Equal(t, "pg.finance.big_payments", byName["finance.big_payments"].ID, "a new table gets a generated id")
	assert.Equal(t, "weird", byName["public."+injected].ID)
	assert.Equal(t, "pg.public.y", byName["public.y"].ID)
	assert.NotContains(t, byName, "pg_catalog.pg_class")
	assert.NotContains(t, byName, "public.pg_stat_statements", "extension objects are not data")

	usage := map[string]approvals.Usage{}
	for _, u := range d.Usage {
		usage[u.User+"/"+u.Asset] = u
	}
	if !c.Capabilities().Usage {
		t.Logf("pg_stat_statements not available: usage reported as unknown")
		assert.False(t, usage["alice/claims"].Known)
		return
	}
	assert.True(t, usage["alice/claims"].Known)
	assert.GreaterOrEqual(t, usage["alice/claims"].QueryCount, int64(3))
	assert.True(t, usage["bob/payments"].Known, "a managed grant without queries is reported")
	assert.Zero(t, usage["bob/payments"].QueryCount)
}

func TestChangedUserMappingMovesTheManagedRole(t *testing.T) {
	db, c := setup(t)
	ctx := context.Background()
	converge(t, c, read("alice", "claims"))
	require.NoError(t, canSelect(t, db, "alice", "claims"))

	// alice's login becomes "asmith"; the old login must lose her access.
	db.CreateLoginRole(t, "asmith")
	cat := testCatalog()
	cat.Users[0].Email = "asmith@example.com"
	c2, err := postgres.New(ctx, postgres.Config{URL: db.URL}, cat)
	require.NoError(t, err)
	plan := converge(t, c2, read("alice", "claims"))
	var ops []string
	for _, ch := range plan.Changes {
		ops = append(ops, ch.Op+" "+ch.Statement)
	}
	assert.ElementsMatch(t, []string{
		`revoke_role REVOKE "steward_u_alice" FROM "alice"`,
		`grant_role GRANT "steward_u_alice" TO "asmith"`,
	}, ops)
	require.NoError(t, canSelect(t, db, "asmith", "claims"))
	assert.Equal(t, "42501", sqlstate(canSelect(t, db, "alice", "claims")))
}

func TestManagedRoleNames(t *testing.T) {
	db, _ := setup(t)
	ctx := context.Background()
	cat := &policy.Catalog{
		Users: []policy.User{
			{ID: "Alice", Attributes: map[string][]string{"pg_role": {"alice"}}},
			{ID: "alice", Attributes: map[string][]string{"pg_role": {"bob"}}},
			{ID: "a-very-long-user-id-that-goes-on-and-on-and-on-for-ever-and-ever", Attributes: map[string][]string{"pg_role": {"carol"}}},
		},
		Assets: testCatalog().Assets,
	}
	c2, err := postgres.New(ctx, postgres.Config{URL: db.URL, UserMapping: postgres.UserMapping{Kind: postgres.MapByAttribute, Attribute: "pg_role"}}, cat)
	require.NoError(t, err)
	plan, err := c2.Plan(ctx, []connectors.Grant{
		read("Alice", "claims"), read("alice", "claims"), read("a-very-long-user-id-that-goes-on-and-on-and-on-for-ever-and-ever", "claims"),
	})
	require.NoError(t, err)
	roles := map[string]bool{}
	for _, ch := range plan.Changes {
		if ch.Op == connectors.OpCreateRole {
			roles[ch.Role] = true
			assert.LessOrEqual(t, len(ch.Role), 63, "fits PostgreSQL's identifier limit")
		}
	}
	assert.Len(t, roles, 3, "ids that fold to the same name still get distinct roles")
	assert.True(t, roles["steward_u_alice"])
}

func TestUserMappingAndURLOptions(t *testing.T) {
	u := policy.User{ID: "u1", Email: "Alice.Smith@Example.com", Attributes: map[string][]string{"pg_role": {"asmith"}, "two": {"a", "b"}}}
	for _, tc := range []struct {
		spec, want, err string
	}{
		{"", "alice.smith", ""},
		{"email", "alice.smith", ""},
		{"id", "u1", ""},
		{"attribute:pg_role", "asmith", ""},
		{"attribute:two", "", "needs exactly one two attribute"},
		{"attribute:", "", "want email, id or attribute:NAME"},
		{"ldap", "", "want email, id or attribute:NAME"},
	} {
		m, err := postgres.ParseUserMapping(tc.spec)
		if err == nil {
			var role string
			role, err = m.LoginRole(u)
			if tc.err == "" {
				require.NoError(t, err, tc.spec)
				assert.Equal(t, tc.want, role)
				continue
			}
		}
		require.Error(t, err, tc.spec)
		assert.Contains(t, err.Error(), tc.err)
	}

	cfg, err := postgres.ConfigFromURL("eu", "postgresql://steward:pw@db:5433/analytics?sslmode=require&steward_user_mapping=attribute:pg_role&steward_role_prefix=st_&steward_platform=pg-eu&steward_batch_size=50")
	require.NoError(t, err)
	assert.Equal(t, "postgresql://steward:pw@db:5433/analytics?sslmode=require", cfg.URL, "Steward's options are removed before connecting")
	assert.Equal(t, postgres.UserMapping{Kind: postgres.MapByAttribute, Attribute: "pg_role"}, cfg.UserMapping)
	assert.Equal(t, "st_", cfg.RolePrefix)
	assert.Equal(t, "pg-eu", cfg.Platform)
	assert.Equal(t, 50, cfg.BatchSize)
	for _, bad := range []string{"steward_batch_size=0", "steward_role_prefix=Bad-", "steward_bogus=1"} {
		_, err := postgres.ConfigFromURL("eu", "postgres://h/db?"+bad)
		assert.Error(t, err, bad)
	}
}
