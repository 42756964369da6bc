package copilot

// TEMPORARY: signatures other packages build against while the copilot helper
// implements them. Each function moves to its real file and out of here.

import (
	"context"
	"errors"

	"github.com/steward-dev/steward/policy"
)

var errTODO = errors.New("copilot: not implemented yet")

// NewBuiltin returns the built-in, deterministic, offline engine.
func NewBuiltin() Engine { return builtinStub{} }

type builtinStub struct{}

func (builtinStub) Draft(ctx context.Context, sentence string, cat *policy.Catalog) (Draft, error) {
	return Draft{}, errTODO
}

// Decompose breaks a sentence into effect, subjects, action, objects,
// conditions, purpose and duration phrases, without a catalog.
func Decompose(sentence string) (Decomposition, error) { return Decomposition{}, errTODO }

// Candidates returns up to k catalog entries (attribute values, groups, tags,
// assets) that phrase may mean, best first, each with a score and reason.
func Candidates(cat *policy.Catalog, phrase string, k int) []Match { return nil }

// Finalize checks a draft whose Policy, Decomposition and Resolution are set:
// validates the policy against the catalog, refuses objects that cover every
// asset, and fills Impact, Cedar, Warnings, OK and Error. Every engine's
// output goes through it.
func Finalize(cat *policy.Catalog, d Draft) Draft { return d }

// ResolveObjects turns free text such as "the claims tables" into object
// clauses and the matches behind them; an error says what did not resolve.
func ResolveObjects(cat *policy.Catalog, text string) ([]policy.Clause, []Match, error) {
	return nil, nil, errTODO
}
