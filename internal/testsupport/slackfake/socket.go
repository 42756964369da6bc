package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) handleWebSocket(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("ticket") == "" {
		http.Error(w, "missing ticket", http.StatusUnauthorized)
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = conn.Close()
		return
	}
	old := s.conn
	s.conn = conn
	s.connects++
	s.connections++
	s.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	hello := map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": AppID},
		"debug_info":      map[string]any{"host": "slackfake", "approximate_connection_time": 3600}}
	if err := s.write(conn, hello); err != nil {
		return
	}
	s.mu.Lock()
	close(s.connSignal)
	s.connSignal = make(chan struct{})
	s.mu.Unlock()

	done := make(chan struct{})
	go s.pinger(conn, done)
	defer close(done)
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			s.mu.Lock()
			if s.conn == conn {
				s.conn = nil
			}
			s.mu.Unlock()
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		now := time.Now()
		s.mu.Lock()
		if env, ok := s.envelopes[ack.EnvelopeID]; ok && env.ack == nil {
			env.ack = &Ack{EnvelopeID: ack.EnvelopeID, Payload: ack.Payload, Latency: now.Sub(env.sentAt), Attempt: env.attempt}
			close(env.acked)
		}
		s.mu.Unlock()
	}
}

func (s *Server) pinger(conn *websocket.Conn, done chan struct{}) {
	t := time.NewTicker(s.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			s.connWrite.Lock()
			err := conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
			s.connWrite.Unlock()
			if err != nil {
				return
			}
		}
	}
}

func (s *Server) write(conn *websocket.Conn, v any) error {
	s.connWrite.Lock()
	defer s.connWrite.Unlock()
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return conn.WriteJSON(v)
}

// WaitConnected waits until at least n WebSocket connections have said hello.
func (s *Server) WaitConnected(n int, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got, sig := s.connects, s.connSignal
		live := s.conn != nil
		s.mu.Unlock()
		if got >= n && live {
			return nil
		}
		select {
		case <-sig:
		case <-deadline:
			return fmt.Errorf("slackfake: %d of %d Socket Mode connections within %s", got, n, timeout)
		}
	}
}

// Connections is how many times a client has connected.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connects
}

// DropConnection closes the WebSocket abruptly, as a network failure would.
func (s *Server) DropConnection() {
	s.mu.Lock()
	conn := s.conn
	s.conn = nil
	s.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}

// Disconnect asks the client to reconnect, as Slack does before it cycles a server.
func (s *Server) Disconnect() error {
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	if conn == nil {
		return errNotConnected
	}
	return s.write(conn, map[string]any{"type": "disconnect", "reason": "refresh_requested"})
}

// Send delivers an envelope of type typ (events_api, slash_commands,
// interactive) carrying payload, and returns its envelope id.
func (s *Server) Send(typ string, payload any) (string, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	return s.SendRaw(typ, raw)
}

// SendRaw delivers an envelope whose payload is raw JSON (which may be malformed on purpose).
func (s *Server) SendRaw(typ string, raw json.RawMessage) (string, error) {
	s.mu.Lock()
	s.seq++
	env := &envelope{id: fmt.Sprintf("env-%06d", s.seq), typ: typ, payload: raw, acked: make(chan struct{})}
	s.envelopes[env.id] = env
	s.order = append(s.order, env.id)
	s.mu.Unlock()
	return env.id, s.deliver(env)
}

func (s *Server) deliver(env *envelope) error {
	s.mu.Lock()
	conn := s.conn
	env.sentAt = time.Now()
	msg := map[string]any{"envelope_id": env.id, "type": env.typ, "payload": env.payload,
		"accepts_response_payload": env.typ != "events_api", "retry_attempt": env.attempt}
	if env.attempt > 0 {
		msg["retry_reason"] = "timeout"
	}
	s.mu.Unlock()
	if conn == nil {
		return errNotConnected
	}
	return s.write(conn, msg)
}

// Redeliver sends an envelope again with the next retry_attempt, as Slack
// does when it did not see an ack in time.
func (s *Server) Redeliver(envelopeID string) error {
	s.mu.Lock()
	env, ok := s.envelopes[envelopeID]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("slackfake: unknown envelope %s", envelopeID)
	}
	retry := &envelope{id: env.id, typ: env.typ, payload: env.payload, attempt: env.attempt + 1, acked: make(chan struct{})}
	s.envelopes[env.id] = retry
	s.mu.Unlock()
	return s.deliver(retry)
}

// WaitAck waits for the ack of an envelope (its latest delivery).
func (s *Server) WaitAck(envelopeID string, timeout time.Duration) (Ack, error) {
	s.mu.Lock()
	env, ok := s.envelopes[envelopeID]
	s.mu.Unlock()
	if !ok {
		return Ack{}, fmt.Errorf("slackfake: unknown envelope %s", envelopeID)
	}
	select {
	case <-env.acked:
		s.mu.Lock()
		defer s.mu.Unlock()
		return *env.ack, nil
	case <-time.After(timeout):
		return Ack{}, fmt.Errorf("slackfake: envelope %s not acked within %s", envelopeID, timeout)
	}
}

// Acks returns every ack received so far, in envelope order.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ack
	for _, id := range s.order {
		if env := s.envelopes[id]; env.ack != nil {
			out = append(out, *env.ack)
		}
	}
	return out
}

// LateOrMissingAcks lists envelopes that were not acked within Slack's 3 s
// deadline (checked at call time: an unacked envelope younger than the
// deadline is not yet late).
func (s *Server) LateOrMissingAcks() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range s.order {
		env := s.envelopes[id]
		switch {
		case env.ack != nil && env.ack.Latency > AckDeadline:
			out = append(out, fmt.Sprintf("%s acked after %s", id, env.ack.Latency))
		case env.ack == nil && time.Since(env.sentAt) > AckDeadline:
			out = append(out, id+" never acked")
		}
	}
	return out
}

