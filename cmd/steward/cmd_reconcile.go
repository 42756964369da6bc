package main

import (
	"context"
	"fmt"
)

// TEMPORARY stub: replaced by the owner of this subcommand.
func runReconcile(ctx context.Context, e env, args []string) error {
	return fmt.Errorf("reconcile: not implemented yet")
}
