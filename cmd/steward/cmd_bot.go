package main

import (
	"context"
	"fmt"
)

// TEMPORARY stub: replaced by the owner of this subcommand.
func runBot(ctx context.Context, e env, args []string) error {
	return fmt.Errorf("bot: not implemented yet")
}
