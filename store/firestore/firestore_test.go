package firestore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/internal/testsupport/firestoreemu"
	"github.com/steward-dev/steward/policy"
	"github.com/steward-dev/steward/store/storetest"
)

// opener gives each store name its own emulator project: same name, same
// data (a restart); another name, an empty store.
func opener(emu *firestoreemu.Emulator, prefix string) storetest.Opener {
	return func(t testing.TB, name string) approvals.Store {
		t.Helper()
		// A generous call timeout: the emulator on a loaded CI machine can
		// be slow, and these tests are about behaviour, not latency.
		s, err := Open(context.Background(), Config{ProjectID: prefix + "-" + name, EmulatorHost: emu.Host, CallTimeout: 30 * time.Second})
		require.NoError(t, err, "opening the firestore store on the emulator")
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
}

func TestConformance(t *testing.T) {
	emu := firestoreemu.Shared(t)
	storetest.Run(t, opener(emu, emu.Project(t)))
}

func BenchmarkFirestore(b *testing.B) {
	emu := firestoreemu.Shared(b)
	storetest.Bench(b, opener(emu, emu.Project(b)))
}

func sampleRequest(id string, at time.Time) approvals.Request {
	return approvals.Request{ID: id, Requester: "alice", Assets: []string{"pg.finance.ledger", "pg.finance.payments"},
		Action: policy.Read, Duration: time.Hour, Reason: "month-end close", State: approvals.StatePending,
		Approvers: []string{"bob"}, RequiredApprovals: 1, CreatedAt: at, UpdatedAt: at}
}

func created(r approvals.Request) approvals.AuditEntry {
	return approvals.AuditEntry{At: r.CreatedAt, Actor: r.Requester, Action: "request.created", Subject: "request/" + r.ID}
}

// TestUnavailable stops the emulator under a live store: calls fail quickly
// with an error that says Firestore is unavailable and what was being done,
// nothing is half-written, and the same store works again after a restart.
func TestUnavailable(t *testing.T) {
	emu := firestoreemu.Start(t)
	project := emu.Project(t)
	ctx := t.Context()
	// live is the handle that lives through the outage, with a short call
	// timeout so the failing calls end quickly; steady, with a long one,
	// sets up and checks, so a slow machine cannot fail the setup.
	steady, err := Open(ctx, Config{ProjectID: project, EmulatorHost: emu.Host, CallTimeout: 30 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = steady.Close() })
	var live *Store
	require.Eventually(t, func() bool {
		live, err = Open(ctx, Config{ProjectID: project, EmulatorHost: emu.Host, CallTimeout: 3 * time.Second})
		return err == nil
	}, time.Minute, 100*time.Millisecond, "opening the short-timeout handle: %v", err)
	t.Cleanup(func() { _ = live.Close() })
	s := live

	at := time.Date(2026, 3, 2, 9, 30, 0, 123456789, time.UTC)
	r := sampleRequest("r-outage", at)
	require.NoError(t, steady.CreateRequest(ctx, r, created(r)))

	emu.Stop()

	calls := []struct {
		name string
		want string
		call func() error
	}{
		{"decide", "deciding request r-outage", func() error {
			_, err := s.Decide(ctx, r.ID, approvals.Review{Reviewer: "bob", Verdict: approvals.Approve, At: at.Add(time.Minute)})
			return err
		}},
		{"create", "creating request r-during", func() error {
			r2 := sampleRequest("r-during", at)
			return s.CreateRequest(ctx, r2, created(r2))
		}},
		{"get", "getting request r-outage", func() error { _, err := s.GetRequest(ctx, r.ID); return err }},
		{"list audit", "listing the audit log", func() error { _, err := s.ListAudit(ctx, approvals.AuditFilter{}); return err }},
		{"claim", "claiming click:1", func() error { _, err := s.Claim(ctx, "click:1", at, at.Add(time.Hour)); return err }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			require.Error(t, err)
			t.Logf("during the outage: %v", err)
			assert.ErrorIs(t, err, ErrUnavailable, "the error says Firestore is unavailable: %v", err)
			assert.Contains(t, err.Error(), c.want, "the error says what was being done")
			assert.Contains(t, err.Error(), emu.Host, "the error says where")
			var de *approvals.DecidedError
			assert.False(t, errors.As(err, &de), "an outage is not a decision")
		})
	}

	emu.Restart()

	// The same handle recovers without reopening; give the client a moment
	// to reconnect, then nothing of the failed calls may be visible.
	require.Eventually(t, func() bool {
		_, err := s.GetRequest(ctx, r.ID)
		return err == nil
	}, 30*time.Second, 200*time.Millisecond, "the store works again once the emulator is back")
	got, err := steady.GetRequest(ctx, r.ID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StatePending, got.State, "the failed decision left the request pending")
	assert.Empty(t, got.Reviews)
	gs, err := steady.ListGrants(ctx, approvals.GrantFilter{RequestID: r.ID})
	require.NoError(t, err)
	assert.Empty(t, gs, "no grants from the failed decision")
	_, err = steady.GetRequest(ctx, "r-during")
	require.ErrorIs(t, err, approvals.ErrNotFound, "the failed creation wrote nothing")
	es, err := steady.ListAudit(ctx, approvals.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, es, 1, "only the creation before the outage is in the audit log")
	assert.Equal(t, "request.created", es[0].Action)

	d, err := steady.Decide(ctx, r.ID, approvals.Review{Reviewer: "bob", Verdict: approvals.Approve, At: at.Add(2 * time.Minute)})
	require.NoError(t, err, "deciding after the outage")
	assert.Equal(t, approvals.StateApproved, d.Request.State)
	assert.Len(t, d.Grants, 2)
	require.Eventually(t, func() bool {
		got, err := live.GetRequest(ctx, r.ID)
		return err == nil && got.State == approvals.StateApproved
	}, 30*time.Second, 200*time.Millisecond, "the handle that lived through the outage sees the decision")
}

