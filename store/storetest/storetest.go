// Package storetest is the conformance suite every approvals.Store
// implementation must pass. store/sqlite and store/firestore run it from
// their own tests:
//
//	func TestConformance(t *testing.T) { storetest.Run(t, opener) }
//	func BenchmarkStore(b *testing.B)  { storetest.Bench(b, opener) }
//
// The suite checks behaviour a user of the store would notice: nothing is
// lost, nothing is applied twice, bad input changes nothing.
//
// Readings of approvals.Store that the suite pins down (where the interface's
// comments leave room):
//   - Invalid input is an error wrapping approvals.ErrInvalid that says what is
//     wrong, and writes nothing (no record, no audit entry). Limits: ids 1..256
//     characters, reason and sentence <= 4000, 1..1000 assets, <= 256 KiB per
//     record, known states, actions and effects, non-negative durations.
//   - SavePolicy keeps a caller's CreatedAt, else sets now. Retiring a retired
//     or absent policy, and the history of an absent one, are ErrNotFound.
//   - Decide returns ApplyReview's errors as they are (*DecidedError,
//     ErrSelfApproval, ErrNotApprover, ErrAlreadyReviewed) and writes nothing;
//     a review without a reviewer or with a comment over 4000 is ErrInvalid.
//   - TransitionRequest moves only to cancelled, expired or revoked (else
//     ErrInvalid); leaving approved ends the request's active grants in the
//     same transaction (expired for expired, revoked otherwise).
//   - EndGrant: to must be expired or revoked (else ErrInvalid); unknown id is
//     ErrNotFound.
//   - Claim and AcquireLease treat an expiry equal to now as passed. Claim
//     needs expires after now and a key of 1..1024 characters; a lease needs
//     a positive ttl. Releasing a lease
//     one does not hold does nothing.
//   - AppendAudit needs actor, action and subject, fills in a missing id and
//     time, and refuses a reused id with ErrConflict. ListAudit is oldest first.
//   - RecordUsage is all or nothing per batch. MessageRefs of a request with
//     none is an empty list, not an error.
//   - SaveRecommendation and CreateRecert only create: an existing id, in any
//     state, is ErrConflict and changes nothing (Recommend reads ErrConflict
//     as "already proposed"). An empty state is stored as open and a zero
//     CreatedAt as now. A recertification's recommendation is "", keep or
//     revoke; supporting request ids are ids.
//   - UpdateRecert with an unknown expected state is ErrInvalid.
//   - TransitionRequest out of pending sets DecidedBy/DecidedAt to the actor
//     and time, so a later Decide names who ended it. Grants it ends get
//     their own audit entry (grant.expired / grant.revoked on grant/<id>).
//   - TransitionRequest, EndGrant and AppendAudit need an actor; unknown
//     starting states are ErrInvalid.
//
// Times: the suite uses UTC times with nanosecond parts and expects them back
// exactly (time.Time.Equal) and in UTC, because expiry is exact at the
// boundary. A backend whose native timestamps are coarser must store
// nanoseconds itself (for example as int64 unix nanos).
package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/steward-dev/steward/approvals"
)

// Opener opens the store under test. Two calls with the same name must give
// two handles on the same data (as after a process restart); different names
// must give independent, empty stores.
//
// Names match ^[a-z][a-z0-9-]{0,39}$ and are unique within one Run or Bench
// call. An opener that keeps data across Run calls (a shared emulator) should
// prefix them with something unique per top-level test.
//
// The opener closes what it opened (t.Cleanup) and must tolerate a handle the
// suite already closed itself (the reopen cases close the first handle to
// simulate a restart): ignore the error of a second Close.
type Opener func(t testing.TB, name string) approvals.Store

// Run runs the conformance suite, one subtest (t.Run) per behaviour.
func Run(t *testing.T, open Opener) {
	for i, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, func(t testing.TB, suffix string) approvals.Store {
				return open(t, storeName(i, c.name, suffix))
			})
		})
	}
}

// testCase is one behaviour of the suite. run gets an opener scoped to the
// case, so names never collide between cases.
type testCase struct {
	name string
	run  func(t *testing.T, open Opener)
}

// storeName turns a case and a per-case suffix into a name the Opener
// contract allows: short, lowercase, unique per case.
func storeName(i int, caseName, suffix string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(caseName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	short := b.String()
	if len(short) > 20 {
		short = short[:20]
	}
	short = strings.Trim(short, "-")
	return fmt.Sprintf("c%02d-%s-%s", i, short, suffix)
}
