package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
)

func testClaim(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	key, exp := "slack:event:Ev0123", t0.Add(time.Minute)

	for _, tc := range []struct {
		name string
		key  string
		now  time.Time
		want bool
	}{
		{"first claim", key, t0, true},
		{"redelivery", key, t0.Add(30 * time.Second), false},
		{"one nanosecond before expiry", key, exp.Add(-time.Nanosecond), false},
		{"other key", "slack:event:Ev0456", t0, true},
		{"at expiry the key is free again", key, exp, true},
		{"the new claim holds", key, exp.Add(time.Second), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := s.Claim(ctx, tc.key, tc.now, tc.now.Add(time.Minute))
			require.NoError(t, err)
			assert.Equal(t, tc.want, ok)
		})
	}

	// Twenty replicas handle the same click: one wins.
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
		errs []error
	)
	start := make(chan struct{})
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := s.Claim(ctx, "slack:click:42", t0, t0.Add(time.Hour))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				wins++
			}
		}()
	}
	close(start)
	wg.Wait()
	require.Empty(t, errs)
	assert.Equal(t, 1, wins, "exactly one concurrent claim succeeds")

	_, err := s.Claim(ctx, "", t0, exp)
	require.ErrorIs(t, err, approvals.ErrInvalid, "an empty key")
	_, err = s.Claim(ctx, "k", t0, t0)
	require.ErrorIs(t, err, approvals.ErrInvalid, "an expiry that is not after now")
}

func testLease(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	const ttl = 30 * time.Second
	lease := "reconcile:postgres"

	steps := []struct {
		name   string
		holder string
		now    time.Time
		want   bool
	}{
		{"free lease", "replica-a", t0, true},
		{"held by another", "replica-b", t0.Add(10 * time.Second), false},
		{"renewed by its holder", "replica-a", t0.Add(10 * time.Second), true},
		{"renewal extends it", "replica-b", t0.Add(35 * time.Second), false},
		{"expired: another takes it", "replica-b", t0.Add(40 * time.Second), true},
		{"old holder is out", "replica-a", t0.Add(41 * time.Second), false},
	}
	for _, st := range steps {
		ok, err := s.AcquireLease(ctx, lease, st.holder, st.now, ttl)
		require.NoError(t, err, st.name)
		assert.Equal(t, st.want, ok, st.name)
	}
	require.NoError(t, s.ReleaseLease(ctx, lease, "replica-a"), "releasing a lease one does not hold is a no-op")
	ok, err := s.AcquireLease(ctx, lease, "replica-a", t0.Add(42*time.Second), ttl)
	require.NoError(t, err)
	assert.False(t, ok, "a release by a non-holder does not free it")
	require.NoError(t, s.ReleaseLease(ctx, lease, "replica-b"))
	ok, err = s.AcquireLease(ctx, lease, "replica-a", t0.Add(42*time.Second), ttl)
	require.NoError(t, err)
	assert.True(t, ok, "released: free for anyone")

	ok, err = s.AcquireLease(ctx, "reconcile:other", "replica-b", t0.Add(42*time.Second), ttl)
	require.NoError(t, err)
	assert.True(t, ok, "leases are independent by name")

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
		errs []error
	)
	start := make(chan struct{})
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := s.AcquireLease(ctx, "reconcile:race", fmt.Sprintf("replica-%d", i), t0, ttl)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				wins++
			}
		}()
	}
	close(start)
	wg.Wait()
	require.Empty(t, errs)
	assert.Equal(t, 1, wins, "one replica holds a contended lease")

	_, err = s.AcquireLease(ctx, "", "replica-a", t0, ttl)
	require.ErrorIs(t, err, approvals.ErrInvalid)
	_, err = s.AcquireLease(ctx, "x", "", t0, ttl)
	require.ErrorIs(t, err, approvals.ErrInvalid)
	_, err = s.AcquireLease(ctx, "x", "replica-a", t0, 0)
	require.ErrorIs(t, err, approvals.ErrInvalid)
}

