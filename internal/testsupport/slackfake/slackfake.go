// Package slackfake is a local stand-in for Slack that speaks the documented
// protocols: the Web API over HTTP (form or JSON bodies, token in the form or
// a Bearer header, {"ok":false,"error":...} on failure, Block Kit limits
// enforced like the real API), response URLs, OAuth v2 code exchange, and
// Socket Mode over WebSocket (hello, envelopes, acks, redelivery, dropped
// connections). It records every call and every ack so tests can assert what
// a real workspace would have shown. It listens on 127.0.0.1 only.
package slackfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Defaults a test can rely on.
const (
	BotToken      = "xoxb-fake-bot-token"
	AppToken      = "xapp-fake-app-token"
	SigningSecret = "fake-signing-secret"
	ClientID      = "fake-client-id"
	ClientSecret  = "fake-client-secret"
	TeamID        = "T0FAKE"
	BotUserID     = "U0STEWARD"
	AppID         = "A0STEWARD"
	// AckDeadline is how long Slack waits for an envelope's ack before it retries.
	AckDeadline = 3 * time.Second
)

// User is a workspace member as users.info describes it.
type User struct {
	ID             string
	Name           string
	Email          string
	EmailConfirmed bool
}

// Call is one Web API (or response URL) call as the fake received it.
type Call struct {
	Method string         // e.g. chat.postMessage, or "response_url"
	Token  string         // token presented
	Params map[string]any // form values (strings) or JSON body; blocks and view decoded
	Error  string         // the error the fake answered with, "" when ok
	At     time.Time
}

// Blocks returns the call's blocks (or the view's blocks) as decoded JSON.
func (c Call) Blocks() []any {
	if b, ok := c.Params["blocks"].([]any); ok {
		return b
	}
	if v, ok := c.Params["view"].(map[string]any); ok {
		b, _ := v["blocks"].([]any)
		return b
	}
	return nil
}

// Str returns a string parameter.
func (c Call) Str(key string) string {
	switch v := c.Params[key].(type) {
	case string:
		return v
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(v)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// JSON renders the call's parameters, for assertions on text anywhere in a card.
func (c Call) JSON() string {
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(c.Params)
	return strings.TrimSpace(buf.String())
}

// Message is a message the fake holds, as posted or last updated.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	Blocks   []any
	User     string // for ephemeral messages: who sees it
}

// Ack is the app's answer to one envelope.
type Ack struct {
	EnvelopeID string
	Payload    json.RawMessage
	Latency    time.Duration // from sending the envelope to receiving the ack
	Attempt    int           // retry_attempt of the delivery that was acked
}

type envelope struct {
	id      string
	typ     string
	payload json.RawMessage
	sentAt  time.Time
	attempt int
	acked   chan struct{}
	ack     *Ack
}

// View is a modal or Home tab the app opened or published.
type View struct {
	ID   string
	User string
	View map[string]any
}

// Server is the fake Slack.
type Server struct {
	hs     *httptest.Server
	base   string // http(s)://127.0.0.1:port
	wsBase string // ws(s)://127.0.0.1:port

	// PingInterval is how often the WebSocket is pinged (Slack pings every few seconds).
	PingInterval time.Duration

	mu          sync.Mutex
	calls       []Call
	callSignal  chan struct{}
	users       map[string]User
	messages    map[string][]*Message // by channel
	responses   map[string][]Message  // by response URL id
	views       map[string]*View
	triggers    map[string]time.Time // issued trigger ids and when
	codes       map[string]bool      // OAuth codes issued, unused
	envelopes   map[string]*envelope
	order       []string // envelope ids in send order
	conn        *websocket.Conn
	connWrite   sync.Mutex
	connects    int
	connSignal  chan struct{}
	seq         int
	tsClock     int64
	closed      bool
	connections int
	limited     map[string]int // method -> calls still to refuse with 429
}

// New starts a fake Slack on 127.0.0.1 and an ephemeral port, over plain
// HTTP and ws://.
func New() (*Server, error) { return start(false) }

// NewTLS starts a fake Slack served over HTTPS, whose apps.connections.open
// hands out wss:// URLs as Slack does. Clients must trust TLSConfig().
func NewTLS() (*Server, error) { return start(true) }

func start(useTLS bool) (*Server, error) {
	s := &Server{
		PingInterval: 5 * time.Second,
		callSignal:   make(chan struct{}), connSignal: make(chan struct{}),
		users: map[string]User{}, messages: map[string][]*Message{}, responses: map[string][]Message{},
		views: map[string]*View{}, triggers: map[string]time.Time{}, codes: map[string]bool{},
		envelopes: map[string]*envelope{}, tsClock: 1_700_000_000_000_000, limited: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.handleAPI)
	mux.HandleFunc("/response/", s.handleResponseURL)
	mux.HandleFunc("/link/", s.handleWebSocket)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("slackfake: listening: %w", err)
	}
	s.hs = httptest.NewUnstartedServer(mux)
	s.hs.Listener = ln
	if useTLS {
		s.hs.StartTLS()
		s.wsBase = "wss://" + ln.Addr().String()
	} else {
		s.hs.Start()
		s.wsBase = "ws://" + ln.Addr().String()
	}
	s.base = s.hs.URL
	return s, nil
}

