package bot

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// incoming is one decoded piece of Slack traffic, whatever the transport.
type incoming struct {
	kind    string // command | action | submission | suggestion | mention | home | ignore
	cmd     Command
	actions []Action
	sub     Submission
	sug     Suggestion
	mention Mention
	user    string
	key     string
}

func decodeCommand(c slack.SlashCommand) incoming {
	return incoming{kind: "command", cmd: Command{
		Origin: Origin{Team: c.TeamID, User: c.UserID, Channel: c.ChannelID, ResponseURL: c.ResponseURL, TriggerID: c.TriggerID},
		Name:   c.Command, Text: c.Text, Key: c.TriggerID,
	}}
}

func decodeInteraction(cb slack.InteractionCallback) incoming {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		in := incoming{kind: "action"}
		channel := cb.Channel.ID
		if channel == "" {
			channel = cb.Container.ChannelID
		}
		for _, a := range cb.ActionCallback.BlockActions {
			if a == nil {
				continue
			}
			value := a.Value
			if value == "" {
				value = a.SelectedOption.Value
			}
			in.actions = append(in.actions, Action{
				Origin: Origin{Team: cb.Team.ID, User: cb.User.ID, Channel: channel, MessageTS: cb.Container.MessageTs,
					ResponseURL: cb.ResponseURL, TriggerID: cb.TriggerID},
				ActionID: a.ActionID, BlockID: a.BlockID, Value: value, Key: cb.User.ID + ":" + a.ActionTs + ":" + a.ActionID,
			})
		}
		return in
	case slack.InteractionTypeViewSubmission:
		return incoming{kind: "submission", sub: Submission{
			Origin:     Origin{Team: cb.Team.ID, User: cb.User.ID, TriggerID: cb.TriggerID},
			CallbackID: cb.View.CallbackID, Metadata: cb.View.PrivateMetadata, ViewID: cb.View.ID,
			Values: stateValues(cb.View.State), Key: cb.View.ID + ":" + cb.View.Hash,
		}}
	case slack.InteractionTypeBlockSuggestion:
		return incoming{kind: "suggestion", sug: Suggestion{User: cb.User.ID, ActionID: cb.ActionID, BlockID: cb.BlockID, Typed: cb.Value}}
	}
	return incoming{kind: "ignore"}
}

// stateValues flattens a view's state into block id -> values.
func stateValues(st *slack.ViewState) map[string][]string {
	out := map[string][]string{}
	if st == nil {
		return out
	}
	for blockID, actions := range st.Values {
		for _, a := range actions {
			switch {
			case len(a.SelectedOptions) > 0:
				for _, o := range a.SelectedOptions {
					out[blockID] = append(out[blockID], o.Value)
				}
			case a.SelectedOption.Value != "":
				out[blockID] = append(out[blockID], a.SelectedOption.Value)
			case a.Value != "":
				out[blockID] = append(out[blockID], a.Value)
			}
		}
	}
	return out
}

func decodeEvent(ev slackevents.EventsAPIEvent) incoming {
	key := ""
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		key = cb.EventID
	}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		if e.BotID != "" {
			return incoming{kind: "ignore"}
		}
		if key == "" {
			key = e.Channel + ":" + e.TimeStamp
		}
		return incoming{kind: "mention", key: key, mention: Mention{
			Origin: Origin{Team: ev.TeamID, User: e.User, Channel: e.Channel},
			Text:   e.Text, TS: e.TimeStamp, ThreadTS: e.ThreadTimeStamp, Key: key,
		}}
	case *slackevents.MessageEvent:
		// Direct messages to the bot read like mentions.
		if e.ChannelType != "im" || e.BotID != "" || e.SubType != "" || e.User == "" {
			return incoming{kind: "ignore"}
		}
		if key == "" {
			key = e.Channel + ":" + e.TimeStamp
		}
		return incoming{kind: "mention", key: key, mention: Mention{
			Origin: Origin{Team: ev.TeamID, User: e.User, Channel: e.Channel},
			Text:   e.Text, TS: e.TimeStamp, Key: key,
		}}
	case *slackevents.AppHomeOpenedEvent:
		if e.Tab != "" && e.Tab != "home" {
			return incoming{kind: "ignore"}
		}
		if key == "" {
			key = e.User + ":" + e.EventTimeStamp
		}
		return incoming{kind: "home", user: e.User, key: key}
	}
	return incoming{kind: "ignore"}
}

