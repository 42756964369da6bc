package firestore

import (
	"time"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// The structs below are the stored shape of each record. They are explicit
// (rather than storing the approvals types directly) so that field names are
// stable, times are kept to the nanosecond, and Firestore's rules are met:
// arrays cannot hold arrays, so a policy's subjects are stored as an array
// of {terms: [...]} maps.

type termDoc struct {
	Attribute string   `firestore:"attribute,omitempty"`
	Values    []string `firestore:"values,omitempty"`
	Group     string   `firestore:"group,omitempty"`
	Negate    bool     `firestore:"negate"`
}

type subjectClauseDoc struct {
	Terms []termDoc `firestore:"terms"`
}

type clauseDoc struct {
	AllTags  []string `firestore:"all_tags,omitempty"`
	NoneTags []string `firestore:"none_tags,omitempty"`
	Asset    string   `firestore:"asset,omitempty"`
}

type policyDoc struct {
	ID         string             `firestore:"id"`
	Name       string             `firestore:"name"`
	Sentence   string             `firestore:"sentence"`
	Effect     string             `firestore:"effect"`
	Action     string             `firestore:"action"`
	Subjects   []subjectClauseDoc `firestore:"subjects"`
	Objects    []clauseDoc        `firestore:"objects"`
	DurationNS int64              `firestore:"duration_ns"`
	CreatedBy  string             `firestore:"created_by"`
	CreatedAt  time.Time          `firestore:"created_at,omitempty"`
	CreatedNS  int64              `firestore:"created_ns"`
	Version    int64              `firestore:"version"`
}

// policyHeadDoc is policies/{id}: the latest version and whether it is retired.
type policyHeadDoc struct {
	policyDoc
	LatestVersion int64     `firestore:"latest_version"`
	Retired       bool      `firestore:"retired"`
	RetiredAt     time.Time `firestore:"retired_at,omitempty"`
	RetiredNS     int64     `firestore:"retired_ns"`
}

func toPolicyDoc(p policy.Policy) policyDoc {
	d := policyDoc{
		ID: p.ID, Name: p.Name, Sentence: p.Sentence, Effect: string(p.Effect), Action: string(p.Action),
		DurationNS: int64(p.Duration), CreatedBy: p.CreatedBy,
		CreatedAt: stamp(p.CreatedAt), CreatedNS: nanos(p.CreatedAt), Version: int64(p.Version),
	}
	// nil stays nil (stored as null) and empty stays empty: [] (nobody) and
	// [[]] (every user) must not be confused.
	if p.Subjects != nil {
		d.Subjects = make([]subjectClauseDoc, len(p.Subjects))
		for i, clause := range p.Subjects {
			terms := make([]termDoc, len(clause))
			for j, t := range clause {
				terms[j] = termDoc{Attribute: t.Attribute, Values: t.Values, Group: t.Group, Negate: t.Negate}
			}
			d.Subjects[i] = subjectClauseDoc{Terms: terms}
		}
	}
	if p.Objects != nil {
		d.Objects = make([]clauseDoc, len(p.Objects))
		for i, c := range p.Objects {
			d.Objects[i] = clauseDoc{AllTags: c.AllTags, NoneTags: c.NoneTags, Asset: c.Asset}
		}
	}
	return d
}

func (d policyDoc) policy() policy.Policy {
	p := policy.Policy{
		ID: d.ID, Name: d.Name, Sentence: d.Sentence, Effect: policy.Effect(d.Effect), Action: policy.Action(d.Action),
		Duration: policy.Duration(d.DurationNS), CreatedBy: d.CreatedBy, CreatedAt: fromNanos(d.CreatedNS),
		Version: int(d.Version),
	}
	if d.Subjects != nil {
		p.Subjects = make([][]policy.Term, len(d.Subjects))
		for i, c := range d.Subjects {
			terms := make([]policy.Term, len(c.Terms))
			for j, t := range c.Terms {
				terms[j] = policy.Term{Attribute: t.Attribute, Values: t.Values, Group: t.Group, Negate: t.Negate}
			}
			p.Subjects[i] = terms
		}
	}
	if d.Objects != nil {
		p.Objects = make([]policy.Clause, len(d.Objects))
		for i, c := range d.Objects {
			p.Objects[i] = policy.Clause{AllTags: c.AllTags, NoneTags: c.NoneTags, Asset: c.Asset}
		}
	}
	return p
}

type reviewDoc struct {
	Reviewer string    `firestore:"reviewer"`
	Verdict  string    `firestore:"verdict"`
	Comment  string    `firestore:"comment,omitempty"`
	At       time.Time `firestore:"at,omitempty"`
	AtNS     int64     `firestore:"at_ns"`
}

type requestDoc struct {
	ID                string      `firestore:"id"`
	Requester         string      `firestore:"requester"`
	Assets            []string    `firestore:"assets"`
	Query             string      `firestore:"query,omitempty"`
	Action            string      `firestore:"action"`
	DurationNS        int64       `firestore:"duration_ns"`
	Reason            string      `firestore:"reason"`
	State             string      `firestore:"state"`
	Approvers         []string    `firestore:"approvers"`
	RequiredApprovals int64       `firestore:"required_approvals"`
	Reviews           []reviewDoc `firestore:"reviews"`
	ExtendsRequest    string      `firestore:"extends_request,omitempty"`
	CreatedAt         time.Time   `firestore:"created_at,omitempty"`
	CreatedNS         int64       `firestore:"created_ns"`
	UpdatedAt         time.Time   `firestore:"updated_at,omitempty"`
	UpdatedNS         int64       `firestore:"updated_ns"`
	DecidedBy         string      `firestore:"decided_by,omitempty"`
	DecidedAt         time.Time   `firestore:"decided_at,omitempty"`
	DecidedNS         int64       `firestore:"decided_ns"`
}

func toRequestDoc(r approvals.Request) requestDoc {
	d := requestDoc{
		ID: r.ID, Requester: r.Requester, Assets: r.Assets, Query: r.Query, Action: string(r.Action),
		DurationNS: int64(r.Duration), Reason: r.Reason, State: string(r.State), Approvers: r.Approvers,
		RequiredApprovals: int64(r.RequiredApprovals), ExtendsRequest: r.ExtendsRequest,
		CreatedAt: stamp(r.CreatedAt), CreatedNS: nanos(r.CreatedAt),
		UpdatedAt: stamp(r.UpdatedAt), UpdatedNS: nanos(r.UpdatedAt),
		DecidedBy: r.DecidedBy, DecidedAt: stamp(r.DecidedAt), DecidedNS: nanos(r.DecidedAt),
	}
	for _, rv := range r.Reviews {
		d.Reviews = append(d.Reviews, reviewDoc{Reviewer: rv.Reviewer, Verdict: string(rv.Verdict),
			Comment: rv.Comment, At: stamp(rv.At), AtNS: nanos(rv.At)})
	}
	return d
}

func (d requestDoc) request() approvals.Request {
	r := approvals.Request{
		ID: d.ID, Requester: d.Requester, Assets: d.Assets, Query: d.Query, Action: policy.Action(d.Action),
		Duration: time.Duration(d.DurationNS), Reason: d.Reason, State: approvals.RequestState(d.State),
		Approvers: d.Approvers, RequiredApprovals: int(d.RequiredApprovals), ExtendsRequest: d.ExtendsRequest,
		CreatedAt: fromNanos(d.CreatedNS), UpdatedAt: fromNanos(d.UpdatedNS),
		DecidedBy: d.DecidedBy, DecidedAt: fromNanos(d.DecidedNS),
	}
	for _, rv := range d.Reviews {
		r.Reviews = append(r.Reviews, approvals.Review{Reviewer: rv.Reviewer, Verdict: approvals.Verdict(rv.Verdict),
			Comment: rv.Comment, At: fromNanos(rv.AtNS)})
	}
	return r
}

type grantDoc struct {
	ID        string    `firestore:"id"`
	RequestID string    `firestore:"request_id"`
	User      string    `firestore:"user"`
	Asset     string    `firestore:"asset"`
	Action    string    `firestore:"action"`
	GrantedAt time.Time `firestore:"granted_at,omitempty"`
	GrantedNS int64     `firestore:"granted_ns"`
	ExpiresAt time.Time `firestore:"expires_at,omitempty"`
	ExpiresNS int64     `firestore:"expires_ns"` // 0: standing
	State     string    `firestore:"state"`
	EndedAt   time.Time `firestore:"ended_at,omitempty"`
	EndedNS   int64     `firestore:"ended_ns"`
	EndedBy   string    `firestore:"ended_by,omitempty"`
}

func toGrantDoc(g approvals.Grant) grantDoc {
	return grantDoc{
		ID: g.ID, RequestID: g.RequestID, User: g.User, Asset: g.Asset, Action: string(g.Action),
		GrantedAt: stamp(g.GrantedAt), GrantedNS: nanos(g.GrantedAt),
		ExpiresAt: stamp(g.ExpiresAt), ExpiresNS: nanos(g.ExpiresAt),
		State: string(g.State), EndedAt: stamp(g.EndedAt), EndedNS: nanos(g.EndedAt), EndedBy: g.EndedBy,
	}
}

func (d grantDoc) grant() approvals.Grant {
	return approvals.Grant{
		ID: d.ID, RequestID: d.RequestID, User: d.User, Asset: d.Asset, Action: policy.Action(d.Action),
		GrantedAt: fromNanos(d.GrantedNS), ExpiresAt: fromNanos(d.ExpiresNS),
		State: approvals.GrantState(d.State), EndedAt: fromNanos(d.EndedNS), EndedBy: d.EndedBy,
	}
}

type auditDoc struct {
	ID      string    `firestore:"id"`
	At      time.Time `firestore:"at,omitempty"`
	AtNS    int64     `firestore:"at_ns"`
	Actor   string    `firestore:"actor"`
	Action  string    `firestore:"action"`
	Subject string    `firestore:"subject"`
	Before  string    `firestore:"before,omitempty"`
	After   string    `firestore:"after,omitempty"`
	Detail  string    `firestore:"detail,omitempty"`
	// WrittenNS orders entries that carry the same At by when they were
	// written, so the log reads in the order things happened.
	WrittenNS int64 `firestore:"written_ns"`
}

func toAuditDoc(e approvals.AuditEntry, written time.Time) auditDoc {
	return auditDoc{ID: e.ID, At: stamp(e.At), AtNS: nanos(e.At), Actor: e.Actor, Action: e.Action,
		Subject: e.Subject, Before: e.Before, After: e.After, Detail: e.Detail, WrittenNS: written.UnixNano()}
}

func (d auditDoc) entry() approvals.AuditEntry {
	return approvals.AuditEntry{ID: d.ID, At: fromNanos(d.AtNS), Actor: d.Actor, Action: d.Action,
		Subject: d.Subject, Before: d.Before, After: d.After, Detail: d.Detail}
}

type claimDoc struct {
	Key       string    `firestore:"key"`
	ClaimedAt time.Time `firestore:"claimed_at,omitempty"`
	ClaimedNS int64     `firestore:"claimed_ns"`
	ExpiresAt time.Time `firestore:"expires_at,omitempty"`
	ExpiresNS int64     `firestore:"expires_ns"`
}

type leaseDoc struct {
	Name      string    `firestore:"name"`
	Holder    string    `firestore:"holder"`
	ExpiresAt time.Time `firestore:"expires_at,omitempty"`
	ExpiresNS int64     `firestore:"expires_ns"`
}

type messageRefDoc struct {
	RequestID string `firestore:"request_id"`
	Kind      string `firestore:"kind"`
	Channel   string `firestore:"channel"`
	TS        string `firestore:"ts"`
}

type recertDoc struct {
	ID             string    `firestore:"id"`
	GrantID        string    `firestore:"grant_id"`
	Approver       string    `firestore:"approver"`
	Recommendation string    `firestore:"recommendation"`
	Why            string    `firestore:"why"`
	State          string    `firestore:"state"`
	CreatedAt      time.Time `firestore:"created_at,omitempty"`
	CreatedNS      int64     `firestore:"created_ns"`
	DueAt          time.Time `firestore:"due_at,omitempty"`
	DueNS          int64     `firestore:"due_ns"`
	DecidedBy      string    `firestore:"decided_by,omitempty"`
	DecidedAt      time.Time `firestore:"decided_at,omitempty"`
	DecidedNS      int64     `firestore:"decided_ns"`
}

func toRecertDoc(r approvals.RecertItem) recertDoc {
	return recertDoc{ID: r.ID, GrantID: r.GrantID, Approver: r.Approver, Recommendation: r.Recommendation,
		Why: r.Why, State: string(r.State), CreatedAt: stamp(r.CreatedAt), CreatedNS: nanos(r.CreatedAt),
		DueAt: stamp(r.DueAt), DueNS: nanos(r.DueAt), DecidedBy: r.DecidedBy,
		DecidedAt: stamp(r.DecidedAt), DecidedNS: nanos(r.DecidedAt)}
}

func (d recertDoc) item() approvals.RecertItem {
	return approvals.RecertItem{ID: d.ID, GrantID: d.GrantID, Approver: d.Approver, Recommendation: d.Recommendation,
		Why: d.Why, State: approvals.RecertState(d.State), CreatedAt: fromNanos(d.CreatedNS),
		DueAt: fromNanos(d.DueNS), DecidedBy: d.DecidedBy, DecidedAt: fromNanos(d.DecidedNS)}
}

type recommendationDoc struct {
	ID         string    `firestore:"id"`
	Policy     policyDoc `firestore:"policy"`
	Support    []string  `firestore:"support"`
	Confidence float64   `firestore:"confidence"`
	Why        string    `firestore:"why"`
	State      string    `firestore:"state"`
	CreatedAt  time.Time `firestore:"created_at,omitempty"`
	CreatedNS  int64     `firestore:"created_ns"`
	DecidedBy  string    `firestore:"decided_by,omitempty"`
	DecidedAt  time.Time `firestore:"decided_at,omitempty"`
	DecidedNS  int64     `firestore:"decided_ns"`
}

func toRecommendationDoc(r approvals.Recommendation) recommendationDoc {
	return recommendationDoc{ID: r.ID, Policy: toPolicyDoc(r.Policy), Support: r.Support, Confidence: r.Confidence,
		Why: r.Why, State: string(r.State), CreatedAt: stamp(r.CreatedAt), CreatedNS: nanos(r.CreatedAt),
		DecidedBy: r.DecidedBy, DecidedAt: stamp(r.DecidedAt), DecidedNS: nanos(r.DecidedAt)}
}

func (d recommendationDoc) recommendation() approvals.Recommendation {
	return approvals.Recommendation{ID: d.ID, Policy: d.Policy.policy(), Support: d.Support, Confidence: d.Confidence,
		Why: d.Why, State: approvals.RecommendationState(d.State), CreatedAt: fromNanos(d.CreatedNS),
		DecidedBy: d.DecidedBy, DecidedAt: fromNanos(d.DecidedNS)}
}

type usageDoc struct {
	User        string    `firestore:"user"`
	Asset       string    `firestore:"asset"`
	Known       bool      `firestore:"known"`
	LastQueryAt time.Time `firestore:"last_query_at,omitempty"`
	LastQueryNS int64     `firestore:"last_query_ns"`
	QueryCount  int64     `firestore:"query_count"`
	ReportedAt  time.Time `firestore:"reported_at,omitempty"`
	ReportedNS  int64     `firestore:"reported_ns"`
}

func toUsageDoc(u approvals.Usage) usageDoc {
	return usageDoc{User: u.User, Asset: u.Asset, Known: u.Known,
		LastQueryAt: stamp(u.LastQueryAt), LastQueryNS: nanos(u.LastQueryAt), QueryCount: u.QueryCount,
		ReportedAt: stamp(u.ReportedAt), ReportedNS: nanos(u.ReportedAt)}
}

func (d usageDoc) usage() approvals.Usage {
	return approvals.Usage{User: d.User, Asset: d.Asset, Known: d.Known, LastQueryAt: fromNanos(d.LastQueryNS),
		QueryCount: d.QueryCount, ReportedAt: fromNanos(d.ReportedNS)}
}

// workspaceDoc stores the bot token explicitly: approvals.Workspace keeps it
// out of JSON (json:"-") so it never leaks into logs or snapshots, but the
// store must keep it. Restrict read access to this collection.
type workspaceDoc struct {
	TeamID      string    `firestore:"team_id"`
	TeamName    string    `firestore:"team_name"`
	BotUserID   string    `firestore:"bot_user_id"`
	BotToken    string    `firestore:"bot_token"`
	InstalledBy string    `firestore:"installed_by"`
	InstalledAt time.Time `firestore:"installed_at,omitempty"`
	InstalledNS int64     `firestore:"installed_ns"`
}

func toWorkspaceDoc(w approvals.Workspace) workspaceDoc {
	return workspaceDoc{TeamID: w.TeamID, TeamName: w.TeamName, BotUserID: w.BotUserID, BotToken: w.BotToken,
		InstalledBy: w.InstalledBy, InstalledAt: stamp(w.InstalledAt), InstalledNS: nanos(w.InstalledAt)}
}

func (d workspaceDoc) workspace() approvals.Workspace {
	return approvals.Workspace{TeamID: d.TeamID, TeamName: d.TeamName, BotUserID: d.BotUserID, BotToken: d.BotToken,
		InstalledBy: d.InstalledBy, InstalledAt: fromNanos(d.InstalledNS)}
}
