package approvals

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/steward-dev/steward/policy"
)

// Store is the durable state the workflow needs. Implementations live in
// store/sqlite and store/firestore and pass store/storetest. Every method that
// changes state writes its audit entry in the same transaction.
type Store interface {
	// Policies are versioned: SavePolicy stores p as a new version (1 for a new
	// id) and returns it with Version, CreatedAt set as stored.
	SavePolicy(ctx context.Context, p policy.Policy, audit AuditEntry) (policy.Policy, error)
	// GetPolicy returns the latest version; ErrNotFound when absent or retired.
	GetPolicy(ctx context.Context, id string) (policy.Policy, error)
	// PolicyHistory returns every version, oldest first.
	PolicyHistory(ctx context.Context, id string) ([]policy.Policy, error)
	// ListPolicies returns the latest version of every policy not retired, by id.
	ListPolicies(ctx context.Context) ([]policy.Policy, error)
	// RetirePolicy takes a policy out of force; its history is kept.
	RetirePolicy(ctx context.Context, id string, audit AuditEntry) error

	// CreateRequest stores a new pending request; ErrConflict if the id exists.
	CreateRequest(ctx context.Context, r Request, audit AuditEntry) error
	GetRequest(ctx context.Context, id string) (Request, error)
	// ListRequests returns requests matching every set field of f, newest first.
	ListRequests(ctx context.Context, f RequestFilter) ([]Request, error)
	// Decide is the compare-and-set at the heart of approvals: in one
	// transaction it loads the request, calls ApplyReview, and writes the
	// request, the grants it creates and the audit entry, or nothing.
	// A request that is no longer pending yields a *DecidedError.
	Decide(ctx context.Context, requestID string, review Review) (Decision, error)
	// TransitionRequest moves a request whose state is one of from to to
	// (cancel, expire, revoke), with its audit entry; *StateError otherwise.
	TransitionRequest(ctx context.Context, id string, from []RequestState, to RequestState, actor string, at time.Time, audit AuditEntry) (Request, error)

	// ListGrants returns grants matching every set field of f.
	ListGrants(ctx context.Context, f GrantFilter) ([]Grant, error)
	// GrantsDueBefore returns active grants with a non-zero ExpiresAt <= t.
	GrantsDueBefore(ctx context.Context, t time.Time) ([]Grant, error)
	// EndGrant moves an active grant to expired or revoked, once: a grant that
	// is no longer active yields ErrNotActive, so replicas never double-expire.
	EndGrant(ctx context.Context, id string, to GrantState, actor string, at time.Time, audit AuditEntry) (Grant, error)

	// SaveMessageRef records (or replaces, by request and kind) where a card is.
	SaveMessageRef(ctx context.Context, ref MessageRef) error
	MessageRefs(ctx context.Context, requestID string) ([]MessageRef, error)

	// Claim records key until expires and reports whether this caller is the
	// first; a key whose expiry has passed can be claimed again. It makes
	// redelivered events, double clicks, reminders and expiries happen once.
	Claim(ctx context.Context, key string, now, expires time.Time) (bool, error)
	// PurgeClaims deletes the claims whose expiry is at or before t and
	// returns how many. An expired claim holds nothing, so this changes no
	// behaviour; it only keeps the store from growing with every event.
	PurgeClaims(ctx context.Context, t time.Time) (int, error)

	// AcquireLease gives holder the named lease until now+ttl if it is free,
	// expired or already the holder's.
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error

	// AppendAudit adds an entry to the append-only log (for events that change
	// no other record, such as a refused click).
	AppendAudit(ctx context.Context, e AuditEntry) error
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)

	CreateRecert(ctx context.Context, item RecertItem, audit AuditEntry) error
	ListRecerts(ctx context.Context, f RecertFilter) ([]RecertItem, error)
	// UpdateRecert replaces an item whose stored state is from; *StateError otherwise.
	UpdateRecert(ctx context.Context, item RecertItem, from RecertState, audit AuditEntry) error

	SaveRecommendation(ctx context.Context, r Recommendation, audit AuditEntry) error
	ListRecommendations(ctx context.Context, state RecommendationState) ([]Recommendation, error)
	// UpdateRecommendation replaces one whose stored state is open; *StateError otherwise.
	UpdateRecommendation(ctx context.Context, r Recommendation, audit AuditEntry) error

	// RecordUsage upserts usage by (user, asset).
	RecordUsage(ctx context.Context, usage []Usage) error
	GetUsage(ctx context.Context, user, asset string) (Usage, error)

	SaveWorkspace(ctx context.Context, w Workspace) error
	GetWorkspace(ctx context.Context, teamID string) (Workspace, error)
	// ListWorkspaces returns every installed workspace, by team id.
	ListWorkspaces(ctx context.Context) ([]Workspace, error)

	Close() error
}

// RequestFilter selects requests; empty fields match everything.
type RequestFilter struct {
	State     RequestState
	Requester string
	Approver  string // requests this user may decide
	Limit     int
}

// GrantFilter selects grants; empty fields match everything.
type GrantFilter struct {
	User      string
	Asset     string
	RequestID string
	State     GrantState
}

// AuditFilter selects audit entries, oldest first; empty fields match everything.
type AuditFilter struct {
	Subject string
	Actor   string
	From    time.Time // inclusive
	To      time.Time // exclusive
	Limit   int
}

// RecertFilter selects recertification items; empty fields match everything.
type RecertFilter struct {
	State    RecertState
	Approver string
	GrantID  string
}

// Decision is what Decide wrote.
type Decision struct {
	Request Request
	Grants  []Grant // created by this review (approval reached quorum)
	Audit   AuditEntry
}

var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("already exists")
	ErrNotActive = errors.New("grant is no longer active")
	// ErrInvalid wraps every rejection of malformed or oversized input.
	ErrInvalid = errors.New("invalid input")
)

// DecidedError says a request was already decided, by whom and when.
type DecidedError struct {
	RequestID string
	State     RequestState
	By        string
	At        time.Time
}

func (e *DecidedError) Error() string {
	return fmt.Sprintf("request %s was already %s by %s at %s", e.RequestID, e.State, e.By, e.At.UTC().Format(time.RFC3339))
}

// StateError says a record was not in the state a change needs.
type StateError struct {
	Subject string
	Have    string
	Want    []string
}

func (e *StateError) Error() string {
	return fmt.Sprintf("%s is %s, not %v", e.Subject, e.Have, e.Want)
}
