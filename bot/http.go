package bot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"golang.org/x/oauth2"

	"github.com/steward-dev/steward/approvals"
)

// HTTPConfig is what HTTP mode needs. Secrets are never logged.
type HTTPConfig struct {
	SigningSecret string
	// BotToken answers workspaces that were not installed through OAuth
	// (a single-workspace app); installed workspaces use their stored token.
	BotToken string
	APIURL   string // default DefaultAPIURL
	// OAuth v2 install (optional): both set enables /slack/install.
	ClientID     string
	ClientSecret string
	RedirectURL  string // public URL of /slack/oauth/callback; Slack's app setting when empty
	Scopes       []string
	HTTPClient   *http.Client
}

// BotScopes are the bot token scopes Steward uses (also in infra/slack/manifest.yaml).
func BotScopes() []string {
	return []string{"app_mentions:read", "chat:write", "commands", "im:write", "users:read", "users:read.email"}
}

const maxBody = 1 << 20

// OpsHandler serves /healthz and /metrics.
func (b *Bot) OpsHandler() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if b.stopping.Load() {
			http.Error(w, "stopping", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.Handle("GET /metrics", b.metrics.Handler())
	return mux
}

// Stopping marks the bot as shutting down (health checks fail so load
// balancers stop sending traffic).
func (b *Bot) Stopping() { b.stopping.Store(true) }

type httpMode struct {
	b     *Bot
	cfg   HTTPConfig
	mu    sync.Mutex
	teams map[string]*webResponder
}

// HTTPHandler serves the Events API, slash commands, interactivity, OAuth
// install, /healthz and /metrics. Every Slack request must carry a valid
// signature made within the last five minutes; others get 401.
func (b *Bot) HTTPHandler(cfg HTTPConfig) (http.Handler, error) {
	if cfg.SigningSecret == "" {
		return nil, errors.New("HTTP mode needs the signing secret")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = BotScopes()
	}
	h := &httpMode{b: b, cfg: cfg, teams: map[string]*webResponder{}}
	mux := b.OpsHandler()
	mux.HandleFunc("POST /slack/commands", h.verified(h.commands))
	mux.HandleFunc("POST /slack/interactivity", h.verified(h.interactivity))
	mux.HandleFunc("POST /slack/events", h.verified(h.events))
	mux.HandleFunc("GET /slack/install", h.install)
	mux.HandleFunc("GET /slack/oauth/callback", h.callback)
	return mux, nil
}

// verified reads the body and checks Slack's signature before next runs.
func (h *httpMode) verified(next func(w http.ResponseWriter, r *http.Request, body []byte, received time.Time)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		received := time.Now()
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, h.cfg.SigningSecret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			h.b.metrics.Errors.WithLabelValues("bad_signature").Inc()
			h.b.log.Warn("rejected a request with a bad or stale Slack signature", "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
			http.Error(w, "invalid or stale Slack signature", http.StatusUnauthorized)
			return
		}
		next(w, r, body, received)
	}
}

// responder answers in the workspace the request came from.
func (h *httpMode) responder(ctx context.Context, team string) responder {
	h.mu.Lock()
	defer h.mu.Unlock()
	if rsp, ok := h.teams[team]; ok {
		return rsp
	}
	token := h.cfg.BotToken
	if team != "" {
		if ws, err := h.b.store.GetWorkspace(ctx, team); err == nil && ws.BotToken != "" {
			token = ws.BotToken
		} else if err != nil && !errors.Is(err, approvals.ErrNotFound) {
			h.b.log.Error("loading workspace token", "team", team, "err", err)
		}
	}
	rsp := newWebResponder(token, h.cfg.APIURL, h.cfg.HTTPClient)
	if team != "" {
		h.teams[team] = rsp
	}
	return rsp
}

func (h *httpMode) ack(w http.ResponseWriter, in incoming, answer any, received time.Time) {
	if answer != nil {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer)
	} else {
		w.WriteHeader(http.StatusOK)
	}
	// Slack has its answer now, before any work starts.
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	h.b.observeAck("http", in.kind, received)
}

