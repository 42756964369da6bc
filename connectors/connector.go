// Package connectors applies Steward's desired grants on data platforms.
// A Connector reports and changes one platform; the Reconciler brings each
// platform in line with approvals' desired state.
package connectors

import (
	"context"
	"fmt"
	"time"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// Connector reports and changes one platform. It only ever touches grants
// Steward manages, never access someone granted by hand.
type Connector interface {
	// Name identifies the connector (and its lease), e.g. "postgres".
	Name() string
	// Platform is the catalog asset platform it serves, e.g. "postgres".
	Platform() string
	Discover(ctx context.Context) (Discovery, error)
	// Grants are the managed grants that exist now.
	Grants(ctx context.Context) ([]Grant, error)
	// Plan lists the exact changes that would make the platform match desired.
	Plan(ctx context.Context, desired []Grant) (Plan, error)
	// Apply carries out a plan; applying the same plan twice changes nothing.
	Apply(ctx context.Context, plan Plan) error
	Capabilities() Capabilities
}

// Grant is one (user, asset, action) on a platform.
type Grant struct {
	User   string        `json:"user"`
	Asset  string        `json:"asset"`
	Action policy.Action `json:"action"`
}

// Change is one step of a plan, with the statement or call that carries it out.
type Change struct {
	Op        string `json:"op"` // one of the Op constants
	Grant     Grant  `json:"grant"`
	Statement string `json:"statement"`
	// Role is the platform principal the change is made on (e.g. the managed
	// PostgreSQL role), Privileges the platform privileges it adds or removes.
	Role       string   `json:"role,omitempty"`
	Privileges []string `json:"privileges,omitempty"`
	// Object is the platform object changed, as the platform spells it
	// (for PostgreSQL the quoted "schema"."table").
	Object string `json:"object,omitempty"`
}

// Ops a Change can carry.
const (
	OpCreateRole = "create_role" // create the principal Steward grants through
	OpGrantRole  = "grant_role"  // give that principal to the user's login
	OpRevokeRole = "revoke_role" // take it from anyone else
	OpGrant      = "grant"
	OpRevoke     = "revoke"
)

// Plan is the difference between desired and current grants.
type Plan struct {
	Connector string   `json:"connector"`
	Changes   []Change `json:"changes"`
	// Skipped are desired grants the connector cannot carry out, with why
	// (user without a login role, table that does not exist, ...).
	Skipped []Skipped `json:"skipped,omitempty"`
}

// Skipped is a desired grant a plan leaves out, and the reason.
type Skipped struct {
	Grant  Grant  `json:"grant"`
	Reason string `json:"reason"`
}

// ApplyError says which changes of a plan failed; the others were applied.
type ApplyError struct {
	Connector string
	Failed    []FailedChange
	Total     int
}

// FailedChange is one change that did not go through, and why.
type FailedChange struct {
	Change Change
	Err    error
}

func (e *ApplyError) Error() string {
	if len(e.Failed) == 0 {
		return fmt.Sprintf("%s: applying plan failed", e.Connector)
	}
	return fmt.Sprintf("%s: %d of %d changes failed; first: %s: %v", e.Connector, len(e.Failed), e.Total, e.Failed[0].Change.Statement, e.Failed[0].Err)
}

// Unwrap gives the first failure's cause, so callers can test for it.
func (e *ApplyError) Unwrap() error {
	if len(e.Failed) == 0 {
		return nil
	}
	return e.Failed[0].Err
}

// Discovery is what a platform reports about its data and its use.
type Discovery struct {
	Assets []policy.Asset    `json:"assets"`
	Usage  []approvals.Usage `json:"usage"`
	At     time.Time         `json:"at"`
}

// Capabilities says what a platform can do natively.
type Capabilities struct {
	NativeExpiry bool `json:"native_expiry"`
	Usage        bool `json:"usage"`
	Masking      bool `json:"masking"`
}
