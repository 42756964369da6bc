package approvals

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// expiryWorkers bounds concurrent store calls while expiring a backlog.
const expiryWorkers = 8

// ExpireDue marks every grant due at now (ExpiresAt <= now) expired, once
// across replicas: a grant another replica ended first is skipped. A request
// whose grants have all ended moves from approved to expired. It returns the
// grants this call expired. Expiry is driven by stored timestamps only, so a
// restart between approval and expiry loses nothing.
func (s *Service) ExpireDue(ctx context.Context, now time.Time) ([]Grant, error) {
	now = now.UTC()
	due, err := s.store.GrantsDueBefore(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("expiring grants: listing grants due by %s: %w", now.Format(time.RFC3339), err)
	}
	var (
		mu      sync.Mutex
		expired []Grant
		errs    []error
		wg      sync.WaitGroup
		sem     = make(chan struct{}, expiryWorkers)
	)
	for _, g := range due {
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			eg, err := s.expireGrant(ctx, g, now)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrNotActive):
			case err != nil:
				errs = append(errs, err)
			default:
				expired = append(expired, eg)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}

	requests := map[string]bool{}
	for _, g := range due {
		requests[g.RequestID] = true
	}
	ids := make([]string, 0, len(requests))
	for id := range requests {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := s.settleRequest(ctx, id, StateExpired, SystemActor, "request.expired"); err != nil {
			errs = append(errs, err)
		}
	}
	slices.SortFunc(expired, func(a, b Grant) int { return cmp.Or(a.ExpiresAt.Compare(b.ExpiresAt), cmp.Compare(a.ID, b.ID)) })
	if len(errs) > 0 {
		return expired, fmt.Errorf("expiring grants: %w", errors.Join(errs...))
	}
	return expired, nil
}

func (s *Service) expireGrant(ctx context.Context, g Grant, now time.Time) (Grant, error) {
	after := g
	after.State, after.EndedAt, after.EndedBy = GrantExpired, now, SystemActor
	eg, err := s.store.EndGrant(ctx, g.ID, GrantExpired, SystemActor, now,
		newAudit(now, SystemActor, "grant.expired", "grant/"+g.ID, g, after, "expired at "+g.ExpiresAt.UTC().Format(time.RFC3339)))
	if err != nil {
		return Grant{}, fmt.Errorf("expiring grant %s: %w", g.ID, err)
	}
	return eg, nil
}

// settleRequest moves an approved request to `to` once none of its grants is
// active. Losing the race to another replica (or to a revoke) is not an error.
func (s *Service) settleRequest(ctx context.Context, requestID string, to RequestState, actor, action string) error {
	active, err := s.store.ListGrants(ctx, GrantFilter{RequestID: requestID, State: GrantActive})
	if err != nil {
		return fmt.Errorf("checking grants of request %s: %w", requestID, err)
	}
	if len(active) > 0 {
		return nil
	}
	r, err := s.store.GetRequest(ctx, requestID)
	if err != nil {
		return fmt.Errorf("reading request %s: %w", requestID, err)
	}
	if r.State != StateApproved {
		return nil
	}
	_, err = s.transition(ctx, r, []RequestState{StateApproved}, to, actor, action)
	var se *StateError
	if errors.As(err, &se) {
		return nil
	}
	return err
}

// Reminder says a grant ends soon.
type Reminder struct {
	Grant  Grant
	Before time.Duration // the offset that fired (24h, 1h)
}

// DueReminders returns reminders that fire at now, each once across replicas
// (a store claim per grant and offset). Only the most specific offset fires: a
// grant within its last hour gets the 1h reminder, not also the 24h one, and an
// offset at least as long as the grant's whole life never fires (a two-hour
// grant gets no "ends within 24 hours" reminder when it is granted).
func (s *Service) DueReminders(ctx context.Context, now time.Time) ([]Reminder, error) {
	now = now.UTC()
	grants, err := s.store.ListGrants(ctx, GrantFilter{State: GrantActive})
	if err != nil {
		return nil, fmt.Errorf("finding due reminders: listing active grants: %w", err)
	}
	var out []Reminder
	var errs []error
	for _, g := range grants {
		if g.ExpiresAt.IsZero() || !now.Before(g.ExpiresAt) {
			continue
		}
		life := g.ExpiresAt.Sub(g.GrantedAt)
		for _, off := range s.cfg.ReminderOffsets { // smallest first
			if off >= life || now.Before(g.ExpiresAt.Add(-off)) {
				continue
			}
			key := "reminder:" + g.ID + ":" + off.String()
			// The claim outlives the grant so a late replica cannot fire it again.
			first, err := s.store.Claim(ctx, key, now, g.ExpiresAt.Add(off+time.Hour))
			if err != nil {
				errs = append(errs, fmt.Errorf("claiming reminder %s: %w", key, err))
			} else if first {
				out = append(out, Reminder{Grant: g, Before: off})
			}
			break
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("finding due reminders: %w", errors.Join(errs...))
	}
	return out, nil
}
