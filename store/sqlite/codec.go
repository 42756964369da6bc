package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// nanos stores a time as unix nanoseconds; the zero time is NULL.
func nanos(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

// fromNanos is the inverse of nanos, always in UTC.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// normRequest puts every time of r in UTC, so what is stored is what is read.
func normRequest(r approvals.Request) approvals.Request {
	r.CreatedAt, r.UpdatedAt, r.DecidedAt = utc(r.CreatedAt), utc(r.UpdatedAt), utc(r.DecidedAt)
	if len(r.Reviews) > 0 {
		rvs := make([]approvals.Review, len(r.Reviews))
		for i, rv := range r.Reviews {
			rv.At = utc(rv.At)
			rvs[i] = rv
		}
		r.Reviews = rvs
	}
	return r
}

// storedTerm, storedClause and storedPolicy are the policy as this store
// writes it: its own JSON shape, so a change to the policy package's JSON
// can never make stored policies unreadable. Nil and empty slices are kept
// apart, because [[]] (every user) and [] (nobody) differ.
type storedTerm struct {
	Attribute string   `json:"attribute,omitempty"`
	Values    []string `json:"values,omitempty"`
	Group     string   `json:"group,omitempty"`
	Negate    bool     `json:"negate,omitempty"`
}

type storedClause struct {
	AllTags  []string `json:"all_tags,omitempty"`
	NoneTags []string `json:"none_tags,omitempty"`
	Asset    string   `json:"asset,omitempty"`
}

type storedPolicy struct {
	ID        string         `json:"id"`
	Name      string         `json:"name,omitempty"`
	Sentence  string         `json:"sentence,omitempty"`
	Effect    string         `json:"effect"`
	Action    string         `json:"action,omitempty"`
	Subjects  [][]storedTerm `json:"subjects"`
	Objects   []storedClause `json:"objects"`
	Duration  int64          `json:"duration_ns,omitempty"`
	CreatedBy string         `json:"created_by,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	Version   int            `json:"version,omitempty"`
}

func toStoredPolicy(p policy.Policy) storedPolicy {
	sp := storedPolicy{
		ID: p.ID, Name: p.Name, Sentence: p.Sentence, Effect: string(p.Effect), Action: string(p.Action),
		Duration: int64(p.Duration), CreatedBy: p.CreatedBy, CreatedAt: utc(p.CreatedAt), Version: p.Version,
	}
	if p.Subjects != nil {
		sp.Subjects = make([][]storedTerm, len(p.Subjects))
		for i, clause := range p.Subjects {
			if clause == nil {
				continue
			}
			sp.Subjects[i] = make([]storedTerm, len(clause))
			for j, t := range clause {
				sp.Subjects[i][j] = storedTerm{Attribute: t.Attribute, Values: t.Values, Group: t.Group, Negate: t.Negate}
			}
		}
	}
	if p.Objects != nil {
		sp.Objects = make([]storedClause, len(p.Objects))
		for i, c := range p.Objects {
			sp.Objects[i] = storedClause{AllTags: c.AllTags, NoneTags: c.NoneTags, Asset: c.Asset}
		}
	}
	return sp
}

func (sp storedPolicy) policy() policy.Policy {
	p := policy.Policy{
		ID: sp.ID, Name: sp.Name, Sentence: sp.Sentence, Effect: policy.Effect(sp.Effect), Action: policy.Action(sp.Action),
		Duration: policy.Duration(sp.Duration), CreatedBy: sp.CreatedBy, CreatedAt: utc(sp.CreatedAt), Version: sp.Version,
	}
	if sp.Subjects != nil {
		p.Subjects = make([][]policy.Term, len(sp.Subjects))
		for i, clause := range sp.Subjects {
			p.Subjects[i] = make([]policy.Term, len(clause))
			for j, t := range clause {
				p.Subjects[i][j] = policy.Term{Attribute: t.Attribute, Values: t.Values, Group: t.Group, Negate: t.Negate}
			}
		}
	}
	if sp.Objects != nil {
		p.Objects = make([]policy.Clause, len(sp.Objects))
		for i, c := range sp.Objects {
			p.Objects[i] = policy.Clause{AllTags: c.AllTags, NoneTags: c.NoneTags, Asset: c.Asset}
		}
	}
	return p
}

// storedRecommendation is approvals.Recommendation with its policy in the
// store's own shape.
type storedRecommendation struct {
	ID         string       `json:"id"`
	Policy     storedPolicy `json:"policy"`
	Support    []string     `json:"support"`
	Confidence float64      `json:"confidence"`
	Why        string       `json:"why,omitempty"`
	State      string       `json:"state"`
	CreatedAt  time.Time    `json:"created_at"`
	DecidedBy  string       `json:"decided_by,omitempty"`
	DecidedAt  time.Time    `json:"decided_at"`
}

func toStoredRecommendation(r approvals.Recommendation) storedRecommendation {
	return storedRecommendation{
		ID: r.ID, Policy: toStoredPolicy(r.Policy), Support: r.Support, Confidence: r.Confidence, Why: r.Why,
		State: string(r.State), CreatedAt: utc(r.CreatedAt), DecidedBy: r.DecidedBy, DecidedAt: utc(r.DecidedAt),
	}
}

func (sr storedRecommendation) recommendation() approvals.Recommendation {
	return approvals.Recommendation{
		ID: sr.ID, Policy: sr.Policy.policy(), Support: sr.Support, Confidence: sr.Confidence, Why: sr.Why,
		State: approvals.RecommendationState(sr.State), CreatedAt: utc(sr.CreatedAt), DecidedBy: sr.DecidedBy, DecidedAt: utc(sr.DecidedAt),
	}
}

func encode(what string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, invalid("%s cannot be encoded: %v", what, err)
	}
	return b, nil
}

func decode(what string, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("reading stored %s: %w", what, err)
	}
	return nil
}

// snapshot renders a record as JSON for an audit entry.
func snapshot(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

// auditDefaults fills what the caller left empty in an entry that goes with
// a change, so every change is audited even when the caller passed little.
func auditDefaults(e approvals.AuditEntry, now time.Time, actor, action, subject, before, after string) approvals.AuditEntry {
	if e.ID == "" {
		e.ID = uuid.NewString()
	}
	if e.At.IsZero() {
		e.At = now
	}
	e.At = e.At.UTC()
	if e.Actor == "" {
		e.Actor = actor
	}
	if e.Actor == "" {
		e.Actor = "steward"
	}
	if e.Action == "" {
		e.Action = action
	}
	if e.Subject == "" {
		e.Subject = subject
	}
	if e.Before == "" {
		e.Before = before
	}
	if e.After == "" {
		e.After = after
	}
	return e
}
