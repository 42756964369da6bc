// Package connectors applies Steward's desired grants on data platforms.
// A Connector reports and changes one platform; the Reconciler brings each
// platform in line with approvals' desired state.
package connectors

import (
	"context"
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
	Op        string `json:"op"` // grant | revoke | create_role
	Grant     Grant  `json:"grant"`
	Statement string `json:"statement"`
}

// Plan is the difference between desired and current grants.
type Plan struct {
	Connector string   `json:"connector"`
	Changes   []Change `json:"changes"`
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
