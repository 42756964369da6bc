package approvals

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-dev/steward/policy"
)

// How recommendations are mined (Recommend):
//
//  1. History: requests that were approved (including those since expired or
//     revoked) and requests that were denied. Each request contributes once per
//     asset, grouped by (the asset's sorted tag set, action).
//  2. In a group with at least MinSupport approved requests from at least two
//     people, a feature (attribute=value, or group membership) is a candidate
//     when at least MinCoverage (default 80%: a large majority, so one
//     exceptional approval does not hide a rule) of the approved requesters
//     carry it and no denied requester for that data does (or, with
//     DeniedTolerance > 0, denied requesters are at most that share of the
//     requesters carrying it); pairs of features
//     (AND) are candidates on the same terms. The best candidate covers the
//     most approved requesters; ties go to the one fewer catalog users carry
//     (the narrower grant).
//  3. Groups that produce the same subject and action are merged, and their
//     objects generalised to the tags they share when that covers no asset a
//     denied requester with the subject asked for and not every asset;
//     otherwise each tag set stays its own clause. A tag set that would cover
//     every asset falls back to the requested asset ids.
//  4. Support is the approved requests the proposal would have allowed;
//     Confidence = coverage x support/(support+1), so small groups score lower.
//     A proposal equivalent to one already open, accepted or dismissed, or
//     whose support saved policies already cover, is not proposed again.

type feature struct {
	attr, value, group string
}

func (f feature) term() policy.Term {
	if f.group != "" {
		return policy.Term{Group: f.group}
	}
	return policy.Term{Attribute: f.attr, Values: []string{f.value}}
}

func (f feature) String() string {
	if f.group != "" {
		return "group " + f.group
	}
	return f.attr + "=" + f.value
}

func featuresOf(u *policy.User) []feature {
	var out []feature
	for k, vs := range u.Attributes {
		for _, v := range vs {
			out = append(out, feature{attr: k, value: v})
		}
	}
	for _, g := range u.Groups {
		out = append(out, feature{group: g})
	}
	return out
}

type historyGroup struct {
	tags     []string
	action   policy.Action
	approved []Request // one entry per request
	assets   []string  // assets asked for in approved requests
	denied   map[string]bool
}

type proposal struct {
	subject  []feature
	action   policy.Action
	tagSets  [][]string
	assets   []string
	coverage float64
	groups   []*historyGroup
}

