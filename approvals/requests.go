package approvals

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/steward-dev/steward/policy"
)

// NewRequest is what a person asks for.
type NewRequest struct {
	Requester      string
	Assets         []string
	Query          string
	Action         policy.Action // empty: read
	Duration       time.Duration // 0: the configured default
	Standing       bool          // no end date; needs Config.AllowStanding
	Reason         string
	ExtendsRequest string
}

// SubmitResult says what happened to a request: covered at once by policies,
// or pending with its approvers.
type SubmitResult struct {
	// Request is the stored pending request; when Covered it is the validated
	// ask, not stored (no card is needed): its ID and State are empty.
	Request   Request
	Covered   bool
	CoveredBy []string // policy ids that already allow everything asked
}

// Submit validates and stores a request, or answers at once when policies cover it.
func (s *Service) Submit(ctx context.Context, nr NewRequest) (SubmitResult, error) {
	v, err := s.catalogView()
	if err != nil {
		return SubmitResult{}, fmt.Errorf("submitting request: %w", err)
	}
	now := s.clock()
	r, err := s.validateNew(ctx, v, nr)
	if err != nil {
		return SubmitResult{}, fmt.Errorf("submitting request: %w", err)
	}
	r.CreatedAt, r.UpdatedAt = now, now

	policies, err := s.policiesInForce(ctx, v, now)
	if err != nil {
		return SubmitResult{}, fmt.Errorf("submitting request: %w", err)
	}
	if len(policies) > 0 {
		ev, err := policy.NewEvaluator(v.cat, policies)
		if err != nil {
			return SubmitResult{}, fmt.Errorf("submitting request: checking saved policies: %w", err)
		}
		coveredBy, denies := coverage(ev, r)
		if len(denies) > 0 {
			return SubmitResult{}, fmt.Errorf("submitting request: %w: %s", ErrDeniedByPolicy, strings.Join(denies, "; "))
		}
		if coveredBy != nil {
			e := newAudit(now, r.Requester, "request.covered", "user/"+r.Requester, nil, r,
				"already allowed by "+strings.Join(coveredBy, ", "))
			if err := s.store.AppendAudit(ctx, e); err != nil {
				return SubmitResult{}, fmt.Errorf("submitting request: recording that policies cover it: %w", err)
			}
			return SubmitResult{Request: r, Covered: true, CoveredBy: coveredBy}, nil
		}
	}

	r.ID, r.State = uuid.NewString(), StatePending
	r.Approvers = slices.DeleteFunc(v.approvers(r.Assets), func(u string) bool { return u == r.Requester })
	r.RequiredApprovals = s.quorum(v, r.Assets)
	if len(r.Approvers) == 0 {
		return SubmitResult{}, fmt.Errorf("submitting request: %w: nobody other than %s is an approver for all of %s (owners decide on their own assets, governance group %q on any); ask for assets with different owners separately",
			ErrNoApprover, r.Requester, strings.Join(r.Assets, ", "), s.cfg.GovernanceGroup)
	}
	if len(r.Approvers) < r.RequiredApprovals {
		return SubmitResult{}, fmt.Errorf("submitting request: %w: it needs %d approvals but only %d people can approve it (%s)",
			ErrNoApprover, r.RequiredApprovals, len(r.Approvers), strings.Join(r.Approvers, ", "))
	}
	if err := s.store.CreateRequest(ctx, r, newAudit(now, r.Requester, "request.created", "request/"+r.ID, nil, r, "")); err != nil {
		return SubmitResult{}, fmt.Errorf("submitting request: storing it: %w", err)
	}
	return SubmitResult{Request: r}, nil
}

// coverage returns the allow policies that together cover every asset of r
// (nil if some asset is not covered) and the deny policies that forbid any of it.
func coverage(ev *policy.Evaluator, r Request) (coveredBy, denies []string) {
	all := true
	seen := map[string]bool{}
	for _, a := range r.Assets {
		ex := ev.Explain(r.Requester, a, r.Action)
		for _, d := range ex.Denies {
			name := d.PolicyID
			if d.PolicyName != "" {
				name = fmt.Sprintf("%s (%s)", d.PolicyID, d.PolicyName)
			}
			denies = append(denies, fmt.Sprintf("policy %s forbids %s on %s", name, r.Action, a))
		}
		if !ex.Allowed {
			all = false
			continue
		}
		for _, al := range ex.Allows {
			if !seen[al.PolicyID] {
				seen[al.PolicyID] = true
				coveredBy = append(coveredBy, al.PolicyID)
			}
		}
	}
	if !all || len(coveredBy) == 0 {
		return nil, denies
	}
	slices.Sort(coveredBy)
	return coveredBy, denies
}

