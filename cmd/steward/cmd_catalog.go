package main

import (
	"context"
	"fmt"
)

// TEMPORARY stub: replaced by the owner of this subcommand.
func runCatalog(ctx context.Context, e env, args []string) error {
	return fmt.Errorf("catalog: not implemented yet")
}
