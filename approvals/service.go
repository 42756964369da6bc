package approvals

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/steward-dev/steward/policy"
)

// SystemActor is the audit actor for changes Steward makes by itself (expiry,
// escalation).
const SystemActor = "steward"

var (
	// ErrForbidden: the actor may not do this (not the requester, not an approver,
	// not in the governance group).
	ErrForbidden = errors.New("not allowed")
	// ErrNoApprover: nobody other than the requester can approve the request.
	ErrNoApprover = errors.New("no one can approve this request")
	// ErrDeniedByPolicy: a saved deny policy forbids the access asked for; no
	// approver can override it.
	ErrDeniedByPolicy = errors.New("forbidden by policy")
	// ErrNoCatalog: the service has no catalog loaded.
	ErrNoCatalog = errors.New("no catalog loaded")
)

// Service is the approvals workflow over a Store and a catalog. It is safe for
// concurrent use, and several Services (replicas) may share one Store: every
// change goes through the store's compare-and-set operations.
type Service struct {
	store Store
	now   func() time.Time
	cfg   Config
	cat   atomic.Pointer[catalogView]

	// deciding serialises this process's decisions on one request: a burst of
	// clicks on one card becomes a queue of cheap reads instead of a pile of
	// contending store transactions. Replicas still race through the store's
	// compare-and-set, which stays the only authority.
	decidingMu sync.Mutex
	deciding   map[string]*keyedLock
}

type keyedLock struct {
	mu   sync.Mutex
	refs int
}

// lockRequest holds the per-request lock until the returned func is called.
func (s *Service) lockRequest(id string) func() {
	s.decidingMu.Lock()
	if s.deciding == nil {
		s.deciding = map[string]*keyedLock{}
	}
	l := s.deciding[id]
	if l == nil {
		l = &keyedLock{}
		s.deciding[id] = l
	}
	l.refs++
	s.decidingMu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.decidingMu.Lock()
		if l.refs--; l.refs == 0 {
			delete(s.deciding, id)
		}
		s.decidingMu.Unlock()
	}
}

// catalogView is a catalog with the lookups the workflow needs, built once per
// catalog version. The bitmap index is built lazily: only DesiredGrants and
// recommendations need it and it is costly on large catalogs.
type catalogView struct {
	cat      *policy.Catalog
	gov      map[string]bool // governance members
	govList  []string        // sorted
	ixOnce   sync.Once
	ix       *policy.Index
	userByID map[string]*policy.User
}

func newCatalogView(c *policy.Catalog, govGroup string) *catalogView {
	v := &catalogView{cat: c, gov: map[string]bool{}, userByID: map[string]*policy.User{}}
	if c == nil {
		return v
	}
	for i := range c.Users {
		u := &c.Users[i]
		v.userByID[u.ID] = u
		if govGroup != "" && slices.Contains(u.Groups, govGroup) {
			v.gov[u.ID] = true
			v.govList = append(v.govList, u.ID)
		}
	}
	slices.Sort(v.govList)
	return v
}

func (v *catalogView) index() *policy.Index {
	v.ixOnce.Do(func() { v.ix = policy.NewIndex(v.cat) })
	return v.ix
}

func (v *catalogView) user(id string) (*policy.User, bool) {
	u, ok := v.userByID[id]
	return u, ok
}

func (v *catalogView) asset(id string) (policy.Asset, bool) {
	if v.cat == nil {
		return policy.Asset{}, false
	}
	return v.cat.Asset(id)
}

// canApproveAsset: the asset's owner or a governance member.
func (v *catalogView) canApproveAsset(user, asset string) bool {
	if v.gov[user] {
		return true
	}
	a, ok := v.asset(asset)
	return ok && a.Owner != "" && a.Owner == user
}

// canApproveAll: an approver for every asset, which is what deciding needs.
func (v *catalogView) canApproveAll(user string, assets []string) bool {
	if _, ok := v.user(user); !ok {
		return false
	}
	for _, a := range assets {
		if !v.canApproveAsset(user, a) {
			return false
		}
	}
	return true
}

