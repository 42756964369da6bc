package firestore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	fs "cloud.google.com/go/firestore"

	"github.com/steward-dev/steward/approvals"
)

func validRecertState(s approvals.RecertState) bool {
	switch s {
	case approvals.RecertOpen, approvals.RecertKept, approvals.RecertRevoked, approvals.RecertEscalated:
		return true
	}
	return false
}

func validateRecert(item approvals.RecertItem) error {
	if err := checkID("recertification id", item.ID); err != nil {
		return err
	}
	where := "recertification " + item.ID
	if item.GrantID == "" || len(item.GrantID) > 2*maxIDLen+1 {
		return invalid("%s: grant id %q is empty or too long", where, item.GrantID)
	}
	if err := checkID(where+": approver", item.Approver); err != nil {
		return err
	}
	if !validRecertState(item.State) {
		return invalid("%s: state %q is not open, kept, revoked or escalated", where, item.State)
	}
	switch item.Recommendation {
	case "", "keep", "revoke":
	default:
		return invalid("%s: recommendation %q is not keep or revoke", where, item.Recommendation)
	}
	if err := checkText(where+": why", item.Why, maxTextLen); err != nil {
		return err
	}
	for _, t := range []time.Time{item.CreatedAt, item.DueAt, item.DecidedAt} {
		if err := checkTime(where+": time", t); err != nil {
			return err
		}
	}
	return checkSize(where, item, maxRecordBytes)
}

// CreateRecert stores a new recertification item with its audit entry.
func (s *Store) CreateRecert(ctx context.Context, item approvals.RecertItem, audit approvals.AuditEntry) error {
	what := "creating recertification " + item.ID
	now := time.Now().UTC()
	if item.State == "" {
		item.State = approvals.RecertOpen
	}
	if item.CreatedAt.IsZero() {
		item.CreatedAt = now
	}
	if err := validateRecert(item); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return s.createWithAudit(ctx, what, "recertification "+item.ID, s.doc(colRecerts, item.ID), toRecertDoc(item), audit, now)
}

// ListRecerts returns matching items, oldest first.
func (s *Store) ListRecerts(ctx context.Context, f approvals.RecertFilter) ([]approvals.RecertItem, error) {
	q := s.client.Collection(colRecerts).Query
	if f.State != "" {
		q = q.Where("state", "==", string(f.State))
	}
	if f.Approver != "" {
		q = q.Where("approver", "==", f.Approver)
	}
	if f.GrantID != "" {
		q = q.Where("grant_id", "==", f.GrantID)
	}
	out, err := queryAll(ctx, s, "listing recertifications", q, recertDoc.item)
	if err != nil {
		return nil, err
	}
	sortOldestFirst(out, func(it approvals.RecertItem) (time.Time, string) { return it.CreatedAt, it.ID })
	return out, nil
}

// UpdateRecert replaces an item whose stored state is from.
func (s *Store) UpdateRecert(ctx context.Context, item approvals.RecertItem, from approvals.RecertState, audit approvals.AuditEntry) error {
	what := fmt.Sprintf("updating recertification %s to %s", item.ID, item.State)
	if err := validateRecert(item); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !validRecertState(from) {
		return fmt.Errorf("%s: %w", what, invalid("expected state %q is not open, kept, revoked or escalated", from))
	}
	now := time.Now().UTC()
	audit, err := s.prepareAudit(audit, now)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	ref := s.doc(colRecerts, item.ID)
	return s.cas(ctx, what, []*fs.DocumentRef{ref}, nil, func(snaps, _ []*fs.DocumentSnapshot, p *plan) error {
		var d recertDoc
		ok, err := decodeSnap(snaps[0], &d)
		if err != nil {
			return err
		}
		if !ok {
			return approvals.ErrNotFound
		}
		if d.State != string(from) {
			return &approvals.StateError{Subject: "recertification " + item.ID, Have: d.State, Want: []string{string(from)}}
		}
		p.replace(snaps[0], toRecertDoc(item))
		s.audit(p, audit, now)
		return nil
	})
}

