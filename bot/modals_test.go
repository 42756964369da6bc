package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/copilot"
	"github.com/steward-dev/steward/internal/testsupport/slackfake"
	"github.com/steward-dev/steward/policy"
)

// bigCatalog has more attribute values and tags than a static select may list.
func bigCatalog(t *testing.T) *policy.Catalog {
	var sb strings.Builder
	sb.WriteString("attributes:\n  job_title:\n    values:\n")
	for i := 0; i < 150; i++ {
		fmt.Fprintf(&sb, "      Title %03d: {}\n", i)
	}
	sb.WriteString("groups:\n  governance: {}\ntags:\n")
	for i := 0; i < 130; i++ {
		fmt.Fprintf(&sb, "  Tag.%03d: {}\n", i)
	}
	sb.WriteString("users:\n  - {id: g, name: Gov, email: g@x.example, slack_id: U0G, groups: [governance], attributes: {job_title: Title 001}}\n")
	sb.WriteString("  - {id: o, name: Owner, email: o@x.example, slack_id: U0O, attributes: {job_title: Title 002}}\n")
	sb.WriteString("assets:\n")
	for i := 0; i < 120; i++ {
		fmt.Fprintf(&sb, "  - {id: a%03d, name: s.t%03d, owner: o, tags: [Tag.%03d]}\n", i, i, i)
	}
	cat, err := policy.ParseCatalog("big.yaml", []byte(sb.String()))
	require.NoError(t, err)
	return cat
}

func TestEditModalUsesExternalSelectsForLargeCatalogs(t *testing.T) {
	h, _, _ := newBotHarness(t)
	cat := bigCatalog(t)
	svc := approvals.New(h.store, cat, h.clock.Now, approvals.Config{GovernanceGroup: "governance"})
	b, err := New(Config{Catalog: cat, Store: h.store, Approvals: svc, Copilot: copilot.NewBuiltin()})
	require.NoError(t, err)
	d := draftEntry{ID: "d1", Sentence: "Title 001 can read Tag.007 data", Policy: policy.Policy{
		Effect: policy.Allow, Action: policy.Read,
		Subjects: [][]policy.Term{{{Attribute: "job_title", Values: []string{"Title 001"}}}},
		Objects:  []policy.Clause{{AllTags: []string{"Tag.007"}}},
	}}
	view := b.policyEditModal(d, "")
	types := map[string]string{}
	for _, blk := range view.Blocks.BlockSet {
		if ib, ok := blk.(*slack.InputBlock); ok {
			if ms, ok := ib.Element.(*slack.MultiSelectBlockElement); ok {
				types[ib.BlockID] = ms.Type
				assert.LessOrEqual(t, len(ms.Options), 100)
			}
		}
	}
	assert.Equal(t, slack.MultiOptTypeExternal, types["subjects"], "150 titles: typeahead")
	assert.Equal(t, slack.MultiOptTypeExternal, types["tags"], "130 tags: typeahead")
	assert.Equal(t, slack.MultiOptTypeExternal, types["edit_assets"])

	// The fake (Slack's limits) accepts the modal.
	rsp := newWebResponder(slackfake.BotToken, h.fake.APIURL(), nil)
	trigger := h.fake.SlashCommand("U0G", "C1", "/policy", "")["trigger_id"].(string)
	require.NoError(t, rsp.OpenModal(context.Background(), trigger, view))

	// The typeahead answers with at most 100 options, filtered.
	all := b.suggest(Suggestion{ActionID: "subjects"})
	assert.Len(t, all, 100)
	some := b.suggest(Suggestion{ActionID: "tags", Typed: "tag.12"})
	require.NotEmpty(t, some)
	for _, o := range some {
		assert.Contains(t, strings.ToLower(o.Label), "tag.12")
	}
	// Submitting typed-ahead values rebuilds the policy.
	p, errs := policyFromEdit(d, map[string][]string{"subjects": {"a:job_title=Title 140"}, "tags": {"t:Tag.120", "t:Tag.121"}}, cat)
	require.Empty(t, errs)
	assert.Equal(t, [][]policy.Term{{{Attribute: "job_title", Values: []string{"Title 140"}}}}, p.Subjects)
	assert.Len(t, p.Objects, 2)
}