func testMessageRefs(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	mustCreate(t, s, newRequest("r1", t0))
	mustCreate(t, s, newRequest("r2", t0))

	require.NoError(t, s.SaveMessageRef(ctx, approvals.MessageRef{RequestID: "r1", Kind: "approval_card", Channel: "C0APPROVALS", TS: "1700000000.000100"}))
	require.NoError(t, s.SaveMessageRef(ctx, approvals.MessageRef{RequestID: "r1", Kind: "requester_dm", Channel: "D0ALICE", TS: "1700000000.000200"}))
	require.NoError(t, s.SaveMessageRef(ctx, approvals.MessageRef{RequestID: "r2", Kind: "approval_card", Channel: "C0APPROVALS", TS: "1700000000.000300"}))
	// The card is re-posted: the reference is replaced, not duplicated.
	require.NoError(t, s.SaveMessageRef(ctx, approvals.MessageRef{RequestID: "r1", Kind: "approval_card", Channel: "C0OTHER", TS: "1700000001.000100"}))

	refs, err := s.MessageRefs(ctx, "r1")
	require.NoError(t, err)
	assert.ElementsMatch(t, []approvals.MessageRef{
		{RequestID: "r1", Kind: "approval_card", Channel: "C0OTHER", TS: "1700000001.000100"},
		{RequestID: "r1", Kind: "requester_dm", Channel: "D0ALICE", TS: "1700000000.000200"},
	}, refs)
	refs, err = s.MessageRefs(ctx, "r2")
	require.NoError(t, err)
	assert.Len(t, refs, 1)
	refs, err = s.MessageRefs(ctx, "r-none")
	require.NoError(t, err)
	assert.Empty(t, refs, "no references is not an error")

	require.ErrorIs(t, s.SaveMessageRef(ctx, approvals.MessageRef{RequestID: "r1", Channel: "C1", TS: "1.2"}), approvals.ErrInvalid, "missing kind")
	require.ErrorIs(t, s.SaveMessageRef(ctx, approvals.MessageRef{Kind: "approval_card", Channel: "C1", TS: "1.2"}), approvals.ErrInvalid, "missing request")
	refs, err = s.MessageRefs(ctx, "r1")
	require.NoError(t, err)
	assert.Len(t, refs, 2, "rejected references wrote nothing")
}

// testPurgeClaims: purging deletes exactly the claims expired by the given
// time; live claims keep holding, and a key claimed again is not purged.
func testPurgeClaims(t *testing.T, open Opener) {
	ctx := t.Context()
	s := open(t, "a")
	for i, key := range []string{"event:1", "event:2", "event:3"} {
		ok, err := s.Claim(ctx, key, t0, t0.Add(time.Duration(i+1)*time.Minute))
		require.NoError(t, err)
		require.True(t, ok)
	}
	n, err := s.PurgeClaims(ctx, t0.Add(2*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 2, n, "event:1 and event:2 expired at or before the purge time")

	held, err := s.Claim(ctx, "event:3", t0.Add(150*time.Second), t0.Add(time.Hour))
	require.NoError(t, err)
	assert.False(t, held, "event:3 is still claimed until t0+3m")
	again, err := s.Claim(ctx, "event:1", t0.Add(2*time.Minute), t0.Add(10*time.Minute))
	require.NoError(t, err)
	assert.True(t, again, "a purged key can be claimed")

	n, err = s.PurgeClaims(ctx, t0.Add(2*time.Minute))
	require.NoError(t, err)
	assert.Zero(t, n, "nothing else has expired by then")
	n, err = s.PurgeClaims(ctx, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 2, n, "event:1's new claim and event:3")

	_, err = s.PurgeClaims(ctx, time.Time{})
	require.ErrorIs(t, err, approvals.ErrInvalid)
}
