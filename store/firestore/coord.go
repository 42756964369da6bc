package firestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	fs "cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/steward-dev/steward/approvals"
)

// maxClaimKey is long enough for a prefix and two ids (a grant id is
// request:asset), as the SQLite store allows.
const maxClaimKey = 1024

// claimDocID is docID(key), or for a key too long for a Firestore document
// id (1500 bytes) a digest of it. "%H" never starts a plain docID, which
// writes '%' only as %25, so the two kinds of id cannot collide.
func claimDocID(key string) string {
	id := docID(key)
	if len(id) <= 1000 {
		return id
	}
	sum := sha256.Sum256([]byte(key))
	return "%H" + hex.EncodeToString(sum[:])
}

// Claim records key until expires if it is free or its last claim has
// expired (at now >= expiry), and reports whether this caller got it.
func (s *Store) Claim(ctx context.Context, key string, now, expires time.Time) (bool, error) {
	what := "claiming " + key
	if err := checkText("claim key", key, maxClaimKey); err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	if key == "" {
		return false, fmt.Errorf("%s: %w", what, invalid("claim key is empty"))
	}
	if now.IsZero() {
		return false, fmt.Errorf("%s: %w", what, invalid("no current time given"))
	}
	if !expires.After(now) {
		return false, fmt.Errorf("%s: %w", what, invalid("expiry %s is not after now %s",
			expires.UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano)))
	}
	for _, t := range []time.Time{now, expires} {
		if err := checkTime("claim time", t); err != nil {
			return false, fmt.Errorf("%s: %w", what, err)
		}
	}
	ref := s.client.Collection(colClaims).Doc(claimDocID(key))
	var won bool
	err := s.cas(ctx, what, []*fs.DocumentRef{ref}, nil, func(snaps, _ []*fs.DocumentSnapshot, p *plan) error {
		won = false
		var d claimDoc
		ok, err := decodeSnap(snaps[0], &d)
		if err != nil {
			return err
		}
		if ok && d.ExpiresNS > now.UnixNano() {
			return nil
		}
		won = true
		p.replace(snaps[0], claimDoc{Key: key, ClaimedAt: stamp(now), ClaimedNS: nanos(now),
			ExpiresAt: stamp(expires), ExpiresNS: nanos(expires)})
		return nil
	})
	if err != nil {
		return false, err
	}
	return won, nil
}

// purgePage bounds how many claims one PurgeClaims round reads and deletes.
const purgePage = 500

// PurgeClaims deletes claims whose expiry is at or before t, a page at a
// time. Each delete requires the claim unchanged since it was read, so a
// key claimed again meanwhile keeps its new claim.
func (s *Store) PurgeClaims(ctx context.Context, t time.Time) (int, error) {
	what := "purging expired claims"
	if t.IsZero() {
		return 0, fmt.Errorf("%s: %w", what, invalid("no time given"))
	}
	if err := checkTime("purge time", t); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	q := s.client.Collection(colClaims).Where("expires_ns", "<=", t.UnixNano()).Limit(purgePage)
	total := 0
	for {
		var snaps []*fs.DocumentSnapshot
		err := s.query(ctx, what, q, func(snap *fs.DocumentSnapshot) error {
			snaps = append(snaps, snap)
			return nil
		})
		if err != nil {
			return total, err
		}
		n, err := s.deleteUnchanged(ctx, what, snaps)
		total += n
		if err != nil || len(snaps) < purgePage {
			return total, err
		}
	}
}

// deleteUnchanged deletes each document that has not changed since snap
// was read, and returns how many it deleted.
func (s *Store) deleteUnchanged(ctx context.Context, what string, snaps []*fs.DocumentSnapshot) (int, error) {
	if len(snaps) == 0 {
		return 0, nil
	}
	if s.closed.Load() {
		return 0, fmt.Errorf("%s: %w", what, errClosed)
	}
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	bw := s.client.BulkWriter(cctx)
	jobs := make([]*fs.BulkWriterJob, 0, len(snaps))
	for _, snap := range snaps {
		j, err := bw.Delete(snap.Ref, fs.LastUpdateTime(snap.UpdateTime))
		if err != nil {
			bw.End()
			return 0, s.fail(cctx, what, err)
		}
		jobs = append(jobs, j)
	}
	bw.End()
	n := 0
	for _, j := range jobs {
		_, err := j.Results()
		switch {
		case err == nil:
			n++
		case status.Code(err) == codes.FailedPrecondition:
			// Claimed again since the read.
		default:
			return n, s.fail(cctx, what, err)
		}
	}
	return n, nil
}

