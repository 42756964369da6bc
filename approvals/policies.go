package approvals

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/steward-dev/steward/policy"
)

// SavePolicy validates and stores a new policy version; governance only.
// An empty id gets a fresh one; CreatedBy and CreatedAt come from the actor
// and the clock, whatever p says.
func (s *Service) SavePolicy(ctx context.Context, p policy.Policy, actor string) (policy.Policy, error) {
	v, err := s.catalogView()
	if err != nil {
		return policy.Policy{}, fmt.Errorf("saving policy: %w", err)
	}
	if !v.gov[actor] {
		return policy.Policy{}, fmt.Errorf("saving policy: %w: %s is not in the governance group %q", ErrForbidden, actor, s.cfg.GovernanceGroup)
	}
	if err := v.cat.ValidatePolicy(p); err != nil {
		return policy.Policy{}, fmt.Errorf("saving policy %s: %w: %w", p.ID, ErrInvalid, err)
	}
	if strings.TrimSpace(p.ID) == "" {
		p.ID = uuid.NewString()
	}
	p.CreatedBy, p.CreatedAt = actor, s.clock()
	var before any
	if prev, err := s.store.GetPolicy(ctx, p.ID); err == nil {
		before = prev
		p.Version = prev.Version + 1
	} else if !errors.Is(err, ErrNotFound) {
		return policy.Policy{}, fmt.Errorf("saving policy %s: reading the current version: %w", p.ID, err)
	} else {
		p.Version = 1
	}
	saved, err := s.store.SavePolicy(ctx, p, newAudit(p.CreatedAt, actor, "policy.saved", "policy/"+p.ID, before, p, p.Sentence))
	if err != nil {
		return policy.Policy{}, fmt.Errorf("saving policy %s: %w", p.ID, err)
	}
	return saved, nil
}

// RetirePolicy takes a policy out of force; governance only. Its history is kept.
func (s *Service) RetirePolicy(ctx context.Context, id, actor string) error {
	if !s.IsGovernance(actor) {
		return fmt.Errorf("retiring policy %s: %w: %s is not in the governance group %q", id, ErrForbidden, actor, s.cfg.GovernanceGroup)
	}
	prev, err := s.store.GetPolicy(ctx, id)
	if err != nil {
		return fmt.Errorf("retiring policy %s: %w", id, err)
	}
	if err := s.store.RetirePolicy(ctx, id, newAudit(s.clock(), actor, "policy.retired", "policy/"+id, prev, nil, "")); err != nil {
		return fmt.Errorf("retiring policy %s: %w", id, err)
	}
	return nil
}

// Evaluator decides with the saved policies in force now.
func (s *Service) Evaluator(ctx context.Context) (*policy.Evaluator, error) {
	v, err := s.catalogView()
	if err != nil {
		return nil, err
	}
	ps, err := s.policiesInForce(ctx, v, s.clock())
	if err != nil {
		return nil, err
	}
	ev, err := policy.NewEvaluator(v.cat, ps)
	if err != nil {
		return nil, fmt.Errorf("preparing policy decisions: %w", err)
	}
	return ev, nil
}

// inForce: a policy with a duration gives access from its creation for that long.
func inForce(p policy.Policy, now time.Time) bool {
	if p.Duration <= 0 || p.CreatedAt.IsZero() {
		return true
	}
	return now.Before(p.CreatedAt.Add(time.Duration(p.Duration)))
}

// policiesInForce lists the saved policies that apply at now and are valid for
// the current catalog. A policy the catalog no longer supports (a tag was
// removed) is skipped with a warning rather than stopping every decision.
func (s *Service) policiesInForce(ctx context.Context, v *catalogView, now time.Time) ([]policy.Policy, error) {
	all, err := s.store.ListPolicies(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing policies: %w", err)
	}
	out := make([]policy.Policy, 0, len(all))
	for _, p := range all {
		if !inForce(p, now) {
			continue
		}
		if err := v.cat.ValidatePolicy(p); err != nil {
			s.cfg.Logger.WarnContext(ctx, "skipping policy the catalog no longer supports", "policy", p.ID, "err", err)
			continue
		}
		out = append(out, p)
	}
	return out, nil
}
