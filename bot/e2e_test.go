package bot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/internal/testsupport/slackfake"
	"github.com/steward-dev/steward/policy"
)

const (
	maya       = "U0MAYA"  // governance
	omar       = "U0OMAR"  // governance
	priya      = "U0PRIYA" // owns the claims tables
	jamal      = "U0JAMAL" // claims adjuster
	rosa       = "U0ROSA"  // claims adjuster too
	grace      = "U0GRACE" // owns analytics.claims_daily
	zoe        = "U0ZOE"   // customer service, approves nothing
	sofia      = "U0SOFIA" // owns actuarial tables
	policyText = "Actuaries can read claims data for 30 days after completing security awareness training"
)

func TestPolicyDraftCardAndSave(t *testing.T) {
	h := newHarness(t)
	cmd := h.command(maya, "/policy", policyText)
	url := cmd["response_url"].(string)
	h.waitResponse(url, "Drafting a policy")
	card := h.waitResponse(url, "policy_save")

	blocks := card.Blocks()
	types := blockTypes(blocks)
	assert.Equal(t, "header", types[0])
	assert.Equal(t, "actions", types[len(types)-1])
	assert.Contains(t, types, "section")
	assert.LessOrEqual(t, len(blocks), 50)
	js := jsonOf(blocks)
	assert.Contains(t, js, "job_title = Actuary", "subjects resolved with evidence")
	assert.Contains(t, js, "Senior Actuary")
	assert.Contains(t, js, "trainings = Security Awareness", "the condition resolved")
	assert.Contains(t, js, "30 days")
	assert.Contains(t, js, "Impact")
	assert.Contains(t, js, "permit", "Cedar text shown")
	assert.Equal(t, true, card.Params["replace_original"], "the card replaces the working-on-it note")
	btns := buttons(blocks)
	require.Len(t, btns, 3)
	assert.Equal(t, []string{actPolicySave, actPolicyEdit, actPolicyDiscard}, []string{btns[0].ActionID, btns[1].ActionID, btns[2].ActionID})
	draftID := btns[0].Value
	assert.True(t, strings.HasPrefix(draftID, "d"), "buttons carry only a draft id")
	assert.NotContains(t, draftID, "Actuar")

	ps, err := h.store.ListPolicies(context.Background())
	require.NoError(t, err)
	assert.Empty(t, ps, "nothing is saved before Save")

	click := h.click(maya, "C0GENERAL", "", actPolicySave, draftID)
	saved := h.waitResponse(click["response_url"].(string), "Saved as")
	assert.Empty(t, buttons(saved.Blocks()), "Save replaces the buttons")
	assert.Contains(t, saved.JSON(), "<@U0MAYA>")

	ps, err = h.store.ListPolicies(context.Background())
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.Equal(t, policyText, ps[0].Sentence)
	assert.Equal(t, 1, ps[0].Version)
	assert.Equal(t, "maya", ps[0].CreatedBy)
	assert.Contains(t, saved.JSON(), ps[0].ID)
	assert.GreaterOrEqual(t, h.recon.count(), 1, "the reconciler is asked for a pass after a save")

	// A second click on Save (another action_ts) saves nothing more.
	again := h.click(maya, "C0GENERAL", "", actPolicySave, draftID)
	_ = again
	h.waitCall("chat.postEphemeral", contains("already been saved"))
	ps, _ = h.store.ListPolicies(context.Background())
	assert.Len(t, ps, 1)
}

func TestPolicyRefusedForNonGovernance(t *testing.T) {
	h := newHarness(t)
	h.command(jamal, "/policy", policyText)
	c := h.waitCall("chat.postEphemeral", contains("only members of the *data-governance* group"))
	assert.Equal(t, jamal, c.Str("user"))
	audit, err := h.store.ListAudit(context.Background(), approvals.AuditFilter{})
	require.NoError(t, err)
	for _, a := range audit {
		assert.NotEqual(t, "policy.drafted", a.Action, "a refused /policy drafts nothing")
	}
}

// approvalCard waits for the approval card in the approvals channel whose text mentions substr.
func (h *harness) approvalCard(substr string) (ts string, requestID string) {
	h.t.Helper()
	c := h.waitCall("chat.postMessage", func(c slackfake.Call) bool {
		return c.Str("channel") == approvalsChannel && strings.Contains(c.JSON(), substr) && strings.Contains(c.JSON(), actApprove)
	})
	for _, m := range h.fake.Messages(approvalsChannel) {
		if jsonOf(m.Blocks) == jsonOf(c.Blocks()) {
			ts = m.TS
		}
	}
	for _, b := range buttons(c.Blocks()) {
		if b.ActionID == actApprove {
			requestID = b.Value
		}
	}
	require.NotEmpty(h.t, ts)
	require.NotEmpty(h.t, requestID)
	return ts, requestID
}

