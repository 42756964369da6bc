package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/copilot"
	"github.com/steward-dev/steward/policy"
)

// Config wires the bot to the rest of Steward.
type Config struct {
	// Catalog is the approvals service's catalog; afterwards the bot follows
	// the service's (Service.SetCatalog, when the file is reloaded).
	Catalog   *policy.Catalog
	Store     approvals.Store
	Approvals *approvals.Service
	Copilot   copilot.Engine
	// ApprovalsChannel receives approval cards; when empty they go to each approver by DM.
	ApprovalsChannel string
	Reconciler       Reconciler // optional
	Now              func() time.Time
	Logger           *slog.Logger
	// Workers bounds how many envelopes are worked on at once (default two
	// per CPU: with many more runnable workers than cores, acks wait for CPU
	// when it is saturated); QueueSize bounds how many may wait (default 2048).
	Workers   int
	QueueSize int
	Metrics   *Metrics
}

// Bot holds the handlers. It is safe for concurrent use.
type Bot struct {
	cfg     Config
	store   approvals.Store
	svc     *approvals.Service
	copilot copilot.Engine
	objects objectResolver
	now     func() time.Time
	log     *slog.Logger
	metrics *Metrics

	sem     chan struct{}
	cpu     chan struct{} // CPU-heavy work (the copilot) never takes every core, so acks always have one
	waiting atomic.Int64
	wg      sync.WaitGroup

	drafts   *draftCache
	idCache  sync.Map // Slack user id -> identity (catalog user id, or "" when unmapped)
	lastRec  atomic.Int64
	stopping atomic.Bool
}

type identity struct {
	userID string
	at     time.Time
}

// New builds a bot; Catalog, Store, Approvals and Copilot are required.
func New(cfg Config) (*Bot, error) {
	switch {
	case cfg.Catalog == nil:
		return nil, errors.New("bot: a catalog is required")
	case cfg.Store == nil:
		return nil, errors.New("bot: a store is required")
	case cfg.Approvals == nil:
		return nil, errors.New("bot: the approvals service is required")
	case cfg.Copilot == nil:
		return nil, errors.New("bot: a copilot engine is required")
	case cfg.Approvals.Catalog() != cfg.Catalog:
		return nil, errors.New("bot: the catalog is not the approvals service's")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = max(2, 2*runtime.GOMAXPROCS(0))
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 2048
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	return &Bot{
		cfg: cfg, store: cfg.Store, svc: cfg.Approvals, copilot: cfg.Copilot,
		objects: resolverFor(cfg.Copilot),
		now:     cfg.Now, log: cfg.Logger, metrics: cfg.Metrics,
		sem: make(chan struct{}, cfg.Workers), cpu: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1)),
		drafts: newDraftCache(500, 24*time.Hour),
	}, nil
}

// catalog is the catalog in use: the approvals service's.
func (b *Bot) catalog() *policy.Catalog { return b.svc.Catalog() }

// Metrics returns the bot's Prometheus metrics.
func (b *Bot) Metrics() *Metrics { return b.metrics }

// errBusy: the work queue is full.
var errBusy = errors.New("Steward is very busy right now; please try again in a minute")

// dispatch runs fn in the background with bounded concurrency. The caller
// has already acked; fn answers through the responder.
func (b *Bot) dispatch(ctx context.Context, kind string, fn func(ctx context.Context)) error {
	if b.waiting.Add(1) > int64(b.cfg.QueueSize) {
		b.waiting.Add(-1)
		b.metrics.Errors.WithLabelValues("queue_full").Inc()
		return errBusy
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		b.sem <- struct{}{}
		b.waiting.Add(-1)
		defer func() { <-b.sem }()
		defer func() {
			if r := recover(); r != nil {
				b.metrics.Errors.WithLabelValues("panic").Inc()
				b.log.Error("handler panicked", "kind", kind, "panic", fmt.Sprint(r))
			}
		}()
		start := time.Now()
		// Work outlives the envelope's context: it must finish even if the
		// connection that carried it drops.
		fn(context.WithoutCancel(ctx))
		b.metrics.Handled.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	}()
	return nil
}

// Wait blocks until every dispatched handler has finished.
func (b *Bot) Wait() { b.wg.Wait() }

// claim reports whether this is the first time key is seen (redelivered
// envelopes and double clicks are handled once). Store errors let the work
// through: losing an answer is worse than answering twice, and every state
// change below is itself a compare-and-set.
func (b *Bot) claim(ctx context.Context, key string) bool {
	if key == "" {
		return true
	}
	now := b.now()
	ok, err := b.store.Claim(ctx, "slack:"+key, now, now.Add(24*time.Hour))
	if err != nil {
		b.log.Warn("claiming idempotency key", "key", key, "err", err)
		b.metrics.Errors.WithLabelValues("claim").Inc()
		return true
	}
	if !ok {
		b.metrics.Duplicates.Inc()
	}
	return ok
}

// errUnmapped: the Slack member is not in the catalog.
type errUnmapped struct{ slackID string }

