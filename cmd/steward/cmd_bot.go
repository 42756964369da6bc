package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/bot"
	"github.com/steward-dev/steward/connectors"
	"github.com/steward-dev/steward/policy"
)

const runSynopsis = `run

Runs the bot. With SLACK_BOT_TOKEN and SLACK_APP_TOKEN it connects to Slack over
Socket Mode; with SLACK_SIGNING_SECRET (and SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET for OAuth installs) it serves Slack's HTTP endpoints on
STEWARD_HTTP_ADDR; with neither it starts the console (see steward console --help).
/healthz and /metrics are served on STEWARD_HTTP_ADDR in both Slack modes.

` + configHelp

func runBot(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "run", runSynopsis)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: run takes no arguments (got %q); settings come from the environment, see steward run --help", errUsage, fs.Arg(0))
	}
	cfg, err := loadConfig(e.getenv)
	if err != nil {
		return err
	}
	if cfg.mode() == modeConsole {
		return consoleSession(ctx, e, cfg, consoleOptions{})
	}
	logger := slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	logger.Info("starting Steward", cfg.summary()...)

	st, err := openStore(ctx, cfg.Store)
	if err != nil {
		return fmt.Errorf("opening store: %w", err)
	}
	defer st.Close()
	w, err := wire(ctx, e, cfg, st, logger)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Background loops end before the store closes (deferred above).
	var background sync.WaitGroup
	defer background.Wait()
	defer cancel()
	if w.reconciler != nil {
		background.Go(func() {
			if err := w.reconciler.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				logger.Error("reconciler stopped", "err", err)
			}
		})
	}
	background.Go(func() { w.bot.RunTicker(ctx, cfg.TickInterval, cfg.BotToken, cfg.APIURL) })
	if cfg.Catalog != "" {
		background.Go(func() { watchCatalog(ctx, cfg, w, logger) })
	}

	var handler http.Handler = w.bot.OpsHandler()
	if cfg.mode() == modeHTTP {
		handler, err = w.bot.HTTPHandler(bot.HTTPConfig{
			SigningSecret: cfg.SigningSecret, BotToken: cfg.BotToken, APIURL: cfg.APIURL,
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
		})
		if err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("STEWARD_HTTP_ADDR: listening on %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	logger.Info("serving", "addr", ln.Addr().String(), "mode", cfg.mode())

	runErr := make(chan error, 1)
	if cfg.mode() == modeSocket {
		go func() {
			runErr <- w.bot.RunSocketMode(ctx, bot.SocketConfig{BotToken: cfg.BotToken, AppToken: cfg.AppToken, APIURL: cfg.APIURL})
		}()
	}
	select {
	case <-ctx.Done():
		err = nil
	case err = <-runErr:
	case err = <-srvErr:
		err = fmt.Errorf("HTTP server: %w", err)
	}
	w.bot.Stopping()
	cancel()
	shutdown, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	_ = srv.Shutdown(shutdown)
	w.bot.Wait()
	logger.Info("stopped")
	return err
}

// wired is the bot with what it runs on.
type wired struct {
	bot        *bot.Bot
	svc        *approvals.Service
	cat        *policy.Catalog
	catDigest  string // of the catalog file, taken before loading it
	quorum     []approvals.QuorumRule
	reconciler *connectors.Reconciler
}

// wire builds the catalog, approvals service, copilot, reconciler and bot
// from the settings. Errors name the setting at fault.
func wire(ctx context.Context, e env, cfg config, st approvals.Store, logger *slog.Logger) (wired, error) {
	// The digest first: a change made while loading then shows as a change.
	digest := fileDigest(cfg.Catalog)
	cat, err := loadCatalogSetting(cfg.Catalog)
	if err != nil {
		return wired{}, err
	}
	group, err := governanceGroup(cat, cfg.GovernanceGroup)
	if err != nil {
		return wired{}, err
	}
	quorum := cfg.Quorum
	if len(quorum) == 0 && cfg.Catalog == "" {
		// The demo catalog shows the two-person rule on restricted data.
		quorum = []approvals.QuorumRule{{Tag: "Classification.Restricted", Approvals: 2}}
	}
	if err := checkQuorum(cat, quorum); err != nil {
		return wired{}, err
	}
	svc := approvals.New(st, cat, time.Now, approvals.Config{
		GovernanceGroup: group, Rules: quorum, DefaultDuration: cfg.DefaultDuration, MaxDuration: cfg.MaxDuration,
		AllowStanding: cfg.AllowStanding, Logger: logger,
	})
	engine, err := newEngine(ctx, e, cfg.Copilot)
	if err != nil {
		return wired{}, fmt.Errorf("STEWARD_COPILOT: %w", err)
	}
	w := wired{svc: svc, cat: cat, catDigest: digest, quorum: quorum}
	var recon bot.Reconciler
	if cfg.Connectors != "" {
		specs, err := parseConnectorsSetting(cfg.Connectors)
		if err != nil {
			return wired{}, err
		}
		conns, err := buildConnectors(ctx, specs, cat, logger)
		if err != nil {
			return wired{}, err
		}
		w.reconciler, err = connectors.NewReconciler(svc, cat, st, conns, connectors.ReconcilerConfig{Logger: logger, Holder: replicaID()})
		if err != nil {
			return wired{}, fmt.Errorf("STEWARD_CONNECTORS: %w", err)
		}
		recon = w.reconciler
	}
	w.bot, err = bot.New(bot.Config{
		Catalog: cat, Store: st, Approvals: svc, Copilot: engine, ApprovalsChannel: cfg.ApprovalsChannel,
		Reconciler: recon, Logger: logger, Workers: cfg.Workers,
	})
	if err != nil {
		return wired{}, err
	}
	if cfg.ApprovalsChannel == "" && cfg.mode() != modeConsole {
		logger.Warn("STEWARD_APPROVALS_CHANNEL is not set: approval cards go to each approver by direct message")
	}
	return w, nil
}

func checkQuorum(cat *policy.Catalog, quorum []approvals.QuorumRule) error {
	for _, q := range quorum {
		if _, ok := cat.Tags[q.Tag]; !ok {
			return fmt.Errorf("STEWARD_QUORUM: tag %q is not in the catalog", q.Tag)
		}
	}
	return nil
}

// watchCatalog reloads the catalog file on SIGHUP and, every
// STEWARD_CATALOG_RELOAD, when its content has changed, so joiners, leavers
// and new tables take effect without a restart. A file that does not load,
// or under which the running setup would not hold, is refused with an error
// in the log, and the running catalog stays.
func watchCatalog(ctx context.Context, cfg config, w wired, logger *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var poll <-chan time.Time
	if cfg.CatalogReload > 0 {
		t := time.NewTicker(cfg.CatalogReload)
		defer t.Stop()
		poll = t.C
	}
	last := w.catDigest
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		case <-poll:
			if fileDigest(cfg.Catalog) == last {
				continue
			}
		}
		last = fileDigest(cfg.Catalog) // before loading, as in wire
		_ = reloadCatalog(ctx, cfg, w, logger)
	}
}

