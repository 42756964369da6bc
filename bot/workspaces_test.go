package bot

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/internal/testsupport/slackfake"
	"github.com/steward-dev/steward/store/sqlite"
)

// The periodic work of an app installed by OAuth only (no SLACK_BOT_TOKEN)
// reaches users through the installed workspaces' tokens: a workspace whose
// token Slack refuses is passed over, and the one that worked is tried
// first next time.
func TestWorkspacesResponderFindsTheWorkspace(t *testing.T) {
	ctx := context.Background()
	fake, err := slackfake.New()
	require.NoError(t, err)
	t.Cleanup(fake.Close)
	fake.AddUser(slackfake.User{ID: "U0MAYA", Name: "Maya"})
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "steward.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })

	none := newWorkspacesResponder(st, "", fake.APIURL(), nil)
	_, err = none.DM(ctx, "U0MAYA", textMessage("hello"))
	require.ErrorIs(t, err, errNoWorkspace, "no token and nothing installed")

	installed := "xoxb-fake-installed-abc"
	require.NoError(t, st.SaveWorkspace(ctx, approvals.Workspace{TeamID: "T0A", TeamName: "Revoked", BotToken: "xoxb-revoked"}))
	require.NoError(t, st.SaveWorkspace(ctx, approvals.Workspace{TeamID: "T0B", TeamName: "Live", BotToken: installed}))
	rsp := newWorkspacesResponder(st, "", fake.APIURL(), nil)
	for range 2 {
		_, err = rsp.DM(ctx, "U0MAYA", textMessage(":alarm_clock: Your read access ends soon."))
		require.NoError(t, err)
	}
	var posted, refused int
	for _, c := range fake.Calls("conversations.open") {
		switch {
		case c.Token == "xoxb-revoked":
			assert.Equal(t, "invalid_auth", c.Error)
			refused++
		case c.Token == installed:
			posted++
		}
	}
	assert.Equal(t, 1, refused, "the refused token is tried once, then skipped for this user")
	assert.Equal(t, 1, posted, "the DM channel is opened once")
	dms := fake.Calls("chat.postMessage")
	require.Len(t, dms, 2)
	for _, c := range dms {
		assert.Equal(t, installed, c.Token)
		assert.Equal(t, slackfake.DMChannel("U0MAYA"), c.Str("channel"))
	}

	// With a configured token, it comes first.
	configured := newWorkspacesResponder(st, slackfake.BotToken, fake.APIURL(), nil)
	_, err = configured.Post(ctx, "C0APPROVALS", textMessage("New policy recommendations"))
	require.NoError(t, err)
	last := fake.Calls("chat.postMessage")
	assert.Equal(t, slackfake.BotToken, last[len(last)-1].Token)
}
