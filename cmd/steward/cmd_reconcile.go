package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/connectors"
	"github.com/steward-dev/steward/connectors/postgres"
	"github.com/steward-dev/steward/policy"
	"go.yaml.in/yaml/v3"
)

const reconcileHelp = `reconcile [--catalog FILE] [--dry-run] [--once] [--interval 15s] [--json] [--discover]

Brings the data platforms in line with the desired grants (saved policies plus
approved, unexpired requests): each connector's current managed grants are
compared with what should exist and the difference is applied. Without --once
it keeps running, every --interval; with several replicas a lease in the store
lets one of them reconcile each connector at a time. After a pass, the usage
the platform reports (PostgreSQL: pg_stat_statements) is stored for
recertification, at most hourly.

--discover prints the tables each connector finds, as catalog assets (YAML to
paste under assets:, tags read from comments such as
COMMENT ON TABLE t IS 'steward:tags=PII,Domain.Finance'), and with --json also
the usage the platform reports. It needs no store.

Environment:
  STEWARD_CATALOG     catalog file (or --catalog)
  STEWARD_STORE       SQLite path (default steward.db) or firestore://PROJECT/DATABASE
  STEWARD_CONNECTORS  connectors, separated by spaces or commas, each NAME=URL
                      (or a bare URL, named "postgres"). Example:
                        postgres=postgres://steward@127.0.0.1:5432/analytics?sslmode=disable
                      The connector serves catalog assets whose platform is NAME.
                      URL options (removed before connecting):
                        steward_user_mapping=email|id|attribute:NAME  login role of a user
                                             (default email: local part of the email)
                        steward_role_prefix=steward_u_   managed role names
                        steward_platform=NAME            catalog platform (default NAME)
                        steward_asset_prefix=pg.         ids of discovered tables
                        steward_batch_size=1000          statements per transaction
                      Write a comma inside a URL as %2C.

Flags:`