func TestOpenConfig(t *testing.T) {
	emu := firestoreemu.Shared(t)

	t.Run("no project", func(t *testing.T) {
		t.Setenv("GOOGLE_CLOUD_PROJECT", "")
		_, err := Open(t.Context(), Config{EmulatorHost: emu.Host})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "GOOGLE_CLOUD_PROJECT")
	})
	t.Run("environment", func(t *testing.T) {
		project := emu.Project(t)
		t.Setenv("GOOGLE_CLOUD_PROJECT", project)
		t.Setenv("FIRESTORE_EMULATOR_HOST", emu.Host)
		s, err := Open(t.Context(), Config{})
		require.NoError(t, err, "project and emulator from the environment")
		defer s.Close()
		r := sampleRequest("r-env", time.Now().UTC())
		require.NoError(t, s.CreateRequest(t.Context(), r, created(r)))

		// The data is in that project's default database, and no other.
		same, err := Open(t.Context(), Config{ProjectID: project, DatabaseID: "(default)", EmulatorHost: emu.Host})
		require.NoError(t, err)
		defer same.Close()
		_, err = same.GetRequest(t.Context(), "r-env")
		require.NoError(t, err)
		other, err := Open(t.Context(), Config{ProjectID: project, DatabaseID: "audit-copy", EmulatorHost: emu.Host})
		require.NoError(t, err)
		defer other.Close()
		_, err = other.GetRequest(t.Context(), "r-env")
		require.ErrorIs(t, err, approvals.ErrNotFound, "another database id is another database")
	})
	t.Run("nothing listening", func(t *testing.T) {
		start := time.Now()
		_, err := Open(t.Context(), Config{ProjectID: "p", EmulatorHost: "127.0.0.1:1", CallTimeout: 2 * time.Second})
		require.ErrorIs(t, err, ErrUnavailable)
		assert.Contains(t, err.Error(), "opening firestore store")
		assert.Less(t, time.Since(start), 10*time.Second, "a dead endpoint fails within the call timeout, it does not hang")
	})
	t.Run("closed", func(t *testing.T) {
		s, err := Open(t.Context(), Config{ProjectID: emu.Project(t), EmulatorHost: emu.Host})
		require.NoError(t, err)
		require.NoError(t, s.Close())
		require.NoError(t, s.Close(), "a second Close is harmless")
		_, err = s.GetRequest(t.Context(), "r1")
		require.ErrorContains(t, err, "closed")
	})
}

