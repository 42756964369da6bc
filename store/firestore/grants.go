package firestore

import (
	"context"
	"fmt"
	"time"

	fs "cloud.google.com/go/firestore"

	"github.com/steward-dev/steward/approvals"
)

// ListGrants returns grants matching every set field of f, oldest first.
// Equality filters only, so Firestore serves every combination by merging
// single-field indexes; sorting happens here.
func (s *Store) ListGrants(ctx context.Context, f approvals.GrantFilter) ([]approvals.Grant, error) {
	q := s.client.Collection(colGrants).Query
	if f.User != "" {
		q = q.Where("user", "==", f.User)
	}
	if f.Asset != "" {
		q = q.Where("asset", "==", f.Asset)
	}
	if f.RequestID != "" {
		q = q.Where("request_id", "==", f.RequestID)
	}
	if f.State != "" {
		q = q.Where("state", "==", string(f.State))
	}
	out, err := s.grants(ctx, "listing grants", q)
	if err != nil {
		return nil, err
	}
	sortOldestFirst(out, func(g approvals.Grant) (time.Time, string) { return g.GrantedAt, g.ID })
	return out, nil
}

// GrantsDueBefore returns active grants with an expiry at or before t,
// soonest first. The query is on the nanosecond field, so the boundary is exact.
func (s *Store) GrantsDueBefore(ctx context.Context, t time.Time) ([]approvals.Grant, error) {
	q := s.client.Collection(colGrants).
		Where("state", "==", string(approvals.GrantActive)).
		Where("expires_ns", ">", int64(0)).
		Where("expires_ns", "<=", clampNanos(t)).
		OrderBy("expires_ns", fs.Asc)
	return s.grants(ctx, "listing grants due before "+t.UTC().Format(time.RFC3339Nano), q)
}

func (s *Store) grants(ctx context.Context, what string, q fs.Query) ([]approvals.Grant, error) {
	return queryAll(ctx, s, what, q, grantDoc.grant)
}

// EndGrant moves an active grant to expired or revoked, exactly once.
func (s *Store) EndGrant(ctx context.Context, id string, to approvals.GrantState, actor string, at time.Time, audit approvals.AuditEntry) (approvals.Grant, error) {
	what := fmt.Sprintf("ending grant %s as %s", id, to)
	if id == "" || len(id) > 2*maxIDLen+1 {
		return approvals.Grant{}, fmt.Errorf("%s: %w", what, invalid("grant id %q is empty or too long", id))
	}
	if to != approvals.GrantExpired && to != approvals.GrantRevoked {
		return approvals.Grant{}, fmt.Errorf("%s: %w", what, invalid("a grant ends as expired or revoked, not %q", to))
	}
	at, now, audit, err := s.prepareEvent("end time", actor, at, audit)
	if err != nil {
		return approvals.Grant{}, fmt.Errorf("%s: %w", what, err)
	}
	ref := s.doc(colGrants, id)
	var out approvals.Grant
	err = s.cas(ctx, what, []*fs.DocumentRef{ref}, nil, func(snaps, _ []*fs.DocumentSnapshot, p *plan) error {
		var d grantDoc
		ok, err := decodeSnap(snaps[0], &d)
		if err != nil {
			return err
		}
		if !ok {
			return approvals.ErrNotFound
		}
		if d.State != string(approvals.GrantActive) {
			return fmt.Errorf("%w: it was %s by %s at %s", approvals.ErrNotActive, d.State, d.EndedBy,
				fromNanos(d.EndedNS).Format(time.RFC3339Nano))
		}
		d.State, d.EndedAt, d.EndedNS, d.EndedBy = string(to), stamp(at), nanos(at), actor
		p.replace(snaps[0], d)
		s.audit(p, audit, now)
		out = d.grant()
		return nil
	})
	if err != nil {
		return approvals.Grant{}, err
	}
	return out, nil
}