func (h *httpMode) commands(w http.ResponseWriter, r *http.Request, body []byte, received time.Time) {
	if form, err := url.ParseQuery(string(body)); err == nil && form.Get("ssl_check") == "1" {
		w.WriteHeader(http.StatusOK) // Slack checking the certificate, not a command
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	cmd, err := slack.SlashCommandParse(r)
	if err != nil || cmd.Command == "" {
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		h.b.metrics.Errors.WithLabelValues("malformed").Inc()
		return
	}
	in := decodeCommand(cmd)
	h.ack(w, in, nil, received)
	h.b.process(context.Background(), h.responder(r.Context(), cmd.TeamID), in, nil)
}

func (h *httpMode) interactivity(w http.ResponseWriter, r *http.Request, body []byte, received time.Time) {
	form, err := url.ParseQuery(string(body))
	var cb slack.InteractionCallback
	if err == nil {
		err = json.Unmarshal([]byte(form.Get("payload")), &cb)
	}
	if err != nil {
		h.b.metrics.Errors.WithLabelValues("malformed").Inc()
		http.Error(w, "malformed interaction payload", http.StatusBadRequest)
		return
	}
	in := decodeInteraction(cb)
	answer := h.b.quickAnswer(r.Context(), in)
	h.ack(w, in, answer, received)
	h.b.process(context.Background(), h.responder(r.Context(), cb.Team.ID), in, answer)
}

func (h *httpMode) events(w http.ResponseWriter, r *http.Request, body []byte, received time.Time) {
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		h.b.metrics.Errors.WithLabelValues("malformed").Inc()
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	if ev.Type == slackevents.URLVerification {
		var ch slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &ch); err != nil {
			http.Error(w, "malformed challenge", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, ch.Challenge)
		return
	}
	in := decodeEvent(ev)
	h.ack(w, in, nil, received)
	h.b.process(context.Background(), h.responder(r.Context(), ev.TeamID), in, nil)
}

// --- OAuth v2 install -----------------------------------------------------------

func (h *httpMode) oauthConfig() *oauth2.Config {
	base := strings.TrimSuffix(strings.TrimSuffix(h.cfg.APIURL, "/"), "/api")
	return &oauth2.Config{
		ClientID: h.cfg.ClientID, ClientSecret: h.cfg.ClientSecret, RedirectURL: h.cfg.RedirectURL,
		Scopes: h.cfg.Scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:   base + "/oauth/v2/authorize",
			TokenURL:  strings.TrimSuffix(h.cfg.APIURL, "/") + "/oauth.v2.access",
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

const stateCookie = "steward_oauth_state"

// state binds the install to this browser (cookie) and to a time window.
func (h *httpMode) state(nonce string, at time.Time) string {
	mac := hmac.New(sha256.New, []byte(h.cfg.ClientSecret+h.cfg.SigningSecret))
	fmt.Fprintf(mac, "%s.%d", nonce, at.Unix())
	return fmt.Sprintf("%s.%d.%s", nonce, at.Unix(), hex.EncodeToString(mac.Sum(nil)))
}

func (h *httpMode) install(w http.ResponseWriter, r *http.Request) {
	if h.cfg.ClientID == "" || h.cfg.ClientSecret == "" {
		http.Error(w, "OAuth install is not configured (set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)", http.StatusNotFound)
		return
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	nonce := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: nonce, Path: "/slack/oauth", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteLaxMode, MaxAge: 600})
	cfg := h.oauthConfig()
	// Slack's v2 flow takes bot scopes in "scope", comma-separated.
	authURL := cfg.AuthCodeURL(h.state(nonce, time.Now()), oauth2.SetAuthURLParam("scope", strings.Join(cfg.Scopes, ",")))
	http.Redirect(w, r, authURL, http.StatusFound)
}

func (h *httpMode) checkState(r *http.Request) error {
	parts := strings.Split(r.URL.Query().Get("state"), ".")
	if len(parts) != 3 {
		return errors.New("missing state")
	}
	c, err := r.Cookie(stateCookie)
	if err != nil || c.Value != parts[0] {
		return errors.New("state does not belong to this browser")
	}
	ts, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)) > 10*time.Minute {
		return errors.New("install link expired")
	}
	if !hmac.Equal([]byte(h.state(parts[0], time.Unix(ts, 0))), []byte(r.URL.Query().Get("state"))) {
		return errors.New("state signature mismatch")
	}
	return nil
}

func (h *httpMode) callback(w http.ResponseWriter, r *http.Request) {
	if h.cfg.ClientID == "" || h.cfg.ClientSecret == "" {
		http.Error(w, "OAuth install is not configured", http.StatusNotFound)
		return
	}
	if e := r.URL.Query().Get("error"); e != "" {
		http.Error(w, "Slack did not install Steward: "+e, http.StatusBadRequest)
		return
	}
	if err := h.checkState(r); err != nil {
		h.b.log.Warn("rejected OAuth callback", "err", err)
		http.Error(w, "This install link is not valid ("+err.Error()+"). Start again from /slack/install.", http.StatusBadRequest)
		return
	}
	code := r.URL.Query().Get("code")
	if code == "" {
		http.Error(w, "missing code", http.StatusBadRequest)
		return
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, h.cfg.HTTPClient)
	tok, err := h.oauthConfig().Exchange(ctx, code)
	if err != nil {
		h.b.log.Error("exchanging the OAuth code", "err", err)
		http.Error(w, "Slack did not accept the install code; please start again from /slack/install.", http.StatusBadGateway)
		return
	}
	team, _ := tok.Extra("team").(map[string]any)
	authed, _ := tok.Extra("authed_user").(map[string]any)
	botUser, _ := tok.Extra("bot_user_id").(string)
	ws := approvals.Workspace{BotToken: tok.AccessToken, BotUserID: botUser, InstalledAt: h.b.now()}
	ws.TeamID, _ = team["id"].(string)
	ws.TeamName, _ = team["name"].(string)
	ws.InstalledBy, _ = authed["id"].(string)
	if ws.TeamID == "" {
		http.Error(w, "Slack's answer named no workspace", http.StatusBadGateway)
		return
	}
	if err := h.b.store.SaveWorkspace(ctx, ws); err != nil {
		h.b.log.Error("saving workspace", "team", ws.TeamID, "err", err)
		http.Error(w, "Could not save the installation; please try again.", http.StatusInternalServerError)
		return
	}
	h.mu.Lock()
	delete(h.teams, ws.TeamID)
	h.mu.Unlock()
	h.b.log.Info("installed in workspace", "team", ws.TeamID, "name", ws.TeamName, "by", ws.InstalledBy)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html><title>Steward installed</title><p>Steward is installed in <b>%s</b>. You can close this tab and type <code>/access</code> in Slack.</p>",
		html.EscapeString(ws.TeamName))
}