// approvers are the people who may decide on a request for all of assets: the
// governance members and whoever owns every one of the assets.
func (v *catalogView) approvers(assets []string) []string {
	set := map[string]bool{}
	for _, g := range v.govList {
		set[g] = true
	}
	if len(assets) > 0 {
		owner := ""
		same := true
		for i, id := range assets {
			a, ok := v.asset(id)
			if !ok || a.Owner == "" {
				same = false
				break
			}
			if i == 0 {
				owner = a.Owner
			} else if a.Owner != owner {
				same = false
				break
			}
		}
		if same && owner != "" {
			if _, ok := v.user(owner); ok {
				set[owner] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for u := range set {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// New builds a Service. now is the clock (time.Now in production, fake in tests).
func New(store Store, cat *policy.Catalog, now func() time.Time, cfg Config) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{store: store, now: now, cfg: cfg.withDefaults()}
	s.SetCatalog(cat)
	return s
}

// SetCatalog replaces the catalog, for example after the file was reloaded.
// Calls already running finish with the catalog they started with; decisions
// made afterwards are authorised against the new one.
func (s *Service) SetCatalog(c *policy.Catalog) {
	s.cat.Store(newCatalogView(c, s.cfg.GovernanceGroup))
}

// ReplaceCatalog switches to cat (a reloaded catalog file, say) once it has
// checked that what is running still holds under it: the governance group
// exists and every saved policy validates against it. Otherwise nothing
// changes and the error says what to fix first.
func (s *Service) ReplaceCatalog(ctx context.Context, cat *policy.Catalog) error {
	if cat == nil {
		return fmt.Errorf("replacing the catalog: %w", ErrNoCatalog)
	}
	if g := s.cfg.GovernanceGroup; g != "" {
		if _, ok := cat.Groups[g]; !ok {
			return fmt.Errorf("replacing the catalog: it has no group %q, whose members govern policies and approvals", g)
		}
	}
	ps, err := s.store.ListPolicies(ctx)
	if err != nil {
		return fmt.Errorf("replacing the catalog: reading the saved policies: %w", err)
	}
	if _, err := policy.NewEvaluator(cat, ps); err != nil {
		return fmt.Errorf("replacing the catalog: saved policies name what it lacks (retire or edit them first): %w", err)
	}
	s.SetCatalog(cat)
	return nil
}

// Catalog returns the catalog in use.
func (s *Service) Catalog() *policy.Catalog { return s.view().cat }

// Config returns the settings in use, with defaults filled in.
func (s *Service) Config() Config { return s.cfg }

func (s *Service) view() *catalogView { return s.cat.Load() }

func (s *Service) catalogView() (*catalogView, error) {
	v := s.view()
	if v == nil || v.cat == nil {
		return nil, ErrNoCatalog
	}
	return v, nil
}

// IsGovernance reports whether the user is in the governance group.
func (s *Service) IsGovernance(userID string) bool { return s.view().gov[userID] }

// GovernanceMembers returns the governance group's members, sorted.
func (s *Service) GovernanceMembers() []string { return slices.Clone(s.view().govList) }

// ApproversFor returns who may decide on a request for these assets: the
// governance group's members plus whoever owns every one of the assets. (An
// owner of only some of them cannot decide alone: the decider must be an
// approver for every asset in the request.)
func (s *Service) ApproversFor(assets []string) []string { return s.view().approvers(assets) }

// CanDecide reports whether user may decide on the request now, from the
// current catalog: never the requester; otherwise an approver for every asset.
func (s *Service) CanDecide(r Request, user string) bool {
	return user != r.Requester && s.view().canApproveAll(user, r.Assets)
}

// Store returns the store the service works on.
func (s *Service) Store() Store { return s.store }

func (s *Service) clock() time.Time { return s.now().UTC() }

func newAudit(at time.Time, actor, action, subject string, before, after any, detail string) AuditEntry {
	e := AuditEntry{ID: uuid.NewString(), At: at, Actor: actor, Action: action, Subject: subject, Detail: detail}
	if before != nil {
		e.Before = snapshot(before)
	}
	if after != nil {
		e.After = snapshot(after)
	}
	return e
}

// refuse records a refused attempt (no state changes) and returns err. The
// audit write is best effort: the refusal stands even if it fails.
func (s *Service) refuse(ctx context.Context, actor, action, subject string, err error) error {
	e := newAudit(s.clock(), actor, action, subject, nil, nil, err.Error())
	if aerr := s.store.AppendAudit(ctx, e); aerr != nil {
		s.cfg.Logger.WarnContext(ctx, "recording refused action", "action", action, "subject", subject, "actor", actor, "err", aerr)
	}
	return err
}

func trimmedLen(s string) int { return len([]rune(strings.TrimSpace(s))) }
