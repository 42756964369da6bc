package firestore

import (
	"context"
	"fmt"
	"slices"
	"time"

	fs "cloud.google.com/go/firestore"

	"github.com/steward-dev/steward/approvals"
)

func (s *Store) requestRef(id string) *fs.DocumentRef { return s.doc(colRequests, id) }

// CreateRequest stores a new request with its audit entry.
func (s *Store) CreateRequest(ctx context.Context, r approvals.Request, audit approvals.AuditEntry) error {
	what := "creating request " + r.ID
	if r.State == "" {
		r.State = approvals.StatePending
	}
	if err := validateRequest(r); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return s.createWithAudit(ctx, what, "request "+r.ID, s.requestRef(r.ID), toRequestDoc(r), audit, time.Now().UTC())
}

// GetRequest returns one request.
func (s *Store) GetRequest(ctx context.Context, id string) (approvals.Request, error) {
	what := "getting request " + id
	if err := checkID("request id", id); err != nil {
		return approvals.Request{}, fmt.Errorf("%s: %w", what, err)
	}
	var d requestDoc
	ok, err := s.get(ctx, what, s.requestRef(id), &d)
	if err != nil {
		return approvals.Request{}, err
	}
	if !ok {
		return approvals.Request{}, fmt.Errorf("%s: %w", what, approvals.ErrNotFound)
	}
	return d.request(), nil
}

// ListRequests returns matching requests, newest first.
func (s *Store) ListRequests(ctx context.Context, f approvals.RequestFilter) ([]approvals.Request, error) {
	q := s.client.Collection(colRequests).Query
	if f.State != "" {
		q = q.Where("state", "==", string(f.State))
	}
	if f.Requester != "" {
		q = q.Where("requester", "==", f.Requester)
	}
	if f.Approver != "" {
		q = q.Where("approvers", "array-contains", f.Approver)
	}
	q = q.OrderBy("created_ns", fs.Desc)
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	return queryAll(ctx, s, "listing requests", q, requestDoc.request)
}

// Decide records one review in one transaction: it reads the request,
// applies the review (approvals.ApplyReview, pure, so safe to run again when
// the transaction is retried) and writes the request, the grants an approval
// creates and the audit entry.
func (s *Store) Decide(ctx context.Context, requestID string, review approvals.Review) (approvals.Decision, error) {
	what := "deciding request " + requestID
	if err := checkID("request id", requestID); err != nil {
		return approvals.Decision{}, fmt.Errorf("%s: %w", what, err)
	}
	if review.At.IsZero() {
		review.At = time.Now()
	}
	review.At = review.At.UTC()
	if err := validateReview(review); err != nil {
		return approvals.Decision{}, fmt.Errorf("%s: %w", what, err)
	}
	ref := s.requestRef(requestID)
	var out approvals.Decision
	err := s.cas(ctx, what, []*fs.DocumentRef{ref}, nil, func(snaps, _ []*fs.DocumentSnapshot, p *plan) error {
		var d requestDoc
		ok, err := decodeSnap(snaps[0], &d)
		if err != nil {
			return err
		}
		if !ok {
			return approvals.ErrNotFound
		}
		dec, err := approvals.ApplyReview(d.request(), review)
		if err != nil {
			return err
		}
		if err := validateRequest(dec.Request); err != nil {
			return err
		}
		now := time.Now().UTC()
		if dec.Audit, err = s.prepareAudit(dec.Audit, now); err != nil {
			return err
		}
		for _, g := range dec.Grants {
			if err := validateGrant(g); err != nil {
				return err
			}
		}
		p.replace(snaps[0], toRequestDoc(dec.Request))
		// Set, not Create: the precondition on the pending request already
		// guarantees these grants are written once.
		for _, g := range dec.Grants {
			p.set(s.doc(colGrants, g.ID), toGrantDoc(g))
		}
		s.audit(p, dec.Audit, now)
		out = dec
		return nil
	})
	if err != nil {
		return approvals.Decision{}, err
	}
	return out, nil
}

// TransitionRequest moves a request from one of from to to. Leaving the
// approved state ends the request's active grants in the same transaction,
// as revoked (to revoked) or expired (anything else).
func (s *Store) TransitionRequest(ctx context.Context, id string, from []approvals.RequestState, to approvals.RequestState, actor string, at time.Time, audit approvals.AuditEntry) (approvals.Request, error) {
	what := fmt.Sprintf("moving request %s to %s", id, to)
	if err := checkID("request id", id); err != nil {
		return approvals.Request{}, fmt.Errorf("%s: %w", what, err)
	}
	if !validRequestState(to) || to == approvals.StatePending {
		return approvals.Request{}, fmt.Errorf("%s: %w", what, invalid("%q is not a state a request can move to", to))
	}
	if len(from) == 0 {
		return approvals.Request{}, fmt.Errorf("%s: %w", what, invalid("no state to move from"))
	}
	for _, st := range from {
		if !validRequestState(st) {
			return approvals.Request{}, fmt.Errorf("%s: %w", what, invalid("%q is not a request state", st))
		}
	}
	at, now, audit, err := s.prepareEvent("transition time", actor, at, audit)
	if err != nil {
		return approvals.Request{}, fmt.Errorf("%s: %w", what, err)
	}
	grantEnd := approvals.GrantExpired
	if to == approvals.StateRevoked {
		grantEnd = approvals.GrantRevoked
	}
	ref := s.requestRef(id)
	var out approvals.Request
	// The active grants are read with the request; each is written back
	// only if unchanged, so a grant ended concurrently keeps its own end.
	activeGrants := s.client.Collection(colGrants).Where("request_id", "==", id).Where("state", "==", string(approvals.GrantActive))
	err = s.cas(ctx, what, []*fs.DocumentRef{ref}, &activeGrants, func(snaps, grants []*fs.DocumentSnapshot, p *plan) error {
		var d requestDoc
		ok, err := decodeSnap(snaps[0], &d)
		if err != nil {
			return err
		}
		if !ok {
			return approvals.ErrNotFound
		}
		r := d.request()
		if !slices.Contains(from, r.State) {
			want := make([]string, len(from))
			for i, st := range from {
				want[i] = string(st)
			}
			return &approvals.StateError{Subject: "request " + id, Have: string(r.State), Want: want}
		}
		if r.State == approvals.StatePending {
			// Ending an undecided request is its decision: a later Decide
			// then names who ended it and when.
			r.DecidedBy, r.DecidedAt = actor, at
		}
		r.State, r.UpdatedAt = to, at
		p.replace(snaps[0], toRequestDoc(r))
		s.audit(p, audit, now)
		if d.State == string(approvals.StateApproved) {
			for _, snap := range grants {
				var g grantDoc
				if _, err := decodeSnap(snap, &g); err != nil {
					return err
				}
				g.State, g.EndedAt, g.EndedNS, g.EndedBy = string(grantEnd), stamp(at), nanos(at), actor
				p.replace(snap, g)
				// Each grant's own history shows how it ended, as after EndGrant.
				ga, err := s.prepareAudit(approvals.AuditEntry{At: at, Actor: actor, Action: "grant." + string(grantEnd),
					Subject: "grant/" + g.ID, Detail: "request " + id + " " + string(to)}, now)
				if err != nil {
					return err
				}
				s.audit(p, ga, now)
			}
		}
		out = r
		return nil
	})
	if err != nil {
		return approvals.Request{}, err
	}
	return out, nil
}
