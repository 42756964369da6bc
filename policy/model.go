// Package policy owns Steward's vocabulary: the catalog of users, attributes,
// groups, tags and assets; policies made of terms and clauses; and the
// decisions, impact and Cedar export computed from them.
package policy

import (
	"time"
)

// Effect is what a policy does to the access it covers.
type Effect string

const (
	Allow Effect = "allow"
	Deny  Effect = "deny" // deny wins over allow
	Mask  Effect = "mask" // columns carrying the object tags are masked for the subjects
)

// Action is the kind of access. Write includes read.
type Action string

const (
	Read  Action = "read"
	Write Action = "write"
)

// Term matches a user by attribute value or group membership.
// An attribute term matches when the user's (single or multi-valued)
// attribute shares a value with Values; a group term matches a member.
// Negate inverts the match.
type Term struct {
	Attribute string   `json:"attribute,omitempty" yaml:"attribute,omitempty"`
	Values    []string `json:"values,omitempty" yaml:"values,omitempty"`
	Group     string   `json:"group,omitempty" yaml:"group,omitempty"`
	Negate    bool     `json:"negate" yaml:"negate,omitempty"`
}

// Clause selects assets: either one asset by id, or every asset that carries
// all of AllTags (on the table or any column) and none of NoneTags.
type Clause struct {
	AllTags  []string `json:"all_tags,omitempty" yaml:"all_tags,omitempty"`
	NoneTags []string `json:"none_tags,omitempty" yaml:"none_tags,omitempty"`
	Asset    string   `json:"asset,omitempty" yaml:"asset,omitempty"`
}

// Policy says which users may do what to which assets.
// Subjects is an OR of ANDs: [[]] is every user, [] is nobody.
// Objects is an OR of clauses.
type Policy struct {
	ID        string    `json:"id,omitempty"`
	Name      string    `json:"name,omitempty"`
	Sentence  string    `json:"sentence,omitempty"`
	Effect    Effect    `json:"effect"`
	Action    Action    `json:"action"`
	Subjects  [][]Term  `json:"subjects"`
	Objects   []Clause  `json:"objects"`
	Duration  Duration  `json:"duration"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	Version   int       `json:"version,omitempty"`
}

// Duration is a time.Duration that reads and writes as a Go duration string
// ("720h0m0s"); zero means standing access and is written as "".
type Duration time.Duration
