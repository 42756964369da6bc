package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// webResponder answers through Slack's Web API and response URLs.
type webResponder struct {
	api  *slack.Client
	http *http.Client
	dms  sync.Map // Slack user id -> DM channel id
}

func newWebResponder(token, apiURL string, httpClient *http.Client) *webResponder {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 15 * time.Second}
	}
	opts := []slack.Option{slack.OptionHTTPClient(httpClient)}
	if apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(apiURL))
	}
	return &webResponder{api: slack.New(token, opts...), http: httpClient}
}

// maxRateLimitWait bounds how long one call waits for Slack's rate limiter
// before giving up (the work is in the background, so waiting is fine).
const maxRateLimitWait = 30 * time.Second

// retry repeats call while Slack answers 429, waiting as long as it asks.
func retry(ctx context.Context, call func() error) error {
	var waited time.Duration
	for {
		err := call()
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || waited+rl.RetryAfter > maxRateLimitWait {
			return err
		}
		wait := max(rl.RetryAfter, 100*time.Millisecond)
		waited += wait
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

func msgOptions(m message) []slack.MsgOption {
	m = fitMessage(m)
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks...))
	}
	if m.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(m.ThreadTS))
	}
	return opts
}

func (w *webResponder) Respond(ctx context.Context, responseURL string, m message) error {
	m = fitMessage(m)
	msg := &slack.WebhookMessage{Text: m.Text, ReplaceOriginal: m.ReplaceOriginal, ResponseType: slack.ResponseTypeEphemeral}
	if m.InChannel {
		msg.ResponseType = slack.ResponseTypeInChannel
	}
	if len(m.Blocks) > 0 {
		msg.Blocks = &slack.Blocks{BlockSet: m.Blocks}
	}
	if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, w.http, msg); err != nil {
		return fmt.Errorf("answering through the response URL: %w", err)
	}
	return nil
}

func (w *webResponder) Post(ctx context.Context, channel string, m message) (Ref, error) {
	var ch, ts string
	err := retry(ctx, func() (err error) {
		ch, ts, err = w.api.PostMessageContext(ctx, channel, msgOptions(m)...)
		return err
	})
	if err != nil {
		return Ref{}, fmt.Errorf("chat.postMessage to %s: %w", channel, err)
	}
	return Ref{Channel: ch, TS: ts}, nil
}

func (w *webResponder) Update(ctx context.Context, ref Ref, m message) error {
	m.ThreadTS = ""
	if err := retry(ctx, func() error {
		_, _, _, err := w.api.UpdateMessageContext(ctx, ref.Channel, ref.TS, msgOptions(m)...)
		return err
	}); err != nil {
		return fmt.Errorf("chat.update %s/%s: %w", ref.Channel, ref.TS, err)
	}
	return nil
}

func (w *webResponder) Ephemeral(ctx context.Context, channel, user string, m message) error {
	if err := retry(ctx, func() error {
		_, err := w.api.PostEphemeralContext(ctx, channel, user, msgOptions(m)...)
		return err
	}); err != nil {
		return fmt.Errorf("chat.postEphemeral to %s in %s: %w", user, channel, err)
	}
	return nil
}

func (w *webResponder) DM(ctx context.Context, user string, m message) (Ref, error) {
	ch, ok := w.dms.Load(user)
	if !ok {
		var c *slack.Channel
		err := retry(ctx, func() (err error) {
			c, _, _, err = w.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
			return err
		})
		if err != nil {
			return Ref{}, fmt.Errorf("conversations.open with %s: %w", user, err)
		}
		ch = c.ID
		w.dms.Store(user, c.ID)
	}
	return w.Post(ctx, ch.(string), m)
}

func (w *webResponder) OpenModal(ctx context.Context, triggerID string, v slack.ModalViewRequest) error {
	if _, err := w.api.OpenViewContext(ctx, triggerID, v); err != nil {
		return fmt.Errorf("views.open: %w", err)
	}
	return nil
}

func (w *webResponder) publishHome(ctx context.Context, user string, v slack.HomeTabViewRequest) error {
	if err := retry(ctx, func() error {
		_, err := w.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: v})
		return err
	}); err != nil {
		return fmt.Errorf("views.publish for %s: %w", user, err)
	}
	return nil
}

func (w *webResponder) UserInfo(ctx context.Context, user string) (SlackUser, error) {
	var u *slack.User
	err := retry(ctx, func() (err error) {
		u, err = w.api.GetUserInfoContext(ctx, user)
		return err
	})
	if err != nil {
		return SlackUser{}, fmt.Errorf("users.info %s: %w", user, err)
	}
	return SlackUser{ID: u.ID, Name: u.RealName, Email: u.Profile.Email, EmailConfirmed: u.IsEmailConfirmed}, nil
}

func (w *webResponder) LookupByEmail(ctx context.Context, email string) (string, error) {
	u, err := w.api.GetUserByEmailContext(ctx, email)
	if err != nil {
		return "", fmt.Errorf("users.lookupByEmail: %w", err)
	}
	return u.ID, nil
}
