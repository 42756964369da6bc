package connectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// DesiredSource says what should exist on the platforms at a moment;
// approvals.Service implements it.
type DesiredSource interface {
	DesiredGrants(ctx context.Context, now time.Time) ([]approvals.DesiredGrant, error)
}

// DesiredFunc adapts a function to DesiredSource.
type DesiredFunc func(ctx context.Context, now time.Time) ([]approvals.DesiredGrant, error)

func (f DesiredFunc) DesiredGrants(ctx context.Context, now time.Time) ([]approvals.DesiredGrant, error) {
	return f(ctx, now)
}

// Leases lets one replica at a time reconcile a connector; approvals.Store
// implements it.
type Leases interface {
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// UsageRecorder keeps what platforms report about use of their data.
type UsageRecorder interface {
	RecordUsage(ctx context.Context, usage []approvals.Usage) error
}

// ReconcilerConfig tunes the reconciler; zero values take the defaults.
type ReconcilerConfig struct {
	// Interval between passes (default 15s).
	Interval time.Duration
	// LeaseTTL bounds one connector's pass: the lease is held for this long
	// and the pass is cancelled before it runs out, so a pass never outlives
	// its lease (default 2m).
	LeaseTTL time.Duration
	// Holder names this replica in leases (default hostname-pid-random).
	Holder string
	// MinBackoff and MaxBackoff bound the wait before retrying a connector
	// whose pass failed; it doubles with each failure (defaults 1s, 5m).
	MinBackoff, MaxBackoff time.Duration
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
	// OnApplied is called after a connector applied changes, with those that
	// went through (also after a partly failed apply). It runs inside the
	// pass: it may call Trigger, Status or GrantState, not RunOnce.
	OnApplied func(connector string, applied []Change)
	// Usage, when set, receives the usage connectors discover (query counts
	// per user and table, for recertification), at most every UsageEvery
	// (default 1h) per connector, after a pass that converged.
	// approvals.Store implements it.
	Usage      UsageRecorder
	UsageEvery time.Duration
	// Registerer, when set, receives Prometheus metrics
	// (steward_reconcile_*: passes, changes applied, pending changes, pass
	// duration, last success).
	Registerer prometheus.Registerer
}

// Connector pass states shown in Status.
const (
	StateIdle      = "idle"       // never ran
	StateApplying  = "applying"   // a pass is running
	StateApplied   = "applied"    // the last pass converged
	StateFailed    = "failed"     // the last pass failed; a retry is scheduled
	StateLeaseHeld = "lease_held" // another replica holds the lease
)

// Status is what the reconciler knows about one connector.
type Status struct {
	Connector string `json:"connector"`
	State     string `json:"state"`
	// LastRun is when the last pass started; LastSuccess when the last pass
	// that converged started (every grant desired at that moment, and not
	// skipped, exists on the platform).
	LastRun     time.Time `json:"last_run,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	Failures    int       `json:"failures"` // consecutive
	NextRetry   time.Time `json:"next_retry,omitzero"`
	// Pending are changes planned and not (yet) applied.
	Pending []Change  `json:"pending,omitempty"`
	Skipped []Skipped `json:"skipped,omitempty"`
	// Applied counts changes applied by the last pass.
	Applied int `json:"applied"`
	// LastUsage is when usage was last recorded from this connector.
	LastUsage time.Time `json:"last_usage,omitzero"`
}

// Result is what one pass did on one connector.
type Result struct {
	Connector string
	Plan      Plan
	Applied   []Change
	LeaseHeld bool // another replica is reconciling this connector
	Err       error
}

// Reconciler brings every connector's platform in line with the desired
// grants: desired state is recomputed from the source on each pass, so a
// failed or interrupted apply is never replayed from memory, only re-planned
// against what the platform really holds. Nothing is lost and nothing is
// applied twice.
type Reconciler struct {
	src      DesiredSource
	leases   Leases
	conns    []Connector
	platform atomic.Pointer[map[string]string] // asset id -> platform, from the catalog
	cfg      ReconcilerConfig
	log      *slog.Logger
	trigger  chan struct{}
	metrics  *metrics

	pass sync.Mutex // one pass at a time in this process

	mu     sync.Mutex
	status map[string]*Status
}

// NewReconciler builds a reconciler. leases may be nil for a single process
// that is sure to be alone (tests, a one-off CLI run without a store).
func NewReconciler(src DesiredSource, cat *policy.Catalog, leases Leases, conns []Connector, cfg ReconcilerConfig) (*Reconciler, error) {
	if src == nil {
		return nil, errors.New("reconciler: no desired-state source")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 15 * time.Second
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 2 * time.Minute
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(5*time.Minute, cfg.MinBackoff)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.UsageEvery <= 0 {
		cfg.UsageEvery = time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Holder == "" {
		host, _ := os.Hostname()
		cfg.Holder = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), uuid.NewString()[:8])
	}
	r := &Reconciler{
		src: src, leases: leases, conns: conns, cfg: cfg,
		log:     cfg.Logger.With("component", "reconciler"),
		trigger: make(chan struct{}, 1),
		status:  map[string]*Status{},
	}
	var err error
	if r.metrics, err = newMetrics(cfg.Registerer); err != nil {
		return nil, fmt.Errorf("reconciler: registering metrics: %w", err)
	}
	seen := map[string]bool{}
	for _, c := range conns {
		if seen[c.Name()] {
			return nil, fmt.Errorf("reconciler: two connectors named %q", c.Name())
		}
		seen[c.Name()] = true
		r.status[c.Name()] = &Status{Connector: c.Name(), State: StateIdle}
	}
	r.setPlatforms(cat)
	return r, nil
}

// CatalogUser is a connector that keeps what it needs of the catalog and
// takes a new one when the file is reloaded.
type CatalogUser interface {
	SetCatalog(cat *policy.Catalog)
}

// SetCatalog replaces the catalog here and in every connector that keeps
// one. A pass already running finishes with the catalog it started with.
func (r *Reconciler) SetCatalog(cat *policy.Catalog) {
	r.setPlatforms(cat)
	for _, c := range r.conns {
		if cu, ok := c.(CatalogUser); ok {
			cu.SetCatalog(cat)
		}
	}
}

func (r *Reconciler) setPlatforms(cat *policy.Catalog) {
	m := map[string]string{}
	if cat != nil {
		for _, a := range cat.Assets {
			m[a.ID] = a.Platform
		}
	}
	r.platform.Store(&m)
}

func (r *Reconciler) platforms() map[string]string { return *r.platform.Load() }

// Trigger asks for a pass as soon as possible (after a decision, say).
// Triggers that arrive while one is waiting are coalesced into it.
func (r *Reconciler) Trigger() {
	select {
	case r.trigger <- struct{}{}:
	default:
	}
}

// Run reconciles now, then every Interval and on Trigger, until ctx ends.
// Connectors whose last pass failed wait out their backoff.
func (r *Reconciler) Run(ctx context.Context) error {
	for {
		r.runPass(ctx, false)
		wait := r.cfg.Interval
		now := r.cfg.Now()
		for _, s := range r.Status() {
			if !s.NextRetry.IsZero() {
				wait = min(wait, max(s.NextRetry.Sub(now), 10*time.Millisecond))
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		case <-r.trigger:
			t.Stop()
		}
	}
}

// RunOnce makes one pass over every connector, ignoring backoff. The error
// joins every connector's failure; Results say what each one did.
func (r *Reconciler) RunOnce(ctx context.Context) ([]Result, error) {
	res := r.runPass(ctx, true)
	var errs []error
	for _, x := range res {
		if x.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", x.Connector, x.Err))
		}
	}
	return res, errors.Join(errs...)
}

// DryRun plans every connector without changing anything or taking leases.
func (r *Reconciler) DryRun(ctx context.Context) ([]Plan, error) {
	now := r.cfg.Now()
	desired, err := r.src.DesiredGrants(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("computing desired grants: %w", err)
	}
	var plans []Plan
	var errs []error
	for _, c := range r.conns {
		p, err := c.Plan(ctx, r.forConnector(c, desired, now))
		if err != nil {
			errs = append(errs, fmt.Errorf("planning %s: %w", c.Name(), err))
			continue
		}
		plans = append(plans, p)
	}
	return plans, errors.Join(errs...)
}

// Status reports every connector, by name.
func (r *Reconciler) Status() []Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Status, 0, len(r.status))
	for _, s := range r.status {
		c := *s
		c.Pending = append([]Change(nil), s.Pending...)
		c.Skipped = append([]Skipped(nil), s.Skipped...)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Connector < out[j].Connector })
	return out
}

// Grant states for GrantState.
const (
	GrantApplying = "applying"
	GrantApplied  = "applied"
	GrantSkipped  = "skipped"
	GrantNoTarget = "no_connector" // no connector serves the asset's platform
)

// GrantState says whether a grant desired since `since` (e.g. the decision
// time) is on its platform yet: applied once a pass that started after since
// converged; skipped (with the reason) when the connector cannot carry
// it out; applying otherwise.
func (r *Reconciler) GrantState(user, asset string, since time.Time) (state, detail string) {
	platform := r.platforms()[asset]
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		if c.Platform() != platform {
			continue
		}
		s := r.status[c.Name()]
		if !s.LastSuccess.After(since) {
			return GrantApplying, s.LastError
		}
		for _, sk := range s.Skipped {
			if sk.Grant.User == user && sk.Grant.Asset == asset {
				return GrantSkipped, sk.Reason
			}
		}
		return GrantApplied, ""
	}
	return GrantNoTarget, fmt.Sprintf("no connector serves platform %q", platform)
}

// RequestState folds GrantState over an approved request's assets, from
// the moment it was decided: applying while any asset is, skipped when any
// asset cannot be granted (the details say which and why), applied when
// every asset is on its platform.
func (r *Reconciler) RequestState(req approvals.Request) (state, detail string) {
	var applying, skipped []string
	for _, a := range req.Assets {
		st, why := r.GrantState(req.Requester, a, req.DecidedAt)
		switch st {
		case GrantApplying:
			applying = append(applying, a)
			if why != "" {
				detail = why
			}
		case GrantSkipped, GrantNoTarget:
			skipped = append(skipped, a+": "+why)
		}
	}
	switch {
	case len(skipped) > 0:
		return GrantSkipped, strings.Join(skipped, "; ")
	case len(applying) > 0:
		return GrantApplying, detail
	}
	return GrantApplied, ""
}

// forConnector keeps the desired grants on the connector's platform that
// have not expired, once each.
func (r *Reconciler) forConnector(c Connector, desired []approvals.DesiredGrant, now time.Time) []Grant {
	seen := map[Grant]bool{}
	platforms := r.platforms()
	var out []Grant
	for _, d := range desired {
		if platforms[d.Asset] != c.Platform() {
			continue
		}
		if !d.ExpiresAt.IsZero() && !d.ExpiresAt.After(now) {
			continue // belt and braces: an expired grant is never (re)applied
		}
		g := Grant{User: d.User, Asset: d.Asset, Action: d.Action}
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

func (r *Reconciler) backoff(failures int) time.Duration {
	d := r.cfg.MinBackoff
	for i := 1; i < failures && d < r.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.cfg.MaxBackoff)
}

func (r *Reconciler) runPass(ctx context.Context, force bool) []Result {
	r.pass.Lock()
	defer r.pass.Unlock()
	now := r.cfg.Now()
	var due []Connector
	r.mu.Lock()
	for _, c := range r.conns {
		s := r.status[c.Name()]
		if force || s.NextRetry.IsZero() || !now.Before(s.NextRetry) {
			due = append(due, c)
		}
	}
	r.mu.Unlock()
	if len(due) == 0 {
		return nil
	}
	desired, derr := r.src.DesiredGrants(ctx, now)
	if derr != nil {
		derr = fmt.Errorf("computing desired grants: %w", derr)
	}
	results := make([]Result, 0, len(due))
	for _, c := range due {
		if ctx.Err() != nil {
			break
		}
		var res Result
		start := time.Now()
		if derr != nil {
			res = Result{Connector: c.Name(), Err: derr}
		} else {
			res = r.reconcile(ctx, c, r.forConnector(c, desired, now), now)
		}
		if res.Err != nil && ctx.Err() != nil {
			// Shutting down: not a platform failure, and the next start re-plans.
			r.setState(c.Name(), func(s *Status) { s.State = StateIdle })
			break
		}
		st := r.record(res, now)
		r.metrics.observe(st, res, time.Since(start))
		results = append(results, res)
		if len(res.Applied) > 0 && r.cfg.OnApplied != nil {
			r.cfg.OnApplied(c.Name(), res.Applied)
		}
	}
	return results
}

func (r *Reconciler) reconcile(ctx context.Context, c Connector, desired []Grant, now time.Time) Result {
	res := Result{Connector: c.Name()}
	log := r.log.With("connector", c.Name())
	lease := "reconcile:" + c.Name()
	if r.leases != nil {
		ok, err := r.leases.AcquireLease(ctx, lease, r.cfg.Holder, now, r.cfg.LeaseTTL)
		if err != nil {
			res.Err = fmt.Errorf("acquiring lease %s: %w", lease, err)
			return res
		}
		if !ok {
			res.LeaseHeld = true
			log.Debug("another replica holds the lease", "lease", lease)
			return res
		}
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := r.leases.ReleaseLease(rctx, lease, r.cfg.Holder); err != nil {
				log.Warn("releasing lease", "lease", lease, "err", err)
			}
		}()
	}
	// Stop well before the lease runs out, so no other replica can start
	// while this one is still applying.
	ctx, cancel := context.WithTimeout(ctx, r.cfg.LeaseTTL*8/10)
	defer cancel()

	r.setState(c.Name(), func(s *Status) { s.State = StateApplying; s.LastRun = now })
	plan, err := c.Plan(ctx, desired)
	if err != nil {
		res.Err = fmt.Errorf("planning: %w", err)
		return res
	}
	res.Plan = plan
	r.setState(c.Name(), func(s *Status) { s.Pending = plan.Changes; s.Skipped = plan.Skipped })
	for _, sk := range plan.Skipped {
		log.Warn("desired grant skipped", "user", sk.Grant.User, "asset", sk.Grant.Asset, "action", sk.Grant.Action, "reason", sk.Reason)
	}
	if len(plan.Changes) == 0 {
		r.recordUsage(ctx, c, now)
		return res
	}
	start := time.Now()
	err = c.Apply(ctx, plan)
	var ae *ApplyError
	switch {
	case err == nil:
		res.Applied = plan.Changes
	case errors.As(err, &ae):
		failed := map[int]bool{}
		for _, f := range ae.Failed {
			for i, ch := range plan.Changes {
				if !failed[i] && sameChange(ch, f.Change) {
					failed[i] = true
					break
				}
			}
		}
		for i, ch := range plan.Changes {
			if !failed[i] {
				res.Applied = append(res.Applied, ch)
			}
		}
		res.Err = err
	default:
		res.Err = err
	}
	log.Info("applied plan", "changes", len(plan.Changes), "applied", len(res.Applied), "skipped", len(plan.Skipped),
		"took", time.Since(start).Round(time.Millisecond), "err", res.Err)
	if res.Err == nil {
		r.recordUsage(ctx, c, now)
	}
	return res
}

// recordUsage stores what the connector reports about use of the catalog's
// assets, when it is due. Failing to read usage never fails a pass.
func (r *Reconciler) recordUsage(ctx context.Context, c Connector, now time.Time) {
	if r.cfg.Usage == nil {
		return
	}
	r.mu.Lock()
	last := r.status[c.Name()].LastUsage
	r.mu.Unlock()
	if !last.IsZero() && now.Sub(last) < r.cfg.UsageEvery {
		return
	}
	log := r.log.With("connector", c.Name())
	d, err := c.Discover(ctx)
	if err != nil {
		log.Warn("reading usage", "err", err)
		return
	}
	var keep []approvals.Usage
	platforms := r.platforms()
	for _, u := range d.Usage {
		if _, known := platforms[u.Asset]; !known || strings.HasPrefix(u.User, "role:") {
			continue // only catalog assets and users
		}
		u.ReportedAt = now
		keep = append(keep, u)
	}
	if err := r.cfg.Usage.RecordUsage(ctx, keep); err != nil {
		log.Warn("recording usage", "err", err)
		return
	}
	r.setState(c.Name(), func(s *Status) { s.LastUsage = now })
}

func sameChange(a, b Change) bool {
	return a.Op == b.Op && a.Statement == b.Statement && a.Grant == b.Grant
}

func (r *Reconciler) setState(name string, f func(*Status)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r.status[name])
}

func (r *Reconciler) record(res Result, started time.Time) Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status[res.Connector]
	s.Applied = len(res.Applied)
	switch {
	case res.LeaseHeld:
		s.State = StateLeaseHeld
	case res.Err != nil:
		s.State = StateFailed
		s.Failures++
		s.LastError = res.Err.Error()
		wait := r.backoff(s.Failures)
		s.NextRetry = r.cfg.Now().Add(wait)
		if res.Plan.Connector != "" {
			s.Pending = pendingAfter(res.Plan.Changes, res.Applied)
		}
		r.log.Error("reconcile failed; will retry", "connector", res.Connector, "err", res.Err,
			"failures", s.Failures, "retry_in", wait, "pending", len(s.Pending))
	default:
		s.State = StateApplied
		s.Failures = 0
		s.LastError = ""
		s.NextRetry = time.Time{}
		s.LastSuccess = started
		s.Pending = nil
	}
	return *s
}

func pendingAfter(planned, applied []Change) []Change {
	done := map[string]int{}
	for _, c := range applied {
		done[c.Statement]++
	}
	var out []Change
	for _, c := range planned {
		if done[c.Statement] > 0 {
			done[c.Statement]--
			continue
		}
		out = append(out, c)
	}
	return out
}
