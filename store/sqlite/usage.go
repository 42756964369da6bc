package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/steward-dev/steward/approvals"
)

// RecordUsage upserts usage by (user, asset). The batch is checked whole
// first and written in one transaction: all of it or none.
func (s *Store) RecordUsage(ctx context.Context, usage []approvals.Usage) error {
	for i, u := range usage {
		if err := checkID("user", u.User); err != nil {
			return fmt.Errorf("recording usage (record %d): %w", i, err)
		}
		if err := checkID("asset", u.Asset); err != nil {
			return fmt.Errorf("recording usage (record %d): %w", i, err)
		}
		if u.QueryCount < 0 {
			return fmt.Errorf("recording usage of %s by %s: %w", u.Asset, u.User, invalid("negative query count %d", u.QueryCount))
		}
		if err := checkTime("last_query_at", u.LastQueryAt); err != nil {
			return fmt.Errorf("recording usage of %s by %s: %w", u.Asset, u.User, err)
		}
		if err := checkTime("reported_at", u.ReportedAt); err != nil {
			return fmt.Errorf("recording usage of %s by %s: %w", u.Asset, u.User, err)
		}
	}
	if len(usage) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		for _, u := range usage {
			if _, err := tx.ExecContext(ctx, `INSERT INTO usage (user_id, asset, known, last_query_at, query_count, reported_at)
				VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (user_id, asset) DO UPDATE SET known = excluded.known, last_query_at = excluded.last_query_at,
					query_count = excluded.query_count, reported_at = excluded.reported_at`,
				u.User, u.Asset, u.Known, nanos(u.LastQueryAt), u.QueryCount, nanos(u.ReportedAt)); err != nil {
				return fmt.Errorf("usage of %s by %s: %w", u.Asset, u.User, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording usage: %w", err)
	}
	return nil
}

// GetUsage returns what was reported for (user, asset); ErrNotFound if nothing.
func (s *Store) GetUsage(ctx context.Context, user, asset string) (approvals.Usage, error) {
	u := approvals.Usage{User: user, Asset: asset}
	var last, reported sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT known, last_query_at, query_count, reported_at FROM usage WHERE user_id = ? AND asset = ?`,
		user, asset).Scan(&u.Known, &last, &u.QueryCount, &reported)
	if errors.Is(err, sql.ErrNoRows) {
		return approvals.Usage{}, fmt.Errorf("getting usage of %s by %s: %w", asset, user, approvals.ErrNotFound)
	}
	if err != nil {
		return approvals.Usage{}, fmt.Errorf("getting usage of %s by %s: %w", asset, user, err)
	}
	u.LastQueryAt, u.ReportedAt = fromNanos(last), fromNanos(reported)
	return u, nil
}

// SaveWorkspace stores (or replaces, on reinstall) a workspace and its bot
// token. The token has its own column because Workspace never serialises it.
func (s *Store) SaveWorkspace(ctx context.Context, w approvals.Workspace) error {
	if err := checkID("team id", w.TeamID); err != nil {
		return fmt.Errorf("saving workspace: %w", err)
	}
	for _, c := range []struct{ field, v string }{{"bot user id", w.BotUserID}, {"installed_by", w.InstalledBy}} {
		if err := checkOptionalID(c.field, c.v); err != nil {
			return fmt.Errorf("saving workspace %s: %w", w.TeamID, err)
		}
	}
	if err := checkText("team name", w.TeamName); err != nil {
		return fmt.Errorf("saving workspace %s: %w", w.TeamID, err)
	}
	if err := checkKey("bot token", w.BotToken, 4096); err != nil {
		// The token itself never goes into the error.
		return fmt.Errorf("saving workspace %s: %w", w.TeamID, invalid("bot token is malformed or too long"))
	}
	if err := checkTime("installed_at", w.InstalledAt); err != nil {
		return fmt.Errorf("saving workspace %s: %w", w.TeamID, err)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO workspaces (team_id, team_name, bot_user_id, bot_token, installed_by, installed_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (team_id) DO UPDATE SET team_name = excluded.team_name, bot_user_id = excluded.bot_user_id,
				bot_token = excluded.bot_token, installed_by = excluded.installed_by, installed_at = excluded.installed_at`,
			w.TeamID, w.TeamName, w.BotUserID, w.BotToken, w.InstalledBy, nanos(w.InstalledAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("saving workspace %s: %w", w.TeamID, err)
	}
	return nil
}

// GetWorkspace returns a workspace with its bot token; ErrNotFound if absent.
func (s *Store) GetWorkspace(ctx context.Context, teamID string) (approvals.Workspace, error) {
	w := approvals.Workspace{TeamID: teamID}
	var installed sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT team_name, bot_user_id, bot_token, installed_by, installed_at FROM workspaces WHERE team_id = ?`,
		teamID).Scan(&w.TeamName, &w.BotUserID, &w.BotToken, &w.InstalledBy, &installed)
	if errors.Is(err, sql.ErrNoRows) {
		return approvals.Workspace{}, fmt.Errorf("getting workspace %s: %w", teamID, approvals.ErrNotFound)
	}
	if err != nil {
		return approvals.Workspace{}, fmt.Errorf("getting workspace %s: %w", teamID, err)
	}
	w.InstalledAt = fromNanos(installed)
	return w, nil
}

// ListWorkspaces returns every installed workspace, by team id.
func (s *Store) ListWorkspaces(ctx context.Context) ([]approvals.Workspace, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT team_id, team_name, bot_user_id, bot_token, installed_by, installed_at FROM workspaces ORDER BY team_id`)
	if err != nil {
		return nil, fmt.Errorf("listing workspaces: %w", err)
	}
	defer rows.Close()
	out := []approvals.Workspace{}
	for rows.Next() {
		var w approvals.Workspace
		var installed sql.NullInt64
		if err := rows.Scan(&w.TeamID, &w.TeamName, &w.BotUserID, &w.BotToken, &w.InstalledBy, &installed); err != nil {
			return nil, fmt.Errorf("listing workspaces: %w", err)
		}
		w.InstalledAt = fromNanos(installed)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing workspaces: %w", err)
	}
	return out, nil
}
