package bot

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/copilot"
	"github.com/steward-dev/steward/internal/testsupport/slackfake"
	"github.com/steward-dev/steward/policy"
	"github.com/steward-dev/steward/store/sqlite"
)

const approvalsChannel = "C0APPROVALS"

// harness runs the real bot over the real socketmode client against the
// fake Slack, on a SQLite store in a temp dir, with the built-in copilot and
// the approvals service.
type harness struct {
	t     testing.TB
	fake  *slackfake.Server
	store approvals.Store
	svc   *approvals.Service
	bot   *Bot
	cat   *policy.Catalog
	recon *countingReconciler
	clock *testClock
}

// testClock is real time plus an offset a test can advance.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

type countingReconciler struct {
	mu sync.Mutex
	n  int
}

func (c *countingReconciler) Trigger() { c.mu.Lock(); c.n++; c.mu.Unlock() }
func (c *countingReconciler) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func loadTestCatalog(t testing.TB) *policy.Catalog {
	t.Helper()
	cat, err := policy.LoadCatalog("testdata/catalog.yaml")
	require.NoError(t, err)
	return cat
}

// reconcilerFor builds a reconciler over the harness's service and store.
type reconcilerFor func(svc *approvals.Service, st approvals.Store, cat *policy.Catalog) Reconciler

func newHarness(t testing.TB, recon ...reconcilerFor) *harness {
	t.Helper()
	return startSocketMode(t, false, recon...)
}

// startSocketMode runs the bot over Socket Mode against a fake Slack,
// over wss:// when useTLS.
func startSocketMode(t testing.TB, useTLS bool, recon ...reconcilerFor) *harness {
	t.Helper()
	h, ctx, cancel := newBotHarnessTLS(t, useTLS, recon...)
	done := make(chan error, 1)
	go func() {
		done <- h.bot.RunSocketMode(ctx, SocketConfig{BotToken: slackfake.BotToken, AppToken: slackfake.AppToken,
			APIURL: h.fake.APIURL(), TLSConfig: h.fake.TLSConfig()})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("bot did not stop")
		}
	})
	require.NoError(t, h.fake.WaitConnected(1, 10*time.Second))
	return h
}

// newBotHarness builds everything but a transport; ctx ends at cleanup.
func newBotHarness(t testing.TB, build ...reconcilerFor) (*harness, context.Context, context.CancelFunc) {
	t.Helper()
	return newBotHarnessTLS(t, false, build...)
}

func newBotHarnessTLS(t testing.TB, useTLS bool, build ...reconcilerFor) (*harness, context.Context, context.CancelFunc) {
	t.Helper()
	newFake := slackfake.New
	if useTLS {
		newFake = slackfake.NewTLS
	}
	fake, err := newFake()
	require.NoError(t, err)
	fake.PingInterval = time.Second
	t.Cleanup(fake.Close)
	cat := loadTestCatalog(t)
	for _, u := range cat.Users {
		if u.SlackID != "" {
			fake.AddUser(slackfake.User{ID: u.SlackID, Name: u.Name, Email: u.Email, EmailConfirmed: true})
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "steward.db"))
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	clock := &testClock{}
	// AllowStanding: "/access X for good" asks for access with no end date,
	// the grants that recertification reviews.
	svc := approvals.New(st, cat, clock.Now, approvals.Config{GovernanceGroup: "data-governance",
		Rules: []approvals.QuorumRule{{Tag: "Classification.Restricted", Approvals: 2}}, AllowStanding: true, Logger: logger})
	recon := &countingReconciler{}
	var r Reconciler = recon
	if len(build) > 0 {
		r = build[0](svc, st, cat)
	}
	b, err := New(Config{Catalog: cat, Store: st, Approvals: svc, Copilot: copilot.NewBuiltin(),
		ApprovalsChannel: approvalsChannel, Reconciler: r, Logger: logger, Now: clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		_ = st.Close()
	})
	return &harness{t: t, fake: fake, store: st, svc: svc, bot: b, cat: cat, recon: recon, clock: clock}, ctx, cancel
}

// send delivers an envelope and requires its ack within Slack's 3 s.
func (h *harness) send(typ string, payload any) string {
	h.t.Helper()
	id, err := h.fake.Send(typ, payload)
	require.NoError(h.t, err)
	ack, err := h.fake.WaitAck(id, slackfake.AckDeadline)
	require.NoError(h.t, err, "every envelope is acked within 3 s")
	require.Less(h.t, ack.Latency, slackfake.AckDeadline)
	return id
}

func (h *harness) command(user, command, text string) map[string]any {
	h.t.Helper()
	p := h.fake.SlashCommand(user, "C0GENERAL", command, text)
	h.send("slash_commands", p)
	return p
}

func (h *harness) click(user, channel, ts, actionID, value string) map[string]any {
	h.t.Helper()
	p := h.fake.BlockAction(slackfake.Interaction{User: user, Channel: channel, MessageTS: ts, ActionID: actionID, Value: value})
	h.send("interactive", p)
	return p
}

// waitResponse waits for a response_url post (to url) whose JSON contains substr.
func (h *harness) waitResponse(url, substr string) slackfake.Call {
	h.t.Helper()
	id := url[strings.LastIndex(url, "/")+1:]
	c, err := h.fake.WaitCall("response_url", 10*time.Second, func(c slackfake.Call) bool {
		return c.Str("response_url_id") == id && strings.Contains(c.JSON(), substr)
	})
	require.NoError(h.t, err, "waiting for a response containing %q; got %v", substr, h.fake.Responses(url))
	return c
}

func (h *harness) waitCall(method string, match func(slackfake.Call) bool) slackfake.Call {
	h.t.Helper()
	c, err := h.fake.WaitCall(method, 10*time.Second, match)
	require.NoError(h.t, err)
	return c
}

func contains(sub string) func(slackfake.Call) bool {
	return func(c slackfake.Call) bool { return strings.Contains(c.JSON(), sub) }
}

// buttons lists (action_id, value) of every button in blocks.
type btn struct{ ActionID, Value string }

func buttons(blocks []any) []btn {
	var out []btn
	for _, raw := range blocks {
		b, _ := raw.(map[string]any)
		var els []any
		if b["type"] == "actions" {
			els, _ = b["elements"].([]any)
		}
		if acc, ok := b["accessory"].(map[string]any); ok {
			els = append(els, acc)
		}
		for _, e := range els {
			m, _ := e.(map[string]any)
			if m["type"] == "button" {
				v, _ := m["value"].(string)
				id, _ := m["action_id"].(string)
				out = append(out, btn{ActionID: id, Value: v})
			}
		}
	}
	return out
}

func blockTypes(blocks []any) []string {
	var out []string
	for _, raw := range blocks {
		b, _ := raw.(map[string]any)
		t, _ := b["type"].(string)
		out = append(out, t)
	}
	return out
}

func jsonOf(v any) string {
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(buf.String())
}
