package policy

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Policy kinds: what a policy does to a read or a write.
const (
	kindDenyRead   = iota // forbids read, and so write too (write includes read)
	kindDenyWrite         // forbids write only
	kindAllowWrite        // allows write and read
	kindAllowRead         // allows read
	kindMask              // masks columns; never allows or denies
)

func kindOf(p Policy) int {
	switch {
	case p.Effect == Deny && p.Action == Read:
		return kindDenyRead
	case p.Effect == Deny:
		return kindDenyWrite
	case p.Effect == Allow && p.Action == Write:
		return kindAllowWrite
	case p.Effect == Allow:
		return kindAllowRead
	}
	return kindMask
}

// Evaluator decides access for a fixed catalog and policy set. It is
// immutable once built and safe for concurrent use.
//
// For each asset it keeps the policies whose objects select it (an inverted
// index), grouped by kind, and for each user a small bitmap of the
// attribute values and groups that policies' subjects mention. A decision
// checks the asset's candidates against the user's bitmap; see decider for
// how that is laid out.
type Evaluator struct {
	cat      *Catalog
	ix       *Index
	policies []Policy // ordered so that policies on the same tags are adjacent
	kind     []uint8  // per policy
	prog     *subjectProgram
	fast     fastDecider
	narrow   *decider[uint16] // fast, when it is uint16-wide; Allowed calls it without an interface
}

// fastDecider is a decider of either width.
type fastDecider interface {
	allowed(userID, assetID string, action Action) bool
	row(u uint32) []uint64
	appendCandidates(dst []uint32, a uint32) []uint32
	bytes() int
}

// kindOrder lists the kinds in the order of a run's groups.
var kindOrder = [...]uint8{kindAllowRead, kindAllowWrite, kindDenyRead, kindDenyWrite, kindMask}

// candidates returns the policies whose objects select asset a, grouped by kind.
func (e *Evaluator) candidates(a uint32) []uint32 {
	return e.fast.appendCandidates(nil, a)
}

// sortedCandidates returns asset a's candidates in policy order.
func (e *Evaluator) sortedCandidates(a uint32) []uint32 {
	return slices.Sorted(slices.Values(e.candidates(a)))
}

// selects reports whether policy p's subjects select user u.
func (e *Evaluator) selects(p, u uint32) bool {
	return e.prog.selects(p, e.fast.row(u))
}

// policyUsers computes policy p's user set with the index's set algebra.
func (e *Evaluator) policyUsers(p uint32) bitset {
	if isEveryone(e.policies[p].Subjects) {
		return e.ix.allUsers
	}
	return e.ix.users(e.policies[p].Subjects)
}

// NewEvaluator validates the policies against the catalog and prepares decisions.
func NewEvaluator(c *Catalog, policies []Policy) (*Evaluator, error) {
	return newEvaluator(c, policies, false)
}

