package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/steward-dev/steward/approvals"
)

// config is every setting of `steward run` and `steward console`, read from
// the environment. Tokens and secrets are kept here and nowhere else; they
// are never logged (see summary).
type config struct {
	BotToken      string // SLACK_BOT_TOKEN (xoxb-)
	AppToken      string // SLACK_APP_TOKEN (xapp-): Socket Mode
	SigningSecret string // SLACK_SIGNING_SECRET: HTTP mode
	ClientID      string // SLACK_CLIENT_ID: OAuth install (HTTP mode)
	ClientSecret  string // SLACK_CLIENT_SECRET
	RedirectURL   string // SLACK_REDIRECT_URL: public URL of /slack/oauth/callback (optional)
	APIURL        string // SLACK_API_URL

	Catalog          string // STEWARD_CATALOG; "" = the embedded demo catalog
	ApprovalsChannel string // STEWARD_APPROVALS_CHANNEL
	GovernanceGroup  string // STEWARD_GOVERNANCE_GROUP
	Store            string // STEWARD_STORE
	Connectors       string // STEWARD_CONNECTORS (parsed by the reconciler's parser)
	HTTPAddr         string // STEWARD_HTTP_ADDR
	Copilot          string // STEWARD_COPILOT: builtin | gemini (GEMINI_* configure it)
	Quorum           []approvals.QuorumRule
	DefaultDuration  time.Duration // STEWARD_DEFAULT_DURATION
	MaxDuration      time.Duration // STEWARD_MAX_DURATION
	TickInterval     time.Duration // STEWARD_TICK_INTERVAL
	CatalogReload    time.Duration // STEWARD_CATALOG_RELOAD; 0 = only on SIGHUP
	Workers          int           // STEWARD_WORKERS
	AllowStanding    bool          // STEWARD_ALLOW_STANDING
	LogLevel         slog.Level    // STEWARD_LOG_LEVEL
}

// Transport modes.
const (
	modeSocket  = "socket"
	modeHTTP    = "http"
	modeConsole = "console"
)

// configHelp documents every setting; `steward run --help` prints it.
const configHelp = `Environment:
  SLACK_BOT_TOKEN            bot token (xoxb-...); with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET, run in Slack
  SLACK_APP_TOKEN            app-level token (xapp-...) with connections:write: Socket Mode
  SLACK_SIGNING_SECRET       signing secret: HTTP mode (Events API, /slack/commands, /slack/interactivity)
  SLACK_CLIENT_ID            OAuth client id: /slack/install installs into more workspaces (HTTP mode)
  SLACK_CLIENT_SECRET        OAuth client secret
  SLACK_REDIRECT_URL         public URL of /slack/oauth/callback (default: the app's configured URL)
  SLACK_API_URL              Slack Web API base URL (default https://slack.com/api/)
  STEWARD_CATALOG            catalog file (default: the embedded Northwind Mutual demo catalog)
  STEWARD_APPROVALS_CHANNEL  channel id (C...) for approval cards (default: DM each approver)
  STEWARD_GOVERNANCE_GROUP   catalog group that saves policies and may approve anything
                             (default data-governance, or governance, when the catalog has it)
  STEWARD_STORE              SQLite file (default steward.db) or firestore://PROJECT/DATABASE
  STEWARD_CONNECTORS         NAME=postgres://... connectors to reconcile (optional; see steward reconcile --help)
  STEWARD_HTTP_ADDR          listen address for /healthz, /metrics and HTTP mode (default :8080)
  STEWARD_COPILOT            builtin (default) or gemini (configured by GEMINI_API_KEY, GEMINI_MODEL, ...)
  STEWARD_QUORUM             extra approvals per tag, e.g. Classification.Restricted=2 (comma-separated)
  STEWARD_DEFAULT_DURATION   access length when a request names none (default 168h)
  STEWARD_MAX_DURATION       longest temporary access (default 2160h)
  STEWARD_TICK_INTERVAL      how often expiry, reminders and recertification run (default 30s)
  STEWARD_CATALOG_RELOAD     how often to look for a changed catalog file (default 1m; 0 = only on SIGHUP)
  STEWARD_ALLOW_STANDING     true lets requests ask for access with no end date, reviewed at recertification (default false)
  STEWARD_WORKERS            envelopes worked on at once after the ack (default 2 per CPU; raise it
                             when Slack or the store is slow to answer)
  STEWARD_LOG_LEVEL          debug, info (default), warn or error`