// AcquireLease gives holder the lease until now+ttl if it is free, expired
// (at now >= expiry) or already held by holder.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	what := fmt.Sprintf("acquiring lease %s for %s", name, holder)
	if err := checkID("lease name", name); err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	if err := checkID("lease holder", holder); err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	if ttl <= 0 {
		return false, fmt.Errorf("%s: %w", what, invalid("lease duration %s is not positive", ttl))
	}
	if now.IsZero() {
		return false, fmt.Errorf("%s: %w", what, invalid("no current time given"))
	}
	expires := now.Add(ttl)
	for _, t := range []time.Time{now, expires} {
		if err := checkTime("lease time", t); err != nil {
			return false, fmt.Errorf("%s: %w", what, err)
		}
	}
	ref := s.doc(colLeases, name)
	var won bool
	err := s.cas(ctx, what, []*fs.DocumentRef{ref}, nil, func(snaps, _ []*fs.DocumentSnapshot, p *plan) error {
		won = false
		var d leaseDoc
		ok, err := decodeSnap(snaps[0], &d)
		if err != nil {
			return err
		}
		if ok && d.Holder != holder && d.ExpiresNS > now.UnixNano() {
			return nil
		}
		won = true
		p.replace(snaps[0], leaseDoc{Name: name, Holder: holder, ExpiresAt: stamp(expires), ExpiresNS: nanos(expires)})
		return nil
	})
	if err != nil {
		return false, err
	}
	return won, nil
}

// ReleaseLease frees the lease if holder holds it; otherwise it does nothing.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	what := fmt.Sprintf("releasing lease %s for %s", name, holder)
	if err := checkID("lease name", name); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	ref := s.doc(colLeases, name)
	return s.cas(ctx, what, []*fs.DocumentRef{ref}, nil, func(snaps, _ []*fs.DocumentSnapshot, p *plan) error {
		var d leaseDoc
		ok, err := decodeSnap(snaps[0], &d)
		if err != nil || !ok || d.Holder != holder {
			return err
		}
		p.remove(snaps[0])
		return nil
	})
}

func (s *Store) messageRefs(requestID string) *fs.CollectionRef {
	return s.doc(colMessageRefs, requestID).Collection(colKinds)
}

// SaveMessageRef records where a card is, replacing any earlier one of the same kind.
func (s *Store) SaveMessageRef(ctx context.Context, ref approvals.MessageRef) error {
	what := fmt.Sprintf("saving the %s message of request %s", ref.Kind, ref.RequestID)
	for _, c := range []struct{ name, v string }{{"request id", ref.RequestID}, {"message kind", ref.Kind},
		{"channel", ref.Channel}, {"message ts", ref.TS}} {
		if err := checkID(c.name, c.v); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", what, errClosed)
	}
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	_, err := s.messageRefs(ref.RequestID).Doc(docID(ref.Kind)).Set(cctx, messageRefDoc{
		RequestID: ref.RequestID, Kind: ref.Kind, Channel: ref.Channel, TS: ref.TS})
	if err != nil {
		return s.fail(cctx, what, err)
	}
	return nil
}

// MessageRefs returns every message reference of a request, by kind.
func (s *Store) MessageRefs(ctx context.Context, requestID string) ([]approvals.MessageRef, error) {
	what := "listing the messages of request " + requestID
	if err := checkID("request id", requestID); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	out := []approvals.MessageRef{}
	err := s.query(ctx, what, s.messageRefs(requestID).Query, func(snap *fs.DocumentSnapshot) error {
		var d messageRefDoc
		if err := snap.DataTo(&d); err != nil {
			return err
		}
		out = append(out, approvals.MessageRef{RequestID: d.RequestID, Kind: d.Kind, Channel: d.Channel, TS: d.TS})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b approvals.MessageRef) int { return strings.Compare(a.Kind, b.Kind) })
	return out, nil
}