// --- payload builders ---------------------------------------------------------

func (s *Server) trigger() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("%d.%d.trigger", s.seq, time.Now().UnixNano())
	s.triggers[id] = time.Now()
	return id
}

// Interaction carries what a test needs to build an interactive payload.
type Interaction struct {
	User      string
	Channel   string
	MessageTS string // the message whose button was clicked
	ActionID  string
	BlockID   string
	Value     string
	Ephemeral bool
}

// SlashCommand builds a slash_commands payload with fresh trigger id and response URL.
func (s *Server) SlashCommand(user, channel, command, text string) map[string]any {
	return map[string]any{
		"token": "verification-token-unused", "team_id": TeamID, "team_domain": "fake",
		"channel_id": channel, "channel_name": "general", "user_id": user, "user_name": strings.ToLower(user),
		"command": command, "text": text, "response_url": s.ResponseURL(), "trigger_id": s.trigger(),
		"api_app_id": AppID,
	}
}

// BlockAction builds a block_actions payload for a button click.
func (s *Server) BlockAction(in Interaction) map[string]any {
	s.mu.Lock()
	s.seq++
	actionTS := fmt.Sprintf("%d.%06d", time.Now().Unix(), s.seq)
	s.mu.Unlock()
	container := map[string]any{"type": "message", "message_ts": in.MessageTS, "channel_id": in.Channel, "is_ephemeral": in.Ephemeral}
	if in.Channel == "" {
		container = map[string]any{"type": "view", "view_id": "VHOME" + in.User}
	}
	p := map[string]any{
		"type": "block_actions", "api_app_id": AppID, "token": "verification-token-unused",
		"team": map[string]any{"id": TeamID, "domain": "fake"}, "user": map[string]any{"id": in.User, "team_id": TeamID},
		"trigger_id": s.trigger(), "response_url": s.ResponseURL(), "container": container,
		"actions": []any{map[string]any{"type": "button", "action_id": in.ActionID, "block_id": in.BlockID,
			"value": in.Value, "action_ts": actionTS, "text": map[string]any{"type": "plain_text", "text": in.ActionID}}},
	}
	if in.Channel != "" {
		p["channel"] = map[string]any{"id": in.Channel}
		p["message"] = map[string]any{"ts": in.MessageTS, "type": "message"}
	}
	return p
}

// ViewSubmission builds a view_submission payload for a view the app opened.
// values maps block_id -> action_id -> state value (e.g. {"type":"plain_text_input","value":"x"}).
func (s *Server) ViewSubmission(user, viewID string, values map[string]map[string]any) (map[string]any, error) {
	s.mu.Lock()
	v, ok := s.views[viewID]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("slackfake: unknown view %s", viewID)
	}
	view := withID(v.View, viewID)
	view["state"] = map[string]any{"values": values}
	view["team_id"] = TeamID
	return map[string]any{
		"type": "view_submission", "api_app_id": AppID, "team": map[string]any{"id": TeamID},
		"user": map[string]any{"id": user, "team_id": TeamID}, "view": view, "trigger_id": s.trigger(),
	}, nil
}

// LastView returns the most recently opened modal.
func (s *Server) LastView() (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *View
	for id, v := range s.views {
		if strings.HasPrefix(id, "VHOME") {
			continue
		}
		if best == nil || id > best.ID {
			best = v
		}
	}
	if best == nil {
		return View{}, false
	}
	return *best, true
}

// BlockSuggestion builds a block_suggestion payload (an external select's typeahead).
func (s *Server) BlockSuggestion(user, viewID, blockID, actionID, typed string) map[string]any {
	return map[string]any{
		"type": "block_suggestion", "api_app_id": AppID, "team": map[string]any{"id": TeamID},
		"user": map[string]any{"id": user}, "action_id": actionID, "block_id": blockID, "value": typed,
		"view": map[string]any{"id": viewID, "type": "modal"},
	}
}

// Event wraps an inner event into an events_api event_callback payload.
func (s *Server) Event(inner map[string]any) map[string]any {
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("Ev%08d", s.seq)
	s.mu.Unlock()
	return map[string]any{
		"token": "verification-token-unused", "team_id": TeamID, "api_app_id": AppID,
		"type": "event_callback", "event_id": id, "event_time": time.Now().Unix(), "event": inner,
	}
}

// AppMention builds an app_mention event posted in channel (and creates the message).
func (s *Server) AppMention(user, channel, text string) map[string]any {
	s.mu.Lock()
	ts := s.nextTS()
	s.messages[channel] = append(s.messages[channel], &Message{Channel: channel, TS: ts, Text: text})
	s.mu.Unlock()
	return s.Event(map[string]any{"type": "app_mention", "user": user, "text": text, "ts": ts,
		"channel": channel, "event_ts": ts})
}

// AppHomeOpened builds an app_home_opened event.
func (s *Server) AppHomeOpened(user string) map[string]any {
	return s.Event(map[string]any{"type": "app_home_opened", "user": user, "channel": DMChannel(user),
		"tab": "home", "event_ts": fmt.Sprintf("%d.000100", time.Now().Unix())})
}

// URLValues flattens a slash command payload into the form HTTP mode receives.
func URLValues(p map[string]any) url.Values {
	v := url.Values{}
	for k, val := range p {
		v.Set(k, fmt.Sprint(val))
	}
	return v
}