// TLSConfig trusts the server's certificate (for NewTLS servers).
func (s *Server) TLSConfig() *tls.Config {
	if tr, ok := s.hs.Client().Transport.(*http.Transport); ok && tr.TLSClientConfig != nil {
		return tr.TLSClientConfig.Clone()
	}
	return nil
}

// Close stops the server and drops the WebSocket.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	conn := s.conn
	s.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
	s.hs.CloseClientConnections()
	s.hs.Close()
}

// APIURL is the Web API base URL (what SLACK_API_URL should be), ending in "/".
func (s *Server) APIURL() string { return s.base + "/api/" }

// BaseURL is the server root.
func (s *Server) BaseURL() string { return s.base }

// AddUser adds a workspace member that users.info can describe.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// IssueOAuthCode returns a code that oauth.v2.access will exchange once.
func (s *Server) IssueOAuthCode() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	code := fmt.Sprintf("code-%d", s.seq)
	s.codes[code] = true
	return code
}

// --- recording and waiting -------------------------------------------------

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
	close(s.callSignal)
	s.callSignal = make(chan struct{})
}

// Calls returns every recorded call to method ("" for all), in order.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitCall waits until a call to method for which match returns true has
// been recorded (match may be nil) and returns it.
func (s *Server) WaitCall(method string, timeout time.Duration, match func(Call) bool) (Call, error) {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		for _, c := range s.calls {
			if c.Method == method && (match == nil || match(c)) {
				s.mu.Unlock()
				return c, nil
			}
		}
		sig := s.callSignal
		s.mu.Unlock()
		select {
		case <-sig:
		case <-deadline:
			return Call{}, fmt.Errorf("slackfake: no %s call matched within %s", method, timeout)
		}
	}
}

// Messages returns the messages in a channel, oldest first.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.messages[channel]))
	for _, m := range s.messages[channel] {
		out = append(out, *m)
	}
	return out
}

// Message returns one message by channel and ts.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messages[channel] {
		if m.TS == ts {
			return *m, true
		}
	}
	return Message{}, false
}

// Views returns every view opened, pushed, updated or published, by id.
func (s *Server) Views() map[string]View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]View{}
	for k, v := range s.views {
		out[k] = *v
	}
	return out
}

// DMChannel is the id of the direct-message channel between the app and a user.
func DMChannel(userID string) string { return "D" + strings.TrimPrefix(userID, "U") }

// --- Web API ----------------------------------------------------------------

type apiError string

func (e apiError) Error() string { return string(e) }