// newEvaluator builds with uint32 tables when wide is set or when policy
// or feature numbers do not fit in uint16.
func newEvaluator(c *Catalog, policies []Policy, wide bool) (*Evaluator, error) {
	if c == nil {
		return nil, errors.New("building evaluator: no catalog")
	}
	ix := NewIndex(c)
	e := &Evaluator{cat: c, ix: ix}
	e.policies = clusterPolicies(ix, policies)
	e.kind = make([]uint8, len(e.policies))
	for i, p := range e.policies {
		e.kind[i] = uint8(kindOf(p))
	}

	var errs []error
	seen := map[string]bool{}
	lists := make([][]uint32, len(e.policies))
	nAssets := len(ix.assetIDs)
	runs := &candidateRuns{offs: make([]uint32, nAssets+1), ends: make([][len(kindOrder)]uint32, nAssets)}
	for i, p := range e.policies {
		if p.ID != "" {
			if seen[p.ID] {
				errs = append(errs, fmt.Errorf("policy %s: the id is used by more than one policy", p.ID))
				continue
			}
			seen[p.ID] = true
		}
		assets, err := c.validatePolicy(p, ix)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		lists[i] = assets.list()
		for _, a := range lists[i] {
			runs.offs[a+1]++
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("building evaluator: %w", errors.Join(errs...))
	}
	for a := 1; a <= nAssets; a++ {
		runs.offs[a] += runs.offs[a-1]
	}
	runs.cands = make([]uint32, runs.offs[nAssets])
	fill := slices.Clone(runs.offs[:nAssets])
	for g, k := range kindOrder {
		for i, l := range lists {
			if e.kind[i] != k {
				continue
			}
			for _, a := range l {
				runs.cands[fill[a]] = uint32(i)
				fill[a]++
			}
		}
		for a, f := range fill {
			runs.ends[a][g] = f - runs.offs[a]
		}
	}
	clear(lists)
	cs := compileSubjects(ix, e.policies)
	e.prog = newSubjectProgram(cs)
	if wide || len(e.policies) > 1<<16 || len(cs.users) > 1<<16 {
		e.fast = newDecider[uint32](ix, cs, e.prog, runs)
	} else {
		e.narrow = newDecider[uint16](ix, cs, e.prog, runs)
		e.fast = e.narrow
	}
	return e, nil
}

func isEveryone(subjects [][]Term) bool {
	for _, cl := range subjects {
		if len(cl) == 0 {
			return true
		}
	}
	return false
}

// Allowed: some allow policy covers (user, asset, action) and no deny policy does.
// A write policy also allows read; a deny on read also denies write.
// Unknown users, assets and actions are never allowed.
func (e *Evaluator) Allowed(userID, assetID string, action Action) bool {
	if d := e.narrow; d != nil {
		return d.allowed(userID, assetID, action)
	}
	return e.fast.allowed(userID, assetID, action)
}

// clusterPolicies numbers policies so that those selecting the same assets
// sit next to each other: policies are grouped by their rarest required
// tag (or their asset). An asset's candidates then fall into a few runs of
// numbers, so their subject screens and checks share a few cache lines.
func clusterPolicies(ix *Index, policies []Policy) []Policy {
	anchor := func(p Policy) string {
		for _, c := range p.Objects {
			if c.Asset != "" {
				return "\x01" + c.Asset
			}
			best, bestN := "", -1
			for _, t := range c.AllTags {
				if n := len(ix.tagAssets[t]); bestN < 0 || n < bestN {
					best, bestN = t, n
				}
			}
			if bestN >= 0 {
				return "\x00" + best
			}
		}
		return "\x02"
	}
	type keyed struct {
		key string
		p   Policy
	}
	ks := make([]keyed, len(policies))
	for i, p := range policies {
		ks[i] = keyed{anchor(p), p}
	}
	sort.SliceStable(ks, func(i, j int) bool { return ks[i].key < ks[j].key })
	out := make([]Policy, len(ks))
	for i, k := range ks {
		out[i] = k.p
	}
	return out
}

// Policies returns the policies the evaluator decides with, in its own order.
func (e *Evaluator) Policies() []Policy { return append([]Policy(nil), e.policies...) }

// Catalog returns the catalog the evaluator decides against.
func (e *Evaluator) Catalog() *Catalog { return e.cat }

// Explanation says why a decision came out as it did.
type Explanation struct {
	Allowed bool     `json:"allowed"`
	Allows  []Reason `json:"allows,omitempty"` // allow policies that cover the request
	Denies  []Reason `json:"denies,omitempty"` // deny policies that cover the request
	Masks   []Reason `json:"masks,omitempty"`  // mask policies that apply
	Summary string   `json:"summary"`
}

// Reason is one policy that took part in a decision and the terms that matched.
type Reason struct {
	PolicyID     string `json:"policy_id"`
	PolicyName   string `json:"policy_name,omitempty"`
	MatchedTerms []Term `json:"matched_terms,omitempty"`
	Clause       Clause `json:"clause"`
}

// Explain returns the deciding policies and matching terms. Its Allowed
// always agrees with Allowed.
func (e *Evaluator) Explain(userID, assetID string, action Action) Explanation {
	u, uok := e.ix.userPos[userID]
	a, aok := e.ix.assetPos[assetID]
	switch {
	case action != Read && action != Write:
		return Explanation{Summary: fmt.Sprintf("denied: %q is not an action (read or write)", action)}
	case !uok:
		return Explanation{Summary: fmt.Sprintf("denied: %s is not a user in the catalog", userID)}
	case !aok:
		return Explanation{Summary: fmt.Sprintf("denied: %s is not an asset in the catalog", assetID)}
	}
	user := e.cat.Users[e.ix.userCat[u]]
	asset := e.cat.Assets[e.ix.assetCat[a]]
	tags := allTags(asset)
	var ex Explanation
	var readOnly []string // allow-read policies, when write was asked
	for _, p := range e.sortedCandidates(a) {
		if !e.selects(p, u) {
			continue
		}
		pol := e.policies[p]
		r := reason(pol, user, asset.ID, tags)
		switch k := kindOf(pol); {
		case k == kindDenyRead, k == kindDenyWrite && action == Write:
			ex.Denies = append(ex.Denies, r)
		case k == kindAllowWrite, k == kindAllowRead && action == Read:
			ex.Allows = append(ex.Allows, r)
		case k == kindAllowRead:
			readOnly = append(readOnly, policyLabel(pol))
		case k == kindMask:
			ex.Masks = append(ex.Masks, r)
		}
	}
	ex.Allowed = len(ex.Allows) > 0 && len(ex.Denies) == 0
	verb := string(action)
	switch {
	case len(ex.Denies) > 0:
		ex.Summary = fmt.Sprintf("denied: %s may not %s %s: %s forbids it", userID, verb, assetID, labels(e, ex.Denies))
		if len(ex.Allows) > 0 {
			ex.Summary += fmt.Sprintf(" (deny wins over %s)", labels(e, ex.Allows))
		}
	case len(ex.Allows) > 0:
		ex.Summary = fmt.Sprintf("allowed: %s may %s %s under %s", userID, verb, assetID, labels(e, ex.Allows))
	case len(readOnly) > 0:
		ex.Summary = fmt.Sprintf("denied: no policy lets %s write %s (%s allows read only)", userID, assetID, strings.Join(readOnly, ", "))
	default:
		ex.Summary = fmt.Sprintf("denied: no policy lets %s %s %s", userID, verb, assetID)
	}
	if len(ex.Masks) > 0 && ex.Allowed {
		if cols := e.maskedColumns(u, a); len(cols) > 0 {
			ex.Summary += fmt.Sprintf("; columns %s are masked", strings.Join(cols, ", "))
		}
	}
	return ex
}

func policyLabel(p Policy) string {
	if p.Name != "" {
		return fmt.Sprintf("policy %s (%s)", p.ID, p.Name)
	}
	return "policy " + p.ID
}

func labels(e *Evaluator, rs []Reason) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		parts = append(parts, policyLabel(Policy{ID: r.PolicyID, Name: r.PolicyName}))
	}
	return strings.Join(parts, ", ")
}

