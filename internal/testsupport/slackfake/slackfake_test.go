package slackfake

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func startFake(t *testing.T) *Server {
	t.Helper()
	f, err := New()
	require.NoError(t, err)
	t.Cleanup(f.Close)
	return f
}

func TestWebAPIRecordsCallsAndEnforcesAuth(t *testing.T) {
	f := startFake(t)
	api := slack.New(BotToken, slack.OptionAPIURL(f.APIURL()))
	ch, ts, err := api.PostMessage("C1", slack.MsgOptionText("hello", false))
	require.NoError(t, err)
	assert.Equal(t, "C1", ch)
	_, _, _, err = api.UpdateMessage("C1", ts, slack.MsgOptionText("edited", false))
	require.NoError(t, err)
	m, ok := f.Message("C1", ts)
	require.True(t, ok)
	assert.Equal(t, "edited", m.Text)

	_, _, _, err = api.UpdateMessage("C1", "1.000", slack.MsgOptionText("x", false))
	assert.EqualError(t, err, "message_not_found")

	anon := slack.New("", slack.OptionAPIURL(f.APIURL()))
	_, _, err = anon.PostMessage("C1", slack.MsgOptionText("hello", false))
	assert.EqualError(t, err, "not_authed")
	bad := slack.New("xoxb-wrong", slack.OptionAPIURL(f.APIURL()))
	_, err = bad.AuthTest()
	assert.EqualError(t, err, "invalid_auth")
	assert.Len(t, f.Calls("chat.postMessage"), 2)
	assert.Equal(t, "not_authed", f.Calls("chat.postMessage")[1].Error)
}

func TestBlockKitLimits(t *testing.T) {
	f := startFake(t)
	api := slack.New(BotToken, slack.OptionAPIURL(f.APIURL()))
	section := func(n int) slack.Block {
		return slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", strings.Repeat("x", n), false, false), nil, nil)
	}
	many := make([]slack.Block, 51)
	for i := range many {
		many[i] = section(1)
	}
	cases := []struct {
		name   string
		blocks []slack.Block
		err    string
	}{
		{"50 blocks ok", many[:50], ""},
		{"51 blocks", many, "invalid_blocks"},
		{"3000 chars ok", []slack.Block{section(3000)}, ""},
		{"3001 chars", []slack.Block{section(3001)}, "invalid_blocks"},
		{"long button value", []slack.Block{slack.NewActionBlock("a", slack.NewButtonBlockElement("b", strings.Repeat("v", 2001), slack.NewTextBlockObject("plain_text", "Go", false, false)))}, "invalid_blocks"},
		{"button value 2000 ok", []slack.Block{slack.NewActionBlock("a", slack.NewButtonBlockElement("b", strings.Repeat("v", 2000), slack.NewTextBlockObject("plain_text", "Go", false, false)))}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := api.PostMessage("C1", slack.MsgOptionBlocks(tc.blocks...), slack.MsgOptionText("fallback", false))
			if tc.err == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, tc.err)
			}
		})
	}
}

func TestViewsNeedAFreshTrigger(t *testing.T) {
	f := startFake(t)
	api := slack.New(BotToken, slack.OptionAPIURL(f.APIURL()))
	view := slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject("plain_text", "Request access", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "hi", false, false), nil, nil)}}}
	_, err := api.OpenView("bogus", view)
	assert.EqualError(t, err, "invalid_trigger_id")
	trig := f.SlashCommand("U1", "C1", "/access", "")["trigger_id"].(string)
	_, err = api.OpenView(trig, view)
	require.NoError(t, err)
	_, err = api.OpenView(trig, view)
	assert.EqualError(t, err, "invalid_trigger_id", "a trigger opens one view")
}

func TestSocketModeAcksRedeliveryAndReconnect(t *testing.T) {
	f := startFake(t)
	f.PingInterval = 200 * time.Millisecond
	api := slack.New(BotToken, slack.OptionAPIURL(f.APIURL()), slack.OptionAppLevelToken(AppToken))
	client := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = client.RunContext(ctx) }()
	seen := make(chan string, 10)
	go func() {
		for ev := range client.Events {
			if ev.Request != nil && ev.Request.EnvelopeID != "" {
				client.Ack(*ev.Request)
				seen <- ev.Request.EnvelopeID
			}
		}
	}()
	require.NoError(t, f.WaitConnected(1, 5*time.Second))
	id, err := f.Send("slash_commands", f.SlashCommand("U1", "C1", "/policy", "list"))
	require.NoError(t, err)
	ack, err := f.WaitAck(id, 3*time.Second)
	require.NoError(t, err)
	assert.Less(t, ack.Latency, AckDeadline)
	require.NoError(t, f.Redeliver(id))
	ack, err = f.WaitAck(id, 3*time.Second)
	require.NoError(t, err)
	assert.Equal(t, 1, ack.Attempt)

	f.DropConnection()
	require.NoError(t, f.WaitConnected(2, 10*time.Second), "socketmode reconnects after a dropped connection")
	id2, err := f.Send("events_api", f.AppMention("U1", "C1", "<@U0STEWARD> hi"))
	require.NoError(t, err)
	_, err = f.WaitAck(id2, 3*time.Second)
	require.NoError(t, err)
	assert.Empty(t, f.LateOrMissingAcks())
}

func TestSignedRequest(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	req, err := SignedRequest("http://127.0.0.1/x", SigningSecret, now, "application/json", []byte(`{"a":1}`))
	require.NoError(t, err)
	sv, err := slack.NewSecretsVerifier(req.Header, SigningSecret)
	if err == nil {
		// The verifier rejects stale timestamps; this one is years old on purpose.
		t.Fatal("an old timestamp must be rejected")
	}
	_ = sv
	req, err = SignedRequest("http://127.0.0.1/x", SigningSecret, time.Now(), "application/json", []byte(`{"a":1}`))
	require.NoError(t, err)
	sv, err = slack.NewSecretsVerifier(req.Header, SigningSecret)
	require.NoError(t, err)
	_, _ = sv.Write([]byte(`{"a":1}`))
	assert.NoError(t, sv.Ensure())
	assert.Equal(t, http.MethodPost, req.Method)
}

func TestSocketModeOverTLS(t *testing.T) {
	f, err := NewTLS()
	require.NoError(t, err)
	defer f.Close()
	require.True(t, strings.HasPrefix(f.APIURL(), "https://127.0.0.1:"))
	httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: f.TLSConfig()}}
	api := slack.New(BotToken, slack.OptionAPIURL(f.APIURL()), slack.OptionAppLevelToken(AppToken), slack.OptionHTTPClient(httpClient))
	_, url, err := api.StartSocketModeContext(context.Background())
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(url, "wss://127.0.0.1:"), url)
	client := socketmode.New(api, socketmode.OptionDialer(&websocket.Dialer{TLSClientConfig: f.TLSConfig()}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = client.RunContext(ctx) }()
	go func() {
		for ev := range client.Events {
			if ev.Request != nil && ev.Request.EnvelopeID != "" {
				client.Ack(*ev.Request)
			}
		}
	}()
	require.NoError(t, f.WaitConnected(1, 10*time.Second))
	id, err := f.Send("events_api", f.AppHomeOpened("U1"))
	require.NoError(t, err)
	_, err = f.WaitAck(id, AckDeadline)
	require.NoError(t, err)
}
