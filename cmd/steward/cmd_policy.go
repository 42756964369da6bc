package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/steward-dev/steward/policy"
)

const policyHelp = `Usage: steward policy <subcommand> [flags]

Subcommands:
  eval     print every (user, asset, action) the policies allow
  impact   show who and what one policy covers
  cedar    export the policies as Cedar and the catalog as Cedar entities

Run 'steward policy <subcommand> --help' for its flags.`

func runPolicy(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: steward policy needs a subcommand\n\n%s", errUsage, policyHelp)
	}
	switch args[0] {
	case "eval":
		return runPolicyEval(ctx, e, args[1:])
	case "impact":
		return runPolicyImpact(ctx, e, args[1:])
	case "cedar":
		return runPolicyCedar(ctx, e, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, policyHelp)
		return nil
	}
	return fmt.Errorf("%w: unknown policy subcommand %q\n\n%s", errUsage, args[0], policyHelp)
}

// loadPolicies reads a policies file (JSON array, YAML list, or one policy).
func loadPolicies(path string) ([]policy.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policies: %w", err)
	}
	ps, err := policy.DecodePolicies(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ps, nil
}

func requireFlags(fs interface{ NArg() int }, name string, vals map[string]string) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: steward %s takes no arguments besides its flags", errUsage, name)
	}
	for _, f := range []string{"catalog", "policies", "policy"} {
		if v, ok := vals[f]; ok && v == "" {
			return fmt.Errorf("%w: steward %s needs --%s FILE", errUsage, name, f)
		}
	}
	return nil
}

func runPolicyEval(_ context.Context, e env, args []string) error {
	fs := newFlags(e, "policy eval", "policy eval --catalog FILE --policies FILE [--json]\n\nPrints every (user, asset, action) the policies allow, one per line, sorted by\nuser, asset and action, as tab-separated \"user action asset\". Write includes\nread, and deny wins over allow. Policies are validated against the catalog first.")
	catPath := fs.String("catalog", "", "catalog file (YAML or JSON)")
	polPath := fs.String("policies", "", "policies file: a JSON array or YAML list of policies")
	asJSON := fs.Bool("json", false, "print one JSON object per line: {\"user\", \"asset\", \"action\"}")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := requireFlags(fs, "policy eval", map[string]string{"catalog": *catPath, "policies": *polPath}); err != nil {
		return err
	}
	c, ps, err := loadCatalogAndPolicies(e, *catPath, *polPath)
	if err != nil {
		return err
	}
	ev, err := policy.NewEvaluator(c, ps)
	if err != nil {
		return err
	}
	all := ev.AllAllowed()
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		for _, a := range all {
			if err := enc.Encode(a); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
		}
		return nil
	}
	for _, a := range all {
		if _, err := fmt.Fprintf(e.stdout, "%s\t%s\t%s\n", a.User, a.Action, a.Asset); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
	}
	return nil
}

func runPolicyImpact(_ context.Context, e env, args []string) error {
	fs := newFlags(e, "policy impact", "policy impact --catalog FILE --policy FILE [--json]\n\nShows who (users) and what (assets) one policy covers, with counts. The policy\nfile holds one policy (JSON or YAML); it is validated against the catalog.")
	catPath := fs.String("catalog", "", "catalog file (YAML or JSON)")
	polPath := fs.String("policy", "", "file with one policy (JSON object or YAML mapping)")
	asJSON := fs.Bool("json", false, "print {\"policy_id\", \"users\", \"assets\", \"user_count\", \"asset_count\"} as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := requireFlags(fs, "policy impact", map[string]string{"catalog": *catPath, "policy": *polPath}); err != nil {
		return err
	}
	c, ps, err := loadCatalogAndPolicies(e, *catPath, *polPath)
	if err != nil {
		return err
	}
	if len(ps) != 1 {
		return fmt.Errorf("%s: expected exactly one policy, found %d (use steward policy eval for a policy set)", *polPath, len(ps))
	}
	p := ps[0]
	if err := c.ValidatePolicy(p); err != nil {
		return err
	}
	imp := policy.NewIndex(c).Impact(p)
	if *asJSON {
		out := struct {
			PolicyID   string   `json:"policy_id,omitempty"`
			Users      []string `json:"users"`
			Assets     []string `json:"assets"`
			UserCount  int      `json:"user_count"`
			AssetCount int      `json:"asset_count"`
		}{p.ID, imp.Users, imp.Assets, len(imp.Users), len(imp.Assets)}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	label := "policy"
	if p.ID != "" {
		label += " " + p.ID
	}
	if p.Name != "" {
		label += fmt.Sprintf(" (%s)", p.Name)
	}
	dur := "standing"
	if p.Duration > 0 {
		dur = "for " + p.Duration.String()
	}
	fmt.Fprintf(e.stdout, "%s: %s %s, %s\n", label, p.Effect, p.Action, dur)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nusers (%d):\n", len(imp.Users))
	for _, id := range imp.Users {
		u, _ := c.User(id)
		fmt.Fprintf(tw, "  %s\t%s\n", id, u.Name)
	}
	tw.Flush()
	fmt.Fprintf(tw, "\nassets (%d):\n", len(imp.Assets))
	for _, id := range imp.Assets {
		a, _ := c.Asset(id)
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", id, a.Platform, a.Name)
	}
	return tw.Flush()
}

func runPolicyCedar(_ context.Context, e env, args []string) error {
	fs := newFlags(e, "policy cedar", "policy cedar --catalog FILE --policies FILE [--entities FILE]\n\nPrints the policies as Cedar, then the catalog as Cedar entities JSON. With\n--entities the entities go to that file and only the Cedar text is printed.\nAllow is permit, deny is forbid; a write policy covers Action::\"read\" and\nAction::\"write\"; a mask policy is a permit on Action::\"mask\" with @effect(\"mask\").")
	catPath := fs.String("catalog", "", "catalog file (YAML or JSON)")
	polPath := fs.String("policies", "", "policies file: a JSON array or YAML list of policies")
	entPath := fs.String("entities", "", "write the entities JSON to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := requireFlags(fs, "policy cedar", map[string]string{"catalog": *catPath, "policies": *polPath}); err != nil {
		return err
	}
	c, ps, err := loadCatalogAndPolicies(e, *catPath, *polPath)
	if err != nil {
		return err
	}
	text, ents, err := policy.ExportCedar(c, ps)
	if err != nil {
		return err
	}
	if *entPath != "" {
		if err := os.WriteFile(*entPath, ents, 0o644); err != nil {
			return fmt.Errorf("writing entities: %w", err)
		}
		_, err = fmt.Fprint(e.stdout, text)
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n%s", text, ents)
	return err
}

// loadCatalogAndPolicies reads the two files every policy subcommand starts from.
func loadCatalogAndPolicies(e env, catPath, polPath string) (*policy.Catalog, []policy.Policy, error) {
	c, err := loadCatalogCLI(e, catPath)
	if err != nil {
		return nil, nil, err
	}
	ps, err := loadPolicies(polPath)
	if err != nil {
		return nil, nil, err
	}
	return c, ps, nil
}