// Recommend mines the decision history and stores new proposals (see above for
// how). It returns the proposals created by this call.
func (s *Service) Recommend(ctx context.Context) ([]Recommendation, error) {
	v, err := s.catalogView()
	if err != nil {
		return nil, fmt.Errorf("recommending policies: %w", err)
	}
	now := s.clock()
	var approved, denied []Request
	for _, st := range []RequestState{StateApproved, StateExpired, StateRevoked, StateDenied} {
		rs, err := s.store.ListRequests(ctx, RequestFilter{State: st})
		if err != nil {
			return nil, fmt.Errorf("recommending policies: listing %s requests: %w", st, err)
		}
		if st == StateDenied {
			denied = append(denied, rs...)
		} else {
			approved = append(approved, rs...)
		}
	}

	groups := map[string]*historyGroup{}
	var order []string
	groupFor := func(asset string, action policy.Action) *historyGroup {
		tags := v.cat.AssetTags(asset)
		key := string(action) + "\x00" + strings.Join(tags, "\x1f")
		g := groups[key]
		if g == nil {
			g = &historyGroup{tags: tags, action: action, denied: map[string]bool{}}
			groups[key] = g
			order = append(order, key)
		}
		return g
	}
	for _, r := range approved {
		for _, a := range r.Assets {
			if _, ok := v.asset(a); !ok {
				continue
			}
			g := groupFor(a, r.Action)
			if n := len(g.approved); n == 0 || g.approved[n-1].ID != r.ID {
				g.approved = append(g.approved, r)
			}
			if !slices.Contains(g.assets, a) {
				g.assets = append(g.assets, a)
			}
		}
	}
	for _, r := range denied {
		for _, a := range r.Assets {
			if _, ok := v.asset(a); ok {
				groupFor(a, r.Action).denied[r.Requester] = true
			}
		}
	}
	slices.Sort(order)

	pop := featurePopulation(v.cat)
	var props []*proposal
	for _, key := range order {
		g := groups[key]
		if p := s.mineGroup(v, g, pop); p != nil {
			props = append(props, p)
		}
	}
	props = s.mergeProposals(v, props, groups)

	existing := map[string]bool{}
	for _, st := range []RecommendationState{RecommendationOpen, RecommendationAccepted, RecommendationDismissed} {
		recs, err := s.store.ListRecommendations(ctx, st)
		if err != nil {
			return nil, fmt.Errorf("recommending policies: listing %s recommendations: %w", st, err)
		}
		for _, r := range recs {
			existing[policyKey(r.Policy)] = true
		}
	}
	var ev *policy.Evaluator
	if ps, err := s.policiesInForce(ctx, v, now); err != nil {
		return nil, fmt.Errorf("recommending policies: %w", err)
	} else if len(ps) > 0 {
		if ev, err = policy.NewEvaluator(v.cat, ps); err != nil {
			return nil, fmt.Errorf("recommending policies: checking saved policies: %w", err)
		}
	}

	var built []Recommendation
	for _, p := range props {
		if rec := s.buildRecommendation(v, p, now); len(rec.Support) >= s.cfg.MinSupport {
			built = append(built, rec)
		}
	}
	built = s.dropExplained(v, built, approved)

	var out []Recommendation
	for _, rec := range built {
		key := policyKey(rec.Policy)
		if existing[key] {
			continue
		}
		if ev != nil && allCovered(ev, rec, approved) {
			continue
		}
		existing[key] = true
		err := s.store.SaveRecommendation(ctx, rec, newAudit(now, SystemActor, "recommendation.created", "recommendation/"+rec.ID, nil, rec, rec.Why))
		switch {
		case errors.Is(err, ErrConflict):
		case err != nil:
			return out, fmt.Errorf("recommending policies: saving %s: %w", rec.ID, err)
		default:
			out = append(out, rec)
		}
	}
	return out, nil
}

// dropExplained keeps the best-supported proposals first and drops one whose
// supporting requests are mostly (MinCoverage) allowed by proposals already
// kept: a broader subject mined from one small group is then usually an
// artefact of that group, not a habit of its own.
func (s *Service) dropExplained(v *catalogView, recs []Recommendation, history []Request) []Recommendation {
	byID := map[string]Request{}
	for _, r := range history {
		byID[r.ID] = r
	}
	slices.SortStableFunc(recs, func(a, b Recommendation) int {
		return cmp.Or(cmp.Compare(len(b.Support), len(a.Support)), cmp.Compare(a.ID, b.ID))
	})
	var kept []Recommendation
	for _, rec := range recs {
		explained := 0
		for _, id := range rec.Support {
			r := byID[id]
			usr, ok := v.user(r.Requester)
			if !ok {
				continue
			}
			for _, k := range kept {
				if k.Policy.Action != rec.Policy.Action && k.Policy.Action != policy.Write {
					continue
				}
				if !policy.MatchesUser(*usr, k.Policy.Subjects) {
					continue
				}
				all := true
				for _, a := range r.Assets {
					all = all && policy.MatchesAsset(a, v.cat.AssetTags(a), k.Policy.Objects)
				}
				if all {
					explained++
					break
				}
			}
		}
		if len(kept) > 0 && float64(explained) >= s.cfg.MinCoverage*float64(len(rec.Support)) {
			continue
		}
		kept = append(kept, rec)
	}
	return kept
}

// allCovered: saved policies already allow every supporting request.
func allCovered(ev *policy.Evaluator, rec Recommendation, history []Request) bool {
	byID := map[string]Request{}
	for _, r := range history {
		byID[r.ID] = r
	}
	for _, id := range rec.Support {
		r := byID[id]
		for _, a := range r.Assets {
			if !ev.Allowed(r.Requester, a, r.Action) {
				return false
			}
		}
	}
	return true
}

func featurePopulation(c *policy.Catalog) map[feature]int {
	pop := map[feature]int{}
	for i := range c.Users {
		for _, f := range featuresOf(&c.Users[i]) {
			pop[f]++
		}
	}
	return pop
}

