package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/copilot"
	"github.com/steward-dev/steward/internal/testsupport/slackfake"
	"github.com/steward-dev/steward/policy"
)

// checkLimits walks rendered blocks and reports every Block Kit limit broken.
// It is written from Slack's documentation, independently of enforceLimits.
func checkLimits(t *testing.T, blocks []slack.Block, maxBlocks int) {
	t.Helper()
	raw, err := json.Marshal(blocks)
	require.NoError(t, err)
	var bl []map[string]any
	require.NoError(t, json.Unmarshal(raw, &bl))
	assert.LessOrEqual(t, len(bl), maxBlocks, "blocks")
	text := func(v any) int {
		m, _ := v.(map[string]any)
		s, _ := m["text"].(string)
		return len([]rune(s))
	}
	for i, b := range bl {
		switch b["type"] {
		case "section":
			assert.LessOrEqual(t, text(b["text"]), 3000, "section %d text", i)
			fields, _ := b["fields"].([]any)
			assert.LessOrEqual(t, len(fields), 10)
			for _, f := range fields {
				assert.LessOrEqual(t, text(f), 2000, "field")
			}
		case "header":
			assert.LessOrEqual(t, text(b["text"]), 150)
		case "context":
			els, _ := b["elements"].([]any)
			assert.LessOrEqual(t, len(els), 10)
			for _, e := range els {
				assert.LessOrEqual(t, text(e), 3000)
			}
		case "actions":
			els, _ := b["elements"].([]any)
			assert.LessOrEqual(t, len(els), 25)
			for _, e := range els {
				m, _ := e.(map[string]any)
				v, _ := m["value"].(string)
				assert.LessOrEqual(t, len(v), 2000, "button value")
				assert.LessOrEqual(t, text(m["text"]), 75, "button text")
			}
		}
	}
}

// corpus is awkward text (markup, entities, multi-byte runes) that random
// windows are cut from.
var corpus = func() string {
	words := []string{"claims", "actuaries", "<script>", "&", "bank account", "PII", "Ωmega", "`code`", "*bold*", "\n", "über", "<@U0MAYA>"}
	r := rand.New(rand.NewSource(1))
	var sb strings.Builder
	for sb.Len() < 64<<10 {
		sb.WriteString(words[r.Intn(len(words))])
		sb.WriteByte(' ')
	}
	return sb.String()
}()

func randText(r *rand.Rand, n int) string {
	n = min(n, len(corpus)/2)
	start := r.Intn(len(corpus) - n)
	return strings.ToValidUTF8(corpus[start:start+n], "?")
}

// hugeDraft makes a draft far beyond any limit: a 4,000-character sentence,
// hundreds of phrases and matches, a 500-asset impact.
func hugeDraft(r *rand.Rand, cat *policy.Catalog, scale int) copilot.Draft {
	d := copilot.Draft{Sentence: randText(r, 4000), OK: true, Cedar: randText(r, 100*scale)}
	for i := 0; i < 5*scale; i++ {
		d.Decomposition.Subjects = append(d.Decomposition.Subjects, randText(r, 300))
		d.Decomposition.Objects = append(d.Decomposition.Objects, randText(r, 300))
		d.Decomposition.Conditions = append(d.Decomposition.Conditions, randText(r, 300))
		pr := copilot.PhraseResolution{Phrase: randText(r, 500), Role: "subject"}
		for j := 0; j < min(scale, 8); j++ {
			pr.Matches = append(pr.Matches, copilot.Match{Kind: "tag", Key: randText(r, 200), Why: randText(r, 1000), Score: r.Float64()})
		}
		d.Resolution = append(d.Resolution, pr)
		u := randText(r, 300)
		d.Unresolved = append(d.Unresolved, u)
		if d.Suggestions == nil {
			d.Suggestions = map[string][]copilot.Match{}
		}
		d.Suggestions[u] = []copilot.Match{{Kind: "asset", Key: randText(r, 300)}}
		d.Warnings = append(d.Warnings, randText(r, 1000))
	}
	for i := 0; i < 500; i++ {
		d.Impact.Assets = append(d.Impact.Assets, fmt.Sprintf("warehouse.schema_%03d.table_with_a_long_name_%03d", i, i))
	}
	for _, u := range cat.Users {
		d.Impact.Users = append(d.Impact.Users, u.ID)
	}
	p := policy.Policy{Effect: policy.Allow, Action: policy.Read}
	for i := 0; i < 3*scale; i++ {
		p.Subjects = append(p.Subjects, []policy.Term{{Attribute: randText(r, 100), Values: []string{randText(r, 200), randText(r, 200)}}})
		p.Objects = append(p.Objects, policy.Clause{AllTags: []string{randText(r, 200)}, NoneTags: []string{randText(r, 100)}})
	}
	d.Policy = &p
	return d
}

