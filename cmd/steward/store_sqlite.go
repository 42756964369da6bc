package main

import (
	"context"
	"fmt"

	"github.com/steward-dev/steward/approvals"
)

// TEMPORARY stub: the store/sqlite owner replaces the body.
func openSQLite(ctx context.Context, path string) (approvals.Store, error) {
	return nil, fmt.Errorf("sqlite store: not implemented yet")
}
