package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
)

func testAuditFilters(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	entries := []approvals.AuditEntry{ // appended out of time order on purpose
		{ID: "e3", At: at(3), Actor: "bob", Action: "click.refused", Subject: "request/r2", Detail: "not an approver"},
		{ID: "e1", At: at(1), Actor: "alice", Action: "request.created", Subject: "request/r1", After: `{"id":"r1"}`},
		{ID: "e2", At: at(2), Actor: "bob", Action: "request.approved", Subject: "request/r1", Before: `{"state":"pending"}`, After: `{"state":"approved"}`},
		{ID: "e4", At: at(4), Actor: "steward", Action: "grant.expired", Subject: "grant/r1:pg.a"},
		{ID: "e5", At: at(5), Actor: "bob", Action: "request.denied", Subject: "request/r3"},
	}
	for _, e := range entries {
		require.NoError(t, s.AppendAudit(ctx, e))
	}
	all := mustAudit(t, s, approvals.AuditFilter{})
	require.Len(t, all, 5)
	assert.Equal(t, entries[2], all[1], "an entry comes back whole")
	requireUTC(t, at(2), all[1].At, "At")

	for _, tc := range []struct {
		name   string
		filter approvals.AuditFilter
		want   []string
	}{
		{"all, oldest first", approvals.AuditFilter{}, []string{"e1", "e2", "e3", "e4", "e5"}},
		{"by subject", approvals.AuditFilter{Subject: "request/r1"}, []string{"e1", "e2"}},
		{"by actor", approvals.AuditFilter{Actor: "bob"}, []string{"e2", "e3", "e5"}},
		{"from inclusive", approvals.AuditFilter{From: at(3)}, []string{"e3", "e4", "e5"}},
		{"to exclusive", approvals.AuditFilter{To: at(3)}, []string{"e1", "e2"}},
		{"range", approvals.AuditFilter{From: at(2), To: at(4)}, []string{"e2", "e3"}},
		{"one nanosecond range", approvals.AuditFilter{From: at(2), To: at(2).Add(time.Nanosecond)}, []string{"e2"}},
		{"actor and range", approvals.AuditFilter{Actor: "bob", From: at(3)}, []string{"e3", "e5"}},
		{"subject and actor", approvals.AuditFilter{Subject: "request/r1", Actor: "alice"}, []string{"e1"}},
		{"limit keeps the oldest", approvals.AuditFilter{Actor: "bob", Limit: 2}, []string{"e2", "e3"}},
		{"no match", approvals.AuditFilter{Subject: "request/none"}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustAudit(t, s, tc.filter)
			ids := make([]string, 0, len(got))
			for _, e := range got {
				ids = append(ids, e.ID)
			}
			assert.Equal(t, tc.want, ids)
		})
	}

	require.ErrorIs(t, s.AppendAudit(ctx, approvals.AuditEntry{ID: "e1", At: at(9), Actor: "mallory", Action: "audit.rewrite", Subject: "request/r1"}),
		approvals.ErrConflict, "entries are never overwritten")
	got := mustAudit(t, s, approvals.AuditFilter{Subject: "request/r1"})
	assert.Equal(t, "alice", got[0].Actor)
	require.ErrorIs(t, s.AppendAudit(ctx, approvals.AuditEntry{ID: "e9", At: at(9), Actor: "bob", Subject: "request/r1"}),
		approvals.ErrInvalid, "an entry needs an action")
	assert.Len(t, mustAudit(t, s, approvals.AuditFilter{}), 5)

	// An entry without id or time gets them from the store.
	require.NoError(t, s.AppendAudit(ctx, approvals.AuditEntry{Actor: "bob", Action: "click.refused", Subject: "request/r4"}))
	got = mustAudit(t, s, approvals.AuditFilter{Subject: "request/r4"})
	require.Len(t, got, 1)
	assert.NotEmpty(t, got[0].ID)
	assert.False(t, got[0].At.IsZero())
}
