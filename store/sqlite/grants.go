package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

const grantColumns = `id, request_id, user_id, asset, action, granted_at, expires_at, state, ended_at, ended_by`

// insertGrant writes a new grant. Grant ids derive from the request and the
// asset, so the primary key makes a second creation fail rather than repeat.
func insertGrant(ctx context.Context, tx *sql.Tx, g approvals.Grant) error {
	for field, t := range map[string]time.Time{"granted_at": g.GrantedAt, "expires_at": g.ExpiresAt, "ended_at": g.EndedAt} {
		if err := checkTime("grant "+field, t); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO grants (`+grantColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		g.ID, g.RequestID, g.User, g.Asset, string(g.Action), nanos(g.GrantedAt), nanos(g.ExpiresAt),
		string(g.State), nanos(g.EndedAt), g.EndedBy)
	if err != nil {
		return fmt.Errorf("writing grant %s: %w", g.ID, err)
	}
	return nil
}

func scanGrants(rows *sql.Rows) ([]approvals.Grant, error) {
	defer rows.Close()
	var out []approvals.Grant
	for rows.Next() {
		var (
			g                         approvals.Grant
			action, state             string
			granted, expires, endedAt sql.NullInt64
		)
		if err := rows.Scan(&g.ID, &g.RequestID, &g.User, &g.Asset, &action, &granted, &expires, &state, &endedAt, &g.EndedBy); err != nil {
			return nil, err
		}
		g.Action, g.State = policy.Action(action), approvals.GrantState(state)
		g.GrantedAt, g.ExpiresAt, g.EndedAt = fromNanos(granted), fromNanos(expires), fromNanos(endedAt)
		out = append(out, g)
	}
	return out, rows.Err()
}

func listGrants(ctx context.Context, q queryer, f approvals.GrantFilter) ([]approvals.Grant, error) {
	var (
		conds []string
		args  []any
	)
	if f.User != "" {
		conds, args = append(conds, "user_id = ?"), append(args, f.User)
	}
	if f.Asset != "" {
		conds, args = append(conds, "asset = ?"), append(args, f.Asset)
	}
	if f.RequestID != "" {
		conds, args = append(conds, "request_id = ?"), append(args, f.RequestID)
	}
	if f.State != "" {
		conds, args = append(conds, "state = ?"), append(args, string(f.State))
	}
	rows, err := q.QueryContext(ctx, `SELECT `+grantColumns+` FROM grants`+where(conds)+` ORDER BY granted_at, id`, args...)
	if err != nil {
		return nil, err
	}
	return scanGrants(rows)
}

// ListGrants returns grants matching every set field of f, oldest first.
func (s *Store) ListGrants(ctx context.Context, f approvals.GrantFilter) ([]approvals.Grant, error) {
	gs, err := listGrants(ctx, s.db, f)
	if err != nil {
		return nil, fmt.Errorf("listing grants: %w", err)
	}
	return gs, nil
}

// GrantsDueBefore returns active grants with an expiry at or before t,
// soonest first. Standing grants (no expiry) are never due.
func (s *Store) GrantsDueBefore(ctx context.Context, t time.Time) ([]approvals.Grant, error) {
	if err := checkTime("time", t); err != nil {
		return nil, fmt.Errorf("listing grants due: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+grantColumns+` FROM grants
		WHERE state = 'active' AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, id`, t.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("listing grants due before %s: %w", t.UTC().Format(time.RFC3339Nano), err)
	}
	gs, err := scanGrants(rows)
	if err != nil {
		return nil, fmt.Errorf("listing grants due before %s: %w", t.UTC().Format(time.RFC3339Nano), err)
	}
	return gs, nil
}

// endGrant ends an active grant inside tx and audits it.
func endGrant(ctx context.Context, tx *sql.Tx, g approvals.Grant, to approvals.GrantState, actor string, at time.Time, audit approvals.AuditEntry) (approvals.Grant, error) {
	before := snapshot(g)
	res, err := tx.ExecContext(ctx, `UPDATE grants SET state = ?, ended_at = ?, ended_by = ? WHERE id = ? AND state = 'active'`,
		string(to), nanos(at), actor, g.ID)
	if err != nil {
		return approvals.Grant{}, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return approvals.Grant{}, fmt.Errorf("grant %s: %w", g.ID, approvals.ErrNotActive)
	}
	g.State, g.EndedAt, g.EndedBy = to, at, actor
	e := auditDefaults(audit, at, actor, "grant."+string(to), "grant/"+g.ID, before, snapshot(g))
	if err := insertAudit(ctx, tx, e); err != nil {
		return approvals.Grant{}, err
	}
	return g, nil
}

// EndGrant moves an active grant to expired or revoked, once: a grant that
// has already ended yields ErrNotActive, so replicas never double-expire.
func (s *Store) EndGrant(ctx context.Context, id string, to approvals.GrantState, actor string, at time.Time, audit approvals.AuditEntry) (approvals.Grant, error) {
	fail := func(err error) (approvals.Grant, error) {
		return approvals.Grant{}, fmt.Errorf("ending grant %s as %s: %w", id, to, err)
	}
	if to != approvals.GrantExpired && to != approvals.GrantRevoked {
		return fail(invalid("a grant ends as expired or revoked, not %q", to))
	}
	at, err := s.eventTime(actor, at)
	if err != nil {
		return fail(err)
	}
	var out approvals.Grant
	err = s.write(ctx, func(tx *sql.Tx) error {
		g, err := listGrantByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if g.State != approvals.GrantActive {
			return fmt.Errorf("%w: it was %s at %s by %s", approvals.ErrNotActive, g.State, g.EndedAt.Format(time.RFC3339), g.EndedBy)
		}
		out, err = endGrant(ctx, tx, g, to, actor, at, audit)
		return err
	})
	if err != nil {
		return fail(err)
	}
	return out, nil
}

func listGrantByID(ctx context.Context, q queryer, id string) (approvals.Grant, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+grantColumns+` FROM grants WHERE id = ?`, id)
	if err != nil {
		return approvals.Grant{}, err
	}
	gs, err := scanGrants(rows)
	if err != nil {
		return approvals.Grant{}, err
	}
	if len(gs) == 0 {
		return approvals.Grant{}, approvals.ErrNotFound
	}
	return gs[0], nil
}

// eventTime checks who ends a record and when, defaulting the time to now.
func (s *Store) eventTime(actor string, at time.Time) (time.Time, error) {
	if err := checkID("actor", actor); err != nil {
		return time.Time{}, err
	}
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC()
	return at, checkTime("time", at)
}
