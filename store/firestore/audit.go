package firestore

import (
	"context"
	"fmt"
	"math"
	"time"

	fs "cloud.google.com/go/firestore"
	"github.com/google/uuid"

	"github.com/steward-dev/steward/approvals"
)

func (s *Store) prepareAudit(e approvals.AuditEntry, now time.Time) (approvals.AuditEntry, error) {
	return prepareAudit(e, now, uuid.NewString)
}

// audit adds e to the log as part of p. Create, not Set: an entry with an
// existing id fails the whole commit instead of rewriting history.
func (s *Store) audit(p *plan, e approvals.AuditEntry, written time.Time) {
	ref := s.doc(colAudit, e.ID)
	p.create(ref, toAuditDoc(e, written))
	p.audits = append(p.audits, ref)
}

// AppendAudit adds an entry that changes no other record.
func (s *Store) AppendAudit(ctx context.Context, e approvals.AuditEntry) error {
	now := time.Now().UTC()
	e, err := s.prepareAudit(e, now)
	what := "appending audit entry " + e.ID
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	// An entry on its own records something someone did: it needs a who.
	if e.Actor == "" {
		return fmt.Errorf("%s: %w", what, invalid("audit entry %s has no actor", e.ID))
	}
	ref := s.doc(colAudit, e.ID)
	return s.cas(ctx, what, []*fs.DocumentRef{ref}, nil, func(snaps, _ []*fs.DocumentSnapshot, p *plan) error {
		if snaps[0].Exists() {
			return fmt.Errorf("%w: audit entry %s is already in the log; entries are never overwritten", approvals.ErrConflict, e.ID)
		}
		s.audit(p, e, now)
		return nil
	})
}

// ListAudit returns matching entries, oldest first (by At, then by when
// they were written).
func (s *Store) ListAudit(ctx context.Context, f approvals.AuditFilter) ([]approvals.AuditEntry, error) {
	q := s.client.Collection(colAudit).Query
	if f.Subject != "" {
		q = q.Where("subject", "==", f.Subject)
	}
	if f.Actor != "" {
		q = q.Where("actor", "==", f.Actor)
	}
	if !f.From.IsZero() {
		q = q.Where("at_ns", ">=", clampNanos(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where("at_ns", "<", clampNanos(f.To))
	}
	q = q.OrderBy("at_ns", fs.Asc).OrderBy("written_ns", fs.Asc)
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	return queryAll(ctx, s, "listing the audit log", q, auditDoc.entry)
}

// clampNanos turns a query bound into Unix nanoseconds, saturating outside
// the representable years instead of wrapping around.
func clampNanos(t time.Time) int64 {
	switch {
	case t.Year() > 2261:
		return math.MaxInt64
	case t.Year() < 1678:
		return math.MinInt64
	}
	return t.UnixNano()
}
