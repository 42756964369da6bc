package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
)

func runConsole(t *testing.T, h *harness, user, script string) string {
	t.Helper()
	var out strings.Builder
	err := h.bot.RunConsole(context.Background(), ConsoleConfig{In: strings.NewReader(script), Out: &out, User: user})
	require.NoError(t, err)
	return out.String()
}

func TestConsoleDraftAndSavePolicy(t *testing.T) {
	h, _, _ := newBotHarness(t)
	out := runConsole(t, h, "maya", "/policy "+policyText+"\npress 1\n/policy list\nquit\n")
	assert.Contains(t, out, "== Policy draft ==")
	assert.Contains(t, out, "[1] Save")
	assert.Contains(t, out, "[3] Discard")
	assert.Contains(t, out, "Saved as")
	assert.Contains(t, out, "@Maya Chen", "mentions render as names")
	ps, err := h.store.ListPolicies(context.Background())
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.Contains(t, out, ps[0].ID)
}

func TestConsoleAccessRequestAndApproval(t *testing.T) {
	h, _, _ := newBotHarness(t)
	script := strings.Join([]string{
		"as jamal",
		"@steward I need claims.adjuster_notes for 3 days to reconcile Q3",
		"press 1", // jamal tries to approve his own request
		"as zoe",
		"1", // zoe is not an approver
		"as priya",
		"press 1",
		"",
	}, "\n")
	out := runConsole(t, h, "maya", script)
	assert.Contains(t, out, "Now acting as Jamal Brooks")
	assert.Contains(t, out, "== Access request ==")
	assert.Contains(t, out, "can't review it yourself")
	assert.Contains(t, out, "changed nothing")
	assert.Contains(t, out, "(card updated)")
	assert.Contains(t, out, "Approved")
	assert.Contains(t, out, "direct message to @Jamal Brooks")
	gs, err := h.store.ListGrants(context.Background(), approvals.GrantFilter{User: "jamal"})
	require.NoError(t, err)
	assert.Len(t, gs, 1)
}

func TestConsoleModalsBecomeForms(t *testing.T) {
	h, _, _ := newBotHarness(t)
	script := strings.Join([]string{
		"as jamal",
		"/access",
		"adjuster", // tables: typeahead search
		"",         // describe: skip
		"",         // action: default read
		"2",        // duration: second choice (1 day)
		"checking a disputed claim",
		"as priya",
		"press 2", // Deny
		"Please use the anonymised view",
		"",
	}, "\n")
	out := runConsole(t, h, "maya", script)
	assert.Contains(t, out, "form: Request access")
	assert.Contains(t, out, "→ claims.adjuster_notes")
	assert.Contains(t, out, "form: Deny request")
	assert.Contains(t, out, "Please use the anonymised view")
	reqs, err := h.store.ListRequests(context.Background(), approvals.RequestFilter{Requester: "jamal"})
	require.NoError(t, err)
	require.Len(t, reqs, 1)
	assert.Equal(t, approvals.StateDenied, reqs[0].State)
	assert.Equal(t, "checking a disputed claim", reqs[0].Reason)
}

func TestConsoleExitsCleanlyAtEOF(t *testing.T) {
	h, _, _ := newBotHarness(t)
	out := runConsole(t, h, "maya", "")
	assert.Contains(t, out, "acting as Maya Chen")
	out = runConsole(t, h, "nobody-like-this", "help\nbogus\npress 9\n")
	assert.Contains(t, out, "press N")
	assert.Contains(t, out, "I don't understand that")
	assert.Contains(t, out, "There is no button 9")
}
