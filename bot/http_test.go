package bot

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/internal/testsupport/slackfake"
)

func newHTTPHarness(t *testing.T) (*harness, *httptest.Server) {
	h, _, _ := newBotHarness(t)
	handler, err := h.bot.HTTPHandler(HTTPConfig{
		SigningSecret: slackfake.SigningSecret, BotToken: slackfake.BotToken, APIURL: h.fake.APIURL(),
		ClientID: slackfake.ClientID, ClientSecret: slackfake.ClientSecret,
	})
	require.NoError(t, err)
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return h, srv
}

func post(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHTTPModeSignatureVerification(t *testing.T) {
	h, srv := newHTTPHarness(t)
	form := func() []byte {
		return []byte(slackfake.URLValues(h.fake.SlashCommand(maya, "C0GENERAL", "/policy", "list")).Encode())
	}
	const ct = "application/x-www-form-urlencoded"
	cases := []struct {
		name   string
		secret string
		at     time.Time
		tamper bool
		want   int
	}{
		{"good signature", slackfake.SigningSecret, time.Now(), false, http.StatusOK},
		{"wrong secret", "not-the-secret", time.Now(), false, http.StatusUnauthorized},
		{"stale timestamp", slackfake.SigningSecret, time.Now().Add(-6 * time.Minute), false, http.StatusUnauthorized},
		{"future timestamp", slackfake.SigningSecret, time.Now().Add(6 * time.Minute), false, http.StatusUnauthorized},
		{"body changed after signing", slackfake.SigningSecret, time.Now(), true, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := form()
			req, err := slackfake.SignedRequest(srv.URL+"/slack/commands", tc.secret, tc.at, ct, body)
			require.NoError(t, err)
			if tc.tamper {
				req.Body = io.NopCloser(strings.NewReader(strings.Replace(string(body), "list", "retire+x", 1)))
				req.ContentLength = -1
			}
			code, _ := post(t, req)
			assert.Equal(t, tc.want, code)
		})
	}
	// Unsigned requests are refused too.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/slack/events", strings.NewReader(`{"type":"url_verification","challenge":"x"}`))
	code, _ := post(t, req)
	assert.Equal(t, http.StatusUnauthorized, code)

	// Only the good command did anything.
	require.Eventually(t, func() bool { return len(h.fake.Calls("response_url")) == 1 }, 5*time.Second, 20*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	assert.Len(t, h.fake.Calls("response_url"), 1)
}

func TestHTTPModeEventsAndInteractivity(t *testing.T) {
	h, srv := newHTTPHarness(t)
	// url_verification
	req, err := slackfake.SignedRequest(srv.URL+"/slack/events", slackfake.SigningSecret, time.Now(), "application/json",
		[]byte(`{"token":"t","challenge":"c-123","type":"url_verification"}`))
	require.NoError(t, err)
	code, body := post(t, req)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "c-123", body)

	// An @mention through the Events API, then an approval through interactivity.
	ev, _ := json.Marshal(h.fake.AppMention(jamal, "C0CLAIMS", "<@U0STEWARD> I need claims.adjuster_notes for 2 days to check a claim"))
	req, _ = slackfake.SignedRequest(srv.URL+"/slack/events", slackfake.SigningSecret, time.Now(), "application/json", ev)
	code, _ = post(t, req)
	assert.Equal(t, http.StatusOK, code)
	ts, reqID := h.approvalCard("pg.claims.adjuster_notes")

	// Slack retries the event (X-Slack-Retry-Num): handled once.
	req, _ = slackfake.SignedRequest(srv.URL+"/slack/events", slackfake.SigningSecret, time.Now(), "application/json", ev)
	req.Header.Set("X-Slack-Retry-Num", "1")
	code, _ = post(t, req)
	assert.Equal(t, http.StatusOK, code)

	click := h.fake.BlockAction(slackfake.Interaction{User: priya, Channel: approvalsChannel, MessageTS: ts, ActionID: actApprove, Value: reqID})
	req, _ = slackfake.SignedRequest(srv.URL+"/slack/interactivity", slackfake.SigningSecret, time.Now(), "application/x-www-form-urlencoded", slackfake.FormBody(click))
	code, _ = post(t, req)
	assert.Equal(t, http.StatusOK, code)
	h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts && strings.Contains(c.JSON(), "Approved") })
	reqs, err := h.store.ListRequests(context.Background(), approvals.RequestFilter{Requester: "jamal"})
	require.NoError(t, err)
	assert.Len(t, reqs, 1, "the retried event made no second request")

	// Malformed interactivity payload: 400, nothing happens.
	bad := []byte(url.Values{"payload": {"{not json"}}.Encode())
	req, _ = slackfake.SignedRequest(srv.URL+"/slack/interactivity", slackfake.SigningSecret, time.Now(), "application/x-www-form-urlencoded", bad)
	code, _ = post(t, req)
	assert.Equal(t, http.StatusBadRequest, code)

	// Health and metrics.
	resp, err := http.Get(srv.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(m), `steward_slack_envelopes_total{kind="mention",transport="http"}`)
	assert.Contains(t, string(m), "steward_slack_ack_seconds_bucket")
	assert.Contains(t, string(m), `steward_slack_errors_total{kind="malformed"} 1`)
}

func TestOAuthInstallStoresTheWorkspaceToken(t *testing.T) {
	h, srv := newHTTPHarness(t)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(srv.URL + "/slack/install")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "/oauth/v2/authorize", loc.Path)
	assert.Equal(t, slackfake.ClientID, loc.Query().Get("client_id"))
	assert.Contains(t, loc.Query().Get("scope"), "chat:write")
	state := loc.Query().Get("state")

	// A callback with a forged state is refused.
	resp, err = browser.Get(srv.URL + "/slack/oauth/callback?code=" + h.fake.IssueOAuthCode() + "&state=x.1.y")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	code := h.fake.IssueOAuthCode()
	resp, err = browser.Get(srv.URL + "/slack/oauth/callback?code=" + code + "&state=" + url.QueryEscape(state))
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(page))
	assert.Contains(t, string(page), "Installed Workspace")
	assert.NotContains(t, string(page), "xoxb-", "the token never appears on the page")

	team := "T0" + strings.ToUpper(strings.ReplaceAll(code, "-", ""))
	ws, err := h.store.GetWorkspace(context.Background(), team)
	require.NoError(t, err)
	assert.Equal(t, "xoxb-fake-installed-"+code, ws.BotToken)
	assert.Equal(t, "U0INSTALLER", ws.InstalledBy)

	// A command from that workspace is answered with its own token.
	p := h.fake.SlashCommand(maya, "C0GENERAL", "/access", "help")
	p["team_id"] = team
	h.fake.AddUser(slackfake.User{ID: maya, Email: "maya.chen@northwind.example", EmailConfirmed: true})
	req, _ := slackfake.SignedRequest(srv.URL+"/slack/commands", slackfake.SigningSecret, time.Now(), "application/x-www-form-urlencoded",
		[]byte(slackfake.URLValues(p).Encode()))
	status, _ := post(t, req)
	assert.Equal(t, http.StatusOK, status)
	h.waitResponse(p["response_url"].(string), "Asking for access")
}