// validateNew checks a new request against the catalog and the settings and
// returns it normalised. Every problem is reported at once.
func (s *Service) validateNew(ctx context.Context, v *catalogView, nr NewRequest) (Request, error) {
	var probs []string
	if _, ok := v.user(nr.Requester); !ok {
		probs = append(probs, fmt.Sprintf("requester %q is not a user in the catalog", nr.Requester))
	}
	r := Request{Requester: nr.Requester, Query: strings.TrimSpace(nr.Query), Reason: strings.TrimSpace(nr.Reason), ExtendsRequest: nr.ExtendsRequest}

	switch nr.Action {
	case "", policy.Read:
		r.Action = policy.Read
	case policy.Write:
		r.Action = policy.Write
	default:
		probs = append(probs, fmt.Sprintf("action %q is not read or write", nr.Action))
	}

	if len(nr.Assets) == 0 {
		probs = append(probs, "no assets: name at least one table")
	}
	if len(nr.Assets) > s.cfg.MaxAssets {
		probs = append(probs, fmt.Sprintf("%d assets is more than the %d one request may name", len(nr.Assets), s.cfg.MaxAssets))
	}
	seen := map[string]bool{}
	var unknown, dups []string
	for _, a := range nr.Assets {
		a = strings.TrimSpace(a)
		if seen[a] {
			dups = append(dups, a)
			continue
		}
		seen[a] = true
		if _, ok := v.asset(a); !ok {
			unknown = append(unknown, a)
		}
		r.Assets = append(r.Assets, a)
	}
	if len(unknown) > 0 {
		probs = append(probs, fmt.Sprintf("unknown assets: %s", strings.Join(unknown, ", ")))
	}
	if len(dups) > 0 {
		probs = append(probs, fmt.Sprintf("assets named more than once: %s", strings.Join(dups, ", ")))
	}

	switch {
	case nr.Standing && !s.cfg.AllowStanding:
		probs = append(probs, fmt.Sprintf("standing access is not requestable here; ask for at most %s or ask governance for a policy", humanDuration(s.cfg.MaxDuration)))
	case nr.Standing:
		r.Duration = 0
	case nr.Duration < 0:
		probs = append(probs, fmt.Sprintf("duration %s is negative", nr.Duration))
	case nr.Duration == 0:
		r.Duration = s.cfg.DefaultDuration
	case nr.Duration > s.cfg.MaxDuration:
		probs = append(probs, fmt.Sprintf("duration %s is longer than the maximum of %s", humanDuration(nr.Duration), humanDuration(s.cfg.MaxDuration)))
	default:
		r.Duration = nr.Duration
	}

	switch n := trimmedLen(nr.Reason); {
	case n == 0:
		probs = append(probs, "a reason is required: say why you need the access")
	case n > s.cfg.MaxReasonLength:
		probs = append(probs, fmt.Sprintf("the reason is %d characters; at most %d are allowed", n, s.cfg.MaxReasonLength))
	}
	if n := trimmedLen(nr.Query); n > maxCommentLength {
		probs = append(probs, fmt.Sprintf("the query text is %d characters; at most %d are allowed", n, maxCommentLength))
	}

	if nr.ExtendsRequest != "" && len(probs) == 0 {
		orig, err := s.store.GetRequest(ctx, nr.ExtendsRequest)
		switch {
		case errors.Is(err, ErrNotFound):
			probs = append(probs, fmt.Sprintf("request %s to extend does not exist", nr.ExtendsRequest))
		case err != nil:
			return Request{}, fmt.Errorf("reading request %s to extend: %w", nr.ExtendsRequest, err)
		case orig.State != StateApproved:
			probs = append(probs, fmt.Sprintf("request %s is %s; only approved access can be extended (submit a new request instead)", orig.ID, orig.State))
		case orig.Requester != r.Requester:
			probs = append(probs, fmt.Sprintf("request %s belongs to %s; only they can extend it", orig.ID, orig.Requester))
		case orig.Action != r.Action || !sameSet(orig.Assets, r.Assets):
			probs = append(probs, fmt.Sprintf("an extension must ask for the same assets and action as request %s", orig.ID))
		}
	}
	if len(probs) > 0 {
		return Request{}, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(probs, "; "))
	}
	return r, nil
}

