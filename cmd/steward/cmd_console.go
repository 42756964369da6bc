package main

import (
	"context"
	"fmt"
)

// TEMPORARY stub: replaced by the owner of this subcommand.
func runConsole(ctx context.Context, e env, args []string) error {
	return fmt.Errorf("console: not implemented yet")
}