func TestMentionRequestApprovedEndToEnd(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.send("events_api", h.fake.AppMention(jamal, "C0CLAIMS", "<@U0STEWARD> I need claims.adjuster_notes for a week to reconcile Q3"))
	ts, reqID := h.approvalCard("pg.claims.adjuster_notes")
	card, _ := h.fake.Message(approvalsChannel, ts)
	js := jsonOf(card.Blocks)
	assert.Contains(t, js, "<@U0JAMAL>", "the requester")
	assert.Contains(t, js, "Claims Adjuster", "the requester's metadata")
	assert.Contains(t, js, "Domain.Claims", "the asset's tags")
	assert.Contains(t, js, "reconcile Q3", "the reason")
	assert.Contains(t, js, "1 week")
	assert.Contains(t, js, "no saved policy covers")
	h.waitCall("chat.postEphemeral", func(c slackfake.Call) bool {
		return c.Str("user") == jamal && strings.Contains(c.JSON(), "is with the approvers")
	})

	// Someone who approves nothing: refused, privately, nothing changes.
	h.click(zoe, approvalsChannel, ts, actApprove, reqID)
	c := h.waitCall("chat.postEphemeral", func(c slackfake.Call) bool { return c.Str("user") == zoe })
	assert.Contains(t, c.JSON(), "changed nothing")
	// The requester: refused too.
	h.click(jamal, approvalsChannel, ts, actApprove, reqID)
	h.waitCall("chat.postEphemeral", func(c slackfake.Call) bool {
		return c.Str("user") == jamal && strings.Contains(c.JSON(), "can't review it yourself")
	})
	r, err := h.store.GetRequest(ctx, reqID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StatePending, r.State)
	assert.Empty(t, r.Reviews)
	assert.Empty(t, h.fake.Calls("chat.update"), "refused clicks leave the card alone")
	gs, err := h.store.ListGrants(ctx, approvals.GrantFilter{RequestID: reqID})
	require.NoError(t, err)
	assert.Empty(t, gs)

	// The owner approves.
	h.click(priya, approvalsChannel, ts, actApprove, reqID)
	up := h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts })
	assert.Contains(t, up.JSON(), "Approved")
	assert.Contains(t, up.JSON(), "<@U0PRIYA>")
	assert.Empty(t, buttons(up.Blocks()), "a decided card has no buttons")
	h.waitCall("chat.postMessage", func(c slackfake.Call) bool {
		return c.Str("thread_ts") == ts && strings.Contains(c.JSON(), "approved this request")
	})
	dm := h.waitCall("chat.postMessage", func(c slackfake.Call) bool { return c.Str("channel") == slackfake.DMChannel(jamal) })
	assert.Contains(t, dm.JSON(), "approved")
	require.NotEmpty(t, h.fake.Calls("conversations.open"))

	gs, err = h.store.ListGrants(ctx, approvals.GrantFilter{RequestID: reqID})
	require.NoError(t, err)
	require.Len(t, gs, 1)
	assert.Equal(t, "jamal", gs[0].User)
	assert.Equal(t, "pg.claims.adjuster_notes", gs[0].Asset)
	assert.Equal(t, approvals.GrantActive, gs[0].State)
	assert.WithinDuration(t, gs[0].GrantedAt.Add(7*24*time.Hour), gs[0].ExpiresAt, time.Second)
	assert.Empty(t, h.fake.LateOrMissingAcks())
}

func TestDenyAsksForAReason(t *testing.T) {
	h := newHarness(t)
	h.command(jamal, "/access", "claims.adjuster_notes for 3 days because of the audit")
	ts, reqID := h.approvalCard("pg.claims.adjuster_notes")
	h.denyWithReason(priya, ts, reqID, "Use the anonymised extract")
	up := h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts })
	assert.Contains(t, up.JSON(), "Denied")
	dm := h.waitCall("chat.postMessage", func(c slackfake.Call) bool { return c.Str("channel") == slackfake.DMChannel(jamal) })
	assert.Contains(t, dm.JSON(), "Use the anonymised extract")
	r, err := h.store.GetRequest(context.Background(), reqID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StateDenied, r.State)
}

func TestDenyModalNotOpenedForOutsiders(t *testing.T) {
	h := newHarness(t)
	h.command(jamal, "/access", "claims.adjuster_notes for 3 days because of the audit")
	ts, reqID := h.approvalCard("pg.claims.adjuster_notes")
	h.click(zoe, approvalsChannel, ts, actDeny, reqID)
	h.waitCall("chat.postEphemeral", func(c slackfake.Call) bool { return c.Str("user") == zoe })
	assert.Empty(t, h.fake.Calls("views.open"))
}

func TestDuplicateEnvelopesAreHandledOnce(t *testing.T) {
	h := newHarness(t)
	p := h.fake.SlashCommand(jamal, "C0GENERAL", "/access", "claims.adjuster_notes for 2 days because of the audit")
	id := h.send("slash_commands", p)
	require.NoError(t, h.fake.Redeliver(id))
	_, err := h.fake.WaitAck(id, slackfake.AckDeadline)
	require.NoError(t, err, "a redelivered envelope is acked too")
	ts, reqID := h.approvalCard("pg.claims.adjuster_notes")

	// A redelivered click: same payload (same action_ts) twice.
	click := h.fake.BlockAction(slackfake.Interaction{User: priya, Channel: approvalsChannel, MessageTS: ts, ActionID: actApprove, Value: reqID})
	cid := h.send("interactive", click)
	require.NoError(t, h.fake.Redeliver(cid))
	h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts })
	// Give any duplicate time to show itself, then count.
	time.Sleep(300 * time.Millisecond)
	reqs, err := h.store.ListRequests(context.Background(), approvals.RequestFilter{Requester: "jamal"})
	require.NoError(t, err)
	assert.Len(t, reqs, 1, "one request from a redelivered command")
	n := 0
	for _, c := range h.fake.Calls("chat.postMessage") {
		if c.Str("channel") == approvalsChannel && c.Str("thread_ts") == "" {
			n++
		}
	}
	assert.Equal(t, 1, n, "one approval card")
	assert.Len(t, h.fake.Calls("chat.update"), 1, "one decision from a redelivered click")
	assert.Empty(t, h.fake.Calls("chat.postEphemeral"), "the duplicate click is not even refused: it is dropped")
}