// RateLimit makes the next n calls to method fail the way Slack's rate
// limiter does: HTTP 429 with Retry-After: 1.
func (s *Server) RateLimit(method string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited[method] = n
}

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	s.mu.Lock()
	limited := s.limited[method] > 0
	if limited {
		s.limited[method]--
	}
	s.mu.Unlock()
	if limited {
		s.record(Call{Method: method, Error: "ratelimited", At: time.Now()})
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
		return
	}
	params, token, err := parseParams(r)
	call := Call{Method: method, Token: token, Params: params, At: time.Now()}
	var result map[string]any
	if err != nil {
		err = apiError("invalid_form_data")
	} else {
		result, err = s.dispatch(method, token, params, r)
	}
	if err != nil {
		call.Error = err.Error()
		s.record(call)
		writeJSON(w, map[string]any{"ok": false, "error": err.Error()})
		return
	}
	s.record(call)
	if result == nil {
		result = map[string]any{}
	}
	result["ok"] = true
	writeJSON(w, result)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// parseParams reads a form or JSON body and the token (Bearer header or form).
func parseParams(r *http.Request) (map[string]any, string, error) {
	params := map[string]any{}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		token = ""
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
		if err != nil {
			return nil, token, err
		}
		if len(body) > 0 {
			if err := json.Unmarshal(body, &params); err != nil {
				return nil, token, err
			}
		}
	} else {
		if err := r.ParseForm(); err != nil {
			return nil, token, err
		}
		for k, v := range r.Form {
			if len(v) > 0 {
				params[k] = v[0]
			}
		}
	}
	if t, ok := params["token"].(string); ok && token == "" {
		token = t
	}
	delete(params, "token")
	// Blocks and views travel as JSON strings in form bodies; decode them.
	for _, k := range []string{"blocks", "view", "attachments"} {
		if str, ok := params[k].(string); ok {
			var v any
			if err := json.Unmarshal([]byte(str), &v); err != nil {
				return nil, token, fmt.Errorf("%s is not JSON: %w", k, err)
			}
			params[k] = v
		}
	}
	return params, token, nil
}

func str(p map[string]any, k string) string {
	v, _ := p[k].(string)
	return v
}

func (s *Server) checkToken(token, want string) error {
	switch {
	case token == "":
		return apiError("not_authed")
	case want == AppToken && strings.HasPrefix(token, "xoxb-"):
		return apiError("not_allowed_token_type")
	case token == want:
		return nil
	case want == BotToken && strings.HasPrefix(token, "xoxb-fake-installed-"):
		return nil // tokens handed out by oauth.v2.access
	}
	return apiError("invalid_auth")
}

func (s *Server) dispatch(method, token string, p map[string]any, r *http.Request) (map[string]any, error) {
	switch method {
	case "oauth.v2.access":
		return s.oauthAccess(p, r)
	case "apps.connections.open":
		if err := s.checkToken(token, AppToken); err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.seq++
		ticket := s.seq
		s.mu.Unlock()
		return map[string]any{"url": fmt.Sprintf("%s/link/?ticket=%d", s.wsBase, ticket)}, nil
	}
	if err := s.checkToken(token, BotToken); err != nil {
		return nil, err
	}
	switch method {
	case "auth.test":
		return map[string]any{"url": "https://fake.slack.test/", "team": "Fake Workspace", "user": "steward",
			"team_id": TeamID, "user_id": BotUserID, "bot_id": "B0STEWARD"}, nil
	case "chat.postMessage":
		return s.postMessage(p)
	case "chat.update":
		return s.updateMessage(p)
	case "chat.postEphemeral":
		if str(p, "user") == "" {
			return nil, apiError("user_not_in_channel")
		}
		m, err := s.newMessage(p)
		if err != nil {
			return nil, err
		}
		m.User = str(p, "user")
		return map[string]any{"message_ts": m.TS}, nil
	case "conversations.open":
		users := str(p, "users")
		if users == "" || strings.Contains(users, ",") {
			return nil, apiError("user_not_found")
		}
		if _, ok := s.lookupUser(users); !ok {
			return nil, apiError("user_not_found")
		}
		return map[string]any{"channel": map[string]any{"id": DMChannel(users)}, "no_op": false, "already_open": false}, nil
	case "users.info":
		u, ok := s.lookupUser(str(p, "user"))
		if !ok {
			return nil, apiError("user_not_found")
		}
		return map[string]any{"user": userJSON(u)}, nil
	case "users.lookupByEmail":
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, u := range s.users {
			if strings.EqualFold(u.Email, str(p, "email")) && u.Email != "" {
				return map[string]any{"user": userJSON(u)}, nil
			}
		}
		return nil, apiError("users_not_found")
	case "views.open", "views.push":
		return s.openView(p)
	case "views.update":
		id := str(p, "view_id")
		s.mu.Lock()
		v, ok := s.views[id]
		s.mu.Unlock()
		if !ok {
			return nil, apiError("not_found")
		}
		view, _ := p["view"].(map[string]any)
		if err := validateView(view); err != nil {
			return nil, err
		}
		s.mu.Lock()
		v.View = view
		s.mu.Unlock()
		return map[string]any{"view": withID(view, id)}, nil
	case "views.publish":
		view, _ := p["view"].(map[string]any)
		if err := validateView(view); err != nil {
			return nil, err
		}
		if str(p, "user_id") == "" {
			return nil, apiError("invalid_arguments")
		}
		id := "VHOME" + str(p, "user_id")
		s.mu.Lock()
		s.views[id] = &View{ID: id, User: str(p, "user_id"), View: view}
		s.mu.Unlock()
		return map[string]any{"view": withID(view, id)}, nil
	}
	return nil, apiError("unknown_method")
}

