package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/steward-dev/steward/approvals"
)

// CreateRequest stores a new request (pending when State is empty);
// ErrConflict if the id exists. CreatedAt and UpdatedAt default to now.
func (s *Store) CreateRequest(ctx context.Context, r approvals.Request, audit approvals.AuditEntry) error {
	now := s.now()
	if r.State == "" {
		r.State = approvals.StatePending
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = r.CreatedAt
	}
	r = normRequest(r)
	if err := validateRequest(r); err != nil {
		return fmt.Errorf("creating request %s: %w", r.ID, err)
	}
	body, err := encode("request", r)
	if err == nil {
		err = checkSize("request "+r.ID, len(body), maxRecord)
	}
	if err != nil {
		return fmt.Errorf("creating request %s: %w", r.ID, err)
	}
	e := auditDefaults(audit, now, r.Requester, "request.created", "request/"+r.ID, "", string(body))
	if err := validateAudit(e); err != nil {
		return fmt.Errorf("creating request %s: %w", r.ID, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM requests WHERE id = ?`, r.ID).Scan(&one)
		if err == nil {
			return approvals.ErrConflict
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO requests (id, requester, state, created_at, body) VALUES (?, ?, ?, ?, ?)`,
			r.ID, r.Requester, string(r.State), nanos(r.CreatedAt), string(body)); err != nil {
			return err
		}
		for _, a := range r.Approvers {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO request_approvers (request_id, approver) VALUES (?, ?)`, r.ID, a); err != nil {
				return err
			}
		}
		return insertAudit(ctx, tx, e)
	})
	if err != nil {
		return fmt.Errorf("creating request %s: %w", r.ID, err)
	}
	return nil
}

func loadRequest(ctx context.Context, q queryer, id string) (approvals.Request, error) {
	var body string
	err := q.QueryRowContext(ctx, `SELECT body FROM requests WHERE id = ?`, id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return approvals.Request{}, approvals.ErrNotFound
	}
	if err != nil {
		return approvals.Request{}, err
	}
	var r approvals.Request
	if err := decode("request", []byte(body), &r); err != nil {
		return approvals.Request{}, err
	}
	return normRequest(r), nil
}

// saveRequest rewrites a stored request after a change of state.
func saveRequest(ctx context.Context, tx *sql.Tx, r approvals.Request) error {
	body, err := encode("request", r)
	if err != nil {
		return err
	}
	if err := checkSize("request "+r.ID, len(body), maxRecord); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE requests SET state = ?, body = ? WHERE id = ?`, string(r.State), string(body), r.ID)
	return err
}

// GetRequest returns a request; ErrNotFound if there is none.
func (s *Store) GetRequest(ctx context.Context, id string) (approvals.Request, error) {
	r, err := loadRequest(ctx, s.db, id)
	if err != nil {
		return approvals.Request{}, fmt.Errorf("getting request %s: %w", id, err)
	}
	return r, nil
}

// ListRequests returns requests matching every set field of f, newest first.
// Approver matches exactly, through the request_approvers table.
func (s *Store) ListRequests(ctx context.Context, f approvals.RequestFilter) ([]approvals.Request, error) {
	var (
		conds []string
		args  []any
	)
	if f.State != "" {
		conds, args = append(conds, "r.state = ?"), append(args, string(f.State))
	}
	if f.Requester != "" {
		conds, args = append(conds, "r.requester = ?"), append(args, f.Requester)
	}
	if f.Approver != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM request_approvers a WHERE a.approver = ? AND a.request_id = r.id)")
		args = append(args, f.Approver)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT r.body FROM requests r`+where(conds)+
		` ORDER BY r.created_at DESC, r.id DESC`+limit(f.Limit), args...)
	if err != nil {
		return nil, fmt.Errorf("listing requests: %w", err)
	}
	defer rows.Close()
	var out []approvals.Request
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("listing requests: %w", err)
		}
		var r approvals.Request
		if err := decode("request", []byte(body), &r); err != nil {
			return nil, fmt.Errorf("listing requests: %w", err)
		}
		out = append(out, normRequest(r))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing requests: %w", err)
	}
	return out, nil
}

// Decide applies one review in one transaction: load the request, run
// approvals.ApplyReview, write the request, the grants and the audit entry.
// ApplyReview's errors (*DecidedError, ErrSelfApproval, ...) come back
// unchanged and nothing is written.
func (s *Store) Decide(ctx context.Context, requestID string, review approvals.Review) (approvals.Decision, error) {
	if review.At.IsZero() {
		review.At = s.now()
	}
	review.At = review.At.UTC()
	if err := validateReview(review); err != nil {
		return approvals.Decision{}, fmt.Errorf("deciding request %s: %w", requestID, err)
	}
	var (
		d        approvals.Decision
		applyErr error
	)
	err := s.write(ctx, func(tx *sql.Tx) error {
		r, err := loadRequest(ctx, tx, requestID)
		if err != nil {
			return fmt.Errorf("deciding request %s: %w", requestID, err)
		}
		d, applyErr = approvals.ApplyReview(r, review)
		if applyErr != nil {
			return applyErr
		}
		d.Request = normRequest(d.Request)
		if err := saveRequest(ctx, tx, d.Request); err != nil {
			return fmt.Errorf("deciding request %s: %w", requestID, err)
		}
		for _, g := range d.Grants {
			if err := insertGrant(ctx, tx, g); err != nil {
				return fmt.Errorf("deciding request %s: %w", requestID, err)
			}
		}
		d.Audit = auditDefaults(d.Audit, review.At, review.Reviewer, "request.reviewed", "request/"+requestID, "", "")
		if err := insertAudit(ctx, tx, d.Audit); err != nil {
			return fmt.Errorf("deciding request %s: %w", requestID, err)
		}
		return nil
	})
	if err != nil {
		return approvals.Decision{}, err
	}
	return d, nil
}

// endableStates are where TransitionRequest may move a request; approvals
// and denials only ever come from Decide.
var endableStates = []approvals.RequestState{approvals.StateCancelled, approvals.StateExpired, approvals.StateRevoked}

// TransitionRequest moves a request whose state is one of from to to
// (cancelled, expired or revoked). Leaving the approved state ends the
// request's active grants in the same transaction: expired when the request
// expires, revoked otherwise, each with its own audit entry.
func (s *Store) TransitionRequest(ctx context.Context, id string, from []approvals.RequestState, to approvals.RequestState, actor string, at time.Time, audit approvals.AuditEntry) (approvals.Request, error) {
	fail := func(err error) (approvals.Request, error) {
		return approvals.Request{}, fmt.Errorf("moving request %s to %s: %w", id, to, err)
	}
	if !slices.Contains(endableStates, to) {
		return fail(invalid("a request can only be moved to %v, not %q", endableStates, to))
	}
	if len(from) == 0 {
		return fail(invalid("no starting state given"))
	}
	for _, st := range from {
		if !knownRequestState(st) {
			return fail(invalid("unknown state %q", st))
		}
	}
	at, err := s.eventTime(actor, at)
	if err != nil {
		return fail(err)
	}
	var out approvals.Request
	err = s.write(ctx, func(tx *sql.Tx) error {
		r, err := loadRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, r.State) {
			want := make([]string, len(from))
			for i, st := range from {
				want[i] = string(st)
			}
			return &approvals.StateError{Subject: "request " + id, Have: string(r.State), Want: want}
		}
		before := snapshot(r)
		wasApproved := r.State == approvals.StateApproved
		if r.State == approvals.StatePending {
			// Ending an undecided request is its decision: a later Decide
			// then names who ended it and when.
			r.DecidedBy, r.DecidedAt = actor, at
		}
		r.State, r.UpdatedAt = to, at
		if err := saveRequest(ctx, tx, r); err != nil {
			return err
		}
		e := auditDefaults(audit, at, actor, "request."+string(to), "request/"+id, before, snapshot(r))
		if err := insertAudit(ctx, tx, e); err != nil {
			return err
		}
		if wasApproved {
			end := approvals.GrantRevoked
			if to == approvals.StateExpired {
				end = approvals.GrantExpired
			}
			gs, err := listGrants(ctx, tx, approvals.GrantFilter{RequestID: id, State: approvals.GrantActive})
			if err != nil {
				return err
			}
			for _, g := range gs {
				if _, err := endGrant(ctx, tx, g, end, actor, at, approvals.AuditEntry{Detail: "request " + id + " " + string(to)}); err != nil {
					return err
				}
			}
		}
		out = r
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return out, nil
}