func TestBadInputGetsAClearReplyAndChangesNothing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	cases := []struct {
		user, command, text, want string
	}{
		{maya, "/frobnicate", "x", "don't know the command"},
		{maya, "/policy", "   ", "Steward policies"},
		{maya, "/policy", strings.Repeat("Actuaries can read claims data ", 140), "characters long"},
		{jamal, "/access", "help", "Asking for access"},
		{jamal, "/access", "the moon rocks for a week because science", "Nothing was requested"},
		{jamal, "/access", "claims.adjuster_notes for a week", "say why you need it"},
		{jamal, "/access", "claims.adjuster_notes for 17 fortnights because x", "couldn't read that request"},
		{maya, "/policy", "show nonexistent", "no policy `nonexistent`"},
		{maya, "/policy", "Jamal Brooks can read the claims tables", "couldn't draft that policy"},
		{maya, "/policy", "Everyone can read everything", "couldn't draft that policy"},
		{maya, "/policy", "retire nonexistent", "nothing was changed"},
		{maya, "/policy", "explain @nobody pg.claims.claims", "can't find"},
	}
	for _, tc := range cases {
		t.Logf("%s %s", tc.command, clamp(tc.text, 40))
		p := h.command(tc.user, tc.command, tc.text)
		h.waitResponse(p["response_url"].(string), tc.want)
	}
	// A payload Slack would never send: acked, and nothing changes.
	id, err := h.fake.SendRaw("slash_commands", []byte(`"not an object"`))
	require.NoError(t, err)
	_, err = h.fake.WaitAck(id, slackfake.AckDeadline)
	require.NoError(t, err, "malformed envelopes are acked so Slack does not retry them")
	reqs, err := h.store.ListRequests(ctx, approvals.RequestFilter{})
	require.NoError(t, err)
	assert.Empty(t, reqs)
	ps, err := h.store.ListPolicies(ctx)
	require.NoError(t, err)
	assert.Empty(t, ps)
	assert.Empty(t, h.fake.Calls("chat.postMessage"), "no approval card for bad input")
}

func TestUnmappedAndEmailMappedUsers(t *testing.T) {
	h := newHarness(t)
	h.fake.AddUser(slackfake.User{ID: "U0STRANGER", Name: "Stranger", Email: "stranger@elsewhere.example", EmailConfirmed: true})
	p := h.command("U0STRANGER", "/access", "claims.adjuster_notes for a day because test")
	h.waitResponse(p["response_url"].(string), "slack_id: U0STRANGER")

	// Nora has no slack_id in the catalog; her verified email maps her.
	h.fake.AddUser(slackfake.User{ID: "U0NORA", Name: "Nora", Email: "Nora.Quinn@northwind.example", EmailConfirmed: true})
	h.command("U0NORA", "/access", "analytics.claims_daily for a day because dashboard fix")
	h.approvalCard("pg.analytics.claims_daily")
	require.NotEmpty(t, h.fake.Calls("users.info"))

	// An unverified email does not map.
	h.fake.AddUser(slackfake.User{ID: "U0FAKENORA", Name: "Nora?", Email: "nora.quinn@northwind.example", EmailConfirmed: false})
	p = h.command("U0FAKENORA", "/access", "analytics.claims_daily for a day because x")
	h.waitResponse(p["response_url"].(string), "couldn't match your Slack account")
}

func TestRestrictedDataNeedsTwoApprovals(t *testing.T) {
	h := newHarness(t)
	h.command(jamal, "/access", "claims.medical_bills for 1 day because reviewing a disputed bill")
	ts, reqID := h.approvalCard("pg.claims.medical_bills")
	h.click(priya, approvalsChannel, ts, actApprove, reqID)
	up := h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts })
	assert.Contains(t, up.JSON(), "1 of 2 approvals")
	assert.NotEmpty(t, buttons(up.Blocks()), "still waiting: the buttons stay")
	h.click(maya, approvalsChannel, ts, actApprove, reqID)
	h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts && strings.Contains(c.JSON(), "Approved") })
	gs, err := h.store.ListGrants(context.Background(), approvals.GrantFilter{RequestID: reqID})
	require.NoError(t, err)
	assert.Len(t, gs, 1)
}

func TestAccessModalWithTypeahead(t *testing.T) {
	h := newHarness(t)
	h.command(jamal, "/access", "")
	h.waitCall("views.open", contains(cbAccess))
	view, ok := h.fake.LastView()
	require.True(t, ok)
	// The typeahead: options come back in the ack itself.
	id, err := h.fake.Send("interactive", h.fake.BlockSuggestion(jamal, view.ID, "assets", "assets", "adjuster"))
	require.NoError(t, err)
	ack, err := h.fake.WaitAck(id, slackfake.AckDeadline)
	require.NoError(t, err)
	assert.Contains(t, string(ack.Payload), "x:pg.claims.adjuster_notes")
	assert.NotContains(t, string(ack.Payload), "x:pg.finance.general_ledger")

	// A submission without a reason is rejected in the ack, modal stays open.
	empty, err := h.fake.ViewSubmission(jamal, view.ID, map[string]map[string]any{
		"assets": {"assets": map[string]any{"type": "multi_external_select", "selected_options": []any{map[string]any{"value": "x:pg.claims.adjuster_notes"}}}},
	})
	require.NoError(t, err)
	id, err = h.fake.Send("interactive", empty)
	require.NoError(t, err)
	ack, err = h.fake.WaitAck(id, slackfake.AckDeadline)
	require.NoError(t, err)
	assert.Contains(t, string(ack.Payload), `"response_action":"errors"`)
	assert.Contains(t, string(ack.Payload), "reason")

	full, err := h.fake.ViewSubmission(jamal, view.ID, map[string]map[string]any{
		"assets":   {"assets": map[string]any{"type": "multi_external_select", "selected_options": []any{map[string]any{"value": "x:pg.claims.adjuster_notes"}}}},
		"action":   {"action": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "read"}}},
		"duration": {"duration": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": (3 * 24 * time.Hour).String()}}},
		"reason":   {"reason": map[string]any{"type": "plain_text_input", "value": "claim backlog"}},
	})
	require.NoError(t, err)
	h.send("interactive", full)
	h.approvalCard("claim backlog")
	dm := h.waitCall("chat.postMessage", func(c slackfake.Call) bool { return c.Str("channel") == slackfake.DMChannel(jamal) })
	assert.Contains(t, dm.JSON(), "is with the approvers", "the requester is told by DM (a modal has no channel)")

	// The form offers access with no end date (the harness allows it), and
	// choosing it asks for exactly that.
	assert.Contains(t, jsonOf(view.View), standingChoice)
	h.command(jamal, "/access", "")
	require.Eventually(t, func() bool { v, ok := h.fake.LastView(); return ok && v.ID != view.ID }, 10*time.Second, 10*time.Millisecond)
	view, _ = h.fake.LastView()
	standing, err := h.fake.ViewSubmission(jamal, view.ID, map[string]map[string]any{
		"assets":   {"assets": map[string]any{"type": "multi_external_select", "selected_options": []any{map[string]any{"value": "x:pg.claims.claims"}}}},
		"action":   {"action": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "read"}}},
		"duration": {"duration": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": standingChoice}}},
		"reason":   {"reason": map[string]any{"type": "plain_text_input", "value": "runs the claims desk"}},
	})
	require.NoError(t, err)
	h.send("interactive", standing)
	ts, _ := h.approvalCard("runs the claims desk")
	card, _ := h.fake.Message(approvalsChannel, ts)
	assert.Contains(t, jsonOf(card.Blocks), "standing access (no end date)")
}

