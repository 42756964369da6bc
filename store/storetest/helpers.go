package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// Fixed times with nanosecond parts: a backend that rounds fails the suite.
var (
	t0 = time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC)
	t1 = t0.Add(90*time.Minute + 7)
)

// newRequest is a pending request by alice for two assets, for a day,
// decidable by bob or carol, one approval needed.
func newRequest(id string, at time.Time) approvals.Request {
	return approvals.Request{
		ID:                id,
		Requester:         "alice",
		Assets:            []string{"pg.finance.ledger", "pg.finance.payments"},
		Query:             "the finance tables",
		Action:            policy.Read,
		Duration:          24 * time.Hour,
		Reason:            "reconcile Q3",
		State:             approvals.StatePending,
		Approvers:         []string{"bob", "carol"},
		RequiredApprovals: 1,
		CreatedAt:         at,
		UpdatedAt:         at,
	}
}

func createdAudit(r approvals.Request) approvals.AuditEntry {
	return approvals.AuditEntry{
		ID: uuid.NewString(), At: r.CreatedAt, Actor: r.Requester,
		Action: "request.created", Subject: "request/" + r.ID,
	}
}

func auditFor(actor, action, subject string, at time.Time) approvals.AuditEntry {
	return approvals.AuditEntry{ID: uuid.NewString(), At: at, Actor: actor, Action: action, Subject: subject}
}

func review(who string, v approvals.Verdict, at time.Time) approvals.Review {
	return approvals.Review{Reviewer: who, Verdict: v, At: at}
}

// mustCreate stores r and fails the test on error.
func mustCreate(t testing.TB, s approvals.Store, r approvals.Request) approvals.Request {
	t.Helper()
	require.NoError(t, s.CreateRequest(context.Background(), r, createdAudit(r)), "creating request %s", r.ID)
	return r
}

// normRequest makes nil and empty slices compare equal, so backends are free
// to return either.
func normRequest(r approvals.Request) approvals.Request {
	r.Assets = normStrings(r.Assets)
	r.Approvers = normStrings(r.Approvers)
	if len(r.Reviews) == 0 {
		r.Reviews = nil
	}
	return r
}

func normStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func normRequests(rs []approvals.Request) []approvals.Request {
	out := make([]approvals.Request, len(rs))
	for i, r := range rs {
		out[i] = normRequest(r)
	}
	return out
}

func requestIDs(rs []approvals.Request) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func grantIDs(gs []approvals.Grant) []string {
	out := make([]string, 0, len(gs))
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}

func sortedGrantIDs(gs []approvals.Grant) []string {
	ids := grantIDs(gs)
	slices.Sort(ids)
	return ids
}

func auditActions(es []approvals.AuditEntry) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

// requireUTC checks a time came back exactly and in UTC.
func requireUTC(t testing.TB, want, got time.Time, what string) {
	t.Helper()
	require.True(t, want.Equal(got), "%s: want %s, got %s", what, want.Format(time.RFC3339Nano), got.Format(time.RFC3339Nano))
	if !got.IsZero() {
		require.Equal(t, time.UTC, got.Location(), "%s must come back in UTC", what)
	}
}

func countAudit(t testing.TB, s approvals.Store, subject, action string) int {
	t.Helper()
	es, err := s.ListAudit(context.Background(), approvals.AuditFilter{Subject: subject})
	require.NoError(t, err)
	n := 0
	for _, e := range es {
		if action == "" || e.Action == action {
			n++
		}
	}
	return n
}
