package approvals

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Recommendation values on a RecertItem.
const (
	RecommendKeep   = "keep"
	RecommendRevoke = "revoke"
)

// Recertify creates review items for standing grants older than RecertAge (or
// RecertAge after they were last kept) that have no open item, one per
// approver: the asset's owner, or when it has none (or owns the grant) each
// governance member. Each item recommends keep or revoke from the usage the
// connectors reported and carries the reason the access was asked for. Open
// items past their deadline are escalated to governance. It returns the items
// created and those escalated by this call; item ids are derived from the grant
// and cycle, so replicas running it together create each item once.
func (s *Service) Recertify(ctx context.Context, now time.Time) ([]RecertItem, error) {
	v, err := s.catalogView()
	if err != nil {
		return nil, fmt.Errorf("recertifying: %w", err)
	}
	now = now.UTC()
	grants, err := s.store.ListGrants(ctx, GrantFilter{State: GrantActive})
	if err != nil {
		return nil, fmt.Errorf("recertifying: listing active grants: %w", err)
	}
	items, err := s.store.ListRecerts(ctx, RecertFilter{})
	if err != nil {
		return nil, fmt.Errorf("recertifying: listing items: %w", err)
	}
	open := map[string]bool{}          // grant id -> has an undecided item
	lastKept := map[string]time.Time{} // grant id -> last keep decision
	for _, it := range items {
		switch it.State {
		case RecertOpen, RecertEscalated:
			open[it.GrantID] = true
		case RecertKept:
			if it.DecidedAt.After(lastKept[it.GrantID]) {
				lastKept[it.GrantID] = it.DecidedAt
			}
		}
	}

	var out []RecertItem
	var errs []error
	reasons := map[string]string{}
	for _, g := range grants {
		if !g.ExpiresAt.IsZero() || open[g.ID] {
			continue
		}
		since := g.GrantedAt
		if k := lastKept[g.ID]; k.After(since) {
			since = k
		}
		if now.Sub(since) < s.cfg.RecertAge {
			continue
		}
		reason, ok := reasons[g.RequestID]
		if !ok {
			if r, err := s.store.GetRequest(ctx, g.RequestID); err == nil {
				reason = r.Reason
			}
			reasons[g.RequestID] = reason
		}
		rec, why, err := s.recommend(ctx, g, now, reason)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, approver := range s.recertApprovers(v, g) {
			it := RecertItem{
				ID:      fmt.Sprintf("recert:%s:%d:%s", g.ID, since.Unix(), approver),
				GrantID: g.ID, Approver: approver, Recommendation: rec, Why: why,
				State: RecertOpen, CreatedAt: now, DueAt: now.Add(s.cfg.RecertDeadline),
			}
			err := s.store.CreateRecert(ctx, it, newAudit(now, SystemActor, "recert.created", "recert/"+it.ID, nil, it, "grant/"+g.ID))
			switch {
			case errors.Is(err, ErrConflict): // another replica made it
			case err != nil:
				errs = append(errs, fmt.Errorf("creating recertification item for grant %s: %w", g.ID, err))
			default:
				out = append(out, it)
			}
		}
	}

	for _, it := range items {
		if it.State != RecertOpen || now.Before(it.DueAt) {
			continue
		}
		after := it
		after.State = RecertEscalated
		err := s.store.UpdateRecert(ctx, after, RecertOpen, newAudit(now, SystemActor, "recert.escalated", "recert/"+it.ID, it, after,
			fmt.Sprintf("unanswered since %s; governance group %q may now decide", it.CreatedAt.Format(time.RFC3339), s.cfg.GovernanceGroup)))
		var se *StateError
		switch {
		case errors.As(err, &se): // decided or escalated meanwhile
		case err != nil:
			errs = append(errs, fmt.Errorf("escalating recertification item %s: %w", it.ID, err))
		default:
			out = append(out, after)
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("recertifying: %w", errors.Join(errs...))
	}
	return out, nil
}

// recertApprovers: the asset owner, else every governance member; never the
// grant's own holder.
func (s *Service) recertApprovers(v *catalogView, g Grant) []string {
	if a, ok := v.asset(g.Asset); ok && a.Owner != "" && a.Owner != g.User {
		if _, ok := v.user(a.Owner); ok {
			return []string{a.Owner}
		}
	}
	return slices.DeleteFunc(slices.Clone(v.govList), func(u string) bool { return u == g.User })
}

// recommend: no query for UnusedAfter (or never) -> revoke; recent use -> keep;
// a platform that cannot report usage -> keep, saying so, so a person decides
// from the stated reason.
func (s *Service) recommend(ctx context.Context, g Grant, now time.Time, reason string) (string, string, error) {
	stated := ""
	if reason != "" {
		stated = fmt.Sprintf(" Stated reason: %q.", reason)
	}
	u, err := s.store.GetUsage(ctx, g.User, g.Asset)
	if errors.Is(err, ErrNotFound) || (err == nil && !u.Known) {
		return RecommendKeep, "Usage unknown: the platform does not report it, so nothing suggests revoking." + stated, nil
	}
	if err != nil {
		return "", "", fmt.Errorf("reading usage of %s on %s: %w", g.User, g.Asset, err)
	}
	days := func(d time.Duration) int { return int(d / (24 * time.Hour)) }
	switch {
	case u.QueryCount == 0 || u.LastQueryAt.IsZero():
		return RecommendRevoke, fmt.Sprintf("Never used in the %d days since it was granted.", days(now.Sub(g.GrantedAt))) + stated, nil
	case now.Sub(u.LastQueryAt) >= s.cfg.UnusedAfter:
		return RecommendRevoke, fmt.Sprintf("Not used for %d days (last query %s, %d queries in all).",
			days(now.Sub(u.LastQueryAt)), u.LastQueryAt.UTC().Format("2006-01-02"), u.QueryCount) + stated, nil
	default:
		return RecommendKeep, fmt.Sprintf("In use: %d queries, the last %d days ago.", u.QueryCount, days(now.Sub(u.LastQueryAt))) + stated, nil
	}
}

// DecideRecert keeps or revokes the grant behind an item. The item's approver,
// the asset's current owner or a governance member may decide (never the
// grant's holder); escalated items are decided by governance. Revoking ends the
// grant, and the request once none of its grants is left. Sibling items for the
// same grant (one per governance member) close with the same outcome.
func (s *Service) DecideRecert(ctx context.Context, itemID, actor string, keep bool) (RecertItem, error) {
	v, err := s.catalogView()
	if err != nil {
		return RecertItem{}, fmt.Errorf("deciding recertification %s: %w", itemID, err)
	}
	it, siblings, err := s.findRecert(ctx, itemID)
	if err != nil {
		return RecertItem{}, fmt.Errorf("deciding recertification %s: %w", itemID, err)
	}
	g, err := s.Grant(ctx, it.GrantID)
	if err != nil {
		return RecertItem{}, fmt.Errorf("deciding recertification %s: %w", itemID, err)
	}
	allowed := v.gov[actor] || (it.State == RecertOpen && (actor == it.Approver || v.canApproveAsset(actor, g.Asset)))
	if actor == g.User || !allowed {
		return RecertItem{}, s.refuse(ctx, actor, "recert.decision_refused", "recert/"+itemID,
			fmt.Errorf("deciding recertification %s: %w: only %s, the owner of %s or the governance group %q may decide (never the grant's holder)",
				itemID, ErrForbidden, it.Approver, g.Asset, s.cfg.GovernanceGroup))
	}
	now := s.clock()
	to, verb := RecertKept, "kept"
	if !keep {
		to, verb = RecertRevoked, "revoked"
	}
	decide := func(item RecertItem, detail string) (RecertItem, error) {
		after := item
		after.State, after.DecidedBy, after.DecidedAt = to, actor, now
		err := s.store.UpdateRecert(ctx, after, item.State, newAudit(now, actor, "recert."+verb, "recert/"+item.ID, item, after, detail))
		return after, err
	}
	out, err := decide(it, "")
	if err != nil {
		return RecertItem{}, fmt.Errorf("deciding recertification %s: %w", itemID, err)
	}
	var errs []error
	for _, sib := range siblings {
		if _, err := decide(sib, "decided on item "+it.ID); err != nil && !errors.As(err, new(*StateError)) {
			errs = append(errs, fmt.Errorf("closing sibling item %s: %w", sib.ID, err))
		}
	}
	if !keep {
		if _, err := s.endGrant(ctx, g, GrantRevoked, actor); err != nil && !errors.Is(err, ErrNotActive) {
			errs = append(errs, err)
		} else if err := s.settleRequest(ctx, g.RequestID, StateRevoked, actor, "request.revoked"); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("deciding recertification %s: %w", itemID, errors.Join(errs...))
	}
	return out, nil
}

// findRecert finds an undecided item and the other undecided items of its grant.
func (s *Service) findRecert(ctx context.Context, id string) (RecertItem, []RecertItem, error) {
	var found *RecertItem
	for _, st := range []RecertState{RecertOpen, RecertEscalated} {
		items, err := s.store.ListRecerts(ctx, RecertFilter{State: st})
		if err != nil {
			return RecertItem{}, nil, fmt.Errorf("listing items: %w", err)
		}
		for i := range items {
			if items[i].ID == id {
				found = &items[i]
			}
		}
	}
	if found == nil {
		all, err := s.store.ListRecerts(ctx, RecertFilter{})
		if err != nil {
			return RecertItem{}, nil, fmt.Errorf("listing items: %w", err)
		}
		for _, it := range all {
			if it.ID == id {
				return RecertItem{}, nil, fmt.Errorf("%w", &StateError{Subject: "recert/" + id, Have: string(it.State) + " by " + it.DecidedBy, Want: []string{string(RecertOpen), string(RecertEscalated)}})
			}
		}
		return RecertItem{}, nil, fmt.Errorf("recertification item %s: %w", id, ErrNotFound)
	}
	same, err := s.store.ListRecerts(ctx, RecertFilter{GrantID: found.GrantID})
	if err != nil {
		return RecertItem{}, nil, fmt.Errorf("listing items of grant %s: %w", found.GrantID, err)
	}
	var sibs []RecertItem
	for _, it := range same {
		if it.ID != id && (it.State == RecertOpen || it.State == RecertEscalated) {
			sibs = append(sibs, it)
		}
	}
	return *found, sibs, nil
}

// Grant returns the grant with this id.
func (s *Service) Grant(ctx context.Context, id string) (Grant, error) {
	// Grant ids are <request id>:<asset id>; the request narrows the lookup.
	reqID, _, _ := strings.Cut(id, ":")
	gs, err := s.store.ListGrants(ctx, GrantFilter{RequestID: reqID})
	if err != nil {
		return Grant{}, fmt.Errorf("reading grant %s: %w", id, err)
	}
	for _, g := range gs {
		if g.ID == id {
			return g, nil
		}
	}
	return Grant{}, fmt.Errorf("grant %s: %w", id, ErrNotFound)
}
