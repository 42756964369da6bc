package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
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

// reconcileRun runs `steward reconcile ARGS` with the given environment.
func reconcileRun(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code := mainWithEnv(context.Background(), e, append([]string{"reconcile"}, args...))
	return code, out.String(), errb.String()
}

const reconcileCatalog = `
groups:
  analysts: {}
  governance: {}
tags:
  PII: {}
users:
  - {id: alice, name: Alice, email: alice@example.com, groups: [analysts]}
  - {id: bob, name: Bob, email: Bob@Example.com, groups: [analysts]}
  - {id: gina, name: Gina, email: gina@example.com, groups: [governance]}
assets:
  - {id: claims, platform: postgres, name: public.claims, owner: gina, tags: [PII]}
  - {id: notes, platform: postgres, name: public.notes, owner: gina}
`

func TestReconcileSettingErrorsAreOneClearLine(t *testing.T) {
	dir := t.TempDir()
	cat := filepath.Join(dir, "catalog.yaml")
	require.NoError(t, os.WriteFile(cat, []byte(reconcileCatalog), 0o644))
	ok := "postgres=postgres://steward@127.0.0.1:5432/analytics?sslmode=disable"
	for _, tc := range []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"no catalog", map[string]string{"STEWARD_CONNECTORS": ok}, nil, "STEWARD_CATALOG is not set"},
		{"no connectors", map[string]string{"STEWARD_CATALOG": cat}, nil, "STEWARD_CONNECTORS is not set"},
		{"unknown kind", map[string]string{"STEWARD_CATALOG": cat, "STEWARD_CONNECTORS": "mysql://root:secretpw@db/x"}, nil,
			`STEWARD_CONNECTORS entry 1 (postgres): unsupported kind "mysql"`},
		{"not a url", map[string]string{"STEWARD_CATALOG": cat, "STEWARD_CONNECTORS": "warehouse=nonsense"}, nil,
			"STEWARD_CONNECTORS entry 1 (warehouse): not a URL"},
		{"named twice", map[string]string{"STEWARD_CATALOG": cat, "STEWARD_CONNECTORS": ok + ", " + ok}, nil,
			`STEWARD_CONNECTORS: connector "postgres" is named twice`},
		{"bad mapping", map[string]string{"STEWARD_CATALOG": cat, "STEWARD_CONNECTORS": "postgres://u:secretpw@h/db?steward_user_mapping=ldap"}, nil,
			`steward_user_mapping: user mapping "ldap": want email, id or attribute:NAME`},
		{"unknown option", map[string]string{"STEWARD_CATALOG": cat, "STEWARD_CONNECTORS": "postgres://u:secretpw@h/db?steward_roleprefix=x"}, nil,
			"unknown option steward_roleprefix"},
		{"no database", map[string]string{"STEWARD_CATALOG": cat, "STEWARD_CONNECTORS": "postgres://u:secretpw@h"}, nil,
			"the URL names no database"},
		{"stray argument", map[string]string{"STEWARD_CATALOG": cat, "STEWARD_CONNECTORS": ok}, []string{"now"}, "reconcile takes no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := reconcileRun(t, tc.vars, tc.args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tc.want)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "one line: %q", errOut)
			assert.NotContains(t, errOut, "secretpw", "passwords never appear")
		})
	}
}