func TestBlockKitLimitsNeverExceeded(t *testing.T) {
	h, _, _ := newBotHarness(t)
	rsp := newWebResponder(slackfake.BotToken, h.fake.APIURL(), nil)
	ctx := context.Background()
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 15; i++ {
		scale := 1 + r.Intn(40)
		d := hugeDraft(r, h.cat, scale)
		card := draftCard(d, "d0123456789ab", h.cat)
		checkLimits(t, card.Blocks, maxMessageBlocks)
		btns := 0
		for _, b := range card.Blocks {
			if _, ok := b.(*slack.ActionBlock); ok {
				btns++
			}
		}
		assert.Equal(t, 1, btns, "the Save/Edit/Discard row survives truncation")
		// The fake enforces Slack's limits like the real API: it must accept the card.
		_, err := rsp.Post(ctx, "C0LIMITS", card)
		require.NoError(t, err, "scale %d", scale)
		require.NoError(t, rsp.Respond(ctx, h.fake.ResponseURL(), card))
	}
	// The draft card says how much it left out.
	card := draftCard(hugeDraft(r, h.cat, 40), "d1", h.cat)
	assert.Contains(t, jsonOf(card.Blocks), "and 495 more", "500-asset impact is truncated with a count")
}

func TestRequestCardAndHomeWithinLimits(t *testing.T) {
	h, _, _ := newBotHarness(t)
	rsp := newWebResponder(slackfake.BotToken, h.fake.APIURL(), nil)
	ctx := context.Background()
	r := rand.New(rand.NewSource(11))
	var assets []string
	for _, a := range h.cat.Assets {
		assets = append(assets, a.ID)
	}
	for i := 0; i < 20; i++ {
		req := approvals.Request{ID: "r" + fmt.Sprint(i), Requester: "jamal", Assets: assets, Action: policy.Read,
			Duration: time.Hour * time.Duration(1+r.Intn(500)), Reason: randText(r, 1+r.Intn(6000)), Query: randText(r, 2000),
			State: approvals.StatePending, Approvers: []string{"maya", "omar", "priya"}, RequiredApprovals: 2, CreatedAt: time.Now()}
		for j := 0; j < r.Intn(30); j++ {
			req.Reviews = append(req.Reviews, approvals.Review{Reviewer: "maya", Verdict: approvals.Approve, Comment: randText(r, 2000), At: time.Now()})
		}
		card := h.bot.requestCard(ctx, req)
		checkLimits(t, card.Blocks, maxMessageBlocks)
		_, err := rsp.Post(ctx, approvalsChannel, card)
		require.NoError(t, err)
	}
	// App Home with many pending requests.
	for i := 0; i < 40; i++ {
		_, err := h.svc.Submit(ctx, approvals.NewRequest{Requester: "jamal", Assets: []string{"pg.claims.adjuster_notes"}, Action: policy.Read,
			Duration: time.Hour, Reason: randText(r, 900)})
		require.NoError(t, err)
	}
	blocks := h.bot.homeBlocks(ctx, rsp, priya)
	checkLimits(t, blocks, maxViewBlocks)
	assert.Contains(t, jsonOf(blocks), "more")
	require.NoError(t, rsp.publishHome(ctx, priya, slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}))
}

func TestEnforceLimitsKeepsButtonsAndDropsOversizedValues(t *testing.T) {
	var blocks []slack.Block
	for i := 0; i < 80; i++ {
		blocks = append(blocks, section(strings.Repeat("x", 5000)))
	}
	blocks = append(blocks, actions("a", button("ok", "OK", "v", ""), button("big", "Too big", strings.Repeat("v", 2001), "")))
	out := enforceLimits(blocks, maxMessageBlocks)
	require.Len(t, out, maxMessageBlocks)
	last, ok := out[len(out)-1].(*slack.ActionBlock)
	require.True(t, ok, "the action row is kept")
	require.Len(t, last.Elements.ElementSet, 1, "a button whose value would be cut is dropped, not cut")
	assert.Contains(t, jsonOf(out), "and 32 more sections not shown")
	checkLimits(t, out, maxMessageBlocks)
}