// quorum is the most approvals any rule asks for the assets' tags (at least 1).
func (s *Service) quorum(v *catalogView, assets []string) int {
	n := 1
	for _, a := range assets {
		for _, t := range v.cat.AssetTags(a) {
			for _, rule := range s.cfg.Rules {
				if t == rule.Tag || strings.HasPrefix(t, rule.Tag+".") {
					n = max(n, rule.Approvals)
				}
			}
		}
	}
	return n
}

// Decide records one review, authorised from the catalog and store at call
// time: the reviewer must be an approver (owner or governance member) for every
// asset in the request as the catalog says now, must not be the requester, and
// must have been routed the request. Refusals change nothing and are audited as
// request.review_refused. A request decided already yields *DecidedError.
func (s *Service) Decide(ctx context.Context, requestID, reviewer string, verdict Verdict, comment string) (Decision, error) {
	v, err := s.catalogView()
	if err != nil {
		return Decision{}, fmt.Errorf("deciding request %s: %w", requestID, err)
	}
	if verdict != Approve && verdict != Reject {
		return Decision{}, fmt.Errorf("deciding request %s: %w: verdict %q is not approve or deny", requestID, ErrInvalid, verdict)
	}
	comment = strings.TrimSpace(comment)
	if n := len([]rune(comment)); n > maxCommentLength {
		return Decision{}, fmt.Errorf("deciding request %s: %w: the comment is %d characters; at most %d are allowed", requestID, ErrInvalid, n, maxCommentLength)
	}
	defer s.lockRequest(requestID)()
	r, err := s.store.GetRequest(ctx, requestID)
	if err != nil {
		return Decision{}, fmt.Errorf("deciding request %s: %w", requestID, err)
	}
	subject := "request/" + requestID
	switch {
	case reviewer == r.Requester:
		return Decision{}, s.refuse(ctx, reviewer, "request.review_refused", subject,
			fmt.Errorf("deciding request %s: %w", requestID, ErrSelfApproval))
	case !v.canApproveAll(reviewer, r.Assets):
		return Decision{}, s.refuse(ctx, reviewer, "request.review_refused", subject,
			fmt.Errorf("deciding request %s: %w: %s is neither the owner of every asset (%s) nor in the governance group %q",
				requestID, ErrNotApprover, reviewer, strings.Join(r.Assets, ", "), s.cfg.GovernanceGroup))
	}
	// Answer repeats from the read; only a live question reaches the
	// compare-and-set (which re-checks all of this in its transaction).
	if r.State != StatePending {
		return Decision{}, fmt.Errorf("deciding request %s: %w", requestID, &DecidedError{RequestID: r.ID, State: r.State, By: r.DecidedBy, At: r.DecidedAt})
	}
	for _, prev := range r.Reviews {
		if prev.Reviewer == reviewer {
			return Decision{}, fmt.Errorf("deciding request %s: %w: %s at %s", requestID, ErrAlreadyReviewed, reviewer, prev.At.UTC().Format("2006-01-02 15:04:05Z"))
		}
	}
	d, err := s.store.Decide(ctx, requestID, Review{Reviewer: reviewer, Verdict: verdict, Comment: comment, At: s.clock()})
	if err != nil {
		if errors.Is(err, ErrNotApprover) || errors.Is(err, ErrSelfApproval) {
			return Decision{}, s.refuse(ctx, reviewer, "request.review_refused", subject, fmt.Errorf("deciding request %s: %w", requestID, err))
		}
		return Decision{}, fmt.Errorf("deciding request %s: %w", requestID, err)
	}
	return d, nil
}

// Cancel withdraws a pending request; only its requester may.
func (s *Service) Cancel(ctx context.Context, requestID, actor string) (Request, error) {
	r, err := s.store.GetRequest(ctx, requestID)
	if err != nil {
		return Request{}, fmt.Errorf("cancelling request %s: %w", requestID, err)
	}
	if actor != r.Requester {
		return Request{}, s.refuse(ctx, actor, "request.cancel_refused", "request/"+requestID,
			fmt.Errorf("cancelling request %s: %w: only the requester %s may cancel it", requestID, ErrForbidden, r.Requester))
	}
	return s.transition(ctx, r, []RequestState{StatePending}, StateCancelled, actor, "request.cancelled")
}

// transition moves r to state to with its audit entry (compare-and-set on from).
func (s *Service) transition(ctx context.Context, r Request, from []RequestState, to RequestState, actor, action string) (Request, error) {
	now := s.clock()
	after := r
	after.State, after.UpdatedAt = to, now
	out, err := s.store.TransitionRequest(ctx, r.ID, from, to, actor, now, newAudit(now, actor, action, "request/"+r.ID, r, after, ""))
	if err != nil {
		return Request{}, fmt.Errorf("moving request %s to %s: %w", r.ID, to, err)
	}
	return out, nil
}