var channelIDRe = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)

// loadConfig reads the environment. The error is one line naming the setting.
func loadConfig(getenv func(string) string) (config, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	c := config{
		BotToken: get("SLACK_BOT_TOKEN"), AppToken: get("SLACK_APP_TOKEN"), SigningSecret: get("SLACK_SIGNING_SECRET"),
		ClientID: get("SLACK_CLIENT_ID"), ClientSecret: get("SLACK_CLIENT_SECRET"), RedirectURL: get("SLACK_REDIRECT_URL"),
		APIURL: get("SLACK_API_URL"), Catalog: get("STEWARD_CATALOG"), ApprovalsChannel: get("STEWARD_APPROVALS_CHANNEL"),
		GovernanceGroup: get("STEWARD_GOVERNANCE_GROUP"), Store: get("STEWARD_STORE"), Connectors: get("STEWARD_CONNECTORS"),
		HTTPAddr: get("STEWARD_HTTP_ADDR"), Copilot: strings.ToLower(get("STEWARD_COPILOT")),
	}
	if c.BotToken != "" && !strings.HasPrefix(c.BotToken, "xoxb-") {
		return c, fmt.Errorf("SLACK_BOT_TOKEN: want a bot token starting with xoxb- (Slack app > OAuth & Permissions)")
	}
	if c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-") {
		return c, fmt.Errorf("SLACK_APP_TOKEN: want an app-level token starting with xapp- (Slack app > Basic Information > App-Level Tokens)")
	}
	if c.AppToken != "" && c.BotToken == "" {
		return c, fmt.Errorf("SLACK_BOT_TOKEN: required with SLACK_APP_TOKEN (Socket Mode needs both)")
	}
	if (c.ClientID == "") != (c.ClientSecret == "") {
		if c.ClientID == "" {
			return c, fmt.Errorf("SLACK_CLIENT_ID: required with SLACK_CLIENT_SECRET")
		}
		return c, fmt.Errorf("SLACK_CLIENT_SECRET: required with SLACK_CLIENT_ID")
	}
	if c.BotToken != "" && c.AppToken == "" && c.SigningSecret == "" {
		return c, fmt.Errorf("SLACK_APP_TOKEN: set it (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode) to go with SLACK_BOT_TOKEN")
	}
	if c.ClientID != "" && c.SigningSecret == "" {
		return c, fmt.Errorf("SLACK_SIGNING_SECRET: required for the OAuth install (HTTP mode)")
	}
	if c.APIURL == "" {
		c.APIURL = "https://slack.com/api/"
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return c, fmt.Errorf("SLACK_API_URL: %q is not an http(s) URL", c.APIURL)
	}
	if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	if c.RedirectURL != "" {
		if u, err := url.Parse(c.RedirectURL); err != nil || u.Scheme == "" || u.Host == "" {
			return c, fmt.Errorf("SLACK_REDIRECT_URL: %q is not an absolute URL", c.RedirectURL)
		}
	}
	if c.ApprovalsChannel != "" && !channelIDRe.MatchString(c.ApprovalsChannel) {
		return c, fmt.Errorf("STEWARD_APPROVALS_CHANNEL: %q is not a channel id; use the id (e.g. C0123ABCD from the channel's details), not its #name", c.ApprovalsChannel)
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = ":8080"
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		return c, fmt.Errorf("STEWARD_HTTP_ADDR: %q is not HOST:PORT (e.g. :8080)", c.HTTPAddr)
	}
	switch c.Copilot {
	case "":
		c.Copilot = "builtin"
	case "builtin", "gemini":
	default:
		return c, fmt.Errorf("STEWARD_COPILOT: %q is not builtin or gemini", c.Copilot)
	}
	if c.Connectors != "" {
		if _, err := parseConnectorsSetting(c.Connectors); err != nil {
			return c, err
		}
	}
	var err error
	if c.Quorum, err = parseQuorum(get("STEWARD_QUORUM")); err != nil {
		return c, err
	}
	durations := []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{
		{"STEWARD_DEFAULT_DURATION", &c.DefaultDuration, 7 * 24 * time.Hour},
		{"STEWARD_MAX_DURATION", &c.MaxDuration, 90 * 24 * time.Hour},
		{"STEWARD_TICK_INTERVAL", &c.TickInterval, 30 * time.Second},
	}
	for _, d := range durations {
		*d.dst = d.def
		if v := get(d.name); v != "" {
			parsed, err := time.ParseDuration(v)
			if err != nil || parsed <= 0 {
				return c, fmt.Errorf("%s: %q is not a positive Go duration (e.g. 168h)", d.name, v)
			}
			*d.dst = parsed
		}
	}
	switch v := strings.ToLower(get("STEWARD_ALLOW_STANDING")); v {
	case "", "false", "0", "no":
	case "true", "1", "yes":
		c.AllowStanding = true
	default:
		return c, fmt.Errorf("STEWARD_ALLOW_STANDING: %q is not true or false", v)
	}
	c.CatalogReload = time.Minute
	if v := get("STEWARD_CATALOG_RELOAD"); v != "" {
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed < 0 {
			return c, fmt.Errorf("STEWARD_CATALOG_RELOAD: %q is not a Go duration (e.g. 1m, or 0 to reload only on SIGHUP)", v)
		}
		c.CatalogReload = parsed
	}
	if v := get("STEWARD_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return c, fmt.Errorf("STEWARD_WORKERS: %q is not a number from 1 to 1024", v)
		}
		c.Workers = n
	}
	if c.DefaultDuration > c.MaxDuration {
		return c, fmt.Errorf("STEWARD_DEFAULT_DURATION: %s is longer than STEWARD_MAX_DURATION (%s)", c.DefaultDuration, c.MaxDuration)
	}
	switch strings.ToLower(get("STEWARD_LOG_LEVEL")) {
	case "", "info":
		c.LogLevel = slog.LevelInfo
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		return c, fmt.Errorf("STEWARD_LOG_LEVEL: %q is not debug, info, warn or error", get("STEWARD_LOG_LEVEL"))
	}
	return c, nil
}

