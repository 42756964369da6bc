package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/steward-dev/steward/approvals"
)

// insertAudit appends e inside tx. A reused id is a conflict: entries are
// never overwritten (triggers in the schema refuse UPDATE and DELETE too).
func insertAudit(ctx context.Context, tx *sql.Tx, e approvals.AuditEntry) error {
	if err := validateAudit(e); err != nil {
		return err
	}
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM audit WHERE id = ?`, e.ID).Scan(&one)
	if err == nil {
		return fmt.Errorf("%w: audit entry %s", approvals.ErrConflict, e.ID)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("checking audit entry %s: %w", e.ID, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit (id, at, actor, action, subject, before, after, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, e.At.UnixNano(), e.Actor, e.Action, e.Subject, e.Before, e.After, e.Detail)
	if err != nil {
		return fmt.Errorf("writing audit entry %s: %w", e.ID, err)
	}
	return nil
}

// AppendAudit adds an entry that goes with no other change (a refused click).
// Actor, action and subject are required; id and time default to new ones.
func (s *Store) AppendAudit(ctx context.Context, e approvals.AuditEntry) error {
	for field, v := range map[string]string{"actor": e.Actor, "action": e.Action, "subject": e.Subject} {
		if v == "" {
			return fmt.Errorf("appending audit entry: %w", invalid("%s is required", field))
		}
	}
	e = auditDefaults(e, s.now(), "", "", "", "", "")
	if err := validateAudit(e); err != nil {
		return fmt.Errorf("appending audit entry: %w", err)
	}
	if err := s.write(ctx, func(tx *sql.Tx) error { return insertAudit(ctx, tx, e) }); err != nil {
		return fmt.Errorf("appending audit entry: %w", err)
	}
	return nil
}

// ListAudit returns entries matching f, oldest first.
func (s *Store) ListAudit(ctx context.Context, f approvals.AuditFilter) ([]approvals.AuditEntry, error) {
	var (
		conds []string
		args  []any
	)
	if f.Subject != "" {
		conds, args = append(conds, "subject = ?"), append(args, f.Subject)
	}
	if f.Actor != "" {
		conds, args = append(conds, "actor = ?"), append(args, f.Actor)
	}
	if !f.From.IsZero() {
		if err := checkTime("from", f.From); err != nil {
			return nil, fmt.Errorf("listing audit entries: %w", err)
		}
		conds, args = append(conds, "at >= ?"), append(args, f.From.UnixNano())
	}
	if !f.To.IsZero() {
		if err := checkTime("to", f.To); err != nil {
			return nil, fmt.Errorf("listing audit entries: %w", err)
		}
		conds, args = append(conds, "at < ?"), append(args, f.To.UnixNano())
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, actor, action, subject, before, after, detail FROM audit`+
		where(conds)+` ORDER BY at, seq`+limit(f.Limit), args...)
	if err != nil {
		return nil, fmt.Errorf("listing audit entries: %w", err)
	}
	defer rows.Close()
	var out []approvals.AuditEntry
	for rows.Next() {
		var (
			e  approvals.AuditEntry
			at sql.NullInt64
		)
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Subject, &e.Before, &e.After, &e.Detail); err != nil {
			return nil, fmt.Errorf("listing audit entries: %w", err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing audit entries: %w", err)
	}
	return out, nil
}