// quickAnswer is the part of handling that goes into the ack itself: options
// for a typeahead and validation errors for a modal. Both are catalog-only.
func (b *Bot) quickAnswer(ctx context.Context, in incoming) any {
	switch in.kind {
	case "suggestion":
		return suggestionPayload(b.suggest(in.sug))
	case "submission":
		if errs := b.checkSubmission(ctx, in.sub); len(errs) > 0 {
			return slack.NewErrorsViewSubmissionResponse(errs)
		}
	}
	return nil
}

func suggestionPayload(opts []Option) map[string]any {
	out := make([]map[string]any, 0, len(opts))
	for _, o := range opts {
		out = append(out, map[string]any{"text": map[string]any{"type": "plain_text", "text": clamp(o.Label, maxOptionText)}, "value": o.Value})
	}
	return map[string]any{"options": out}
}

// process starts the work for one envelope in the background.
// answered is what quickAnswer returned: a modal rejected in the ack is not processed.
func (b *Bot) process(ctx context.Context, rsp responder, in incoming, answered any) {
	var o Origin
	var run func(ctx context.Context)
	switch in.kind {
	case "command":
		o, run = in.cmd.Origin, func(ctx context.Context) { b.handleCommand(ctx, rsp, in.cmd) }
	case "action":
		if len(in.actions) == 0 {
			return
		}
		o, run = in.actions[0].Origin, func(ctx context.Context) {
			for _, a := range in.actions {
				b.handleAction(ctx, rsp, a)
			}
		}
	case "submission":
		if answered != nil {
			return // the ack carried the errors; the modal is still open
		}
		o, run = in.sub.Origin, func(ctx context.Context) { b.handleSubmission(ctx, rsp, in.sub) }
	case "mention":
		o, run = in.mention.Origin, func(ctx context.Context) { b.handleMention(ctx, rsp, in.mention) }
	case "home":
		o, run = Origin{User: in.user}, func(ctx context.Context) { b.handleHomeOpened(ctx, rsp, in.user, in.key) }
	default:
		return
	}
	if err := b.dispatch(ctx, in.kind, run); err != nil {
		go b.tell(context.WithoutCancel(ctx), rsp, o, err.Error())
	}
}

// malformed tells whoever sent an unreadable payload, when that can be
// worked out, that nothing happened.
func (b *Bot) malformed(ctx context.Context, rsp responder, raw json.RawMessage) {
	b.metrics.Errors.WithLabelValues("malformed").Inc()
	var p struct {
		UserID      string          `json:"user_id"`
		User        json.RawMessage `json:"user"`
		ResponseURL string          `json:"response_url"`
		ChannelID   string          `json:"channel_id"`
	}
	if json.Unmarshal(raw, &p) != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil || json.Unmarshal([]byte(s), &p) != nil {
			return
		}
	}
	user := p.UserID
	if user == "" && len(p.User) > 0 {
		var u struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(p.User, &u) == nil {
			user = u.ID
		}
	}
	if user == "" || (p.ResponseURL == "" && !strings.HasPrefix(user, "U") && !strings.HasPrefix(user, "W")) {
		return
	}
	b.tell(ctx, rsp, Origin{User: user, ResponseURL: p.ResponseURL, Channel: p.ChannelID},
		":warning: Slack sent me something I couldn't read, so I did nothing with it. Please try again; if it keeps happening, tell your Steward admins.")
}
