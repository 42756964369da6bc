package approvals

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/steward-dev/steward/policy"
)

// DesiredGrant is one (user, asset, action) that should exist on a platform now.
// Write includes read: a write grant is never accompanied by a read grant for
// the same pair that ends no later.
type DesiredGrant struct {
	User      string        `json:"user"`
	Asset     string        `json:"asset"`
	Action    policy.Action `json:"action"`
	Source    string        `json:"source"` // policy/<id> or request/<id>
	ExpiresAt time.Time     `json:"expires_at,omitzero"`
}

type pairKey struct{ user, asset string }

// desiredPair holds the best grant per action for one (user, asset).
type desiredPair struct {
	read, write *DesiredGrant
}

// outlasts reports whether a ends no earlier than b (zero: never ends).
func outlasts(a, b time.Time) bool {
	if a.IsZero() {
		return true
	}
	return !b.IsZero() && !a.Before(b)
}

func better(cand, cur *DesiredGrant) bool {
	if cur == nil {
		return true
	}
	if cand.ExpiresAt.Equal(cur.ExpiresAt) {
		return cand.Source < cur.Source // deterministic
	}
	return outlasts(cand.ExpiresAt, cur.ExpiresAt)
}

func (p *desiredPair) add(g DesiredGrant) {
	slot := &p.read
	if g.Action == policy.Write {
		slot = &p.write
	}
	if better(&g, *slot) {
		*slot = &g
	}
}

// DesiredGrants returns exactly what should exist on the platforms at now:
// grants from the allow policies in force (every user x asset of the policy's
// impact) and from approved requests whose grants are active and unexpired,
// minus what deny policies forbid. Deny wins over allow and over approved
// requests; a read deny removes write too, a write deny leaves read. Each
// (user, asset, action) appears once with the longest-lasting source, sorted by
// user, asset, action. Impacts come from the bitmap index, never from
// per-pair evaluation.
func (s *Service) DesiredGrants(ctx context.Context, now time.Time) ([]DesiredGrant, error) {
	v, err := s.catalogView()
	if err != nil {
		return nil, fmt.Errorf("computing desired grants: %w", err)
	}
	now = now.UTC()
	policies, err := s.policiesInForce(ctx, v, now)
	if err != nil {
		return nil, fmt.Errorf("computing desired grants: %w", err)
	}
	pairs := map[pairKey]*desiredPair{}
	get := func(k pairKey) *desiredPair {
		p := pairs[k]
		if p == nil {
			p = &desiredPair{}
			pairs[k] = p
		}
		return p
	}

	var denies []policy.Policy
	var ix *policy.Index
	for _, p := range policies {
		switch p.Effect {
		case policy.Deny:
			denies = append(denies, p)
			continue
		case policy.Allow:
		default:
			continue // masks shape what is seen, not who has access
		}
		if ix == nil {
			ix = v.index()
		}
		imp := ix.Impact(p)
		g := DesiredGrant{Action: p.Action, Source: "policy/" + p.ID}
		if p.Duration > 0 {
			g.ExpiresAt = p.CreatedAt.Add(time.Duration(p.Duration)).UTC()
		}
		for _, u := range imp.Users {
			for _, a := range imp.Assets {
				g.User, g.Asset = u, a
				get(pairKey{u, a}).add(g)
			}
		}
	}

	approved, err := s.store.ListRequests(ctx, RequestFilter{State: StateApproved})
	if err != nil {
		return nil, fmt.Errorf("computing desired grants: listing approved requests: %w", err)
	}
	live := make(map[string]bool, len(approved))
	for _, r := range approved {
		live[r.ID] = true
	}
	grants, err := s.store.ListGrants(ctx, GrantFilter{State: GrantActive})
	if err != nil {
		return nil, fmt.Errorf("computing desired grants: listing active grants: %w", err)
	}
	for _, g := range grants {
		if !live[g.RequestID] || (!g.ExpiresAt.IsZero() && !g.ExpiresAt.After(now)) {
			continue
		}
		if g.Action != policy.Read && g.Action != policy.Write {
			continue
		}
		get(pairKey{g.User, g.Asset}).add(DesiredGrant{
			User: g.User, Asset: g.Asset, Action: g.Action, Source: "request/" + g.RequestID, ExpiresAt: g.ExpiresAt.UTC(),
		})
	}

	for _, d := range denies {
		if ix == nil {
			ix = v.index()
		}
		imp := ix.Impact(d)
		apply := func(p *desiredPair) {
			if d.Action == policy.Read {
				p.read, p.write = nil, nil // no read, so no write either
				return
			}
			if p.write != nil { // write denied: the read it included stays
				r := *p.write
				r.Action = policy.Read
				if better(&r, p.read) {
					p.read = &r
				}
				p.write = nil
			}
		}
		if len(imp.Users)*len(imp.Assets) <= len(pairs) {
			for _, u := range imp.Users {
				for _, a := range imp.Assets {
					if p := pairs[pairKey{u, a}]; p != nil {
						apply(p)
					}
				}
			}
			continue
		}
		users, assets := setOf(imp.Users), setOf(imp.Assets)
		for k, p := range pairs {
			if users[k.user] && assets[k.asset] {
				apply(p)
			}
		}
	}

	out := make([]DesiredGrant, 0, len(pairs))
	for _, p := range pairs {
		if p.write != nil {
			out = append(out, *p.write)
		}
		// A write grant that lasts at least as long already gives read.
		if p.read != nil && (p.write == nil || !outlasts(p.write.ExpiresAt, p.read.ExpiresAt)) {
			out = append(out, *p.read)
		}
	}
	slices.SortFunc(out, func(a, b DesiredGrant) int {
		return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Asset, b.Asset), cmp.Compare(a.Action, b.Action))
	})
	return out, nil
}

func setOf(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