func userJSON(u User) map[string]any {
	return map[string]any{"id": u.ID, "name": u.Name, "real_name": u.Name, "team_id": TeamID,
		"is_email_confirmed": u.EmailConfirmed,
		"profile":            map[string]any{"email": u.Email, "real_name": u.Name, "display_name": u.Name}}
}

func withID(view map[string]any, id string) map[string]any {
	out := map[string]any{}
	for k, v := range view {
		out[k] = v
	}
	out["id"] = id
	out["hash"] = "h" + id
	return out
}

func (s *Server) lookupUser(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	return u, ok
}

func (s *Server) nextTS() string {
	s.tsClock++
	return fmt.Sprintf("%d.%06d", s.tsClock/1_000_000, s.tsClock%1_000_000)
}

// newMessage validates and stores a message from chat.postMessage-like params.
func (s *Server) newMessage(p map[string]any) (*Message, error) {
	channel := str(p, "channel")
	if channel == "" {
		return nil, apiError("channel_not_found")
	}
	blocks, err := messageBlocks(p)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(channel, "U") {
		channel = DMChannel(channel)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{Channel: channel, TS: s.nextTS(), ThreadTS: str(p, "thread_ts"), Text: str(p, "text"), Blocks: blocks}
	if m.ThreadTS != "" && !s.hasMessage(channel, m.ThreadTS) {
		return nil, apiError("thread_not_found")
	}
	s.messages[channel] = append(s.messages[channel], m)
	return m, nil
}

func (s *Server) hasMessage(channel, ts string) bool {
	for _, m := range s.messages[channel] {
		if m.TS == ts {
			return true
		}
	}
	return false
}

func messageBlocks(p map[string]any) ([]any, error) {
	var blocks []any
	if raw, ok := p["blocks"]; ok && raw != nil {
		b, ok := raw.([]any)
		if !ok {
			return nil, apiError("invalid_blocks_format")
		}
		blocks = b
	}
	if len(blocks) == 0 && strings.TrimSpace(str(p, "text")) == "" {
		return nil, apiError("no_text")
	}
	if len([]rune(str(p, "text"))) > 40000 {
		return nil, apiError("msg_too_long")
	}
	if err := validateBlocks(blocks, 50); err != nil {
		return nil, err
	}
	return blocks, nil
}

func (s *Server) postMessage(p map[string]any) (map[string]any, error) {
	m, err := s.newMessage(p)
	if err != nil {
		return nil, err
	}
	return map[string]any{"channel": m.Channel, "ts": m.TS, "message": map[string]any{"text": m.Text, "ts": m.TS, "blocks": m.Blocks}}, nil
}

func (s *Server) updateMessage(p map[string]any) (map[string]any, error) {
	channel, ts := str(p, "channel"), str(p, "ts")
	if channel == "" {
		return nil, apiError("channel_not_found")
	}
	if ts == "" {
		return nil, apiError("message_not_found")
	}
	blocks, err := messageBlocks(p)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messages[channel] {
		if m.TS == ts {
			m.Text, m.Blocks = str(p, "text"), blocks
			return map[string]any{"channel": channel, "ts": ts, "text": m.Text}, nil
		}
	}
	return nil, apiError("message_not_found")
}

func (s *Server) openView(p map[string]any) (map[string]any, error) {
	trigger := str(p, "trigger_id")
	if trigger == "" {
		return nil, apiError("invalid_arguments")
	}
	s.mu.Lock()
	issued, ok := s.triggers[trigger]
	if ok {
		delete(s.triggers, trigger) // a trigger opens one view
	}
	s.mu.Unlock()
	if !ok {
		return nil, apiError("invalid_trigger_id")
	}
	if time.Since(issued) > 3*time.Second {
		return nil, apiError("expired_trigger_id")
	}
	view, _ := p["view"].(map[string]any)
	if err := validateView(view); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("V%06d", s.seq)
	s.views[id] = &View{ID: id, View: view}
	s.mu.Unlock()
	return map[string]any{"view": withID(view, id)}, nil
}

func (s *Server) oauthAccess(p map[string]any, r *http.Request) (map[string]any, error) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = str(p, "client_id"), str(p, "client_secret")
	}
	if id != ClientID || secret != ClientSecret {
		return nil, apiError("invalid_client_id")
	}
	code := str(p, "code")
	s.mu.Lock()
	valid := s.codes[code]
	delete(s.codes, code)
	s.mu.Unlock()
	if !valid {
		return nil, apiError("invalid_code")
	}
	return map[string]any{
		"access_token": "xoxb-fake-installed-" + code, "token_type": "bot",
		"scope": "commands,chat:write", "bot_user_id": BotUserID, "app_id": AppID,
		"team":        map[string]any{"id": "T0" + strings.ToUpper(strings.ReplaceAll(code, "-", "")), "name": "Installed Workspace"},
		"authed_user": map[string]any{"id": "U0INSTALLER"},
	}, nil
}

