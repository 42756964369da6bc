package main

import (
	"context"
	"fmt"
)

// TEMPORARY stub: replaced by the owner of this subcommand.
func runCopilot(ctx context.Context, e env, args []string) error {
	return fmt.Errorf("copilot: not implemented yet")
}
