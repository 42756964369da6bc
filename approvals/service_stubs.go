package approvals

// TEMPORARY: the Service API other packages build against while the approvals
// helper implements it. Each piece moves to its real file and out of here.

import (
	"context"
	"errors"
	"time"

	"github.com/steward-dev/steward/policy"
)

var errTODO = errors.New("approvals: not implemented yet")

// Config holds the workflow's settings; zero values take sensible defaults.
type Config struct {
	DefaultDuration time.Duration   // when a request names none (default 7 days)
	MaxDuration     time.Duration   // longest temporary access (default 90 days)
	MaxReasonLength int             // default 1000 characters
	GovernanceGroup string          // catalog group whose members may save policies and approve anything
	Rules           []QuorumRule    // extra approvals for sensitive data
	ReminderOffsets []time.Duration // before expiry (default 24h, 1h)
	RecertAge       time.Duration   // standing grants older than this are reviewed (default 90 days)
	RecertDeadline  time.Duration   // unanswered items escalate after this (default 7 days)
}

// QuorumRule requires Approvals approvals for requests touching an asset with Tag.
type QuorumRule struct {
	Tag       string `json:"tag" yaml:"tag"`
	Approvals int    `json:"approvals" yaml:"approvals"`
}

// Service is the approvals workflow over a Store and a catalog.
type Service struct{}

// New builds a Service. now is the clock (time.Now in production, fake in tests).
func New(store Store, cat *policy.Catalog, now func() time.Time, cfg Config) *Service {
	return &Service{}
}

// NewRequest is what a person asks for.
type NewRequest struct {
	Requester      string
	Assets         []string
	Query          string
	Action         policy.Action
	Duration       time.Duration // 0: the configured default
	Reason         string
	ExtendsRequest string
}

// SubmitResult says what happened to a request: covered at once by policies,
// or pending with its approvers.
type SubmitResult struct {
	Request   Request
	Covered   bool
	CoveredBy []string // policy ids that already allow everything asked
}

// Submit validates and stores a request, or answers at once when policies cover it.
func (s *Service) Submit(ctx context.Context, nr NewRequest) (SubmitResult, error) {
	return SubmitResult{}, errTODO
}

// Decide records one review, authorised from the catalog and store at call time.
func (s *Service) Decide(ctx context.Context, requestID, reviewer string, verdict Verdict, comment string) (Decision, error) {
	return Decision{}, errTODO
}

// Cancel withdraws a pending request; only its requester may.
func (s *Service) Cancel(ctx context.Context, requestID, actor string) (Request, error) {
	return Request{}, errTODO
}

// Revoke ends an approved request's grants early; requester or an approver may.
func (s *Service) Revoke(ctx context.Context, requestID, actor string) (Request, error) {
	return Request{}, errTODO
}

// Extend asks for more time on an approved request: a new request linked to it.
func (s *Service) Extend(ctx context.Context, requestID, actor string, duration time.Duration, reason string) (SubmitResult, error) {
	return SubmitResult{}, errTODO
}

// DesiredGrant is one (user, asset, action) that should exist on a platform now.
type DesiredGrant struct {
	User      string        `json:"user"`
	Asset     string        `json:"asset"`
	Action    policy.Action `json:"action"`
	Source    string        `json:"source"` // policy/<id> or request/<id>
	ExpiresAt time.Time     `json:"expires_at,omitzero"`
}

// DesiredGrants returns exactly what should exist on the platforms at now:
// policy grants plus approved, unexpired, unrevoked request grants, minus denies.
func (s *Service) DesiredGrants(ctx context.Context, now time.Time) ([]DesiredGrant, error) {
	return nil, errTODO
}

// ExpireDue marks every grant due at now expired (once across replicas) and
// returns those this call expired.
func (s *Service) ExpireDue(ctx context.Context, now time.Time) ([]Grant, error) {
	return nil, errTODO
}

// Reminder says a grant ends soon.
type Reminder struct {
	Grant  Grant
	Before time.Duration // the offset that fired (24h, 1h)
}

// DueReminders returns reminders that fire at now, each once across replicas.
func (s *Service) DueReminders(ctx context.Context, now time.Time) ([]Reminder, error) {
	return nil, errTODO
}

// IsGovernance reports whether the user is in the governance group.
func (s *Service) IsGovernance(userID string) bool { return false }

// ApproversFor returns who may decide on a request for these assets.
func (s *Service) ApproversFor(assets []string) []string { return nil }

// SavePolicy validates and stores a new policy version; governance only.
func (s *Service) SavePolicy(ctx context.Context, p policy.Policy, actor string) (policy.Policy, error) {
	return policy.Policy{}, errTODO
}

// RetirePolicy takes a policy out of force; governance only.
func (s *Service) RetirePolicy(ctx context.Context, id, actor string) error { return errTODO }

// Evaluator decides with the saved policies as they are now.
func (s *Service) Evaluator(ctx context.Context) (*policy.Evaluator, error) { return nil, errTODO }

// Recertify creates review items for old standing grants and escalates overdue ones.
func (s *Service) Recertify(ctx context.Context, now time.Time) ([]RecertItem, error) {
	return nil, errTODO
}

// DecideRecert keeps or revokes the grant behind an item.
func (s *Service) DecideRecert(ctx context.Context, itemID, actor string, keep bool) (RecertItem, error) {
	return RecertItem{}, errTODO
}

// Recommend mines the decision history and stores new proposals.
func (s *Service) Recommend(ctx context.Context) ([]Recommendation, error) { return nil, errTODO }

// AcceptRecommendation saves the proposed policy; DismissRecommendation drops it.
func (s *Service) AcceptRecommendation(ctx context.Context, id, actor string) (policy.Policy, error) {
	return policy.Policy{}, errTODO
}

func (s *Service) DismissRecommendation(ctx context.Context, id, actor string) error { return errTODO }
