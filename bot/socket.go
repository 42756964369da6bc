package bot

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// DefaultAPIURL is Slack's Web API base URL.
const DefaultAPIURL = "https://slack.com/api/"

// SocketConfig is what Socket Mode needs. Tokens are secrets: never log them.
type SocketConfig struct {
	BotToken string
	AppToken string
	APIURL   string // default DefaultAPIURL
	// HTTPClient is used for the Web API and response URLs (optional).
	HTTPClient *http.Client
	// TLSConfig, when set, is used for the Web API and the wss:// connection
	// (a private Slack-compatible server with its own CA).
	TLSConfig *tls.Config
}

// RunSocketMode connects to Slack over Socket Mode and serves until ctx ends.
// Every envelope is acked before any work starts; the work runs on the
// bounded pool. socketmode reconnects with backoff by itself.
func (b *Bot) RunSocketMode(ctx context.Context, cfg SocketConfig) error {
	if cfg.BotToken == "" || cfg.AppToken == "" {
		return errors.New("socket mode needs both a bot token and an app-level token")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 15 * time.Second}
		if cfg.TLSConfig != nil {
			httpClient.Transport = &http.Transport{TLSClientConfig: cfg.TLSConfig, Proxy: http.ProxyFromEnvironment}
		}
	}
	rsp := newWebResponder(cfg.BotToken, cfg.APIURL, httpClient)
	if _, err := rsp.api.AuthTestContext(ctx); err != nil {
		return fmt.Errorf("checking the bot token with auth.test: %w", err)
	}
	api := slack.New(cfg.BotToken, slack.OptionAPIURL(cfg.APIURL), slack.OptionAppLevelToken(cfg.AppToken), slack.OptionHTTPClient(httpClient))
	opts := []socketmode.Option{socketmode.OptionLog(log.New(slogWriter{b}, "", 0))}
	if cfg.TLSConfig != nil {
		opts = append(opts, socketmode.OptionDialer(&websocket.Dialer{
			Proxy: http.ProxyFromEnvironment, TLSClientConfig: cfg.TLSConfig,
			HandshakeTimeout: 45 * time.Second, WriteBufferSize: 32 << 10,
		}))
	}
	client := socketmode.New(api, opts...)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- client.RunContext(runCtx) }()
	for {
		select {
		case <-ctx.Done():
			b.Wait()
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				b.Wait()
				return nil
			}
			return fmt.Errorf("socket mode: %w", err)
		case ev := <-client.Events:
			b.onSocketEvent(runCtx, client, rsp, ev)
		}
	}
}

type slogWriter struct{ b *Bot }

func (w slogWriter) Write(p []byte) (int, error) {
	w.b.log.Debug("socketmode", "msg", strings.TrimSpace(string(p)))
	return len(p), nil
}

func (b *Bot) onSocketEvent(ctx context.Context, client *socketmode.Client, rsp responder, ev socketmode.Event) {
	received := time.Now()
	var in incoming
	switch ev.Type {
	case socketmode.EventTypeConnecting:
		b.log.Info("connecting to Slack (Socket Mode)")
		return
	case socketmode.EventTypeConnected:
		b.log.Info("connected to Slack (Socket Mode)")
		return
	case socketmode.EventTypeConnectionError:
		b.metrics.Errors.WithLabelValues("connection").Inc()
		b.log.Warn("Socket Mode connection failed; retrying with backoff", "detail", fmt.Sprint(ev.Data))
		return
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("Slack rejected the app-level token")
		return
	case socketmode.EventTypeErrorBadMessage:
		bad, _ := ev.Data.(*socketmode.ErrorBadMessage)
		if bad == nil {
			return
		}
		var env struct {
			EnvelopeID string          `json:"envelope_id"`
			Type       string          `json:"type"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(bad.Message, &env) == nil && env.EnvelopeID != "" {
			_ = client.Ack(socketmode.Request{EnvelopeID: env.EnvelopeID})
			b.observeAck("socket", "malformed", received)
			b.log.Warn("acked a malformed envelope", "envelope", env.EnvelopeID, "type", env.Type, "err", bad.Cause)
			if b.claim(ctx, "env:"+env.EnvelopeID) {
				go b.malformed(context.WithoutCancel(ctx), rsp, env.Payload)
			}
		}
		return
	case socketmode.EventTypeSlashCommand:
		cmd, ok := ev.Data.(slack.SlashCommand)
		if !ok {
			return
		}
		in = decodeCommand(cmd)
	case socketmode.EventTypeInteractive:
		cb, ok := ev.Data.(slack.InteractionCallback)
		if !ok {
			return
		}
		in = decodeInteraction(cb)
	case socketmode.EventTypeEventsAPI:
		e, ok := ev.Data.(slackevents.EventsAPIEvent)
		if !ok {
			return
		}
		in = decodeEvent(e)
	default:
		return
	}
	if ev.Request == nil {
		return
	}
	answer := b.quickAnswer(ctx, in)
	var err error
	if answer != nil {
		err = client.Ack(*ev.Request, answer)
	} else {
		err = client.Ack(*ev.Request)
	}
	b.observeAck("socket", in.kind, received)
	if err != nil {
		b.metrics.Errors.WithLabelValues("ack").Inc()
		b.log.Error("acking envelope", "envelope", ev.Request.EnvelopeID, "err", err)
	}
	if ev.Request.RetryAttempt > 0 {
		b.log.Info("redelivered envelope", "envelope", ev.Request.EnvelopeID, "attempt", ev.Request.RetryAttempt, "reason", ev.Request.RetryReason)
	}
	b.process(ctx, rsp, in, answer)
}

func (b *Bot) observeAck(transport, kind string, received time.Time) {
	b.metrics.Envelopes.WithLabelValues(transport, kind).Inc()
	b.metrics.AckLatency.WithLabelValues(transport).Observe(time.Since(received).Seconds())
}
