package bot

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/steward-dev/steward/approvals"
)

// workspacesResponder is what the periodic work (expiry notices, reminders,
// review items, recommendations) speaks through. Nothing inbound says which
// workspace a user or channel is in, so it tries the configured bot token
// first, then the token of each workspace that installed the app by OAuth,
// and remembers which one reached each user and channel. An app installed
// only by OAuth (no SLACK_BOT_TOKEN) so still sends its reminders.
type workspacesResponder struct {
	store  approvals.Store
	token  string // SLACK_BOT_TOKEN, may be empty
	apiURL string
	client *http.Client

	mu       sync.Mutex
	byToken  map[string]*webResponder
	reached  map[string]string // user, channel or email -> the token that reached it
	tokens   []string
	listedAt time.Time
}

// workspaceListTTL bounds how stale the list of installed workspaces gets.
const workspaceListTTL = time.Minute

func newWorkspacesResponder(store approvals.Store, token, apiURL string, client *http.Client) *workspacesResponder {
	return &workspacesResponder{store: store, token: token, apiURL: apiURL, client: client,
		byToken: map[string]*webResponder{}, reached: map[string]string{}}
}

// errNoWorkspace is the answer when there is no token to try at all.
var errNoWorkspace = errors.New("no Slack bot token: set SLACK_BOT_TOKEN or install the app in a workspace")

// candidates returns the tokens to try, the configured one first, and a
// responder for each.
func (w *workspacesResponder) candidates(ctx context.Context) ([]string, map[string]*webResponder) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.tokens == nil || time.Since(w.listedAt) >= workspaceListTTL {
		tokens := []string{}
		if w.token != "" {
			tokens = append(tokens, w.token)
		}
		// A store error leaves the configured token, and is retried next time.
		if wss, err := w.store.ListWorkspaces(ctx); err == nil {
			for _, ws := range wss {
				if ws.BotToken != "" && !slices.Contains(tokens, ws.BotToken) {
					tokens = append(tokens, ws.BotToken)
				}
			}
			w.listedAt = time.Now()
		}
		w.tokens = tokens
	}
	for _, t := range w.tokens {
		if w.byToken[t] == nil {
			w.byToken[t] = newWebResponder(t, w.apiURL, w.client)
		}
	}
	return w.tokens, w.byToken
}

// each calls f with each workspace's responder until one is not told that
// key is elsewhere; the order starts with the workspace that reached key before.
func (w *workspacesResponder) each(ctx context.Context, key string, f func(responder) error) error {
	tokens, rsps := w.candidates(ctx)
	w.mu.Lock()
	if t, ok := w.reached[key]; ok {
		if i := slices.Index(tokens, t); i > 0 {
			tokens = append([]string{t}, slices.Delete(slices.Clone(tokens), i, i+1)...)
		}
	}
	w.mu.Unlock()
	err := errNoWorkspace
	for _, t := range tokens {
		if err = f(rsps[t]); err == nil {
			w.mu.Lock()
			w.reached[key] = t
			w.mu.Unlock()
			return nil
		}
		if !elsewhere(err) {
			return err
		}
	}
	return err
}

// elsewhere reports whether Slack's answer means "not in this workspace"
// (or this workspace's token no longer works), so another may do.
func elsewhere(err error) bool {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return false
	}
	switch se.Err {
	case "channel_not_found", "user_not_found", "users_not_found", "not_in_channel", "message_not_found",
		"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "team_access_not_granted":
		return true
	}
	return false
}

func (w *workspacesResponder) Respond(ctx context.Context, responseURL string, m message) error {
	// A response URL needs no token.
	return newWebResponder("", w.apiURL, w.client).Respond(ctx, responseURL, m)
}

func (w *workspacesResponder) Post(ctx context.Context, channel string, m message) (ref Ref, err error) {
	err = w.each(ctx, channel, func(r responder) (err error) {
		ref, err = r.Post(ctx, channel, m)
		return err
	})
	return ref, err
}

func (w *workspacesResponder) Update(ctx context.Context, ref Ref, m message) error {
	return w.each(ctx, ref.Channel, func(r responder) error { return r.Update(ctx, ref, m) })
}

func (w *workspacesResponder) Ephemeral(ctx context.Context, channel, user string, m message) error {
	return w.each(ctx, channel, func(r responder) error { return r.Ephemeral(ctx, channel, user, m) })
}

func (w *workspacesResponder) DM(ctx context.Context, user string, m message) (ref Ref, err error) {
	err = w.each(ctx, user, func(r responder) (err error) {
		ref, err = r.DM(ctx, user, m)
		return err
	})
	return ref, err
}

func (w *workspacesResponder) OpenModal(ctx context.Context, triggerID string, v slack.ModalViewRequest) error {
	return w.each(ctx, "trigger:"+triggerID, func(r responder) error { return r.OpenModal(ctx, triggerID, v) })
}

func (w *workspacesResponder) publishHome(ctx context.Context, user string, v slack.HomeTabViewRequest) error {
	return w.each(ctx, user, func(r responder) error { return r.publishHome(ctx, user, v) })
}

func (w *workspacesResponder) UserInfo(ctx context.Context, user string) (u SlackUser, err error) {
	err = w.each(ctx, user, func(r responder) (err error) {
		u, err = r.UserInfo(ctx, user)
		return err
	})
	return u, err
}

func (w *workspacesResponder) LookupByEmail(ctx context.Context, email string) (id string, err error) {
	err = w.each(ctx, "email:"+email, func(r responder) (err error) {
		id, err = r.LookupByEmail(ctx, email)
		return err
	})
	return id, err
}
