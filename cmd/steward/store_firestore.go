package main

import (
	"context"
	"fmt"

	"github.com/steward-dev/steward/approvals"
)

// TEMPORARY stub: the store/firestore owner replaces the body.
func openFirestore(ctx context.Context, project, database string) (approvals.Store, error) {
	return nil, fmt.Errorf("firestore store: not implemented yet")
}