func validateRecommendation(r approvals.Recommendation) error {
	if err := checkID("recommendation id", r.ID); err != nil {
		return err
	}
	where := "recommendation " + r.ID
	switch r.State {
	case approvals.RecommendationOpen, approvals.RecommendationAccepted, approvals.RecommendationDismissed:
	default:
		return invalid("%s: state %q is not open, accepted or dismissed", where, r.State)
	}
	if err := validatePolicy(r.Policy); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if err := checkText(where+": why", r.Why, maxTextLen); err != nil {
		return err
	}
	for i, id := range r.Support {
		if err := checkID(fmt.Sprintf("%s: supporting request %d", where, i+1), id); err != nil {
			return err
		}
	}
	for _, t := range []time.Time{r.CreatedAt, r.DecidedAt} {
		if err := checkTime(where+": time", t); err != nil {
			return err
		}
	}
	return checkSize(where, r, maxRecordBytes)
}

// SaveRecommendation stores a new recommendation with its audit entry;
// ErrConflict if the id exists, whatever its state. Recommend reads that as
// "already proposed", so a proposal is made (and its card posted) once;
// changing an open one is UpdateRecommendation's job.
func (s *Store) SaveRecommendation(ctx context.Context, r approvals.Recommendation, audit approvals.AuditEntry) error {
	what := "saving recommendation " + r.ID
	now := time.Now().UTC()
	if r.State == "" {
		r.State = approvals.RecommendationOpen
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if err := validateRecommendation(r); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return s.createWithAudit(ctx, what, "recommendation "+r.ID, s.doc(colRecommendations, r.ID), toRecommendationDoc(r), audit, now)
}

// ListRecommendations returns recommendations in state (all when empty), oldest first.
func (s *Store) ListRecommendations(ctx context.Context, state approvals.RecommendationState) ([]approvals.Recommendation, error) {
	q := s.client.Collection(colRecommendations).Query
	if state != "" {
		q = q.Where("state", "==", string(state))
	}
	out, err := queryAll(ctx, s, "listing recommendations", q, recommendationDoc.recommendation)
	if err != nil {
		return nil, err
	}
	sortOldestFirst(out, func(r approvals.Recommendation) (time.Time, string) { return r.CreatedAt, r.ID })
	return out, nil
}

// UpdateRecommendation replaces a recommendation that is still open.
func (s *Store) UpdateRecommendation(ctx context.Context, r approvals.Recommendation, audit approvals.AuditEntry) error {
	what := fmt.Sprintf("updating recommendation %s to %s", r.ID, r.State)
	if err := validateRecommendation(r); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	now := time.Now().UTC()
	audit, err := s.prepareAudit(audit, now)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	ref := s.doc(colRecommendations, r.ID)
	return s.cas(ctx, what, []*fs.DocumentRef{ref}, nil, func(snaps, _ []*fs.DocumentSnapshot, p *plan) error {
		var d recommendationDoc
		ok, err := decodeSnap(snaps[0], &d)
		if err != nil {
			return err
		}
		if !ok {
			return approvals.ErrNotFound
		}
		if d.State != string(approvals.RecommendationOpen) {
			return &approvals.StateError{Subject: "recommendation " + r.ID, Have: d.State, Want: []string{string(approvals.RecommendationOpen)}}
		}
		p.replace(snaps[0], toRecommendationDoc(r))
		s.audit(p, audit, now)
		return nil
	})
}

func usageID(user, asset string) string { return docID(user) + "|" + docID(asset) }

// RecordUsage upserts usage by (user, asset); the whole batch or nothing.
func (s *Store) RecordUsage(ctx context.Context, usage []approvals.Usage) error {
	what := fmt.Sprintf("recording usage (%d records)", len(usage))
	if len(usage) == 0 {
		return nil
	}
	for i, u := range usage {
		if err := checkID(fmt.Sprintf("usage %d: user", i+1), u.User); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := checkID(fmt.Sprintf("usage %d: asset", i+1), u.Asset); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if u.QueryCount < 0 {
			return fmt.Errorf("%s: %w", what, invalid("usage %d: query count %d is negative", i+1, u.QueryCount))
		}
		for _, t := range []time.Time{u.LastQueryAt, u.ReportedAt} {
			if err := checkTime(fmt.Sprintf("usage %d: time", i+1), t); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
	}
	// Firestore commits at most 500 writes at once; larger batches are
	// written in chunks, each atomic.
	const chunk = 500
	for start := 0; start < len(usage); start += chunk {
		part := usage[start:min(start+chunk, len(usage))]
		err := s.cas(ctx, what, nil, nil, func(_, _ []*fs.DocumentSnapshot, p *plan) error {
			for _, u := range part {
				p.set(s.client.Collection(colUsage).Doc(usageID(u.User, u.Asset)), toUsageDoc(u))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// GetUsage returns what was last reported for (user, asset).
func (s *Store) GetUsage(ctx context.Context, user, asset string) (approvals.Usage, error) {
	what := fmt.Sprintf("getting usage of %s by %s", asset, user)
	if err := checkID("user", user); err != nil {
		return approvals.Usage{}, fmt.Errorf("%s: %w", what, err)
	}
	if err := checkID("asset", asset); err != nil {
		return approvals.Usage{}, fmt.Errorf("%s: %w", what, err)
	}
	var d usageDoc
	ok, err := s.get(ctx, what, s.client.Collection(colUsage).Doc(usageID(user, asset)), &d)
	if err != nil {
		return approvals.Usage{}, err
	}
	if !ok {
		return approvals.Usage{}, fmt.Errorf("%s: %w", what, approvals.ErrNotFound)
	}
	return d.usage(), nil
}

// SaveWorkspace stores (or replaces) a workspace, bot token included.
func (s *Store) SaveWorkspace(ctx context.Context, w approvals.Workspace) error {
	what := "saving workspace " + w.TeamID
	if err := checkID("team id", w.TeamID); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := checkText("team name", w.TeamName, maxIDLen); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(w.BotToken) > 4*maxIDLen {
		return fmt.Errorf("%s: %w", what, invalid("bot token is %d bytes, more than %d", len(w.BotToken), 4*maxIDLen))
	}
	if err := checkTime("installed at", w.InstalledAt); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", what, errClosed)
	}
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	if _, err := s.doc(colWorkspaces, w.TeamID).Set(cctx, toWorkspaceDoc(w)); err != nil {
		return s.fail(cctx, what, err)
	}
	return nil
}

// GetWorkspace returns a workspace, bot token included.
// ListWorkspaces returns every installed workspace, by team id.
func (s *Store) ListWorkspaces(ctx context.Context) ([]approvals.Workspace, error) {
	out, err := queryAll(ctx, s, "listing workspaces", s.client.Collection(colWorkspaces).Query, workspaceDoc.workspace)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b approvals.Workspace) int { return strings.Compare(a.TeamID, b.TeamID) })
	return out, nil
}

func (s *Store) GetWorkspace(ctx context.Context, teamID string) (approvals.Workspace, error) {
	what := "getting workspace " + teamID
	if err := checkID("team id", teamID); err != nil {
		return approvals.Workspace{}, fmt.Errorf("%s: %w", what, err)
	}
	var d workspaceDoc
	ok, err := s.get(ctx, what, s.doc(colWorkspaces, teamID), &d)
	if err != nil {
		return approvals.Workspace{}, err
	}
	if !ok {
		return approvals.Workspace{}, fmt.Errorf("%s: %w", what, approvals.ErrNotFound)
	}
	return d.workspace(), nil
}
