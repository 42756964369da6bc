package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
)

// approved creates and approves a request by alice for assets, for d.
func approved(t testing.TB, s approvals.Store, id string, d time.Duration, at time.Time, assets ...string) []approvals.Grant {
	t.Helper()
	r := newRequest(id, t0)
	r.Duration = d
	if len(assets) > 0 {
		r.Assets = assets
	}
	mustCreate(t, s, r)
	dec, err := s.Decide(t.Context(), id, review("bob", approvals.Approve, at))
	require.NoError(t, err)
	require.Len(t, dec.Grants, len(r.Assets))
	return dec.Grants
}

func testGrantsDueBefore(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	hour := approved(t, s, "r-hour", time.Hour, t1, "pg.a")
	twoHours := approved(t, s, "r-two", 2*time.Hour, t1, "pg.b")
	approved(t, s, "r-standing", 0, t1, "pg.c")
	e1, e2 := t1.Add(time.Hour), t1.Add(2*time.Hour)
	requireUTC(t, e1, hour[0].ExpiresAt, "ExpiresAt")

	for _, tc := range []struct {
		name string
		at   time.Time
		want []string
	}{
		{"long before", t0, []string{}},
		{"one nanosecond before", e1.Add(-time.Nanosecond), []string{}},
		{"exactly at expiry", e1, []string{hour[0].ID}},
		{"between", e1.Add(time.Nanosecond), []string{hour[0].ID}},
		{"both, by expiry", e2, []string{hour[0].ID, twoHours[0].ID}},
		{"far future, standing never due", t1.Add(100 * 365 * 24 * time.Hour), []string{hour[0].ID, twoHours[0].ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gs, err := s.GrantsDueBefore(ctx, tc.at)
			require.NoError(t, err)
			assert.Equal(t, tc.want, grantIDs(gs))
		})
	}
	_, err := s.EndGrant(ctx, hour[0].ID, approvals.GrantExpired, "steward", e1, auditFor("steward", "grant.expired", "grant/"+hour[0].ID, e1))
	require.NoError(t, err)
	gs, err := s.GrantsDueBefore(ctx, e2)
	require.NoError(t, err)
	assert.Equal(t, []string{twoHours[0].ID}, grantIDs(gs), "an ended grant is no longer due")
	// The boundary also holds in another time zone: instants, not wall clocks.
	gs, err = s.GrantsDueBefore(ctx, e2.In(time.FixedZone("UTC+5", 5*3600)))
	require.NoError(t, err)
	assert.Equal(t, []string{twoHours[0].ID}, grantIDs(gs))
}

func testEndGrantOnce(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	gs := approved(t, s, "r1", time.Hour, t1)
	g := gs[0]
	at := t1.Add(30 * time.Minute)

	ended, err := s.EndGrant(ctx, g.ID, approvals.GrantRevoked, "alice", at, auditFor("alice", "grant.revoked", "grant/"+g.ID, at))
	require.NoError(t, err)
	assert.Equal(t, approvals.GrantRevoked, ended.State)
	assert.Equal(t, "alice", ended.EndedBy)
	requireUTC(t, at, ended.EndedAt, "EndedAt")
	requireUTC(t, g.ExpiresAt, ended.ExpiresAt, "ExpiresAt unchanged")

	_, err = s.EndGrant(ctx, g.ID, approvals.GrantExpired, "steward", at, auditFor("steward", "grant.expired", "grant/"+g.ID, at))
	require.ErrorIs(t, err, approvals.ErrNotActive, "a grant ends once")
	stored, err := s.ListGrants(ctx, approvals.GrantFilter{RequestID: "r1", Asset: g.Asset})
	require.NoError(t, err)
	require.Len(t, stored, 1)
	assert.Equal(t, approvals.GrantRevoked, stored[0].State, "the failed second end changed nothing")
	assert.Equal(t, 1, countAudit(t, s, "grant/"+g.ID, ""))

	// Ten replicas expire the same grant at once: one wins.
	other := gs[1]
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		wins      int
		notActive int
		others    []error
	)
	start := make(chan struct{})
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.EndGrant(ctx, other.ID, approvals.GrantExpired, "steward", other.ExpiresAt,
				auditFor("steward", "grant.expired", "grant/"+other.ID, other.ExpiresAt))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, approvals.ErrNotActive):
				notActive++
			default:
				others = append(others, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	require.Empty(t, others)
	assert.Equal(t, 1, wins, "exactly one replica expires the grant")
	assert.Equal(t, 9, notActive)
	assert.Equal(t, 1, countAudit(t, s, "grant/"+other.ID, "grant.expired"), "one audit entry for the expiry")

	_, err = s.EndGrant(ctx, "r1:missing", approvals.GrantRevoked, "alice", at, auditFor("alice", "grant.revoked", "grant/r1:missing", at))
	require.ErrorIs(t, err, approvals.ErrNotFound)
	g3 := approved(t, s, "r2", time.Hour, t1, "pg.z")[0]
	_, err = s.EndGrant(ctx, g3.ID, approvals.GrantActive, "alice", at, auditFor("alice", "grant.active", "grant/"+g3.ID, at))
	require.ErrorIs(t, err, approvals.ErrInvalid, "a grant can only end as expired or revoked")

	for _, tc := range []struct {
		name   string
		filter approvals.GrantFilter
		want   []string
	}{
		{"active", approvals.GrantFilter{State: approvals.GrantActive}, []string{g3.ID}},
		{"revoked", approvals.GrantFilter{State: approvals.GrantRevoked}, []string{g.ID}},
		{"expired", approvals.GrantFilter{State: approvals.GrantExpired}, []string{other.ID}},
		{"by user", approvals.GrantFilter{User: "alice"}, []string{g.ID, other.ID, g3.ID}},
		{"by other user", approvals.GrantFilter{User: "bob"}, []string{}},
		{"by asset", approvals.GrantFilter{Asset: "pg.z"}, []string{g3.ID}},
		{"by request", approvals.GrantFilter{RequestID: "r1"}, []string{g.ID, other.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListGrants(ctx, tc.filter)
			require.NoError(t, err)
			assert.ElementsMatch(t, tc.want, grantIDs(got))
		})
	}
}
