// Package sqlite is Steward's embedded store: one SQLite file (pure Go,
// modernc.org/sqlite) in WAL mode, with its schema migrations embedded and
// applied on open. It implements approvals.Store and passes store/storetest.
//
// Write transactions start with BEGIN IMMEDIATE and are serialised inside the
// process, so concurrent deciders queue instead of failing with SQLITE_BUSY;
// other processes on the same file wait up to the busy timeout.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/steward-dev/steward/approvals"
)

// busyTimeout is how long a write waits for another process's transaction.
const busyTimeout = 15 * time.Second

// Store is an approvals.Store on a SQLite file.
type Store struct {
	db   *sql.DB
	path string
	// writeSlot admits one write transaction at a time from this process;
	// SQLite allows one writer anyway, and queueing here honours ctx.
	writeSlot chan struct{}
	now       func() time.Time
	closeOnce sync.Once
	closeErr  error
}

var _ approvals.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and brings its schema
// up to date. The file is created readable by its owner only: it holds Slack
// bot tokens.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("opening sqlite store: no database path given")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("opening sqlite store %s: %w", path, err)
	}
	if fi, err := os.Stat(filepath.Dir(abs)); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("opening sqlite store %s: directory %s does not exist", path, filepath.Dir(abs))
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening sqlite store %s: %w", path, err)
	}
	_ = f.Close()

	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	// FULL: a committed decision survives a power cut, not only a crash.
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	dsn := (&url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}).String()

	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening sqlite store %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, path: path, writeSlot: make(chan struct{}, 1), now: func() time.Time { return time.Now().UTC() }}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening sqlite store %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database; calling it again does nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.db.Close() })
	return s.closeErr
}

// Path is the database file the store was opened on.
func (s *Store) Path() string { return s.path }

// write runs fn in one IMMEDIATE transaction, committing only if fn succeeds.
// fn's error is returned as is, so typed errors reach the caller unchanged.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	select {
	case s.writeSlot <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("waiting for the write lock: %w", ctx.Err())
	}
	defer func() { <-s.writeSlot }()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// queryer is what reads need: the database or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// where joins conditions into a WHERE clause ("" when there are none).
func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// limit renders a LIMIT clause; n <= 0 means no limit.
func limit(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" LIMIT %d", n)
}
