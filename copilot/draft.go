// Package copilot turns one policy sentence into a grounded policy draft:
// decomposition, resolution against the catalog with evidence, and the policy.
// It never saves or applies anything; a person confirms the draft.
package copilot

import (
	"context"

	"github.com/steward-dev/steward/policy"
)

// Draft is the copilot's answer for one sentence. OK is false when the
// sentence was refused; Error then says why in words a person can act on.
type Draft struct {
	Sentence      string             `json:"sentence"`
	OK            bool               `json:"ok"`
	Error         string             `json:"error"`
	Decomposition Decomposition      `json:"decomposition"`
	Policy        *policy.Policy     `json:"policy"` // nil when refused
	Resolution    []PhraseResolution `json:"resolution"`
	Unresolved    []string           `json:"unresolved"`
	Suggestions   map[string][]Match `json:"suggestions,omitempty"` // nearest entries for unresolved phrases
	Warnings      []string           `json:"warnings,omitempty"`    // e.g. broad subjects
	Impact        policy.Impact      `json:"impact"`
	Cedar         string             `json:"cedar"`
	Engine        string             `json:"engine,omitempty"`
}

// Decomposition is the sentence broken into its parts, before resolution.
type Decomposition struct {
	Effect     string   `json:"effect"`
	Subjects   []string `json:"subjects"`
	Action     string   `json:"action"`         // read | write (mask drafts read)
	Verb       string   `json:"verb,omitempty"` // the action as written: "modify", "read access"
	Objects    []string `json:"objects"`
	Conditions []string `json:"conditions"`
	Purpose    string   `json:"purpose"`
	Duration   string   `json:"duration"`
}

// PhraseResolution is what one phrase resolved to.
type PhraseResolution struct {
	Phrase  string  `json:"phrase"`
	Role    string  `json:"role,omitempty"` // subject | object | condition
	Matches []Match `json:"matches"`
}

// Match is one catalog entry a phrase resolved to, with a score and the reason.
type Match struct {
	Kind  string  `json:"kind"` // attribute | group | tag | asset
	Key   string  `json:"key"`  // attribute key, group name, tag name, asset id
	Value string  `json:"value"`
	Score float64 `json:"score"`
	Why   string  `json:"why"`
}

// Engine drafts a policy from a sentence against a catalog.
type Engine interface {
	Draft(ctx context.Context, sentence string, cat *policy.Catalog) (Draft, error)
}
