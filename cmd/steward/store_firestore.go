package main

import (
	"context"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/store/firestore"
)

// openFirestore opens the Firestore store. FIRESTORE_EMULATOR_HOST, when set,
// points it at an emulator instead of Cloud Firestore.
func openFirestore(ctx context.Context, project, database string) (approvals.Store, error) {
	s, err := firestore.Open(ctx, firestore.Config{ProjectID: project, DatabaseID: database})
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return s, nil
}