// --- response URLs -----------------------------------------------------------

// ResponseURL issues a response_url like the ones Slack puts in commands and actions.
func (s *Server) ResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("%s/response/r%d", s.base, s.seq)
}

// Responses returns the messages posted to one response URL.
func (s *Server) Responses(responseURL string) []Message {
	id := responseURL[strings.LastIndex(responseURL, "/")+1:]
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.responses[id]...)
}

func (s *Server) handleResponseURL(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	var p map[string]any
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	call := Call{Method: "response_url", Params: map[string]any{}, At: time.Now()}
	if err := json.Unmarshal(body, &p); err != nil {
		call.Error = "invalid_payload"
		s.record(call)
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	p["response_url_id"] = id
	call.Params = p
	if _, err := messageBlocks(p); err != nil && !(p["delete_original"] == true) {
		call.Error = err.Error()
		s.record(call)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	blocks, _ := p["blocks"].([]any)
	s.mu.Lock()
	s.responses[id] = append(s.responses[id], Message{Text: str(p, "text"), Blocks: blocks})
	s.mu.Unlock()
	s.record(call)
	_, _ = io.WriteString(w, "ok")
}

// --- Block Kit limits ----------------------------------------------------------

func validateView(view map[string]any) error {
	if view == nil {
		return apiError("invalid_arguments")
	}
	typ := str(view, "type")
	if typ != "modal" && typ != "home" {
		return apiError("invalid_arguments")
	}
	if typ == "modal" {
		title, _ := view["title"].(map[string]any)
		if t := str(title, "text"); t == "" || len([]rune(t)) > 24 {
			return apiError("invalid_arguments")
		}
		for _, k := range []string{"submit", "close"} {
			if b, ok := view[k].(map[string]any); ok && len([]rune(str(b, "text"))) > 24 {
				return apiError("invalid_arguments")
			}
		}
	}
	if len(str(view, "private_metadata")) > 3000 || len(str(view, "callback_id")) > 255 {
		return apiError("invalid_arguments")
	}
	blocks, _ := view["blocks"].([]any)
	return validateBlocks(blocks, 100)
}

// validateBlocks applies Slack's documented Block Kit limits.
func validateBlocks(blocks []any, max int) error {
	if len(blocks) > max {
		return apiError("invalid_blocks")
	}
	ids := map[string]bool{}
	for _, raw := range blocks {
		b, ok := raw.(map[string]any)
		if !ok {
			return apiError("invalid_blocks")
		}
		if id := str(b, "block_id"); id != "" {
			if len(id) > 255 || ids[id] {
				return apiError("invalid_blocks")
			}
			ids[id] = true
		}
		if err := validateBlock(b); err != nil {
			return err
		}
	}
	return nil
}

func textLen(t any) int {
	m, _ := t.(map[string]any)
	return len([]rune(str(m, "text")))
}

func validateBlock(b map[string]any) error {
	bad := apiError("invalid_blocks")
	switch str(b, "type") {
	case "section":
		if b["text"] == nil && b["fields"] == nil {
			return bad
		}
		if b["text"] != nil && (textLen(b["text"]) == 0 || textLen(b["text"]) > 3000) {
			return bad
		}
		fields, _ := b["fields"].([]any)
		if len(fields) > 10 {
			return bad
		}
		for _, f := range fields {
			if textLen(f) == 0 || textLen(f) > 2000 {
				return bad
			}
		}
		if acc, ok := b["accessory"].(map[string]any); ok {
			return validateElement(acc)
		}
	case "header":
		if textLen(b["text"]) == 0 || textLen(b["text"]) > 150 {
			return bad
		}
	case "context":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > 10 {
			return bad
		}
		for _, e := range els {
			if textLen(e) > 3000 {
				return bad
			}
		}
	case "actions":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > 25 {
			return bad
		}
		for _, e := range els {
			m, _ := e.(map[string]any)
			if err := validateElement(m); err != nil {
				return err
			}
		}
	case "input":
		if textLen(b["label"]) == 0 || textLen(b["label"]) > 2000 {
			return bad
		}
		el, _ := b["element"].(map[string]any)
		if el == nil {
			return bad
		}
		return validateElement(el)
	case "divider", "image", "rich_text":
	default:
		return bad
	}
	return nil
}

func validateElement(e map[string]any) error {
	bad := apiError("invalid_blocks")
	if e == nil || len(str(e, "action_id")) > 255 {
		return bad
	}
	switch str(e, "type") {
	case "button":
		if textLen(e["text"]) == 0 || textLen(e["text"]) > 75 || len(str(e, "value")) > 2000 {
			return bad
		}
	case "static_select", "multi_static_select":
		opts, _ := e["options"].([]any)
		groups, _ := e["option_groups"].([]any)
		if len(opts) == 0 && len(groups) == 0 || len(opts) > 100 || len(groups) > 100 {
			return bad
		}
		for _, o := range opts {
			if err := validateOption(o); err != nil {
				return err
			}
		}
	case "external_select", "multi_external_select", "plain_text_input", "users_select",
		"conversations_select", "datepicker", "overflow", "checkboxes", "radio_buttons":
		if opts, ok := e["options"].([]any); ok {
			for _, o := range opts {
				if err := validateOption(o); err != nil {
					return err
				}
			}
		}
	default:
		return bad
	}
	if init, ok := e["initial_options"].([]any); ok {
		for _, o := range init {
			if err := validateOption(o); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateOption(o any) error {
	m, _ := o.(map[string]any)
	if textLen(m["text"]) == 0 || textLen(m["text"]) > 75 || len(str(m, "value")) == 0 || len(str(m, "value")) > 150 {
		return apiError("invalid_blocks")
	}
	return nil
}

// --- request signing (HTTP mode) ----------------------------------------------

// Sign computes Slack's v0 signature of body at ts with secret.
func Sign(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:%s", ts.Unix(), body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignedRequest builds a POST to target signed the way Slack signs requests.
func SignedRequest(target, secret string, ts time.Time, contentType string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
	return req, nil
}

// FormBody encodes an interaction payload the way HTTP mode receives it.
func FormBody(payload any) []byte {
	b, _ := json.Marshal(payload)
	return []byte(url.Values{"payload": {string(b)}}.Encode())
}

var errNotConnected = errors.New("slackfake: no Socket Mode client connected")