func runReconcile(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "reconcile", reconcileHelp)
	catalogPath := fs.String("catalog", "", "catalog file (default $STEWARD_CATALOG)")
	dryRun := fs.Bool("dry-run", false, "print the plan without changing anything")
	once := fs.Bool("once", false, "make one pass and exit")
	interval := fs.Duration("interval", 15*time.Second, "time between passes when running continuously")
	asJSON := fs.Bool("json", false, "print plans and results as JSON")
	discover := fs.Bool("discover", false, "print the platforms' tables as catalog assets and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: reconcile takes no arguments (got %q); see steward reconcile --help", errUsage, fs.Arg(0))
	}
	if *interval <= 0 {
		return fmt.Errorf("%w: --interval must be positive", errUsage)
	}
	if *catalogPath == "" {
		*catalogPath = e.getenv("STEWARD_CATALOG")
	}
	if *catalogPath == "" {
		return fmt.Errorf("%w: STEWARD_CATALOG is not set: pass --catalog FILE or set STEWARD_CATALOG", errUsage)
	}
	specs, err := parseConnectorsSetting(e.getenv("STEWARD_CONNECTORS"))
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	cat, err := policy.LoadCatalog(*catalogPath)
	if err != nil {
		return fmt.Errorf("loading catalog %s: %w", *catalogPath, err)
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if !*once && !*dryRun {
		logger = slog.New(slog.NewTextHandler(e.stderr, nil))
	}
	conns, err := buildConnectors(ctx, specs, cat, logger)
	if err != nil {
		return err
	}
	if *discover {
		return printDiscovery(ctx, e.stdout, conns, *asJSON)
	}
	store, err := openStore(ctx, e.getenv("STEWARD_STORE"))
	if err != nil {
		return fmt.Errorf("opening store: %w", err)
	}
	defer store.Close()
	svc := approvals.New(store, cat, time.Now, approvals.Config{GovernanceGroup: e.getenv("STEWARD_GOVERNANCE_GROUP")})
	rec, err := connectors.NewReconciler(svc, cat, store, conns, connectors.ReconcilerConfig{
		Interval: *interval, Logger: logger, Holder: replicaID(), Usage: store,
	})
	if err != nil {
		return err
	}

	if *dryRun {
		plans, err := rec.DryRun(ctx)
		printPlans(e.stdout, plans, *asJSON)
		return err
	}
	if *once {
		res, err := rec.RunOnce(ctx)
		printResults(e.stdout, res, *asJSON)
		return err
	}
	fmt.Fprintf(e.stdout, "reconciling %d connector(s) every %s; Ctrl-C stops\n", len(conns), *interval)
	if err := rec.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func replicaID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// connectorSpec is one entry of STEWARD_CONNECTORS.
type connectorSpec struct {
	Name string
	URL  string
}

var connectorNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,62}$`)

// parseConnectorsSetting reads STEWARD_CONNECTORS: entries separated by
// whitespace or commas, each NAME=URL or a bare URL (named "postgres").
// Errors name the setting and the entry, never the URL (it may hold a password).
func parseConnectorsSetting(s string) ([]connectorSpec, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("STEWARD_CONNECTORS is not set: name at least one connector, e.g. postgres=postgres://steward@127.0.0.1:5432/analytics?sslmode=disable")
	}
	entries := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	if len(entries) == 0 {
		return nil, errors.New("STEWARD_CONNECTORS names no connector: want NAME=URL entries separated by spaces or commas")
	}
	var out []connectorSpec
	seen := map[string]bool{}
	for i, entry := range entries {
		name, raw := "postgres", entry
		// NAME=URL has an "=" before the scheme's ":"; a bare URL has none.
		if before, _, _ := strings.Cut(entry, ":"); strings.Contains(before, "=") {
			name, raw, _ = strings.Cut(entry, "=")
		}
		if !connectorNameRE.MatchString(name) {
			return nil, fmt.Errorf("STEWARD_CONNECTORS entry %d: connector name %q: use letters, digits, - and _ (NAME=URL)", i+1, name)
		}
		if seen[name] {
			return nil, fmt.Errorf("STEWARD_CONNECTORS: connector %q is named twice", name)
		}
		seen[name] = true
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "" {
			return nil, fmt.Errorf("STEWARD_CONNECTORS entry %d (%s): not a URL; want NAME=postgres://USER@HOST:PORT/DATABASE", i+1, name)
		}
		switch u.Scheme {
		case "postgres", "postgresql":
		default:
			return nil, fmt.Errorf("STEWARD_CONNECTORS entry %d (%s): unsupported kind %q; supported: postgres", i+1, name, u.Scheme)
		}
		out = append(out, connectorSpec{Name: name, URL: raw})
	}
	return out, nil
}

// buildConnectors makes a connector per spec.
func buildConnectors(ctx context.Context, specs []connectorSpec, cat *policy.Catalog, logger *slog.Logger) ([]connectors.Connector, error) {
	var out []connectors.Connector
	for _, s := range specs {
		cfg, err := postgres.ConfigFromURL(s.Name, s.URL)
		if err != nil {
			return nil, fmt.Errorf("%w: STEWARD_CONNECTORS: %v", errUsage, err)
		}
		cfg.Logger = logger
		c, err := postgres.New(ctx, cfg, cat)
		if err != nil {
			return nil, fmt.Errorf("%w: STEWARD_CONNECTORS: %v", errUsage, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func printPlans(w io.Writer, plans []connectors.Plan, asJSON bool) {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(plans)
		return
	}
	for _, p := range plans {
		fmt.Fprintf(w, "%s: %d change(s) (dry run: nothing applied)\n", p.Connector, len(p.Changes))
		printPlanBody(w, p)
	}
}

func printPlanBody(w io.Writer, p connectors.Plan) {
	for _, c := range p.Changes {
		fmt.Fprintf(w, "  %-11s %s\n", c.Op, c.Statement)
	}
	if len(p.Skipped) > 0 {
		fmt.Fprintf(w, "  skipped %d desired grant(s):\n", len(p.Skipped))
		for _, s := range p.Skipped {
			fmt.Fprintf(w, "    %s %s %s: %s\n", s.Grant.User, s.Grant.Action, s.Grant.Asset, s.Reason)
		}
	}
}

func printResults(w io.Writer, res []connectors.Result, asJSON bool) {
	if asJSON {
		type jr struct {
			Connector string              `json:"connector"`
			Plan      connectors.Plan     `json:"plan"`
			Applied   []connectors.Change `json:"applied"`
			LeaseHeld bool                `json:"lease_held,omitempty"`
			Error     string              `json:"error,omitempty"`
		}
		var out []jr
		for _, r := range res {
			x := jr{Connector: r.Connector, Plan: r.Plan, Applied: r.Applied, LeaseHeld: r.LeaseHeld}
			if r.Err != nil {
				x.Error = r.Err.Error()
			}
			out = append(out, x)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return
	}
	for _, r := range res {
		switch {
		case r.LeaseHeld:
			fmt.Fprintf(w, "%s: another replica is reconciling it now; nothing done\n", r.Connector)
			continue
		case r.Err != nil:
			fmt.Fprintf(w, "%s: %d of %d change(s) applied; FAILED: %v\n", r.Connector, len(r.Applied), len(r.Plan.Changes), r.Err)
		case len(r.Plan.Changes) == 0:
			fmt.Fprintf(w, "%s: in line with the desired grants; nothing to do\n", r.Connector)
		default:
			fmt.Fprintf(w, "%s: %d change(s) applied\n", r.Connector, len(r.Applied))
		}
		printPlanBody(w, r.Plan)
	}
}

func printDiscovery(ctx context.Context, w io.Writer, conns []connectors.Connector, asJSON bool) error {
	var all []connectors.Discovery
	for _, c := range conns {
		d, err := c.Discover(ctx)
		if err != nil {
			return fmt.Errorf("discovering %s: %w", c.Name(), err)
		}
		all = append(all, d)
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	var assets []policy.Asset
	for _, d := range all {
		assets = append(assets, d.Assets...)
	}
	out, err := yaml.Marshal(map[string][]policy.Asset{"assets": assets})
	if err != nil {
		return fmt.Errorf("writing assets: %w", err)
	}
	_, err = w.Write(out)
	return err
}