func TestAlreadyCoveredByPolicy(t *testing.T) {
	h := newHarness(t)
	cmd := h.command(maya, "/policy", "Claims adjusters can read claims.adjuster_notes")
	card := h.waitResponse(cmd["response_url"].(string), "policy_save")
	click := h.click(maya, "C0GENERAL", "", actPolicySave, buttons(card.Blocks())[0].Value)
	h.waitResponse(click["response_url"].(string), "Saved as")
	ps, err := h.store.ListPolicies(context.Background())
	require.NoError(t, err)
	require.Len(t, ps, 1)

	p := h.command(jamal, "/access", "claims.adjuster_notes for 2 days because triage")
	h.waitResponse(p["response_url"].(string), ps[0].ID)
	h.waitResponse(p["response_url"].(string), "already have read access")
	for _, c := range h.fake.Calls("chat.postMessage") {
		assert.NotEqual(t, approvalsChannel, c.Str("channel"), "no card when a policy covers it")
	}
}

func TestAppHomeShowsRequestsGrantsAndWork(t *testing.T) {
	h := newHarness(t)
	h.command(jamal, "/access", "claims.adjuster_notes for 2 days because triage")
	ts, reqID := h.approvalCard("pg.claims.adjuster_notes")
	h.command(jamal, "/access", "actuarial.loss_triangles for 2 days because modeling")
	h.approvalCard("pg.actuarial.loss_triangles")

	h.send("events_api", h.fake.AppHomeOpened(priya))
	home := h.waitCall("views.publish", func(c slackfake.Call) bool { return c.Str("user_id") == priya })
	assert.Contains(t, home.JSON(), "Waiting for your decision")
	assert.Contains(t, home.JSON(), reqID, "priya can decide on the claims request")

	h.click(priya, approvalsChannel, ts, actApprove, reqID)
	h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts })
	h.send("events_api", h.fake.AppHomeOpened(jamal))
	home = h.waitCall("views.publish", func(c slackfake.Call) bool { return c.Str("user_id") == jamal })
	js := home.JSON()
	assert.Contains(t, js, "Your pending requests")
	assert.Contains(t, js, "pg.actuarial.loss_triangles", "still pending")
	assert.Contains(t, js, "Your active access")
	assert.Contains(t, js, "left", "time left on the grant")
	var revoke string
	for _, b := range buttons(home.Blocks()) {
		if b.ActionID == actRevoke {
			revoke = b.Value
		}
	}
	require.Equal(t, reqID, revoke)

	// Revoke from Home ends the grant early.
	h.send("interactive", h.fake.BlockAction(slackfake.Interaction{User: jamal, ActionID: actRevoke, Value: reqID}))
	h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts && strings.Contains(c.JSON(), "Revoked") })
	gs, err := h.store.ListGrants(context.Background(), approvals.GrantFilter{RequestID: reqID})
	require.NoError(t, err)
	require.Len(t, gs, 1)
	assert.Equal(t, approvals.GrantRevoked, gs[0].State)
}

func TestSocketModeReconnectsAfterDrop(t *testing.T) {
	h := newHarness(t)
	h.fake.DropConnection()
	require.NoError(t, h.fake.WaitConnected(2, 20*time.Second))
	require.NoError(t, h.fake.Disconnect(), "Slack asks for a reconnect before cycling a server")
	require.NoError(t, h.fake.WaitConnected(3, 20*time.Second))
	p := h.command(maya, "/policy", "list")
	h.waitResponse(p["response_url"].(string), "No policies are in force")
}

