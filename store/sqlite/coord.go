package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/steward-dev/steward/approvals"
)

// SaveMessageRef records where a card is, replacing any earlier reference of
// the same kind for the request.
func (s *Store) SaveMessageRef(ctx context.Context, ref approvals.MessageRef) error {
	for _, c := range []struct{ field, v string }{
		{"request id", ref.RequestID}, {"kind", ref.Kind}, {"channel", ref.Channel}, {"ts", ref.TS},
	} {
		if err := checkID(c.field, c.v); err != nil {
			return fmt.Errorf("saving message reference for request %s: %w", ref.RequestID, err)
		}
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO message_refs (request_id, kind, channel, ts) VALUES (?, ?, ?, ?)
			ON CONFLICT (request_id, kind) DO UPDATE SET channel = excluded.channel, ts = excluded.ts`,
			ref.RequestID, ref.Kind, ref.Channel, ref.TS)
		return err
	})
	if err != nil {
		return fmt.Errorf("saving %s message reference for request %s: %w", ref.Kind, ref.RequestID, err)
	}
	return nil
}

// MessageRefs returns the references for a request by kind; none is no error.
func (s *Store) MessageRefs(ctx context.Context, requestID string) ([]approvals.MessageRef, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT request_id, kind, channel, ts FROM message_refs WHERE request_id = ? ORDER BY kind`, requestID)
	if err != nil {
		return nil, fmt.Errorf("reading message references for request %s: %w", requestID, err)
	}
	defer rows.Close()
	var out []approvals.MessageRef
	for rows.Next() {
		var m approvals.MessageRef
		if err := rows.Scan(&m.RequestID, &m.Kind, &m.Channel, &m.TS); err != nil {
			return nil, fmt.Errorf("reading message references for request %s: %w", requestID, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading message references for request %s: %w", requestID, err)
	}
	return out, nil
}

// maxClaimKey allows keys built from several ids ("remind:<grant id>:24h").
const maxClaimKey = 1024

// Claim records key until expires and reports whether this caller got it.
// A claim whose expiry is at or before now is free again.
func (s *Store) Claim(ctx context.Context, key string, now, expires time.Time) (bool, error) {
	if key == "" {
		return false, fmt.Errorf("claiming: %w", invalid("claim key is required"))
	}
	if err := checkKey("claim key", key, maxClaimKey); err != nil {
		return false, fmt.Errorf("claiming %q: %w", key, err)
	}
	if now.IsZero() || !expires.After(now) {
		return false, fmt.Errorf("claiming %q: %w", key, invalid("expiry %s is not after now %s", expires.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano)))
	}
	for field, t := range map[string]time.Time{"now": now, "expiry": expires} {
		if err := checkTime(field, t); err != nil {
			return false, fmt.Errorf("claiming %q: %w", key, err)
		}
	}
	var won bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO claims (key, expires_at) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE claims.expires_at <= ?`,
			key, expires.UnixNano(), now.UnixNano())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		won = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claiming %q: %w", key, err)
	}
	return won, nil
}

// PurgeClaims deletes claims whose expiry is at or before t.
func (s *Store) PurgeClaims(ctx context.Context, t time.Time) (int, error) {
	if t.IsZero() {
		return 0, fmt.Errorf("purging claims: %w", invalid("no time given"))
	}
	if err := checkTime("purge time", t); err != nil {
		return 0, fmt.Errorf("purging claims: %w", err)
	}
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM claims WHERE expires_at <= ?`, t.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("purging claims expired by %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	return int(n), nil
}

// AcquireLease gives holder the lease until now+ttl if it is free, expired
// (expiry at or before now) or already the holder's.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	fail := func(err error) (bool, error) {
		return false, fmt.Errorf("acquiring lease %q for %q: %w", name, holder, err)
	}
	if err := checkID("lease name", name); err != nil {
		return fail(err)
	}
	if err := checkID("lease holder", holder); err != nil {
		return fail(err)
	}
	if ttl <= 0 {
		return fail(invalid("lease duration %s is not positive", ttl))
	}
	if now.IsZero() {
		return fail(invalid("no current time given"))
	}
	for field, t := range map[string]time.Time{"now": now, "expiry": now.Add(ttl)} {
		if err := checkTime(field, t); err != nil {
			return fail(err)
		}
	}
	var won bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.expires_at <= ? OR leases.holder = excluded.holder`,
			name, holder, now.Add(ttl).UnixNano(), now.UnixNano())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		won = n == 1
		return err
	})
	if err != nil {
		return fail(err)
	}
	return won, nil
}

// ReleaseLease frees the lease if holder has it; otherwise it does nothing.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
		return err
	})
	if err != nil {
		return fmt.Errorf("releasing lease %q for %q: %w", name, holder, err)
	}
	return nil
}