// mineGroup finds the subject shared by the group's approved requesters and by
// none of its denied requesters.
func (s *Service) mineGroup(v *catalogView, g *historyGroup, pop map[feature]int) *proposal {
	if len(g.approved) < s.cfg.MinSupport {
		return nil
	}
	requesters := map[string]bool{}
	for _, r := range g.approved {
		requesters[r.Requester] = true
	}
	if len(requesters) < 2 {
		return nil
	}
	feats := map[string]map[feature]bool{} // user -> features
	count := map[feature]int{}
	for u := range requesters {
		usr, ok := v.user(u)
		if !ok {
			continue
		}
		fs := map[feature]bool{}
		for _, f := range featuresOf(usr) {
			fs[f] = true
			count[f]++
		}
		feats[u] = fs
	}
	deniedFeats := make([]map[feature]bool, 0, len(g.denied))
	for u := range g.denied {
		if requesters[u] {
			continue // approved for this data too: not evidence against
		}
		usr, ok := v.user(u)
		if !ok {
			continue
		}
		fs := map[feature]bool{}
		for _, f := range featuresOf(usr) {
			fs[f] = true
		}
		deniedFeats = append(deniedFeats, fs)
	}
	n := float64(len(requesters))
	// vetoed: denied requesters carry the features. With DeniedTolerance 0
	// (the default) one is enough; otherwise they may be at most that share of
	// the requesters carrying them (for histories with the odd mistaken deny).
	vetoed := func(fs ...feature) bool {
		denied, approved := 0, 0
		for _, d := range deniedFeats {
			if hasAll(d, fs) {
				denied++
			}
		}
		if denied == 0 {
			return false
		}
		for _, a := range feats {
			if hasAll(a, fs) {
				approved++
			}
		}
		return float64(denied) > s.cfg.DeniedTolerance*float64(denied+approved)
	}
	var frequent []feature
	for f, c := range count {
		if float64(c)/n >= s.cfg.MinCoverage {
			frequent = append(frequent, f)
		}
	}
	slices.SortFunc(frequent, func(a, b feature) int { return cmp.Compare(a.String(), b.String()) })

	type cand struct {
		fs       []feature
		coverage float64
		pop      int
	}
	var best *cand
	consider := func(c cand) {
		if best == nil || c.coverage > best.coverage || (c.coverage == best.coverage && c.pop < best.pop) {
			best = &c
		}
	}
	for _, f := range frequent {
		if !vetoed(f) {
			consider(cand{fs: []feature{f}, coverage: float64(count[f]) / n, pop: pop[f]})
		}
	}
	// Pairs are weighed against single features: at equal coverage the
	// narrower subject (fewer catalog users) wins, so a habit like "on-call
	// engineers" is not widened to every engineer just because no other
	// engineer happened to be refused.
	{
		for i, a := range frequent {
			for _, b := range frequent[i+1:] {
				if a.attr != "" && a.attr == b.attr {
					continue // the same attribute twice is an OR, not a narrowing
				}
				if vetoed(a, b) {
					continue
				}
				both := 0
				for _, fs := range feats {
					if fs[a] && fs[b] {
						both++
					}
				}
				if cov := float64(both) / n; cov >= s.cfg.MinCoverage {
					consider(cand{fs: []feature{a, b}, coverage: cov, pop: pairPopulation(v.cat, a, b)})
				}
			}
		}
	}
	if best == nil {
		return nil
	}
	return &proposal{subject: best.fs, action: g.action, tagSets: [][]string{g.tags}, assets: slices.Clone(g.assets), coverage: best.coverage, groups: []*historyGroup{g}}
}

func hasAll(set map[feature]bool, fs []feature) bool {
	for _, f := range fs {
		if !set[f] {
			return false
		}
	}
	return true
}

func pairPopulation(c *policy.Catalog, a, b feature) int {
	n := 0
	for i := range c.Users {
		u := &c.Users[i]
		if policy.TermMatchesUser(*u, a.term()) && policy.TermMatchesUser(*u, b.term()) {
			n++
		}
	}
	return n
}

