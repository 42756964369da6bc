package firestore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	fs "cloud.google.com/go/firestore"

	"github.com/steward-dev/steward/approvals"
)

// createWithAudit writes doc at ref and the audit entry in one commit, only
// if nothing is stored at ref yet: a record is created once, whatever state
// an existing one is in (ErrConflict). subject names the record in that error.
func (s *Store) createWithAudit(ctx context.Context, what, subject string, ref *fs.DocumentRef, doc any, audit approvals.AuditEntry, now time.Time) error {
	audit, err := s.prepareAudit(audit, now)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return s.cas(ctx, what, []*fs.DocumentRef{ref}, nil, func(snaps, _ []*fs.DocumentSnapshot, p *plan) error {
		if snaps[0].Exists() {
			return fmt.Errorf("%w: %s exists", approvals.ErrConflict, subject)
		}
		p.create(ref, doc)
		s.audit(p, audit, now)
		return nil
	})
}

// prepareEvent checks who made a change and when it happened (zero: now),
// and readies its audit entry. It returns the event time and the time of
// writing, both UTC.
func (s *Store) prepareEvent(timeField, actor string, at time.Time, audit approvals.AuditEntry) (time.Time, time.Time, approvals.AuditEntry, error) {
	if err := checkID("actor", actor); err != nil {
		return at, time.Time{}, audit, err
	}
	if err := checkTime(timeField, at); err != nil {
		return at, time.Time{}, audit, err
	}
	now := time.Now().UTC()
	if at.IsZero() {
		at = now
	}
	at = at.UTC()
	audit, err := s.prepareAudit(audit, now)
	return at, now, audit, err
}

// queryAll runs q and turns every document, stored as D, into a T. The
// result is never nil, so "none" is an empty list.
func queryAll[D, T any](ctx context.Context, s *Store, what string, q fs.Query, conv func(D) T) ([]T, error) {
	out := []T{}
	err := s.query(ctx, what, q, func(snap *fs.DocumentSnapshot) error {
		var d D
		if err := snap.DataTo(&d); err != nil {
			return err
		}
		out = append(out, conv(d))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sortOldestFirst orders records by a time, then by id, so lists read the
// same whatever order Firestore merged its indexes in.
func sortOldestFirst[T any](xs []T, key func(T) (time.Time, string)) {
	slices.SortFunc(xs, func(a, b T) int {
		ta, ia := key(a)
		tb, ib := key(b)
		if c := ta.Compare(tb); c != 0 {
			return c
		}
		return strings.Compare(ia, ib)
	})
}