func TestReminderExtendAndExpiry(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	rsp := newWebResponder(slackfake.BotToken, h.fake.APIURL(), nil)
	h.command(jamal, "/access", "claims.adjuster_notes for 2 days because month-end close")
	ts, reqID := h.approvalCard("month-end close")
	h.click(priya, approvalsChannel, ts, actApprove, reqID)
	h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts && strings.Contains(c.JSON(), "Approved") })

	// 30 minutes before the end: a reminder with an Extend button, once.
	h.clock.Advance(2*24*time.Hour - 30*time.Minute)
	h.bot.tick(ctx, rsp)
	h.bot.tick(ctx, rsp)
	var reminders []slackfake.Call
	for _, c := range h.fake.Calls("chat.postMessage") {
		if c.Str("channel") == slackfake.DMChannel(jamal) && strings.Contains(c.JSON(), "ends") && strings.Contains(c.JSON(), actExtend) {
			reminders = append(reminders, c)
		}
	}
	require.Len(t, reminders, 1, "one reminder, even with two ticks")
	var extendValue string
	for _, b := range buttons(reminders[0].Blocks()) {
		if b.ActionID == actExtend {
			extendValue = b.Value
		}
	}
	require.Equal(t, reqID, extendValue)

	// Extend: a form, then a linked request goes to the approvers.
	h.click(jamal, slackfake.DMChannel(jamal), "", actExtend, reqID)
	h.waitCall("views.open", contains(cbExtend))
	view, _ := h.fake.LastView()
	sub, err := h.fake.ViewSubmission(jamal, view.ID, map[string]map[string]any{
		"duration": {"duration": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": (24 * time.Hour).String()}}},
		"reason":   {"reason": map[string]any{"type": "plain_text_input", "value": "close slipped a day"}},
	})
	require.NoError(t, err)
	h.send("interactive", sub)
	h.waitCall("chat.postMessage", func(c slackfake.Call) bool {
		return c.Str("channel") == approvalsChannel && strings.Contains(c.JSON(), "Extension request") && strings.Contains(c.JSON(), "close slipped a day")
	})

	// After the end: the grant expires, the card says so, the requester is told.
	h.clock.Advance(time.Hour)
	h.bot.tick(ctx, rsp)
	gs, err := h.store.ListGrants(ctx, approvals.GrantFilter{RequestID: reqID})
	require.NoError(t, err)
	require.Len(t, gs, 1)
	assert.Equal(t, approvals.GrantExpired, gs[0].State)
	h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts && strings.Contains(c.JSON(), "Expired") })
	h.waitCall("chat.postMessage", func(c slackfake.Call) bool {
		return c.Str("channel") == slackfake.DMChannel(jamal) && strings.Contains(c.JSON(), "has ended")
	})

	// The hourly tick purged the dedupe claims that had expired by then (the
	// commands' and clicks' event claims), so the store does not grow with
	// every event.
	left, err := h.store.PurgeClaims(ctx, h.clock.Now())
	require.NoError(t, err)
	assert.Zero(t, left, "the tick already purged what had expired")
}

func TestPolicyEditModalSavesTheEditedPolicy(t *testing.T) {
	h := newHarness(t)
	cmd := h.command(maya, "/policy", policyText)
	card := h.waitResponse(cmd["response_url"].(string), "policy_save")
	draftID := buttons(card.Blocks())[1].Value
	edit := h.click(maya, "C0GENERAL", "", actPolicyEdit, draftID)
	open := h.waitCall("views.open", contains(cbPolicyEdit))
	js := open.JSON()
	for _, field := range []string{`"block_id":"subjects"`, `"block_id":"conditions"`, `"block_id":"tags"`, `"block_id":"edit_assets"`, `"block_id":"duration"`} {
		assert.Contains(t, js, field)
	}
	assert.Contains(t, js, "a:trainings=Security Awareness", "the condition is preselected")
	assert.Contains(t, js, "x:pg.claims.claims", "the resolved table is preselected")
	assert.Contains(t, js, "job_title in Actuary/Senior Actuary", "the resolved subject is preselected")
	assert.NotContains(t, js, draftPolicyJSONMarker, "no policy JSON rides in the view")

	view, _ := h.fake.LastView()
	sel := func(vals ...string) map[string]any {
		var opts []any
		for _, v := range vals {
			opts = append(opts, map[string]any{"value": v})
		}
		return map[string]any{"type": "multi_static_select", "selected_options": opts}
	}
	// Invalid: no data chosen. The ack carries the error; nothing is saved.
	bad, err := h.fake.ViewSubmission(maya, view.ID, map[string]map[string]any{
		"subjects": {"subjects": sel("d:0")}, "tags": {"tags": sel()}, "edit_assets": {"edit_assets": sel()},
	})
	require.NoError(t, err)
	id, err := h.fake.Send("interactive", bad)
	require.NoError(t, err)
	ack, err := h.fake.WaitAck(id, slackfake.AckDeadline)
	require.NoError(t, err)
	assert.Contains(t, string(ack.Payload), "Choose at least one tag or table")

	good, err := h.fake.ViewSubmission(maya, view.ID, map[string]map[string]any{
		"effect":      {"effect": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "allow"}}},
		"action":      {"action": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "read"}}},
		"subjects":    {"subjects": sel("d:0", "g:siu")},
		"conditions":  {"conditions": sel("a:trainings=Security Awareness", "!a:employment_type=Contractor")},
		"edit_assets": {"edit_assets": sel("x:pg.claims.claims", "x:pg.claims.adjuster_notes")},
		"duration":    {"duration": map[string]any{"type": "plain_text_input", "value": "14d"}},
	})
	require.NoError(t, err)
	id = h.send("interactive", good)
	ack, _ = h.fake.WaitAck(id, time.Second)
	assert.Empty(t, string(ack.Payload), "the edited policy is valid")
	h.waitResponse(edit["response_url"].(string), "Saved as")
	ps, err := h.store.ListPolicies(context.Background())
	require.NoError(t, err)
	require.Len(t, ps, 1)
	p := ps[0]
	assert.Equal(t, 14*24*time.Hour, time.Duration(p.Duration))
	require.Len(t, p.Subjects, 2, "actuaries, or the SIU group")
	for _, clause := range p.Subjects {
		assert.Contains(t, jsonOf(clause), "Security Awareness", "conditions fold into every clause")
		assert.Contains(t, jsonOf(clause), `"negate":true`)
	}
	assert.Len(t, p.Objects, 2)
}

// draftPolicyJSONMarker would appear if a view carried the policy itself.
const draftPolicyJSONMarker = `"subjects":[[`

