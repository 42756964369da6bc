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

// The desired state is built in a compact form: users and assets are
// interned to numbers, each (user, asset) is one uint64 key, and each action's
// best grant is an end time and a source number. Policy impacts can reach
// millions of pairs, and this keeps them at a few dozen bytes each.

type slot struct {
	ends int64 // unix nanoseconds; 0: never
	src  int32 // index into sources
	set  bool
}

type pairSlots struct{ read, write slot }

// outlastsNS reports whether an end a is no earlier than b (0: never ends).
func outlastsNS(a, b int64) bool { return a == 0 || (b != 0 && a >= b) }

func (sl *slot) offer(ends int64, src int32, sources []string) {
	switch {
	case !sl.set:
	case ends == sl.ends:
		if sources[src] >= sources[sl.src] {
			return // deterministic: the smallest source wins a tie
		}
	case !outlastsNS(ends, sl.ends):
		return
	}
	*sl = slot{ends: ends, src: src, set: true}
}

type interner struct {
	ids []string
	pos map[string]uint32
}

func (in *interner) id(s string) uint32 {
	if p, ok := in.pos[s]; ok {
		return p
	}
	p := uint32(len(in.ids))
	in.ids = append(in.ids, s)
	in.pos[s] = p
	return p
}

func endsNS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
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
	users := &interner{pos: map[string]uint32{}}
	assets := &interner{pos: map[string]uint32{}}
	var sources []string
	pairs := map[uint64]pairSlots{}
	key := func(u, a uint32) uint64 { return uint64(u)<<32 | uint64(a) }
	add := func(k uint64, action policy.Action, ends int64, src int32) {
		p := pairs[k]
		if action == policy.Write {
			p.write.offer(ends, src, sources)
		} else {
			p.read.offer(ends, src, sources)
		}
		pairs[k] = p
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
		src := int32(len(sources))
		sources = append(sources, "policy/"+p.ID)
		var ends int64
		if p.Duration > 0 {
			ends = p.CreatedAt.Add(time.Duration(p.Duration)).UnixNano()
		}
		as := make([]uint32, len(imp.Assets))
		for i, a := range imp.Assets {
			as[i] = assets.id(a)
		}
		for _, u := range imp.Users {
			ui := users.id(u)
			for _, ai := range as {
				add(key(ui, ai), p.Action, ends, src)
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
	reqSrc := map[string]int32{}
	for _, g := range grants {
		if !live[g.RequestID] || (!g.ExpiresAt.IsZero() && !g.ExpiresAt.After(now)) {
			continue
		}
		if g.Action != policy.Read && g.Action != policy.Write {
			continue
		}
		src, ok := reqSrc[g.RequestID]
		if !ok {
			src = int32(len(sources))
			sources = append(sources, "request/"+g.RequestID)
			reqSrc[g.RequestID] = src
		}
		add(key(users.id(g.User), assets.id(g.Asset)), g.Action, endsNS(g.ExpiresAt), src)
	}

	for _, d := range denies {
		if ix == nil {
			ix = v.index()
		}
		imp := ix.Impact(d)
		apply := func(p *pairSlots) {
			if d.Action == policy.Read {
				*p = pairSlots{} // no read, so no write either
				return
			}
			if p.write.set { // write denied: the read it included stays
				p.read.offer(p.write.ends, p.write.src, sources)
				p.write = slot{}
			}
		}
		if len(imp.Users)*len(imp.Assets) <= len(pairs) {
			for _, u := range imp.Users {
				ui, ok := users.pos[u]
				if !ok {
					continue
				}
				for _, a := range imp.Assets {
					if ai, ok := assets.pos[a]; ok {
						k := key(ui, ai)
						if p, ok := pairs[k]; ok {
							apply(&p)
							pairs[k] = p
						}
					}
				}
			}
			continue
		}
		du, da := setOf(imp.Users), setOf(imp.Assets)
		for k, p := range pairs {
			if du[users.ids[k>>32]] && da[assets.ids[uint32(k)]] {
				apply(&p)
				pairs[k] = p
			}
		}
	}

	out := make([]DesiredGrant, 0, len(pairs))
	emit := func(k uint64, action policy.Action, sl slot) {
		g := DesiredGrant{User: users.ids[k>>32], Asset: assets.ids[uint32(k)], Action: action, Source: sources[sl.src]}
		if sl.ends != 0 {
			g.ExpiresAt = time.Unix(0, sl.ends).UTC()
		}
		out = append(out, g)
	}
	for k, p := range pairs {
		if p.write.set {
			emit(k, policy.Write, p.write)
		}
		// A write grant that lasts at least as long already gives read.
		if p.read.set && (!p.write.set || !outlastsNS(p.write.ends, p.read.ends)) {
			emit(k, policy.Read, p.read)
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
