package main

import (
	"context"
	"fmt"
)

// TEMPORARY stub: replaced by the owner of this subcommand.
func runPolicy(ctx context.Context, e env, args []string) error {
	return fmt.Errorf("policy: not implemented yet")
}
