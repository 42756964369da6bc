package main

import (
	"context"
	"fmt"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/store/sqlite"
)

// openSQLite opens the embedded store, creating the file and applying the
// schema migrations on first use.
func openSQLite(ctx context.Context, path string) (approvals.Store, error) {
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("STEWARD_STORE: %w", err) // err names the path
	}
	return s, nil
}
