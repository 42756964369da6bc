package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/internal/testsupport/slackfake"
)

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN:"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN:"},
		{map[string]string{"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN:"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN:"},
		{map[string]string{"SLACK_CLIENT_ID": "1"}, "SLACK_CLIENT_SECRET:"},
		{map[string]string{"SLACK_CLIENT_ID": "1", "SLACK_CLIENT_SECRET": "2"}, "SLACK_SIGNING_SECRET:"},
		{map[string]string{"SLACK_API_URL": "ftp://x"}, "SLACK_API_URL:"},
		{map[string]string{"STEWARD_APPROVALS_CHANNEL": "#approvals"}, "STEWARD_APPROVALS_CHANNEL:"},
		{map[string]string{"STEWARD_HTTP_ADDR": "8080"}, "STEWARD_HTTP_ADDR:"},
		{map[string]string{"STEWARD_COPILOT": "gpt"}, "STEWARD_COPILOT:"},
		{map[string]string{"STEWARD_QUORUM": "Classification.Restricted=zero"}, "STEWARD_QUORUM:"},
		{map[string]string{"STEWARD_DEFAULT_DURATION": "a week"}, "STEWARD_DEFAULT_DURATION:"},
		{map[string]string{"STEWARD_DEFAULT_DURATION": "2000h", "STEWARD_MAX_DURATION": "100h"}, "STEWARD_DEFAULT_DURATION:"},
		{map[string]string{"STEWARD_LOG_LEVEL": "loud"}, "STEWARD_LOG_LEVEL:"},
		{map[string]string{"STEWARD_WORKERS": "0"}, "STEWARD_WORKERS:"},
		{map[string]string{"STEWARD_CONNECTORS": "mysql://x"}, "STEWARD_CONNECTORS"},
		{map[string]string{"STEWARD_ALLOW_STANDING": "sometimes"}, "STEWARD_ALLOW_STANDING:"},
		{map[string]string{"STEWARD_CATALOG_RELOAD": "-1m"}, "STEWARD_CATALOG_RELOAD:"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			_, err := loadConfig(envFrom(tc.env))
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), tc.want), err.Error())
			assert.NotContains(t, err.Error(), "\n", "one line")
			for k, v := range tc.env {
				if strings.Contains(k, "TOKEN") || strings.Contains(k, "SECRET") {
					assert.NotContains(t, err.Error(), v, "secrets are never echoed")
				}
			}
		})
	}
}

func TestConfigModesAndRedactedSummary(t *testing.T) {
	c, err := loadConfig(envFrom(nil))
	require.NoError(t, err)
	assert.Equal(t, modeConsole, c.mode())
	assert.Equal(t, "https://slack.com/api/", c.APIURL)
	assert.Equal(t, ":8080", c.HTTPAddr)

	c, err = loadConfig(envFrom(map[string]string{"SLACK_BOT_TOKEN": "xoxb-secret-1", "SLACK_APP_TOKEN": "xapp-secret-2",
		"SLACK_API_URL": "http://127.0.0.1:1/api", "STEWARD_STORE": "firestore://proj/db"}))
	require.NoError(t, err)
	assert.Equal(t, modeSocket, c.mode())
	assert.Equal(t, "http://127.0.0.1:1/api/", c.APIURL)
	summary := fmt.Sprint(c.summary()...)
	assert.NotContains(t, summary, "secret-1")
	assert.NotContains(t, summary, "secret-2")

	c, err = loadConfig(envFrom(map[string]string{"SLACK_SIGNING_SECRET": "s", "SLACK_CLIENT_ID": "i", "SLACK_CLIENT_SECRET": "cs"}))
	require.NoError(t, err)
	assert.Equal(t, modeHTTP, c.mode(), "OAuth installs need no fixed bot token")
	assert.Equal(t, "postgres://steward:xxxxx@h/db", redactURL("postgres://steward:pw@h/db"))
}

