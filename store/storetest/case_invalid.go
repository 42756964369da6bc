package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// testInvalidRejected: malformed or oversized records get ErrInvalid and
// leave no trace, not even an audit entry.
func testInvalidRejected(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	long := strings.Repeat("x", 257)

	requestCases := []struct {
		name   string
		mutate func(r *approvals.Request)
	}{
		{"empty id", func(r *approvals.Request) { r.ID = "" }},
		{"id over 256 characters", func(r *approvals.Request) { r.ID = long }},
		{"no requester", func(r *approvals.Request) { r.Requester = "" }},
		{"no assets", func(r *approvals.Request) { r.Assets = nil }},
		{"empty asset id", func(r *approvals.Request) { r.Assets = []string{"pg.a", ""} }},
		{"asset id over 256 characters", func(r *approvals.Request) { r.Assets = []string{long} }},
		{"more than 1000 assets", func(r *approvals.Request) {
			r.Assets = make([]string, 1001)
			for i := range r.Assets {
				r.Assets[i] = fmt.Sprintf("pg.t%04d", i)
			}
		}},
		{"reason over 4000 characters", func(r *approvals.Request) { r.Reason = strings.Repeat("r", 4001) }},
		{"unknown state", func(r *approvals.Request) { r.State = "granted" }},
		{"unknown action", func(r *approvals.Request) { r.Action = "delete" }},
		{"negative duration", func(r *approvals.Request) { r.Duration = -time.Hour }},
		{"negative quorum", func(r *approvals.Request) { r.RequiredApprovals = -1 }},
		{"record over 256 KiB", func(r *approvals.Request) {
			r.Assets = make([]string, 1000)
			for i := range r.Assets {
				r.Assets[i] = fmt.Sprintf("%0250d", i)
			}
			r.Approvers = make([]string, 100)
			for i := range r.Approvers {
				r.Approvers[i] = fmt.Sprintf("u%0249d", i)
			}
		}},
	}
	for i, tc := range requestCases {
		t.Run("request/"+tc.name, func(t *testing.T) {
			r := newRequest(fmt.Sprintf("r-bad-%d", i), t0)
			tc.mutate(&r)
			err := s.CreateRequest(ctx, r, createdAudit(r))
			require.ErrorIs(t, err, approvals.ErrInvalid)
			assert.NotEqual(t, approvals.ErrInvalid.Error(), err.Error(), "the error says what is wrong")
		})
	}

	// A valid request with an oversized audit entry is not half-written.
	r := newRequest("r-audit-too-big", t0)
	a := createdAudit(r)
	a.Detail = strings.Repeat("d", 2<<20)
	require.ErrorIs(t, s.CreateRequest(ctx, r, a), approvals.ErrInvalid)

	policyCases := []struct {
		name   string
		mutate func(p *policy.Policy)
	}{
		{"empty id", func(p *policy.Policy) { p.ID = "" }},
		{"id over 256 characters", func(p *policy.Policy) { p.ID = long }},
		{"unknown effect", func(p *policy.Policy) { p.Effect = "permit" }},
		{"unknown action", func(p *policy.Policy) { p.Action = "delete" }},
		{"sentence over 4000 characters", func(p *policy.Policy) { p.Sentence = strings.Repeat("s", 4001) }},
		{"negative duration", func(p *policy.Policy) { p.Duration = policy.Duration(-time.Hour) }},
		{"record over 256 KiB", func(p *policy.Policy) {
			p.Objects = nil
			for i := range 2000 {
				p.Objects = append(p.Objects, policy.Clause{AllTags: []string{fmt.Sprintf("%0200d", i)}})
			}
		}},
	}
	for _, tc := range policyCases {
		t.Run("policy/"+tc.name, func(t *testing.T) {
			p := financePolicy("p-bad", "bad")
			tc.mutate(&p)
			_, err := s.SavePolicy(ctx, p, auditFor("gina", "policy.saved", "policy/"+p.ID, t0))
			require.ErrorIs(t, err, approvals.ErrInvalid)
		})
	}

	t.Run("nothing was written", func(t *testing.T) {
		rs, err := s.ListRequests(ctx, approvals.RequestFilter{})
		require.NoError(t, err)
		assert.Empty(t, rs)
		ps, err := s.ListPolicies(ctx)
		require.NoError(t, err)
		assert.Empty(t, ps)
		_, err = s.PolicyHistory(ctx, "p-bad")
		require.ErrorIs(t, err, approvals.ErrNotFound)
		assert.Empty(t, mustAudit(t, s, approvals.AuditFilter{}), "no audit entry for a rejected write")
	})

	t.Run("valid after all", func(t *testing.T) {
		// The same store still takes good records: rejections leave no lock or debris.
		mustCreate(t, s, newRequest("r-good", t0))
		_, err := s.SavePolicy(ctx, financePolicy("p-good", "good"), auditFor("gina", "policy.saved", "policy/p-good", t0))
		require.NoError(t, err)
	})
}
