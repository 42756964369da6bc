package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// SavePolicy stores p as the next version of its id (1 for a new id),
// bringing a retired policy back into force.
func (s *Store) SavePolicy(ctx context.Context, p policy.Policy, audit approvals.AuditEntry) (policy.Policy, error) {
	if err := validatePolicy(p); err != nil {
		return policy.Policy{}, fmt.Errorf("saving policy %s: %w", p.ID, err)
	}
	now := s.now()
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	p.CreatedAt = p.CreatedAt.UTC()
	err := s.write(ctx, func(tx *sql.Tx) error {
		var last sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM policy_versions WHERE id = ?`, p.ID).Scan(&last); err != nil {
			return fmt.Errorf("reading the latest version: %w", err)
		}
		p.Version = int(last.Int64) + 1
		body, err := encode("policy", toStoredPolicy(p))
		if err != nil {
			return err
		}
		if err := checkSize("policy "+p.ID, len(body), maxRecord); err != nil {
			return err
		}
		e := auditDefaults(audit, now, p.CreatedBy, "policy.saved", "policy/"+p.ID, "", snapshot(p))
		if err := validateAudit(e); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO policy_versions (id, version, created_at, body) VALUES (?, ?, ?, ?)`,
			p.ID, p.Version, nanos(p.CreatedAt), string(body)); err != nil {
			return fmt.Errorf("writing version %d: %w", p.Version, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO policies (id, version, retired) VALUES (?, ?, 0)
			ON CONFLICT (id) DO UPDATE SET version = excluded.version, retired = 0`, p.ID, p.Version); err != nil {
			return fmt.Errorf("updating the latest version: %w", err)
		}
		return insertAudit(ctx, tx, e)
	})
	if err != nil {
		return policy.Policy{}, fmt.Errorf("saving policy %s: %w", p.ID, err)
	}
	return p, nil
}

func scanPolicy(body string, version int) (policy.Policy, error) {
	var sp storedPolicy
	if err := decode("policy", []byte(body), &sp); err != nil {
		return policy.Policy{}, err
	}
	p := sp.policy()
	p.Version = version
	return p, nil
}

// GetPolicy returns the latest version of a policy in force.
func (s *Store) GetPolicy(ctx context.Context, id string) (policy.Policy, error) {
	var (
		body    string
		version int
	)
	err := s.db.QueryRowContext(ctx, `SELECT v.body, v.version FROM policies h
		JOIN policy_versions v ON v.id = h.id AND v.version = h.version
		WHERE h.id = ? AND h.retired = 0`, id).Scan(&body, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return policy.Policy{}, fmt.Errorf("getting policy %s: %w", id, approvals.ErrNotFound)
	}
	if err != nil {
		return policy.Policy{}, fmt.Errorf("getting policy %s: %w", id, err)
	}
	p, err := scanPolicy(body, version)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("getting policy %s: %w", id, err)
	}
	return p, nil
}

// PolicyHistory returns every version, oldest first, retired or not.
func (s *Store) PolicyHistory(ctx context.Context, id string) ([]policy.Policy, error) {
	out, err := s.queryPolicies(ctx, `SELECT body, version FROM policy_versions WHERE id = ? ORDER BY version`, id)
	if err != nil {
		return nil, fmt.Errorf("reading history of policy %s: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reading history of policy %s: %w", id, approvals.ErrNotFound)
	}
	return out, nil
}

// ListPolicies returns the latest version of every policy in force, by id.
func (s *Store) ListPolicies(ctx context.Context) ([]policy.Policy, error) {
	out, err := s.queryPolicies(ctx, `SELECT v.body, v.version FROM policies h
		JOIN policy_versions v ON v.id = h.id AND v.version = h.version
		WHERE h.retired = 0 ORDER BY h.id`)
	if err != nil {
		return nil, fmt.Errorf("listing policies: %w", err)
	}
	return out, nil
}

func (s *Store) queryPolicies(ctx context.Context, query string, args ...any) ([]policy.Policy, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []policy.Policy
	for rows.Next() {
		var (
			body    string
			version int
		)
		if err := rows.Scan(&body, &version); err != nil {
			return nil, err
		}
		p, err := scanPolicy(body, version)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// RetirePolicy takes a policy out of force. Retiring one that is absent or
// already retired is ErrNotFound.
func (s *Store) RetirePolicy(ctx context.Context, id string, audit approvals.AuditEntry) error {
	if err := checkID("policy id", id); err != nil {
		return fmt.Errorf("retiring policy %s: %w", id, err)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		var (
			body    string
			version int
		)
		err := tx.QueryRowContext(ctx, `SELECT v.body, v.version FROM policies h
			JOIN policy_versions v ON v.id = h.id AND v.version = h.version
			WHERE h.id = ? AND h.retired = 0`, id).Scan(&body, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return approvals.ErrNotFound
		}
		if err != nil {
			return err
		}
		p, err := scanPolicy(body, version)
		if err != nil {
			return err
		}
		e := auditDefaults(audit, s.now(), "", "policy.retired", "policy/"+id, snapshot(p), "")
		if _, err := tx.ExecContext(ctx, `UPDATE policies SET retired = 1 WHERE id = ?`, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, e)
	})
	if err != nil {
		return fmt.Errorf("retiring policy %s: %w", id, err)
	}
	return nil
}