// syncBuffer is a bytes.Buffer safe for the logger and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunWithoutTokensIsTheConsole(t *testing.T) {
	var out, errOut syncBuffer
	e := env{stdin: strings.NewReader("/policy list\nas jamal\n/access claims.adjuster_notes for 2 days because triage\n"),
		stdout: &out, stderr: &errOut, getenv: envFrom(map[string]string{})}
	code := mainWithEnv(context.Background(), e, []string{"run"})
	assert.Equal(t, 0, code, errOut.String())
	assert.Contains(t, out.String(), "acting as Maya Chen")
	assert.Contains(t, out.String(), "No policies are in force")
	assert.Contains(t, out.String(), "== Access request ==")

	// Empty, non-terminal stdin: a clean exit.
	e.stdin = strings.NewReader("")
	assert.Equal(t, 0, mainWithEnv(context.Background(), e, []string{"console"}))
	// --as names a user that does not exist.
	e.stdin = strings.NewReader("")
	assert.Equal(t, 2, mainWithEnv(context.Background(), e, []string{"console", "--as", "ghost"}))
}

func TestRunSocketModeAgainstFakeSlack(t *testing.T) {
	fake, err := slackfake.New()
	require.NoError(t, err)
	defer fake.Close()
	fake.AddUser(slackfake.User{ID: "U0MAYA", Email: "maya.chen@northwind.example", EmailConfirmed: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	var out, errOut syncBuffer
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: envFrom(map[string]string{
		"SLACK_BOT_TOKEN": slackfake.BotToken, "SLACK_APP_TOKEN": slackfake.AppToken, "SLACK_API_URL": fake.APIURL(),
		"STEWARD_STORE": filepath.Join(t.TempDir(), "s.db"), "STEWARD_APPROVALS_CHANNEL": "C0APPROVALS",
		"STEWARD_HTTP_ADDR": addr, "STEWARD_TICK_INTERVAL": "1h",
	})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- mainWithEnv(ctx, e, []string{"run"}) }()
	require.NoError(t, fake.WaitConnected(1, 15*time.Second), errOut.String())

	p := fake.SlashCommand("U0MAYA", "C0GENERAL", "/policy", "Actuaries can read claims data")
	id, err := fake.Send("slash_commands", p)
	require.NoError(t, err)
	_, err = fake.WaitAck(id, slackfake.AckDeadline)
	require.NoError(t, err)
	_, err = fake.WaitCall("response_url", 10*time.Second, func(c slackfake.Call) bool { return strings.Contains(c.JSON(), "policy_save") })
	require.NoError(t, err)

	resp, err := http.Get("http://" + addr + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(metrics), `steward_slack_envelopes_total{kind="command",transport="socket"} 1`)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errOut.String())
	case <-time.After(15 * time.Second):
		t.Fatal("steward run did not stop")
	}
	logs := errOut.String()
	assert.Contains(t, logs, `"mode":"socket"`)
	assert.NotContains(t, logs, slackfake.BotToken, "tokens are never logged")
	assert.NotContains(t, logs, slackfake.AppToken)
}

func TestRunHTTPModeServesSignedSlackRequests(t *testing.T) {
	fake, err := slackfake.New()
	require.NoError(t, err)
	defer fake.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	var out, errOut syncBuffer
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: envFrom(map[string]string{
		"SLACK_BOT_TOKEN": slackfake.BotToken, "SLACK_SIGNING_SECRET": slackfake.SigningSecret, "SLACK_API_URL": fake.APIURL(),
		"STEWARD_STORE": filepath.Join(t.TempDir(), "s.db"), "STEWARD_HTTP_ADDR": addr, "STEWARD_TICK_INTERVAL": "1h",
	})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- mainWithEnv(ctx, e, []string{"run"}) }()
	base := "http://" + addr
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	}, 15*time.Second, 50*time.Millisecond, errOut.String())

	body := []byte(`{"token":"t","challenge":"abc","type":"url_verification"}`)
	req, _ := slackfake.SignedRequest(base+"/slack/events", slackfake.SigningSecret, time.Now(), "application/json", body)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "abc", string(got))
	req, _ = slackfake.SignedRequest(base+"/slack/events", "wrong", time.Now(), "application/json", body)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errOut.String())
	case <-time.After(15 * time.Second):
		t.Fatal("steward run did not stop")
	}
	assert.Contains(t, errOut.String(), `"mode":"http"`)
	assert.NotContains(t, errOut.String(), slackfake.SigningSecret)
}
