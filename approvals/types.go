// Package approvals is Steward's workflow core: access requests, reviews,
// grants, expiry, recertification, recommendations and the audit trail.
// It holds no Slack or storage types; the Store it needs is declared here.
package approvals

import (
	"time"

	"github.com/steward-dev/steward/policy"
)

// RequestState is where an access request is in its life.
type RequestState string

const (
	StatePending   RequestState = "pending"
	StateApproved  RequestState = "approved"
	StateDenied    RequestState = "denied"
	StateCancelled RequestState = "cancelled"
	StateExpired   RequestState = "expired"
	StateRevoked   RequestState = "revoked"
)

// Verdict is one reviewer's answer.
type Verdict string

const (
	Approve Verdict = "approve"
	Reject  Verdict = "deny"
)

// Review is one approver's verdict on a request.
type Review struct {
	Reviewer string    `json:"reviewer"` // catalog user id
	Verdict  Verdict   `json:"verdict"`
	Comment  string    `json:"comment,omitempty"`
	At       time.Time `json:"at"`
}

// Request is a person's ask for access to assets.
type Request struct {
	ID                string        `json:"id"`
	Requester         string        `json:"requester"`       // catalog user id
	Assets            []string      `json:"assets"`          // asset ids
	Query             string        `json:"query,omitempty"` // free text the assets were resolved from
	Action            policy.Action `json:"action"`
	Duration          time.Duration `json:"duration"` // 0: standing access
	Reason            string        `json:"reason"`
	State             RequestState  `json:"state"`
	Approvers         []string      `json:"approvers"`          // who may decide, fixed at creation
	RequiredApprovals int           `json:"required_approvals"` // quorum
	Reviews           []Review      `json:"reviews,omitempty"`
	ExtendsRequest    string        `json:"extends_request,omitempty"` // id of the request this one extends
	CreatedAt         time.Time     `json:"created_at"`
	UpdatedAt         time.Time     `json:"updated_at"`
	DecidedBy         string        `json:"decided_by,omitempty"`
	DecidedAt         time.Time     `json:"decided_at,omitzero"`
}

// GrantState is whether a grant still gives access.
type GrantState string

const (
	GrantActive  GrantState = "active"
	GrantExpired GrantState = "expired"
	GrantRevoked GrantState = "revoked"
)

// Grant is access given by an approved request: one user, one asset.
type Grant struct {
	ID        string        `json:"id"`
	RequestID string        `json:"request_id"`
	User      string        `json:"user"`
	Asset     string        `json:"asset"`
	Action    policy.Action `json:"action"`
	GrantedAt time.Time     `json:"granted_at"`
	ExpiresAt time.Time     `json:"expires_at,omitzero"` // zero: standing
	State     GrantState    `json:"state"`
	EndedAt   time.Time     `json:"ended_at,omitzero"` // when it expired or was revoked
	EndedBy   string        `json:"ended_by,omitempty"`
}

// AuditEntry records one change of state. Before and After are JSON snapshots.
type AuditEntry struct {
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`   // catalog user id, or "steward" for the system
	Action  string    `json:"action"`  // e.g. request.created, request.approved, grant.expired
	Subject string    `json:"subject"` // e.g. request/<id>, grant/<id>, policy/<id>
	Before  string    `json:"before,omitempty"`
	After   string    `json:"after,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// MessageRef points at a Slack message that shows a request, so it can be updated.
type MessageRef struct {
	RequestID string `json:"request_id"`
	Kind      string `json:"kind"` // e.g. approval_card, requester_dm
	Channel   string `json:"channel"`
	TS        string `json:"ts"`
}

// RecertState is where a recertification item is.
type RecertState string

const (
	RecertOpen      RecertState = "open"
	RecertKept      RecertState = "kept"
	RecertRevoked   RecertState = "revoked"
	RecertEscalated RecertState = "escalated"
)

// RecertItem asks an approver whether a standing grant should stay.
type RecertItem struct {
	ID             string      `json:"id"`
	GrantID        string      `json:"grant_id"`
	Approver       string      `json:"approver"`
	Recommendation string      `json:"recommendation"` // keep | revoke
	Why            string      `json:"why"`
	State          RecertState `json:"state"`
	CreatedAt      time.Time   `json:"created_at"`
	DueAt          time.Time   `json:"due_at"`
	DecidedBy      string      `json:"decided_by,omitempty"`
	DecidedAt      time.Time   `json:"decided_at,omitzero"`
}

// RecommendationState is whether a proposed policy was taken up.
type RecommendationState string

const (
	RecommendationOpen      RecommendationState = "open"
	RecommendationAccepted  RecommendationState = "accepted"
	RecommendationDismissed RecommendationState = "dismissed"
)

// Recommendation is a policy proposed from the decision history.
type Recommendation struct {
	ID         string              `json:"id"`
	Policy     policy.Policy       `json:"policy"`
	Support    []string            `json:"support"` // approved request ids it would have covered
	Confidence float64             `json:"confidence"`
	Why        string              `json:"why"`
	State      RecommendationState `json:"state"`
	CreatedAt  time.Time           `json:"created_at"`
	DecidedBy  string              `json:"decided_by,omitempty"`
	DecidedAt  time.Time           `json:"decided_at,omitzero"`
}

// Usage is what a platform reports about one user's use of one asset.
type Usage struct {
	User        string    `json:"user"`
	Asset       string    `json:"asset"`
	Known       bool      `json:"known"` // false: the platform cannot tell
	LastQueryAt time.Time `json:"last_query_at,omitzero"`
	QueryCount  int64     `json:"query_count"`
	ReportedAt  time.Time `json:"reported_at"`
}

// Workspace is a Slack workspace the app is installed in (HTTP mode, OAuth v2).
// The token is a secret: never log it.
type Workspace struct {
	TeamID      string    `json:"team_id"`
	TeamName    string    `json:"team_name"`
	BotUserID   string    `json:"bot_user_id"`
	BotToken    string    `json:"-"`
	InstalledBy string    `json:"installed_by"`
	InstalledAt time.Time `json:"installed_at"`
}
