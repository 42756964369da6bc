package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// FuzzRequestRoundTrip: whatever strings a request carries, the store either
// rejects it with ErrInvalid and writes nothing, or gives it back exactly.
func FuzzRequestRoundTrip(f *testing.F) {
	f.Add("r1", "alice", "pg.finance.ledger", "bob", "reconcile Q3", int64(3600e9), int64(1234567891))
	f.Add("", "alice", "pg.a", "bob", "x", int64(0), int64(0))
	f.Add("r\x00id", "al\nice", "pg\xffa", "bob", "bad \xff utf8", int64(-1), int64(-5e18))
	f.Add("r-ü-€", "アリス", "Discovered.Entity.Bank Account Number", "carol", "理由", int64(1), int64(7e18))
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"))
	require.NoError(f, err)
	f.Cleanup(func() { _ = s.Close() })
	created := map[string]bool{}

	f.Fuzz(func(t *testing.T, id, requester, asset, approver, reason string, dur, atNanos int64) {
		r := approvals.Request{ID: id, Requester: requester, Assets: []string{asset}, Action: policy.Read,
			Duration: time.Duration(dur), Reason: reason, State: approvals.StatePending, Approvers: []string{approver},
			RequiredApprovals: 1, CreatedAt: time.Unix(0, atNanos).UTC(), UpdatedAt: time.Unix(0, atNanos).UTC()}
		err := s.CreateRequest(ctx, r, approvals.AuditEntry{})
		switch {
		case errors.Is(err, approvals.ErrInvalid):
			if !created[id] {
				_, gerr := s.GetRequest(ctx, id)
				require.ErrorIs(t, gerr, approvals.ErrNotFound, "a rejected request left a record")
			}
			return
		case errors.Is(err, approvals.ErrConflict):
			require.True(t, created[id], "conflict on an id never created: %q", id)
			return
		}
		require.NoError(t, err)
		created[id] = true
		got, err := s.GetRequest(ctx, id)
		require.NoError(t, err)
		require.Equal(t, r, got)
		rs, err := s.ListRequests(ctx, approvals.RequestFilter{Approver: approver, Requester: requester})
		require.NoError(t, err)
		require.Contains(t, requestIDsOf(rs), id, "found by its exact approver and requester")
	})
}

func requestIDsOf(rs []approvals.Request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// FuzzPolicyRoundTrip: a policy's subjects and objects come back exactly,
// including the difference between [[]] (every user) and [] (nobody).
func FuzzPolicyRoundTrip(f *testing.F) {
	f.Add("p1", "job_title", "Accountant IV", "finance", "PII", "pg.a", true, uint8(1))
	f.Add("p2", "", "", "", "", "", false, uint8(0))
	f.Add("p\xff", "a\xffb", "v", "g", "t", "", false, uint8(2))
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"))
	require.NoError(f, err)
	f.Cleanup(func() { _ = s.Close() })

	f.Fuzz(func(t *testing.T, id, attr, value, group, tag, asset string, negate bool, shape uint8) {
		var subjects [][]policy.Term
		switch shape % 3 {
		case 0:
			subjects = [][]policy.Term{}
		case 1:
			subjects = [][]policy.Term{{}}
		default:
			subjects = [][]policy.Term{{{Attribute: attr, Values: []string{value}, Negate: negate}}, {{Group: group}}}
		}
		p := policy.Policy{ID: id, Effect: policy.Allow, Action: policy.Read, Subjects: subjects,
			Objects: []policy.Clause{{AllTags: []string{tag}, Asset: asset}}, CreatedAt: time.Unix(0, 1).UTC()}
		saved, err := s.SavePolicy(ctx, p, approvals.AuditEntry{})
		if errors.Is(err, approvals.ErrInvalid) {
			return
		}
		require.NoError(t, err)
		got, err := s.GetPolicy(ctx, id)
		require.NoError(t, err)
		require.Equal(t, saved.Version, got.Version)
		require.Equal(t, p.Subjects, got.Subjects)
		require.Equal(t, p.Objects, got.Objects)
	})
}
