// Package bot is Steward's Slack face: slash commands (/policy, /access),
// @mentions, approval cards, App Home, reminders, and the transports that
// carry them (Socket Mode, HTTP with OAuth install, and a terminal console).
// Slack types never leave this package: the handlers speak to the rest of
// Steward through copilot, approvals and policy, and to Slack through a small
// responder that each transport implements.
package bot

import (
	"context"

	"github.com/slack-go/slack"
)

// Origin is where an interaction came from and how to answer it.
type Origin struct {
	Team        string
	User        string // Slack user id of the person acting
	Channel     string
	MessageTS   string // the message a button sits on ("" for App Home or modals)
	ResponseURL string
	TriggerID   string // opens a modal within 3 s
}

// Command is a slash command.
type Command struct {
	Origin
	Name string // "/policy"
	Text string
	Key  string // idempotency key (trigger id)
}

// Action is a click on a button in a message or App Home.
type Action struct {
	Origin
	ActionID string
	BlockID  string
	Value    string
	Key      string // user + action_ts
}

// Submission is a modal's submit: the values of its inputs by block id.
type Submission struct {
	Origin
	CallbackID string
	Metadata   string
	ViewID     string
	Values     map[string][]string // block id -> selected values or typed text
	Key        string
}

// Mention is a message that mentions the bot (or a DM to it).
type Mention struct {
	Origin
	Text     string
	TS       string
	ThreadTS string
	Key      string // event id
}

// Suggestion is an external select's typeahead request.
type Suggestion struct {
	User     string
	ActionID string
	BlockID  string
	Typed    string
}

// Option is one choice in a select.
type Option struct {
	Label string
	Value string
}

// message is what the bot sends: fallback text plus Block Kit blocks.
type message struct {
	Text            string
	Blocks          []slack.Block
	ThreadTS        string
	InChannel       bool // response URLs: visible to the channel instead of ephemeral
	ReplaceOriginal bool // response URLs: replace the message the click came from
}

// Ref is a posted message.
type Ref struct {
	Channel string
	TS      string
}

// SlackUser is what users.info says about a member.
type SlackUser struct {
	ID             string
	Name           string
	Email          string
	EmailConfirmed bool
}

// responder is how handlers talk back. The Slack Web API and the console
// both implement it, so the same handlers run everywhere.
type responder interface {
	// Respond answers through a response URL.
	Respond(ctx context.Context, responseURL string, msg message) error
	Post(ctx context.Context, channel string, msg message) (Ref, error)
	Update(ctx context.Context, ref Ref, msg message) error
	Ephemeral(ctx context.Context, channel, user string, msg message) error
	// DM opens (or reuses) the direct-message channel with user and posts there.
	DM(ctx context.Context, user string, msg message) (Ref, error)
	OpenModal(ctx context.Context, triggerID string, view slack.ModalViewRequest) error
	publishHome(ctx context.Context, user string, view slack.HomeTabViewRequest) error
	UserInfo(ctx context.Context, user string) (SlackUser, error)
	// LookupByEmail finds the Slack member with this email.
	LookupByEmail(ctx context.Context, email string) (string, error)
}

// Reconciler applies desired grants on the platforms; Trigger asks for a pass now.
type Reconciler interface {
	Trigger()
}