func TestPolicyListShowExplainRetire(t *testing.T) {
	h := newHarness(t)
	cmd := h.command(maya, "/policy", "Claims adjusters can read claims.adjuster_notes")
	card := h.waitResponse(cmd["response_url"].(string), "policy_save")
	click := h.click(maya, "C0GENERAL", "", actPolicySave, buttons(card.Blocks())[0].Value)
	h.waitResponse(click["response_url"].(string), "Saved as")
	ps, _ := h.store.ListPolicies(context.Background())
	require.Len(t, ps, 1)
	id := ps[0].ID

	p := h.command(maya, "/policy", "list")
	h.waitResponse(p["response_url"].(string), id)
	p = h.command(maya, "/policy", "show "+id)
	show := h.waitResponse(p["response_url"].(string), "Cedar")
	assert.Contains(t, show.JSON(), "Jamal Brooks", "impact lists who it covers")
	p = h.command(maya, "/policy", "explain <@U0JAMAL|jamal> claims.adjuster_notes")
	ex := h.waitResponse(p["response_url"].(string), "has* read access")
	assert.Contains(t, ex.JSON(), id)
	p = h.command(maya, "/policy", "explain @zoe claims.adjuster_notes")
	h.waitResponse(p["response_url"].(string), "does not have")

	var retire string
	for _, b := range buttons(show.Blocks()) {
		if b.ActionID == actPolicyRetire {
			retire = b.Value
		}
	}
	require.Equal(t, id, retire)
	h.click(maya, "C0GENERAL", "", actPolicyRetire, retire)
	h.waitCall("response_url", contains("retired by"))
	ps, _ = h.store.ListPolicies(context.Background())
	assert.Empty(t, ps)
	// A non-governance click on Retire changes nothing.
	h.click(jamal, "C0GENERAL", "", actPolicyRetire, retire)
	h.waitCall("chat.postEphemeral", func(c slackfake.Call) bool { return c.Str("user") == jamal })
}

// Recertification and recommendations come from the real code paths: an
// approved standing grant ages past RecertAge and the tick opens a review, and
// past approvals are mined by the hourly part of the tick. Nothing is seeded
// into the store except the usage a connector would report.
func TestRecertificationAndRecommendationCards(t *testing.T) {
	t.Run("recertification", testRecertificationCard)
	t.Run("escalation", testRecertificationEscalation)
	t.Run("recommendation", testRecommendationCard)
}

// dmCard waits for a DM to user whose JSON contains substr and returns it
// with its ts.
// denyWithReason clicks Deny on the approval card at ts and submits the
// reason form that opens.
func (h *harness) denyWithReason(approver, ts, reqID, reason string) {
	h.t.Helper()
	h.click(approver, approvalsChannel, ts, actDeny, reqID)
	h.waitCall("views.open", contains(cbDeny))
	view, ok := h.fake.LastView()
	require.True(h.t, ok)
	sub, err := h.fake.ViewSubmission(approver, view.ID, map[string]map[string]any{
		"reason": {"reason": map[string]any{"type": "plain_text_input", "value": reason}}})
	require.NoError(h.t, err)
	h.send("interactive", sub)
}

func (h *harness) dmCard(user, substr string) (slackfake.Call, string) {
	h.t.Helper()
	ch := slackfake.DMChannel(user)
	c := h.waitCall("chat.postMessage", func(c slackfake.Call) bool {
		return c.Str("channel") == ch && strings.Contains(c.JSON(), substr)
	})
	ts := ""
	for _, m := range h.fake.Messages(ch) {
		if jsonOf(m.Blocks) == jsonOf(c.Blocks()) {
			ts = m.TS
		}
	}
	require.NotEmpty(h.t, ts)
	return c, ts
}

func buttonValue(blocks []any, actionID string) string {
	for _, b := range buttons(blocks) {
		if b.ActionID == actionID {
			return b.Value
		}
	}
	return ""
}