// reason finds the subject clause and object clause that made p apply.
func reason(p Policy, u User, assetID string, tags []string) Reason {
	r := Reason{PolicyID: p.ID, PolicyName: p.Name}
	for _, cl := range p.Subjects {
		if clauseMatchesUser(u, cl) {
			r.MatchedTerms = append([]Term(nil), cl...)
			break
		}
	}
	for _, c := range p.Objects {
		if ClauseMatchesAsset(assetID, tags, c) {
			r.Clause = c
			break
		}
	}
	return r
}

// MaskedColumns returns the columns of the asset that mask policies hide
// from the user, sorted. A column is masked when it carries a tag of a mask
// clause that selects the asset; when the clause names the asset itself or
// the tag sits on the whole table, every column is masked.
func (e *Evaluator) MaskedColumns(userID, assetID string) []string {
	u, ok := e.ix.userPos[userID]
	if !ok {
		return nil
	}
	a, ok := e.ix.assetPos[assetID]
	if !ok {
		return nil
	}
	return e.maskedColumns(u, a)
}

func (e *Evaluator) maskedColumns(u, a uint32) []string {
	asset := e.cat.Assets[e.ix.assetCat[a]]
	var tags []string
	masked := map[string]bool{}
	for _, p := range e.candidates(a) {
		if e.kind[p] != kindMask || !e.selects(p, u) {
			continue
		}
		if tags == nil {
			tags = allTags(asset)
		}
		for _, c := range e.policies[p].Objects {
			if !ClauseMatchesAsset(asset.ID, tags, c) {
				continue
			}
			whole := c.Asset != ""
			for _, t := range c.AllTags {
				for _, at := range asset.Tags {
					if at == t {
						whole = true
					}
				}
			}
			for col, ctags := range asset.Columns {
				if whole {
					masked[col] = true
					continue
				}
				for _, t := range c.AllTags {
					for _, ct := range ctags {
						if ct == t {
							masked[col] = true
						}
					}
				}
			}
		}
	}
	return keys(masked)
}