// mergeProposals joins proposals with the same subject and action, generalising
// their objects to the shared tags when that is safe.
func (s *Service) mergeProposals(v *catalogView, props []*proposal, groups map[string]*historyGroup) []*proposal {
	byKey := map[string]*proposal{}
	var order []string
	for _, p := range props {
		k := string(p.action) + "\x00" + fmt.Sprint(p.subject)
		m := byKey[k]
		if m == nil {
			byKey[k] = p
			order = append(order, k)
			continue
		}
		m.tagSets = append(m.tagSets, p.tagSets...)
		for _, a := range p.assets {
			if !slices.Contains(m.assets, a) {
				m.assets = append(m.assets, a)
			}
		}
		m.groups = append(m.groups, p.groups...)
		m.coverage = min(m.coverage, p.coverage)
	}
	out := make([]*proposal, 0, len(order))
	for _, k := range order {
		p := byKey[k]
		if len(p.tagSets) > 1 {
			if shared := intersectAll(p.tagSets); len(shared) > 0 && s.safeToGeneralise(v, p, shared, groups) {
				p.tagSets = [][]string{shared}
			}
		}
		out = append(out, p)
	}
	return out
}

func intersectAll(sets [][]string) []string {
	out := slices.Clone(sets[0])
	for _, s := range sets[1:] {
		out = slices.DeleteFunc(out, func(t string) bool { return !slices.Contains(s, t) })
	}
	return out
}

// safeToGeneralise: objects {all_tags: shared} reach no asset that a denied
// requester carrying the subject asked for with this action, and not every asset.
func (s *Service) safeToGeneralise(v *catalogView, p *proposal, shared []string, groups map[string]*historyGroup) bool {
	objects := []policy.Clause{{AllTags: shared}}
	if err := v.cat.ValidatePolicy(policy.Policy{Effect: policy.Allow, Action: p.action, Subjects: [][]policy.Term{termsOf(p.subject)}, Objects: objects}); err != nil {
		return false
	}
	subj := [][]policy.Term{termsOf(p.subject)}
	denied, approved := 0, 0
	for _, g := range groups {
		if g.action != p.action || !policy.MatchesAsset("", g.tags, objects) {
			continue
		}
		for u := range g.denied {
			if usr, ok := v.user(u); ok && policy.MatchesUser(*usr, subj) {
				denied++
			}
		}
		for _, r := range g.approved {
			if usr, ok := v.user(r.Requester); ok && policy.MatchesUser(*usr, subj) {
				approved++
			}
		}
	}
	// The same rule as for subjects: no denied requester (or at most
	// DeniedTolerance of them) in the wider set of data.
	return denied == 0 || float64(denied) <= s.cfg.DeniedTolerance*float64(denied+approved)
}

func termsOf(fs []feature) []policy.Term {
	out := make([]policy.Term, len(fs))
	for i, f := range fs {
		out[i] = f.term()
	}
	return out
}

func (s *Service) buildRecommendation(v *catalogView, p *proposal, now time.Time) Recommendation {
	subjects := [][]policy.Term{termsOf(p.subject)}
	var objects []policy.Clause
	for _, ts := range p.tagSets {
		if len(ts) > 0 {
			objects = append(objects, policy.Clause{AllTags: ts})
		}
	}
	pol := policy.Policy{Effect: policy.Allow, Action: p.action, Subjects: subjects, Objects: objects}
	if len(objects) == 0 || v.cat.ValidatePolicy(pol) != nil {
		// Tags too broad (or none): name the assets people actually asked for.
		assets := slices.Clone(p.assets)
		slices.Sort(assets)
		objects = objects[:0]
		for _, a := range assets {
			objects = append(objects, policy.Clause{Asset: a})
		}
		pol.Objects = objects
	}
	subj := make([]string, len(p.subject))
	for i, f := range p.subject {
		subj[i] = f.String()
	}
	var what []string
	for _, c := range pol.Objects {
		if c.Asset != "" {
			what = append(what, c.Asset)
		} else {
			what = append(what, "data tagged "+strings.Join(c.AllTags, " + "))
		}
	}
	pol.Name = fmt.Sprintf("Recommended: %s may %s %s", strings.Join(subj, " and "), p.action, strings.Join(what, " or "))
	pol.Sentence = fmt.Sprintf("Users with %s can %s %s.", strings.Join(subj, " and "), p.action, strings.Join(what, " or "))

	var support []string
	requesters := map[string]bool{}
	deniedN := 0
	for _, g := range p.groups {
		for _, r := range g.approved {
			usr, ok := v.user(r.Requester)
			if !ok || !policy.MatchesUser(*usr, subjects) || slices.Contains(support, r.ID) {
				continue
			}
			support = append(support, r.ID)
			requesters[r.Requester] = true
		}
		deniedN += len(g.denied)
	}
	slices.Sort(support)
	n := float64(len(support))
	conf := p.coverage * n / (n + 1)
	rec := Recommendation{
		Policy: pol, Support: support, Confidence: conf, State: RecommendationOpen, CreatedAt: now,
		Why: fmt.Sprintf("%s from %s for %s to %s shared %s (%.0f%% of the approved requesters); %s.",
			count(len(support), "approved request", "approved requests"), count(len(requesters), "person", "people"),
			strings.Join(what, " or "), p.action, strings.Join(subj, " and "), p.coverage*100, deniedText(deniedN)),
	}
	sum := sha256.Sum256([]byte(policyKey(pol)))
	rec.ID = "rec-" + hex.EncodeToString(sum[:8])
	return rec
}

