package approvals_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
	"github.com/steward-dev/steward/store/sqlite"
)

// clock is a fake clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// testCatalog: bob owns the finance tables, carol the HR table, gina and gil
// are governance, oscar is nobody in particular.
func testCatalog(t testing.TB) *policy.Catalog {
	t.Helper()
	cat, err := policy.NewCatalog(policy.Catalog{
		Attributes: map[string]policy.Attribute{
			"department": {Values: map[string]policy.Value{"Finance": {}, "HR": {}, "Engineering": {}}},
			"title":      {Values: map[string]policy.Value{"Analyst": {}, "Engineer": {}, "Manager": {}}},
		},
		Groups: map[string]policy.Group{"governance": {}, "contractors": {}},
		Users: []policy.User{
			{ID: "alice", Name: "Alice", Attributes: map[string][]string{"department": {"Finance"}, "title": {"Analyst"}}},
			{ID: "dave", Name: "Dave", Attributes: map[string][]string{"department": {"Finance"}, "title": {"Analyst"}}, Groups: []string{"contractors"}},
			{ID: "bob", Name: "Bob", Attributes: map[string][]string{"department": {"Finance"}, "title": {"Manager"}}},
			{ID: "carol", Name: "Carol", Attributes: map[string][]string{"department": {"HR"}, "title": {"Manager"}}},
			{ID: "gina", Name: "Gina", Groups: []string{"governance"}},
			{ID: "gil", Name: "Gil", Groups: []string{"governance"}},
			{ID: "oscar", Name: "Oscar", Attributes: map[string][]string{"department": {"Engineering"}, "title": {"Engineer"}}},
		},
		Tags: map[string]policy.Tag{
			"Domain.Finance": {}, "Domain.HR": {}, "Domain.Engineering": {}, "PII": {}, "Classification.Restricted": {},
		},
		Assets: []policy.Asset{
			{ID: "fin.ledger", Name: "ledger", Owner: "bob", Tags: []string{"Domain.Finance"}},
			{ID: "fin.payroll", Name: "payroll", Owner: "bob", Tags: []string{"Domain.Finance", "Classification.Restricted"}, Columns: map[string][]string{"iban": {"PII"}}},
			{ID: "hr.people", Name: "people", Owner: "carol", Tags: []string{"Domain.HR"}, Columns: map[string][]string{"email": {"PII"}}},
			{ID: "eng.logs", Name: "logs", Tags: []string{"Domain.Engineering"}},
		},
	})
	require.NoError(t, err)
	return cat
}

func testConfig() approvals.Config {
	return approvals.Config{
		GovernanceGroup: "governance",
		Rules:           []approvals.QuorumRule{{Tag: "Classification", Approvals: 2}},
		AllowStanding:   true,
	}
}

// openSQLite opens (or reopens) the SQLite store at path and closes it when
// the test ends.
func openSQLite(t testing.TB, path string) approvals.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

type env struct {
	svc   *approvals.Service
	store approvals.Store
	clock *clock
	path  string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "steward.db")
	c := newClock()
	st := openSQLite(t, path)
	return &env{svc: approvals.New(st, testCatalog(t), c.Now, testConfig()), store: st, clock: c, path: path}
}

func (e *env) submit(t testing.TB, nr approvals.NewRequest) approvals.Request {
	t.Helper()
	if nr.Reason == "" {
		nr.Reason = "quarter-end reconciliation"
	}
	res, err := e.svc.Submit(context.Background(), nr)
	require.NoError(t, err)
	require.False(t, res.Covered)
	return res.Request
}

// approved submits and approves a request for alice.
func (e *env) approved(t testing.TB, assets []string, d time.Duration) approvals.Decision {
	t.Helper()
	r := e.submit(t, approvals.NewRequest{Requester: "alice", Assets: assets, Duration: d})
	dec, err := e.svc.Decide(context.Background(), r.ID, "gina", approvals.Approve, "")
	require.NoError(t, err)
	if dec.Request.State != approvals.StateApproved {
		dec, err = e.svc.Decide(context.Background(), r.ID, "gil", approvals.Approve, "")
		require.NoError(t, err)
	}
	require.Equal(t, approvals.StateApproved, dec.Request.State)
	return dec
}

func audit(t testing.TB, st approvals.Store, subject string) []approvals.AuditEntry {
	t.Helper()
	es, err := st.ListAudit(context.Background(), approvals.AuditFilter{Subject: subject})
	require.NoError(t, err)
	return es
}

func actions(es []approvals.AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Action
	}
	return out
}

// requireChange checks that an audit entry records a change properly: who,
// when, and the record before and after (JSON), with the given states.
func requireChange(t testing.TB, e approvals.AuditEntry, actor string, at time.Time, beforeState, afterState string) {
	t.Helper()
	require.Equal(t, actor, e.Actor, "audit actor of %s", e.Action)
	require.True(t, at.Equal(e.At), "audit time of %s: %s, want %s", e.Action, e.At, at)
	stateOf := func(s string) string {
		if s == "" {
			return ""
		}
		var v struct {
			State string `json:"state"`
		}
		require.NoError(t, json.Unmarshal([]byte(s), &v), "audit snapshot is JSON: %s", s)
		return v.State
	}
	require.Equal(t, beforeState, stateOf(e.Before), "before state in %s", e.Action)
	require.Equal(t, afterState, stateOf(e.After), "after state in %s", e.Action)
}
