package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/steward-dev/steward/approvals"
)

func knownRecertState(s approvals.RecertState) bool {
	switch s {
	case approvals.RecertOpen, approvals.RecertKept, approvals.RecertRevoked, approvals.RecertEscalated:
		return true
	}
	return false
}

func validateRecert(it approvals.RecertItem) error {
	if err := checkID("recertification id", it.ID); err != nil {
		return err
	}
	if err := checkKey("grant id", it.GrantID, 2*maxID+1); err != nil {
		return err
	}
	if it.GrantID == "" {
		return invalid("recertification %s names no grant", it.ID)
	}
	if err := checkID("approver", it.Approver); err != nil {
		return err
	}
	if !knownRecertState(it.State) {
		return invalid("recertification %s: unknown state %q", it.ID, it.State)
	}
	switch it.Recommendation {
	case "", "keep", "revoke":
	default:
		return invalid("recertification %s: recommendation %q is not keep or revoke", it.ID, it.Recommendation)
	}
	if err := checkText("why", it.Why); err != nil {
		return err
	}
	if err := checkOptionalID("decided_by", it.DecidedBy); err != nil {
		return err
	}
	if err := checkTime("created_at", it.CreatedAt); err != nil {
		return err
	}
	if err := checkTime("due_at", it.DueAt); err != nil {
		return err
	}
	return checkTime("decided_at", it.DecidedAt)
}

func normRecert(it approvals.RecertItem) approvals.RecertItem {
	it.CreatedAt, it.DueAt, it.DecidedAt = utc(it.CreatedAt), utc(it.DueAt), utc(it.DecidedAt)
	return it
}

// CreateRecert stores a new recertification item; ErrConflict if the id exists.
func (s *Store) CreateRecert(ctx context.Context, item approvals.RecertItem, audit approvals.AuditEntry) error {
	now := s.now()
	if item.State == "" {
		item.State = approvals.RecertOpen
	}
	if item.CreatedAt.IsZero() {
		item.CreatedAt = now
	}
	item = normRecert(item)
	if err := validateRecert(item); err != nil {
		return fmt.Errorf("creating recertification %s: %w", item.ID, err)
	}
	body, err := encode("recertification", item)
	if err != nil {
		return fmt.Errorf("creating recertification %s: %w", item.ID, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM recerts WHERE id = ?`, item.ID).Scan(&one)
		if err == nil {
			return approvals.ErrConflict
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO recerts (id, grant_id, approver, state, created_at, body) VALUES (?, ?, ?, ?, ?, ?)`,
			item.ID, item.GrantID, item.Approver, string(item.State), nanos(item.CreatedAt), string(body)); err != nil {
			return err
		}
		return insertAudit(ctx, tx, auditDefaults(audit, now, "steward", "recert.created", "recert/"+item.ID, "", string(body)))
	})
	if err != nil {
		return fmt.Errorf("creating recertification %s: %w", item.ID, err)
	}
	return nil
}

// ListRecerts returns items matching every set field of f, oldest first.
func (s *Store) ListRecerts(ctx context.Context, f approvals.RecertFilter) ([]approvals.RecertItem, error) {
	var (
		conds []string
		args  []any
	)
	if f.State != "" {
		conds, args = append(conds, "state = ?"), append(args, string(f.State))
	}
	if f.Approver != "" {
		conds, args = append(conds, "approver = ?"), append(args, f.Approver)
	}
	if f.GrantID != "" {
		conds, args = append(conds, "grant_id = ?"), append(args, f.GrantID)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT body FROM recerts`+where(conds)+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing recertifications: %w", err)
	}
	defer rows.Close()
	var out []approvals.RecertItem
	for rows.Next() {
		var (
			body string
			it   approvals.RecertItem
		)
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("listing recertifications: %w", err)
		}
		if err := decode("recertification", []byte(body), &it); err != nil {
			return nil, fmt.Errorf("listing recertifications: %w", err)
		}
		out = append(out, normRecert(it))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing recertifications: %w", err)
	}
	return out, nil
}

// UpdateRecert replaces an item whose stored state is from; *StateError otherwise.
func (s *Store) UpdateRecert(ctx context.Context, item approvals.RecertItem, from approvals.RecertState, audit approvals.AuditEntry) error {
	item = normRecert(item)
	if err := validateRecert(item); err != nil {
		return fmt.Errorf("updating recertification %s: %w", item.ID, err)
	}
	if !knownRecertState(from) {
		return fmt.Errorf("updating recertification %s: %w", item.ID, invalid("unknown state %q", from))
	}
	body, err := encode("recertification", item)
	if err != nil {
		return fmt.Errorf("updating recertification %s: %w", item.ID, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var state, before string
		err := tx.QueryRowContext(ctx, `SELECT state, body FROM recerts WHERE id = ?`, item.ID).Scan(&state, &before)
		if errors.Is(err, sql.ErrNoRows) {
			return approvals.ErrNotFound
		}
		if err != nil {
			return err
		}
		if state != string(from) {
			return &approvals.StateError{Subject: "recertification " + item.ID, Have: state, Want: []string{string(from)}}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE recerts SET grant_id = ?, approver = ?, state = ?, created_at = ?, body = ? WHERE id = ?`,
			item.GrantID, item.Approver, string(item.State), nanos(item.CreatedAt), string(body), item.ID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, auditDefaults(audit, s.now(), item.DecidedBy, "recert."+string(item.State), "recert/"+item.ID, before, string(body)))
	})
	if err != nil {
		return fmt.Errorf("updating recertification %s: %w", item.ID, err)
	}
	return nil
}

