package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/steward-dev/steward/bot"
	"github.com/steward-dev/steward/store/sqlite"
)

const consoleSynopsis = `console [--as USER] [--db FILE]

Runs Steward's Slack handlers in this terminal: type /policy ... and /access ...
as you would in Slack, press buttons by number, switch people with "as NAME".
Cards are rendered as text. It runs on an embedded SQLite store (a fresh
temporary one unless --db names a file to keep) and on STEWARD_CATALOG or the
embedded Northwind Mutual demo catalog. Type help inside for the commands.

Flags:`

// consoleOptions are the console's flags.
type consoleOptions struct {
	as string
	db string
}

func runConsole(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "console", consoleSynopsis)
	var opts consoleOptions
	fs.StringVar(&opts.as, "as", "", "catalog user to act as first (default: the first governance member)")
	fs.StringVar(&opts.db, "db", "", "SQLite file to keep state in (default: a temporary file removed at exit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: console takes no arguments (got %q); see steward console --help", errUsage, fs.Arg(0))
	}
	cfg, err := loadConfig(e.getenv)
	if err != nil {
		return err
	}
	return consoleSession(ctx, e, cfg, opts)
}

// consoleSession runs the console on stdin/stdout until EOF or quit.
func consoleSession(ctx context.Context, e env, cfg config, opts consoleOptions) error {
	// The console is a demo of the Slack experience: it never posts to Slack.
	cfg.BotToken, cfg.AppToken, cfg.SigningSecret, cfg.ClientID, cfg.ClientSecret = "", "", "", "", ""
	if cfg.ApprovalsChannel == "" {
		cfg.ApprovalsChannel = "approvals"
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: max(cfg.LogLevel, slog.LevelWarn)}))
	path := opts.db
	if path == "" {
		dir, err := os.MkdirTemp("", "steward-console-")
		if err != nil {
			return fmt.Errorf("creating a temporary store: %w", err)
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "steward-console.db")
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("opening the console store %s: %w", path, err)
	}
	defer st.Close()
	w, err := wire(ctx, e, cfg, st, logger)
	if err != nil {
		return err
	}
	if w.reconciler != nil {
		ctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		defer wg.Wait() // before the store closes
		defer cancel()
		wg.Go(func() { _ = w.reconciler.Run(ctx) })
	}
	user := opts.as
	if user == "" {
		for _, u := range w.cat.Users {
			if w.svc.IsGovernance(u.ID) && slices.Contains(u.Groups, w.svc.Config().GovernanceGroup) {
				user = u.ID
				break
			}
		}
	}
	if user != "" {
		if _, ok := w.cat.User(user); !ok {
			found := false
			for _, u := range w.cat.Users {
				if u.Name == user || u.Email == user {
					found = true
				}
			}
			if !found && opts.as != "" {
				return fmt.Errorf("%w: --as %q: no such user in the catalog", errUsage, opts.as)
			}
		}
	}
	return w.bot.RunConsole(ctx, bot.ConsoleConfig{In: e.stdin, Out: e.stdout, User: user, Echo: !isTerminal(e.stdin)})
}

// isTerminal reports whether r is an interactive terminal (prompts then
// wait for typing; otherwise input lines are echoed into the transcript).
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