// parseQuorum reads "TAG=N,TAG=N".
func parseQuorum(s string) ([]approvals.QuorumRule, error) {
	var out []approvals.QuorumRule
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		i := strings.LastIndex(part, "=")
		if i <= 0 {
			return nil, fmt.Errorf("STEWARD_QUORUM: %q is not TAG=N", part)
		}
		n, err := strconv.Atoi(strings.TrimSpace(part[i+1:]))
		if err != nil || n < 1 || n > 10 {
			return nil, fmt.Errorf("STEWARD_QUORUM: %q: N must be a number from 1 to 10", part)
		}
		out = append(out, approvals.QuorumRule{Tag: strings.TrimSpace(part[:i]), Approvals: n})
	}
	return out, nil
}

// mode is the transport the settings ask for.
func (c config) mode() string {
	switch {
	case c.BotToken != "" && c.AppToken != "":
		return modeSocket
	case c.SigningSecret != "" && (c.BotToken != "" || c.ClientID != ""):
		return modeHTTP
	}
	return modeConsole
}

// summary is the configuration as it may be logged: secrets only as set/unset.
func (c config) summary() []any {
	set := func(s string) string {
		if s == "" {
			return "unset"
		}
		return "set"
	}
	catalog := c.Catalog
	if catalog == "" {
		catalog = "embedded demo"
	}
	store := c.Store
	if store == "" {
		store = defaultStorePath
	}
	return []any{
		"mode", c.mode(), "slack_api_url", c.APIURL, "bot_token", set(c.BotToken), "app_token", set(c.AppToken),
		"signing_secret", set(c.SigningSecret), "oauth", set(c.ClientID), "catalog", catalog,
		"approvals_channel", c.ApprovalsChannel, "governance_group", c.GovernanceGroup, "store", redactURL(store),
		"connectors", set(c.Connectors), "http_addr", c.HTTPAddr, "copilot", c.Copilot, "quorum_rules", len(c.Quorum),
		"workers", c.Workers, "default_duration", c.DefaultDuration.String(), "max_duration", c.MaxDuration.String(),
	}
}

// redactURL hides a password in a URL-shaped setting.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}