// policyKey identifies what a policy grants, ignoring names and metadata.
func policyKey(p policy.Policy) string {
	subjects := make([]string, 0, len(p.Subjects))
	for _, cl := range p.Subjects {
		terms := make([]string, 0, len(cl))
		for _, t := range cl {
			vals := slices.Clone(t.Values)
			slices.Sort(vals)
			b, _ := json.Marshal([]any{t.Attribute, vals, t.Group, t.Negate})
			terms = append(terms, string(b))
		}
		slices.Sort(terms)
		subjects = append(subjects, strings.Join(terms, "&"))
	}
	slices.Sort(subjects)
	objects := make([]string, 0, len(p.Objects))
	for _, c := range p.Objects {
		all, none := slices.Clone(c.AllTags), slices.Clone(c.NoneTags)
		slices.Sort(all)
		slices.Sort(none)
		b, _ := json.Marshal([]any{all, none, c.Asset})
		objects = append(objects, string(b))
	}
	slices.Sort(objects)
	b, _ := json.Marshal([]any{p.Effect, p.Action, subjects, objects, p.Duration})
	return string(b)
}

// AcceptRecommendation saves the proposed policy (governance only) and marks
// the proposal accepted. The policy id is the recommendation's id, and a claim
// in the store makes concurrent clicks save it once.
func (s *Service) AcceptRecommendation(ctx context.Context, id, actor string) (policy.Policy, error) {
	rec, err := s.openRecommendation(ctx, id, actor, "accepting")
	if err != nil {
		return policy.Policy{}, err
	}
	p := rec.Policy
	p.ID = rec.ID
	saved, err := s.SavePolicy(ctx, p, actor)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("accepting recommendation %s: %w", id, err)
	}
	after := rec
	after.Policy, after.State, after.DecidedBy, after.DecidedAt = saved, RecommendationAccepted, actor, s.clock()
	if err := s.store.UpdateRecommendation(ctx, after, newAudit(after.DecidedAt, actor, "recommendation.accepted", "recommendation/"+id, rec, after, "saved as policy/"+saved.ID)); err != nil {
		return saved, fmt.Errorf("accepting recommendation %s: policy %s saved, but marking the recommendation: %w", id, saved.ID, err)
	}
	return saved, nil
}

// DismissRecommendation drops a proposal (governance only); it is not proposed again.
func (s *Service) DismissRecommendation(ctx context.Context, id, actor string) error {
	rec, err := s.openRecommendation(ctx, id, actor, "dismissing")
	if err != nil {
		return err
	}
	after := rec
	after.State, after.DecidedBy, after.DecidedAt = RecommendationDismissed, actor, s.clock()
	if err := s.store.UpdateRecommendation(ctx, after, newAudit(after.DecidedAt, actor, "recommendation.dismissed", "recommendation/"+id, rec, after, "")); err != nil {
		return fmt.Errorf("dismissing recommendation %s: %w", id, err)
	}
	return nil
}