func knownRecommendationState(s approvals.RecommendationState) bool {
	switch s {
	case approvals.RecommendationOpen, approvals.RecommendationAccepted, approvals.RecommendationDismissed:
		return true
	}
	return false
}

func validateRecommendation(r approvals.Recommendation) ([]byte, error) {
	if err := checkID("recommendation id", r.ID); err != nil {
		return nil, err
	}
	if !knownRecommendationState(r.State) {
		return nil, invalid("recommendation %s: unknown state %q", r.ID, r.State)
	}
	if err := checkOptionalID("policy id", r.Policy.ID); err != nil {
		return nil, err
	}
	if err := validatePolicyBody(r.Policy); err != nil {
		return nil, err
	}
	if err := checkText("why", r.Why); err != nil {
		return nil, err
	}
	for _, id := range r.Support {
		if err := checkKey("supporting request id", id, maxID); err != nil {
			return nil, err
		}
	}
	if err := checkOptionalID("decided_by", r.DecidedBy); err != nil {
		return nil, err
	}
	if err := checkTime("created_at", r.CreatedAt); err != nil {
		return nil, err
	}
	if err := checkTime("decided_at", r.DecidedAt); err != nil {
		return nil, err
	}
	body, err := encode("recommendation", toStoredRecommendation(r))
	if err != nil {
		return nil, err
	}
	return body, checkSize("recommendation "+r.ID, len(body), maxRecord)
}

// SaveRecommendation stores a new recommendation; ErrConflict if the id
// exists, whatever its state. Recommend reads ErrConflict as "already
// proposed", so a proposal is made (and its card posted) once; changing an
// open one is UpdateRecommendation's job.
func (s *Store) SaveRecommendation(ctx context.Context, r approvals.Recommendation, audit approvals.AuditEntry) error {
	now := s.now()
	if r.State == "" {
		r.State = approvals.RecommendationOpen
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	body, err := validateRecommendation(r)
	if err != nil {
		return fmt.Errorf("saving recommendation %s: %w", r.ID, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, `SELECT state FROM recommendations WHERE id = ?`, r.ID).Scan(&state)
		switch {
		case err == nil:
			return fmt.Errorf("%w: recommendation %s is already proposed (%s)", approvals.ErrConflict, r.ID, state)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO recommendations (id, state, created_at, body) VALUES (?, ?, ?, ?)`,
			r.ID, string(r.State), nanos(r.CreatedAt), string(body)); err != nil {
			return err
		}
		return insertAudit(ctx, tx, auditDefaults(audit, now, "steward", "recommendation.created", "recommendation/"+r.ID, "", string(body)))
	})
	if err != nil {
		return fmt.Errorf("saving recommendation %s: %w", r.ID, err)
	}
	return nil
}

// ListRecommendations returns recommendations in state (all when empty), oldest first.
func (s *Store) ListRecommendations(ctx context.Context, state approvals.RecommendationState) ([]approvals.Recommendation, error) {
	var (
		conds []string
		args  []any
	)
	if state != "" {
		conds, args = append(conds, "state = ?"), append(args, string(state))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT body FROM recommendations`+where(conds)+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing recommendations: %w", err)
	}
	defer rows.Close()
	var out []approvals.Recommendation
	for rows.Next() {
		var (
			body string
			sr   storedRecommendation
		)
		if err := rows.Scan(&body); err != nil {
			return nil, fmt.Errorf("listing recommendations: %w", err)
		}
		if err := decode("recommendation", []byte(body), &sr); err != nil {
			return nil, fmt.Errorf("listing recommendations: %w", err)
		}
		out = append(out, sr.recommendation())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing recommendations: %w", err)
	}
	return out, nil
}

// UpdateRecommendation replaces one whose stored state is open; *StateError otherwise.
func (s *Store) UpdateRecommendation(ctx context.Context, r approvals.Recommendation, audit approvals.AuditEntry) error {
	body, err := validateRecommendation(r)
	if err != nil {
		return fmt.Errorf("updating recommendation %s: %w", r.ID, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var state, before string
		err := tx.QueryRowContext(ctx, `SELECT state, body FROM recommendations WHERE id = ?`, r.ID).Scan(&state, &before)
		if errors.Is(err, sql.ErrNoRows) {
			return approvals.ErrNotFound
		}
		if err != nil {
			return err
		}
		if state != string(approvals.RecommendationOpen) {
			return &approvals.StateError{Subject: "recommendation " + r.ID, Have: state, Want: []string{string(approvals.RecommendationOpen)}}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE recommendations SET state = ?, created_at = ?, body = ? WHERE id = ?`,
			string(r.State), nanos(r.CreatedAt), string(body), r.ID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, auditDefaults(audit, s.now(), r.DecidedBy, "recommendation."+string(r.State), "recommendation/"+r.ID, before, string(body)))
	})
	if err != nil {
		return fmt.Errorf("updating recommendation %s: %w", r.ID, err)
	}
	return nil
}
