package approvals

import (
	"log/slog"
	"slices"
	"time"
)

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

	// AllowStanding lets a request ask for standing access (NewRequest.Standing).
	// Off by default: temporary access is the norm, standing access comes from policies.
	AllowStanding bool
	// MaxAssets caps the assets in one request (default 50), so a card stays readable.
	MaxAssets int
	// UnusedAfter is how long without a query makes recertification recommend
	// revoking (default 60 days).
	UnusedAfter time.Duration
	// MinSupport is how many approved requests a recommendation needs (default 3).
	MinSupport int
	// MinCoverage is the share of a group's approved requesters that must carry
	// the proposed subject metadata (default 0.8: a large majority).
	MinCoverage float64
	// DeniedTolerance is the share of denied requesters among those carrying a
	// proposed subject that still lets it through (default 0: any denied
	// requester with it vetoes it, as the decision history is taken as truth).
	DeniedTolerance float64
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
}

// QuorumRule requires Approvals approvals for requests touching an asset with Tag.
// A rule on a dotted parent tag (Classification) also applies to its children
// (Classification.Restricted).
type QuorumRule struct {
	Tag       string `json:"tag" yaml:"tag"`
	Approvals int    `json:"approvals" yaml:"approvals"`
}

// Defaults for the Config fields.
const (
	DefaultRequestDuration = 7 * 24 * time.Hour
	DefaultMaxDuration     = 90 * 24 * time.Hour
	DefaultMaxReasonLength = 1000
	DefaultMaxAssets       = 50
	DefaultRecertAge       = 90 * 24 * time.Hour
	DefaultRecertDeadline  = 7 * 24 * time.Hour
	DefaultUnusedAfter     = 60 * 24 * time.Hour
	DefaultMinSupport      = 3
	DefaultMinCoverage     = 0.8
	// maxCommentLength bounds review comments and the free-text query.
	maxCommentLength = 2000
)

func (c Config) withDefaults() Config {
	if c.DefaultDuration <= 0 {
		c.DefaultDuration = DefaultRequestDuration
	}
	if c.MaxDuration <= 0 {
		c.MaxDuration = DefaultMaxDuration
	}
	if c.DefaultDuration > c.MaxDuration {
		c.DefaultDuration = c.MaxDuration
	}
	if c.MaxReasonLength <= 0 {
		c.MaxReasonLength = DefaultMaxReasonLength
	}
	if c.MaxAssets <= 0 {
		c.MaxAssets = DefaultMaxAssets
	}
	if len(c.ReminderOffsets) == 0 {
		c.ReminderOffsets = []time.Duration{24 * time.Hour, time.Hour}
	}
	offs := make([]time.Duration, 0, len(c.ReminderOffsets))
	for _, o := range c.ReminderOffsets {
		if o > 0 && !slices.Contains(offs, o) {
			offs = append(offs, o)
		}
	}
	slices.Sort(offs) // smallest first: the most specific reminder wins
	c.ReminderOffsets = offs
	if c.RecertAge <= 0 {
		c.RecertAge = DefaultRecertAge
	}
	if c.RecertDeadline <= 0 {
		c.RecertDeadline = DefaultRecertDeadline
	}
	if c.UnusedAfter <= 0 {
		c.UnusedAfter = DefaultUnusedAfter
	}
	if c.MinSupport <= 0 {
		c.MinSupport = DefaultMinSupport
	}
	if c.MinCoverage <= 0 || c.MinCoverage > 1 {
		c.MinCoverage = DefaultMinCoverage
	}
	if c.DeniedTolerance < 0 || c.DeniedTolerance >= 1 {
		c.DeniedTolerance = 0
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Rules = slices.Clone(c.Rules)
	return c
}