func TestReconcileHelp(t *testing.T) {
	code, out, _ := reconcileRun(t, nil, "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "STEWARD_CONNECTORS")
	assert.Contains(t, out, "--dry-run")
}

func TestReconcileDryRunThenOnce(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Start(t).NewDatabase(t)
	db.Exec(t, "CREATE TABLE claims (id int)", "CREATE TABLE notes (id int)")
	db.CreateLoginRole(t, "alice")
	db.CreateLoginRole(t, "bob")
	dir := t.TempDir()
	catPath := filepath.Join(dir, "catalog.yaml")
	require.NoError(t, os.WriteFile(catPath, []byte(reconcileCatalog), 0o644))
	storePath := filepath.Join(dir, "steward.db")

	// A governance member saves a policy: analysts read PII tables.
	cat, err := policy.LoadCatalog(catPath)
	require.NoError(t, err)
	st, err := sqlite.Open(ctx, storePath)
	require.NoError(t, err)
	svc := approvals.New(st, cat, time.Now, approvals.Config{GovernanceGroup: "governance"})
	_, err = svc.SavePolicy(ctx, policy.Policy{ID: "analysts-pii", Effect: policy.Allow, Action: policy.Read,
		Subjects: [][]policy.Term{{{Group: "analysts"}}}, Objects: []policy.Clause{{AllTags: []string{"PII"}}}}, "gina")
	require.NoError(t, err)
	require.NoError(t, st.Close())

	vars := map[string]string{
		"STEWARD_CATALOG":    catPath,
		"STEWARD_STORE":      storePath,
		"STEWARD_CONNECTORS": "postgres=" + db.URL,
	}
	code, out, errOut := reconcileRun(t, vars, "--dry-run")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "postgres: 6 change(s) (dry run: nothing applied)")
	assert.Contains(t, out, `GRANT SELECT ON TABLE "public"."claims" TO "steward_u_alice"`)
	assert.Contains(t, out, `GRANT "steward_u_bob" TO "bob"`, "email local part, lower-cased")
	alice := db.ConnectAs(t, "alice")
	_, err = alice.Exec(ctx, "SELECT * FROM claims")
	require.Error(t, err, "a dry run changes nothing")

	code, out, errOut = reconcileRun(t, vars, "--once", "--json")
	require.Equal(t, 0, code, errOut)
	var res []struct {
		Connector string              `json:"connector"`
		Applied   []connectors.Change `json:"applied"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Len(t, res, 1)
	assert.Len(t, res[0].Applied, 6)
	_, err = alice.Exec(ctx, "SELECT * FROM claims")
	require.NoError(t, err)
	_, err = alice.Exec(ctx, "SELECT * FROM notes")
	require.Error(t, err, "notes carries no PII tag")

	code, out, errOut = reconcileRun(t, vars, "--once")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "postgres: in line with the desired grants; nothing to do\n", out)

	db.Exec(t, "COMMENT ON TABLE notes IS 'Free text. steward:tags=PII'")
	code, out, errOut = reconcileRun(t, vars, "--discover")
	require.Equal(t, 0, code, errOut)
	disc, err := policy.ParseCatalog("discovered.yaml", []byte(out+"tags:\n  PII: {}\nusers:\n  - {id: gina, name: Gina}\n"))
	require.NoError(t, err, "the output is a valid catalog fragment:\n%s", out)
	require.Len(t, disc.Assets, 2)
	assert.Equal(t, policy.Asset{ID: "notes", Platform: "postgres", Name: "public.notes", Owner: "gina", Tags: []string{"PII"}}, disc.Assets[1])
}

func FuzzParseConnectorsSetting(f *testing.F) {
	for _, s := range []string{
		"postgres=postgres://steward@127.0.0.1:5432/analytics?sslmode=disable",
		"postgres://a@h/db, eu=postgresql://b:pw@h2:5433/db2?steward_user_mapping=attribute:pg_role",
		"a=b=c", "=postgres://x", "x= ", ",,,", "postgres=mysql://x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		specs, err := parseConnectorsSetting(s)
		if err != nil {
			require.Contains(t, err.Error(), "STEWARD_CONNECTORS")
			require.Empty(t, specs)
			return
		}
		require.NotEmpty(t, specs)
		names := map[string]bool{}
		for _, sp := range specs {
			require.Regexp(t, connectorNameRE, sp.Name)
			require.False(t, names[sp.Name], "names are unique")
			names[sp.Name] = true
			require.True(t, strings.HasPrefix(sp.URL, "postgres") || strings.HasPrefix(strings.ToLower(sp.URL), "postgres"), sp.URL)
		}
	})
}