// TestOddIDs: ids with characters Firestore reserves in document ids are
// stored and found again, and never collide with each other.
func TestOddIDs(t *testing.T) {
	emu := firestoreemu.Shared(t)
	s := opener(emu, emu.Project(t))(t, "odd")
	ctx := t.Context()
	at := time.Date(2026, 3, 2, 9, 30, 0, 1, time.UTC)
	ids := []string{"a/b", "a%2Fb", "a|b", ".", "..", "__x__", "%", "_", "snowflake/db.schema.table"}
	for _, id := range ids {
		r := sampleRequest(id, at)
		r.Assets = []string{id + "/asset"}
		require.NoError(t, s.CreateRequest(ctx, r, created(r)), "creating %q", id)
	}
	for _, id := range ids {
		got, err := s.GetRequest(ctx, id)
		require.NoError(t, err, "getting %q", id)
		assert.Equal(t, id, got.ID)
		d, err := s.Decide(ctx, id, approvals.Review{Reviewer: "bob", Verdict: approvals.Approve, At: at})
		require.NoError(t, err, "deciding %q", id)
		require.Len(t, d.Grants, 1)
		gs, err := s.ListGrants(ctx, approvals.GrantFilter{RequestID: id})
		require.NoError(t, err)
		require.Len(t, gs, 1, "grant of %q", id)
		assert.Equal(t, id+":"+id+"/asset", gs[0].ID)
	}
	rs, err := s.ListRequests(ctx, approvals.RequestFilter{})
	require.NoError(t, err)
	assert.Len(t, rs, len(ids))

	seen := map[string]string{}
	for _, id := range append(ids, "a%7Cb", "%2E", "%5F_x__") {
		d := docID(id)
		assert.NotContains(t, d, "/")
		assert.False(t, d == "." || d == ".." || strings.HasPrefix(d, "__"), "%q -> %q is reserved", id, d)
		if prev, dup := seen[d]; dup {
			t.Errorf("%q and %q both map to %q", prev, id, d)
		}
		seen[d] = id
	}
}

// TestOversizedRecordsRejectedBeforeWriting: a review comment or audit entry
// too large for a Firestore document is refused with a specific error, and
// nothing is written.
func TestOversizedRecordsRejectedBeforeWriting(t *testing.T) {
	emu := firestoreemu.Shared(t)
	s := opener(emu, emu.Project(t))(t, "big")
	ctx := t.Context()
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	r := sampleRequest("r1", at)
	require.NoError(t, s.CreateRequest(ctx, r, created(r)))

	err := s.AppendAudit(ctx, approvals.AuditEntry{Actor: "bob", Action: "click.refused", Subject: "request/r1",
		Detail: strings.Repeat("x", 1<<20)})
	require.ErrorIs(t, err, approvals.ErrInvalid)
	assert.Contains(t, err.Error(), "KiB")

	p := policy.Policy{ID: "p1", Effect: policy.Allow, Action: policy.Read, Subjects: [][]policy.Term{{}},
		Objects: []policy.Clause{{AllTags: []string{"PII"}}}, Name: strings.Repeat("n", 5000)}
	_, err = s.SavePolicy(ctx, p, approvals.AuditEntry{Actor: "gina", Action: "policy.saved", Subject: "policy/p1"})
	require.ErrorIs(t, err, approvals.ErrInvalid)
	assert.Contains(t, err.Error(), "name")

	es, err := s.ListAudit(ctx, approvals.AuditFilter{})
	require.NoError(t, err)
	assert.Len(t, es, 1, "only the request creation")
	_, err = s.PolicyHistory(ctx, "p1")
	require.ErrorIs(t, err, approvals.ErrNotFound)
}

// TestReusedAuditIDIsAConflict: the audit log is append-only, so a change
// whose audit entry reuses an id is refused as a whole, at once (it is not
// mistaken for contention and retried until the deadline).
func TestReusedAuditIDIsAConflict(t *testing.T) {
	emu := firestoreemu.Shared(t)
	s := opener(emu, emu.Project(t))(t, "audit")
	ctx := t.Context()
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	r1 := sampleRequest("r1", at)
	a := created(r1)
	a.ID = "entry-1"
	require.NoError(t, s.CreateRequest(ctx, r1, a))

	r2 := sampleRequest("r2", at)
	b := created(r2)
	b.ID = "entry-1"
	err := s.CreateRequest(ctx, r2, b)
	require.ErrorIs(t, err, approvals.ErrConflict)
	assert.Contains(t, err.Error(), "entry-1")
	_, err = s.GetRequest(ctx, "r2")
	require.ErrorIs(t, err, approvals.ErrNotFound, "the request of the refused change was not written")
	es, err := s.ListAudit(ctx, approvals.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, es, 1)
	assert.Equal(t, "request/r1", es[0].Subject, "the first entry is untouched")
}
