package firestore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	fs "cloud.google.com/go/firestore"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

func versionID(v int64) string { return fmt.Sprintf("%010d", v) }

func (s *Store) policyRef(id string) *fs.DocumentRef { return s.doc(colPolicies, id) }

// SavePolicy stores p as the next version of its id, with its audit entry.
func (s *Store) SavePolicy(ctx context.Context, p policy.Policy, audit approvals.AuditEntry) (policy.Policy, error) {
	what := "saving policy " + p.ID
	if err := validatePolicy(p); err != nil {
		return policy.Policy{}, fmt.Errorf("%s: %w", what, err)
	}
	now := time.Now().UTC()
	audit, err := s.prepareAudit(audit, now)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("%s: %w", what, err)
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	p.CreatedAt = p.CreatedAt.UTC()
	head := s.policyRef(p.ID)
	var saved policy.Policy
	err = s.cas(ctx, what, []*fs.DocumentRef{head}, nil, func(snaps, _ []*fs.DocumentSnapshot, pl *plan) error {
		var cur policyHeadDoc
		if _, err := decodeSnap(snaps[0], &cur); err != nil {
			return err
		}
		p.Version = int(cur.LatestVersion) + 1
		d := toPolicyDoc(p)
		pl.create(head.Collection(colVersions).Doc(versionID(d.Version)), d)
		pl.replace(snaps[0], policyHeadDoc{policyDoc: d, LatestVersion: d.Version})
		s.audit(pl, audit, now)
		saved = p
		return nil
	})
	if err != nil {
		return policy.Policy{}, err
	}
	return saved, nil
}

// GetPolicy returns the latest version of a policy in force.
func (s *Store) GetPolicy(ctx context.Context, id string) (policy.Policy, error) {
	what := "getting policy " + id
	if err := checkID("policy id", id); err != nil {
		return policy.Policy{}, fmt.Errorf("%s: %w", what, err)
	}
	var d policyHeadDoc
	ok, err := s.get(ctx, what, s.policyRef(id), &d)
	if err != nil {
		return policy.Policy{}, err
	}
	if !ok || d.Retired {
		return policy.Policy{}, fmt.Errorf("%s: %w", what, approvals.ErrNotFound)
	}
	return d.policy(), nil
}

// PolicyHistory returns every version of a policy, oldest first, retired or not.
func (s *Store) PolicyHistory(ctx context.Context, id string) ([]policy.Policy, error) {
	what := "listing the history of policy " + id
	if err := checkID("policy id", id); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	q := s.policyRef(id).Collection(colVersions).OrderBy("version", fs.Asc)
	out, err := queryAll(ctx, s, what, q, policyDoc.policy)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", what, approvals.ErrNotFound)
	}
	return out, nil
}

// ListPolicies returns the latest version of every policy in force, by id.
func (s *Store) ListPolicies(ctx context.Context) ([]policy.Policy, error) {
	q := s.client.Collection(colPolicies).Where("retired", "==", false)
	out, err := queryAll(ctx, s, "listing policies", q, policyHeadDoc.policy)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b policy.Policy) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// RetirePolicy takes a policy out of force, keeping its history.
func (s *Store) RetirePolicy(ctx context.Context, id string, audit approvals.AuditEntry) error {
	what := "retiring policy " + id
	if err := checkID("policy id", id); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	now := time.Now().UTC()
	audit, err := s.prepareAudit(audit, now)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	head := s.policyRef(id)
	return s.cas(ctx, what, []*fs.DocumentRef{head}, nil, func(snaps, _ []*fs.DocumentSnapshot, p *plan) error {
		var cur policyHeadDoc
		ok, err := decodeSnap(snaps[0], &cur)
		if err != nil {
			return err
		}
		if !ok || cur.Retired {
			return approvals.ErrNotFound
		}
		cur.Retired, cur.RetiredAt, cur.RetiredNS = true, stamp(audit.At), nanos(audit.At)
		p.replace(snaps[0], cur)
		s.audit(p, audit, now)
		return nil
	})
}