// Access is one (user, asset, action) that policies allow.
type Access struct {
	User   string `json:"user"`
	Asset  string `json:"asset"`
	Action Action `json:"action"`
}

// AllAllowed lists every allowed (user, asset, action), sorted by user,
// then asset, then action (read before write). It works per asset with set
// algebra over the candidate policies' user bitmaps, so the cost follows
// the size of the answer, not users x assets.
func (e *Evaluator) AllAllowed() []Access {
	type hit struct {
		u, a  uint32
		write bool
	}
	var hits []hit
	n := len(e.ix.userIDs)
	read, write, denyAny, denyRead := newBitset(n), newBitset(n), newBitset(n), newBitset(n)
	users := map[uint32]bitset{} // per-policy user sets, rebuilt once each as needed
	usersOf := func(p uint32) bitset {
		b, ok := users[p]
		if !ok {
			b = e.policyUsers(p)
			users[p] = b
		}
		return b
	}
	var cands []uint32
	for a := range uint32(len(e.ix.assetIDs)) {
		cands = e.fast.appendCandidates(cands[:0], a)
		if len(cands) == 0 {
			continue
		}
		for _, b := range []bitset{read, write, denyAny, denyRead} {
			clear(b)
		}
		anyAllow := false
		for _, p := range cands {
			switch e.kind[p] {
			case kindDenyRead:
				denyRead.or(usersOf(p))
				denyAny.or(usersOf(p))
			case kindDenyWrite:
				denyAny.or(usersOf(p))
			case kindAllowWrite:
				write.or(usersOf(p))
				read.or(usersOf(p))
				anyAllow = true
			case kindAllowRead:
				read.or(usersOf(p))
				anyAllow = true
			}
		}
		if !anyAllow {
			continue
		}
		read.andNot(denyRead)
		write.andNot(denyAny)
		read.each(func(u uint32) { hits = append(hits, hit{u, a, false}) })
		write.each(func(u uint32) { hits = append(hits, hit{u, a, true}) })
	}
	sort.Slice(hits, func(i, j int) bool {
		x, y := hits[i], hits[j]
		if x.u != y.u {
			return x.u < y.u
		}
		if x.a != y.a {
			return x.a < y.a
		}
		return !x.write && y.write
	})
	out := make([]Access, len(hits))
	for i, h := range hits {
		act := Read
		if h.write {
			act = Write
		}
		out[i] = Access{User: e.ix.userIDs[h.u], Asset: e.ix.assetIDs[h.a], Action: act}
	}
	return out
}