func (s *Service) openRecommendation(ctx context.Context, id, actor, doing string) (Recommendation, error) {
	if !s.IsGovernance(actor) {
		return Recommendation{}, s.refuse(ctx, actor, "recommendation.decision_refused", "recommendation/"+id,
			fmt.Errorf("%s recommendation %s: %w: %s is not in the governance group %q", doing, id, ErrForbidden, actor, s.cfg.GovernanceGroup))
	}
	recs, err := s.store.ListRecommendations(ctx, RecommendationOpen)
	if err != nil {
		return Recommendation{}, fmt.Errorf("%s recommendation %s: %w", doing, id, err)
	}
	i := slices.IndexFunc(recs, func(r Recommendation) bool { return r.ID == id })
	if i < 0 {
		return Recommendation{}, fmt.Errorf("%s recommendation %s: %w: no open recommendation with this id (already accepted or dismissed?)", doing, id, ErrNotFound)
	}
	now := s.clock()
	first, err := s.store.Claim(ctx, "recommendation:"+id, now, now.Add(24*time.Hour))
	if err != nil {
		return Recommendation{}, fmt.Errorf("%s recommendation %s: %w", doing, id, err)
	}
	if !first {
		return Recommendation{}, fmt.Errorf("%s recommendation %s: %w", doing, id, &StateError{Subject: "recommendation/" + id, Have: "being decided by someone else", Want: []string{string(RecommendationOpen)}})
	}
	return recs[i], nil
}

// AutomationReport says how much of the decision history the accepted
// recommendations would have answered at once.
type AutomationReport struct {
	Requests       int     `json:"requests"`        // decided requests (approved, expired, revoked, denied)
	Automated      int     `json:"automated"`       // approved ones the accepted recommendations allow entirely
	WronglyAllowed int     `json:"wrongly_allowed"` // denied ones they would have allowed
	Rate           float64 `json:"rate"`            // Automated / Requests
}

// AutomationRate is the fraction of past decided requests that the accepted
// recommendations would have automated.
func (s *Service) AutomationRate(ctx context.Context) (float64, error) {
	r, err := s.Automation(ctx)
	return r.Rate, err
}

// Automation replays the decision history against the accepted recommendations.
func (s *Service) Automation(ctx context.Context) (AutomationReport, error) {
	v, err := s.catalogView()
	if err != nil {
		return AutomationReport{}, fmt.Errorf("measuring automation: %w", err)
	}
	recs, err := s.store.ListRecommendations(ctx, RecommendationAccepted)
	if err != nil {
		return AutomationReport{}, fmt.Errorf("measuring automation: %w", err)
	}
	var ps []policy.Policy
	for _, r := range recs {
		p := r.Policy
		if p.ID == "" {
			p.ID = r.ID
		}
		if v.cat.ValidatePolicy(p) == nil {
			ps = append(ps, p)
		}
	}
	var rep AutomationReport
	var ev *policy.Evaluator
	if len(ps) > 0 {
		if ev, err = policy.NewEvaluator(v.cat, ps); err != nil {
			return AutomationReport{}, fmt.Errorf("measuring automation: %w", err)
		}
	}
	for _, st := range []RequestState{StateApproved, StateExpired, StateRevoked, StateDenied} {
		rs, err := s.store.ListRequests(ctx, RequestFilter{State: st})
		if err != nil {
			return AutomationReport{}, fmt.Errorf("measuring automation: listing %s requests: %w", st, err)
		}
		for _, r := range rs {
			rep.Requests++
			if ev == nil {
				continue
			}
			all := true
			for _, a := range r.Assets {
				all = all && ev.Allowed(r.Requester, a, r.Action)
			}
			switch {
			case all && st == StateDenied:
				rep.WronglyAllowed++
			case all:
				rep.Automated++
			}
		}
	}
	if rep.Requests > 0 {
		rep.Rate = float64(rep.Automated) / float64(rep.Requests)
	}
	return rep, nil
}

// count is "1 person" or "3 people".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func deniedText(n int) string {
	switch n {
	case 0:
		return "nobody was denied that data"
	case 1:
		return "the 1 person denied that data did not have it"
	}
	return fmt.Sprintf("none of the %d people denied that data had it", n)
}