func (e errUnmapped) Error() string {
	return fmt.Sprintf("I couldn't match your Slack account (%s) to anyone in Steward's catalog. "+
		"Ask your governance team to add `slack_id: %s` (or your verified Slack email) to your entry in the catalog, then try again.",
		e.slackID, e.slackID)
}

// identify maps a Slack member to a catalog user: by slack_id in the catalog,
// else by the verified email users.info reports.
func (b *Bot) identify(ctx context.Context, rsp responder, slackID string) (policy.User, error) {
	if slackID == "" {
		return policy.User{}, errUnmapped{slackID: "unknown"}
	}
	if u, ok := b.catalog().UserBySlackID(slackID); ok {
		return u, nil
	}
	if v, ok := b.idCache.Load(slackID); ok {
		id := v.(identity)
		if time.Since(id.at) < 10*time.Minute {
			if u, ok := b.catalog().User(id.userID); ok {
				return u, nil
			}
			return policy.User{}, errUnmapped{slackID: slackID}
		}
	}
	info, err := rsp.UserInfo(ctx, slackID)
	if err != nil {
		return policy.User{}, fmt.Errorf("looking up Slack member %s: %w", slackID, err)
	}
	var userID string
	if info.Email != "" && info.EmailConfirmed {
		if u, ok := b.catalog().UserByEmail(info.Email); ok {
			userID = u.ID
		}
	}
	b.idCache.Store(slackID, identity{userID: userID, at: time.Now()})
	if u, ok := b.catalog().User(userID); ok && userID != "" {
		return u, nil
	}
	return policy.User{}, errUnmapped{slackID: slackID}
}

// slackIDOf finds the Slack member for a catalog user, for mentions and DMs.
func (b *Bot) slackIDOf(ctx context.Context, rsp responder, userID string) string {
	u, ok := b.catalog().User(userID)
	if !ok {
		return ""
	}
	if u.SlackID != "" {
		return u.SlackID
	}
	if u.Email == "" {
		return ""
	}
	id, err := rsp.LookupByEmail(ctx, u.Email)
	if err != nil {
		return ""
	}
	return id
}

// mention renders a catalog user for a card: a Slack mention when known.
func (b *Bot) mention(userID string) string {
	u, ok := b.catalog().User(userID)
	switch {
	case !ok:
		return esc(userID)
	case u.SlackID != "":
		return "<@" + u.SlackID + ">"
	case u.Name != "":
		return esc(u.Name)
	}
	return esc(u.ID)
}

// reply answers the person behind origin privately.
func (b *Bot) reply(ctx context.Context, rsp responder, o Origin, msg message) {
	var err error
	switch {
	case o.ResponseURL != "":
		err = rsp.Respond(ctx, o.ResponseURL, msg)
	case o.Channel != "":
		err = rsp.Ephemeral(ctx, o.Channel, o.User, msg)
	default:
		_, err = rsp.DM(ctx, o.User, msg)
	}
	if err != nil {
		b.metrics.Errors.WithLabelValues("reply").Inc()
		b.log.Error("replying", "user", o.User, "err", err)
	}
}

// tell sends a plain private note to the person behind origin.
func (b *Bot) tell(ctx context.Context, rsp responder, o Origin, text string) {
	b.reply(ctx, rsp, o, textMessage(text))
}

// refuse tells someone privately why their click or command did nothing.
// It never uses the response URL, so the card they clicked stays as it is.
func (b *Bot) refuse(ctx context.Context, rsp responder, o Origin, text string) {
	msg := textMessage(text)
	var err error
	if o.Channel != "" && !strings.HasPrefix(o.Channel, "D") {
		err = rsp.Ephemeral(ctx, o.Channel, o.User, msg)
	} else {
		_, err = rsp.DM(ctx, o.User, msg)
	}
	if err != nil {
		b.log.Error("sending refusal", "user", o.User, "err", err)
	}
}

// fail logs an unexpected error and tells the person something useful.
func (b *Bot) fail(ctx context.Context, rsp responder, o Origin, doing string, err error) {
	var un errUnmapped
	if errors.As(err, &un) {
		b.tell(ctx, rsp, o, un.Error())
		return
	}
	b.metrics.Errors.WithLabelValues("handler").Inc()
	b.log.Error(doing, "user", o.User, "err", err)
	b.tell(ctx, rsp, o, fmt.Sprintf(":warning: Something went wrong while %s: %s", doing, err))
}

func (b *Bot) trigger() {
	if b.cfg.Reconciler != nil {
		b.cfg.Reconciler.Trigger()
	}
}

// objectResolver turns free text ("the claims tables") into object clauses.
type objectResolver interface {
	ResolveObjects(cat *policy.Catalog, text string) ([]policy.Clause, []copilot.Match, error)
}

// resolverFor reuses the engine's per-catalog index when it has one; the
// package-level copilot.ResolveObjects would index the catalog on every request.
func resolverFor(engine copilot.Engine) objectResolver {
	if r, ok := engine.(objectResolver); ok {
		return r
	}
	return copilot.NewBuiltinEngine()
}