func testRecertificationCard(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	rsp := newWebResponder(slackfake.BotToken, h.fake.APIURL(), nil)
	const day = 24 * time.Hour
	const asset = "pg.claims.adjuster_notes"

	// Standing access, asked for in words.
	cmd := h.command(jamal, "/access", asset+" for good because ongoing fraud triage")
	ts, reqID := h.approvalCard("ongoing fraud triage")
	card, _ := h.fake.Message(approvalsChannel, ts)
	assert.Contains(t, jsonOf(card.Blocks), "standing access (no end date)")
	h.waitResponse(cmd["response_url"].(string), "with the approvers")
	h.click(priya, approvalsChannel, ts, actApprove, reqID)
	h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts && strings.Contains(c.JSON(), "Approved") })
	gs, err := h.store.ListGrants(ctx, approvals.GrantFilter{RequestID: reqID})
	require.NoError(t, err)
	require.Len(t, gs, 1)
	grant := gs[0]
	require.Equal(t, approvals.GrantActive, grant.State)
	require.True(t, grant.ExpiresAt.IsZero(), "a standing grant has no end")

	// The platform reports three queries in the first two days, none since.
	lastQuery := grant.GrantedAt.Add(2 * day)
	require.NoError(t, h.store.RecordUsage(ctx, []approvals.Usage{{User: "jamal", Asset: asset, Known: true,
		QueryCount: 3, LastQueryAt: lastQuery, ReportedAt: lastQuery.Add(time.Hour)}}))

	// A day short of the recertification age: no review yet.
	age := h.svc.Config().RecertAge
	require.Equal(t, approvals.DefaultRecertAge, age)
	h.clock.Advance(age - day)
	h.bot.tick(ctx, rsp)
	items, err := h.store.ListRecerts(ctx, approvals.RecertFilter{})
	require.NoError(t, err)
	assert.Empty(t, items, "not old enough yet")

	// Past the age: one review item for the asset's owner, DMed once even
	// with two ticks.
	h.clock.Advance(2 * day)
	h.bot.tick(ctx, rsp)
	h.bot.tick(ctx, rsp)
	items, err = h.store.ListRecerts(ctx, approvals.RecertFilter{})
	require.NoError(t, err)
	require.Len(t, items, 1)
	item := items[0]
	assert.Equal(t, grant.ID, item.GrantID)
	assert.Equal(t, "priya", item.Approver)
	assert.Equal(t, approvals.RecertOpen, item.State)
	assert.Equal(t, approvals.RecommendRevoke, item.Recommendation)
	assert.Contains(t, item.Why, "Not used for 89 days")
	assert.Contains(t, item.Why, "3 queries in all")
	assert.Contains(t, item.Why, "ongoing fraud triage", "the stated reason")

	review, reviewTS := h.dmCard(priya, "Access review")
	js := review.JSON()
	assert.Contains(t, js, "<@U0JAMAL>", "whose access")
	assert.Contains(t, js, asset)
	assert.Contains(t, js, "Recommendation: *revoke*")
	assert.Contains(t, js, "Not used for 89 days")
	assert.Contains(t, js, "Stated reason")
	assert.Equal(t, item.ID, buttonValue(review.Blocks(), actRecertKeep))
	assert.Equal(t, item.ID, buttonValue(review.Blocks(), actRecertRevoke))
	var reviews int
	for _, c := range h.fake.Calls("chat.postMessage") {
		if c.Str("channel") == slackfake.DMChannel(priya) && strings.Contains(c.JSON(), "Access review") {
			reviews++
		}
	}
	assert.Equal(t, 1, reviews, "one review card, even with two ticks")

	// The owner's App Home lists it too.
	h.send("events_api", h.fake.AppHomeOpened(priya))
	home := h.waitCall("views.publish", func(c slackfake.Call) bool {
		return c.Str("user_id") == priya && strings.Contains(c.JSON(), "Access to recertify")
	})
	assert.Contains(t, home.JSON(), "Not used for 89 days")
	assert.Equal(t, item.ID, buttonValue(home.Blocks(), actRecertRevoke))

	// Someone who may not decide (from their App Home): refused, nothing changes.
	h.send("interactive", h.fake.BlockAction(slackfake.Interaction{User: zoe, ActionID: actRecertRevoke, Value: item.ID}))
	h.dmCard(zoe, "Nothing was changed")
	gs, err = h.store.ListGrants(ctx, approvals.GrantFilter{RequestID: reqID})
	require.NoError(t, err)
	require.Len(t, gs, 1)
	assert.Equal(t, approvals.GrantActive, gs[0].State)

	// The owner revokes from the review card.
	click := h.click(priya, slackfake.DMChannel(priya), reviewTS, actRecertRevoke, item.ID)
	done := h.waitResponse(click["response_url"].(string), "revoked by")
	assert.Contains(t, done.JSON(), "<@U0PRIYA>")
	assert.Empty(t, buttons(done.Blocks()), "the answered card has no buttons")
	gs, err = h.store.ListGrants(ctx, approvals.GrantFilter{RequestID: reqID})
	require.NoError(t, err)
	require.Len(t, gs, 1)
	assert.Equal(t, approvals.GrantRevoked, gs[0].State)
	r, err := h.store.GetRequest(ctx, reqID)
	require.NoError(t, err)
	assert.Equal(t, approvals.StateRevoked, r.State)
	items, err = h.store.ListRecerts(ctx, approvals.RecertFilter{})
	require.NoError(t, err)
	require.Len(t, items, 1)
	assert.Equal(t, approvals.RecertRevoked, items[0].State)
	assert.Equal(t, "priya", items[0].DecidedBy)
	assert.GreaterOrEqual(t, h.recon.count(), 1, "the reconciler is asked for a pass")
	// As after a revoke from the approval card: the card says so, the holder is told.
	h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts && strings.Contains(c.JSON(), "Revoked") })
	h.dmCard(jamal, "revoked* at access review")
}

// An item nobody answers by its deadline goes to the governance group, who
// alone may decide it then.
func testRecertificationEscalation(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	rsp := newWebResponder(slackfake.BotToken, h.fake.APIURL(), nil)
	h.command(jamal, "/access", "pg.claims.adjuster_notes for good because ongoing fraud triage")
	ts, reqID := h.approvalCard("ongoing fraud triage")
	h.click(priya, approvalsChannel, ts, actApprove, reqID)
	h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts && strings.Contains(c.JSON(), "Approved") })

	cfg := h.svc.Config()
	h.clock.Advance(cfg.RecertAge + time.Hour)
	h.bot.tick(ctx, rsp)
	h.dmCard(priya, "Access review")
	h.clock.Advance(cfg.RecertDeadline + time.Hour)
	h.bot.tick(ctx, rsp)
	h.bot.tick(ctx, rsp)
	items, err := h.store.ListRecerts(ctx, approvals.RecertFilter{})
	require.NoError(t, err)
	require.Len(t, items, 1)
	require.Equal(t, approvals.RecertEscalated, items[0].State)

	// Posted once to the approvals channel, where governance works.
	var posted []slackfake.Call
	for _, c := range h.fake.Calls("chat.postMessage") {
		if c.Str("channel") == approvalsChannel && strings.Contains(c.JSON(), "Access review (escalated)") {
			posted = append(posted, c)
		}
	}
	require.Len(t, posted, 1, "one escalation post, even with two ticks")
	assert.Contains(t, posted[0].JSON(), "<@U0PRIYA> did not answer")
	assert.Equal(t, items[0].ID, buttonValue(posted[0].Blocks(), actRecertKeep))

	// Governance sees it on App Home; the original approver may no longer decide.
	h.send("events_api", h.fake.AppHomeOpened(maya))
	home := h.waitCall("views.publish", func(c slackfake.Call) bool {
		return c.Str("user_id") == maya && strings.Contains(c.JSON(), "Access to recertify")
	})
	assert.Contains(t, home.JSON(), "Escalated")
	h.send("interactive", h.fake.BlockAction(slackfake.Interaction{User: priya, ActionID: actRecertKeep, Value: items[0].ID}))
	h.dmCard(priya, "Nothing was changed")
	h.send("interactive", h.fake.BlockAction(slackfake.Interaction{User: maya, ActionID: actRecertKeep, Value: items[0].ID}))
	require.Eventually(t, func() bool {
		items, err := h.store.ListRecerts(ctx, approvals.RecertFilter{})
		return err == nil && len(items) == 1 && items[0].State == approvals.RecertKept && items[0].DecidedBy == "maya"
	}, 10*time.Second, 20*time.Millisecond)
	gs, err := h.store.ListGrants(ctx, approvals.GrantFilter{RequestID: reqID})
	require.NoError(t, err)
	require.Len(t, gs, 1)
	assert.Equal(t, approvals.GrantActive, gs[0].State, "kept")
}