// reloadCatalog loads the catalog file and hands it to the approvals
// service (which checks it against the saved policies) and the reconciler,
// then asks for a pass so that leavers lose their grants now.
func reloadCatalog(ctx context.Context, cfg config, w wired, logger *slog.Logger) error {
	cat, err := loadCatalogSetting(cfg.Catalog)
	if err == nil {
		err = checkQuorum(cat, w.quorum)
	}
	if err == nil {
		err = w.svc.ReplaceCatalog(ctx, cat)
	}
	if err != nil {
		logger.Error("catalog reload refused; the running catalog stays", "catalog", cfg.Catalog, "err", err)
		return err
	}
	if w.reconciler != nil {
		w.reconciler.SetCatalog(cat)
		w.reconciler.Trigger()
	}
	logger.Info("catalog reloaded", "catalog", cfg.Catalog, "users", len(cat.Users), "assets", len(cat.Assets))
	return nil
}

// fileDigest is a digest of the file's content, or "" when it cannot be read
// (or path is empty: the embedded demo catalog).
func fileDigest(path string) string {
	if path == "" {
		return ""
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return string(sum[:])
}

// governanceGroup checks STEWARD_GOVERNANCE_GROUP against the catalog, or
// picks data-governance / governance when unset.
func governanceGroup(cat *policy.Catalog, name string) (string, error) {
	groups := make([]string, 0, len(cat.Groups))
	for g := range cat.Groups {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	if name != "" {
		if _, ok := cat.Groups[name]; !ok {
			return "", fmt.Errorf("STEWARD_GOVERNANCE_GROUP: group %q is not in the catalog (groups: %s)", name, strings.Join(groups, ", "))
		}
		return name, nil
	}
	for _, g := range []string{"data-governance", "governance"} {
		if slices.Contains(groups, g) {
			return g, nil
		}
	}
	return "", fmt.Errorf("STEWARD_GOVERNANCE_GROUP: not set and the catalog has no data-governance group; name the group whose members manage policies (groups: %s)", strings.Join(groups, ", "))
}
