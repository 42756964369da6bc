package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/steward-dev/steward/approvals"
)

// defaultStorePath is the embedded SQLite database used when STEWARD_STORE is unset.
const defaultStorePath = "steward.db"

// openStore opens the store named by spec: a SQLite file path (the default)
// or firestore://PROJECT/DATABASE ("(default)" when DATABASE is omitted).
func openStore(ctx context.Context, spec string) (approvals.Store, error) {
	if spec == "" {
		spec = defaultStorePath
	}
	if rest, ok := strings.CutPrefix(spec, "firestore://"); ok {
		project, database, _ := strings.Cut(rest, "/")
		if project == "" {
			return nil, fmt.Errorf("STEWARD_STORE %q: want firestore://PROJECT/DATABASE", spec)
		}
		if database == "" {
			database = "(default)"
		}
		return openFirestore(ctx, project, database)
	}
	if strings.Contains(spec, "://") {
		return nil, fmt.Errorf("STEWARD_STORE %q: want a SQLite file path or firestore://PROJECT/DATABASE", spec)
	}
	return openSQLite(ctx, spec)
}