// Revoke ends an approved request's grants early; the requester or an approver may.
// Revoking a request already revoked finishes ending any grant left active.
func (s *Service) Revoke(ctx context.Context, requestID, actor string) (Request, error) {
	r, err := s.store.GetRequest(ctx, requestID)
	if err != nil {
		return Request{}, fmt.Errorf("revoking request %s: %w", requestID, err)
	}
	v := s.view()
	if actor != r.Requester && !slices.Contains(r.Approvers, actor) && !v.canApproveAll(actor, r.Assets) {
		return Request{}, s.refuse(ctx, actor, "request.revoke_refused", "request/"+requestID,
			fmt.Errorf("revoking request %s: %w: only the requester or an approver may revoke it", requestID, ErrForbidden))
	}
	switch r.State {
	case StateApproved:
		// The request moves first: it is the compare-and-set that decides between
		// a revoke and an expiry racing, and DesiredGrants drops the grants of a
		// request that is no longer approved even before they are ended.
		if r, err = s.transition(ctx, r, []RequestState{StateApproved}, StateRevoked, actor, "request.revoked"); err != nil {
			return Request{}, fmt.Errorf("revoking request %s: %w", requestID, err)
		}
	case StateRevoked:
	default:
		return Request{}, fmt.Errorf("revoking request %s: %w", requestID, &StateError{Subject: "request/" + requestID, Have: string(r.State), Want: []string{string(StateApproved)}})
	}
	if _, err := s.endGrants(ctx, requestID, GrantRevoked, actor); err != nil {
		return r, fmt.Errorf("revoking request %s: %w", requestID, err)
	}
	return r, nil
}

// endGrants ends every active grant of a request; grants another replica ended
// meanwhile are skipped.
func (s *Service) endGrants(ctx context.Context, requestID string, to GrantState, actor string) ([]Grant, error) {
	gs, err := s.store.ListGrants(ctx, GrantFilter{RequestID: requestID, State: GrantActive})
	if err != nil {
		return nil, fmt.Errorf("listing grants: %w", err)
	}
	var ended []Grant
	var errs []error
	for _, g := range gs {
		eg, err := s.endGrant(ctx, g, to, actor)
		switch {
		case errors.Is(err, ErrNotActive):
		case err != nil:
			errs = append(errs, err)
		default:
			ended = append(ended, eg)
		}
	}
	return ended, errors.Join(errs...)
}

func (s *Service) endGrant(ctx context.Context, g Grant, to GrantState, actor string) (Grant, error) {
	now := s.clock()
	after := g
	after.State, after.EndedAt, after.EndedBy = to, now, actor
	eg, err := s.store.EndGrant(ctx, g.ID, to, actor, now, newAudit(now, actor, "grant."+string(to), "grant/"+g.ID, g, after, ""))
	if err != nil {
		return Grant{}, fmt.Errorf("ending grant %s: %w", g.ID, err)
	}
	return eg, nil
}

// Extend asks for more time on an approved request: a new request for the same
// assets and action, linked to it, that goes through approval again (or is
// answered at once when policies now cover it). Only the requester may.
func (s *Service) Extend(ctx context.Context, requestID, actor string, duration time.Duration, reason string) (SubmitResult, error) {
	orig, err := s.store.GetRequest(ctx, requestID)
	if err != nil {
		return SubmitResult{}, fmt.Errorf("extending request %s: %w", requestID, err)
	}
	if actor != orig.Requester {
		return SubmitResult{}, s.refuse(ctx, actor, "request.extend_refused", "request/"+requestID,
			fmt.Errorf("extending request %s: %w: only the requester %s may extend it", requestID, ErrForbidden, orig.Requester))
	}
	if strings.TrimSpace(reason) == "" {
		reason = "extension of request " + orig.ID + ": " + orig.Reason
		if r := []rune(reason); len(r) > s.cfg.MaxReasonLength {
			reason = string(r[:s.cfg.MaxReasonLength])
		}
	}
	res, err := s.Submit(ctx, NewRequest{
		Requester: actor, Assets: orig.Assets, Query: orig.Query, Action: orig.Action,
		Duration: duration, Reason: reason, ExtendsRequest: orig.ID,
	})
	if err != nil {
		return SubmitResult{}, fmt.Errorf("extending request %s: %w", requestID, err)
	}
	return res, nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// humanDuration writes whole days as days ("90 days"), otherwise Go's form.
func humanDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return d.String()
}