func testRecommendationCard(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	rsp := newWebResponder(slackfake.BotToken, h.fake.APIURL(), nil)

	// The decision history, through /access and the approval cards: two
	// claims adjusters approved three times for internal claims data, and a
	// customer service representative denied.
	approve := func(requester, text, reason, approver string) string {
		t.Helper()
		h.command(requester, "/access", text+" because "+reason)
		ts, reqID := h.approvalCard(reason)
		h.click(approver, approvalsChannel, ts, actApprove, reqID)
		h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts && strings.Contains(c.JSON(), "Approved") })
		return reqID
	}
	support := []string{
		approve(jamal, "claims.adjuster_notes for 2 days", "triage backlog", priya),
		approve(rosa, "claims.adjuster_notes for 3 days", "subrogation review", priya),
		approve(jamal, "analytics.claims_daily for 2 days", "weekly claims report", grace),
	}
	slices.Sort(support)
	h.command(zoe, "/access", "claims.adjuster_notes for 1 day because curious about a caller")
	ts, denyID := h.approvalCard("curious about a caller")
	h.denyWithReason(priya, ts, denyID, "Not needed for customer service")
	h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts && strings.Contains(c.JSON(), "Denied") })

	// The hourly part of the tick mines the history and posts the proposal
	// to the approvals channel.
	isRecCard := func(c slackfake.Call) bool {
		return c.Str("channel") == approvalsChannel && strings.Contains(c.JSON(), "New policy recommendations")
	}
	h.bot.tick(ctx, rsp)
	post := h.waitCall("chat.postMessage", isRecCard)
	js := post.JSON()
	assert.Contains(t, js, "job_title=Claims Adjuster", "the subject the approved requesters share")
	assert.Contains(t, js, "3 approved requests from 2 people")
	assert.Contains(t, js, "the 1 person denied that data did not have it")
	recID := buttonValue(post.Blocks(), actRecAccept)
	require.NotEmpty(t, recID)
	assert.Equal(t, recID, buttonValue(post.Blocks(), actRecDismiss))
	var recTS string
	for _, m := range h.fake.Messages(approvalsChannel) {
		if jsonOf(m.Blocks) == jsonOf(post.Blocks()) {
			recTS = m.TS
		}
	}
	require.NotEmpty(t, recTS)
	recs, err := h.store.ListRecommendations(ctx, approvals.RecommendationOpen)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, recID, recs[0].ID)
	assert.Equal(t, support, recs[0].Support)
	assert.Equal(t, [][]policy.Term{{{Attribute: "job_title", Values: []string{"Claims Adjuster"}}}}, recs[0].Policy.Subjects)

	// A non-governance click is refused and saves nothing.
	h.click(jamal, approvalsChannel, recTS, actRecAccept, recID)
	refused := h.waitCall("chat.postEphemeral", func(c slackfake.Call) bool { return c.Str("user") == jamal })
	assert.Contains(t, refused.JSON(), "only members of the")
	ps, err := h.store.ListPolicies(ctx)
	require.NoError(t, err)
	assert.Empty(t, ps)

	// Governance accepts: the policy is saved under the recommendation's id.
	click := h.click(maya, approvalsChannel, recTS, actRecAccept, recID)
	done := h.waitResponse(click["response_url"].(string), "accepted as policy")
	assert.Contains(t, done.JSON(), recID)
	assert.Contains(t, done.JSON(), "<@U0MAYA>")
	ps, err = h.store.ListPolicies(ctx)
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.Equal(t, recID, ps[0].ID)
	assert.Equal(t, "maya", ps[0].CreatedBy)
	assert.Equal(t, recs[0].Policy.Subjects, ps[0].Subjects)
	recs, err = h.store.ListRecommendations(ctx, approvals.RecommendationAccepted)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, "maya", recs[0].DecidedBy)

	// A claims adjuster now gets the access at once, and the next hourly
	// mining proposes nothing again.
	p := h.command(rosa, "/access", "claims.adjuster_notes for 1 day because a follow-up")
	h.waitResponse(p["response_url"].(string), "already have read access")
	h.clock.Advance(time.Hour)
	h.bot.tick(ctx, rsp)
	var posts int
	for _, c := range h.fake.Calls("chat.postMessage") {
		if isRecCard(c) {
			posts++
		}
	}
	assert.Equal(t, 1, posts)
}

// The same flow over wss:// and https://, as with the real Slack.
func TestSocketModeOverTLS(t *testing.T) {
	h := startSocketMode(t, true)
	require.True(t, strings.HasPrefix(h.fake.APIURL(), "https://"))
	p := h.command(maya, "/policy", policyText)
	h.waitResponse(p["response_url"].(string), "policy_save")
}

// Slack's rate limiter (429, Retry-After) delays an approval card; it is not lost.
func TestRateLimitedCardIsRetried(t *testing.T) {
	h := newHarness(t)
	h.fake.RateLimit("chat.postMessage", 1)
	h.command(jamal, "/access", "claims.adjuster_notes for 2 days because triage")
	h.approvalCard("pg.claims.adjuster_notes")
	var limited int
	for _, c := range h.fake.Calls("chat.postMessage") {
		if c.Error == "ratelimited" {
			limited++
		}
	}
	assert.Equal(t, 1, limited)
}
