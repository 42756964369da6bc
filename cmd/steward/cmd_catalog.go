package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/steward-dev/steward/policy"
)

func runCatalog(ctx context.Context, e env, args []string) error {
	const help = `Usage: steward catalog <subcommand> [flags]

Subcommands:
  check   validate a catalog file and summarise it

Run 'steward catalog check --help' for its flags.`
	if len(args) == 0 {
		return fmt.Errorf("%w: steward catalog needs a subcommand\n\n%s", errUsage, help)
	}
	switch args[0] {
	case "check":
		return runCatalogCheck(ctx, e, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, help)
		return nil
	}
	return fmt.Errorf("%w: unknown catalog subcommand %q\n\n%s", errUsage, args[0], help)
}

func runCatalogCheck(_ context.Context, e env, args []string) error {
	fs := newFlags(e, "catalog check", "catalog check --catalog FILE\n\nValidates a catalog (YAML or JSON) and prints a summary. Every problem is\nreported with its file and line; the exit status is 1 if there is any.")
	path := fs.String("catalog", "", "catalog file (YAML or JSON)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" && fs.NArg() == 1 {
		*path = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q (give the file with --catalog)", errUsage, fs.Args())
	}
	if *path == "" {
		return fmt.Errorf("%w: steward catalog check needs --catalog FILE", errUsage)
	}
	c, err := loadCatalogCLI(e, *path)
	if err != nil {
		return err
	}
	printCatalogSummary(e.stdout, *path, c)
	for _, w := range c.Warnings() {
		fmt.Fprintf(e.stderr, "warning: %s:%d: %s\n", *path, w.Line, w.Msg)
	}
	return nil
}

// loadCatalogCLI loads a catalog and, when it is invalid, prints every
// problem (file:line: message) to stderr and returns a short error.
func loadCatalogCLI(e env, path string) (*policy.Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading catalog: %w", err)
	}
	c, err := policy.ParseCatalog(path, data)
	var ce *policy.CatalogError
	if errors.As(err, &ce) {
		fmt.Fprintln(e.stderr, ce.Error())
		n := len(ce.Problems)
		if n == 1 {
			return nil, fmt.Errorf("%s: 1 problem; the catalog was not loaded", path)
		}
		return nil, fmt.Errorf("%s: %d problems; the catalog was not loaded", path, n)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func printCatalogSummary(w io.Writer, path string, c *policy.Catalog) {
	values := 0
	for _, a := range c.Attributes {
		values += len(a.Values)
	}
	platforms := map[string]int{}
	columns := 0
	for _, a := range c.Assets {
		p := a.Platform
		if p == "" {
			p = "(none)"
		}
		platforms[p]++
		columns += len(a.Columns)
	}
	names := make([]string, 0, len(platforms))
	for p := range platforms {
		names = append(names, p)
	}
	sort.Strings(names)
	var plist []string
	for _, p := range names {
		plist = append(plist, fmt.Sprintf("%s %d", p, platforms[p]))
	}
	fmt.Fprintf(w, "%s: ok\n", path)
	fmt.Fprintf(w, "  users       %d\n", len(c.Users))
	fmt.Fprintf(w, "  attributes  %d keys, %d values\n", len(c.Attributes), values)
	fmt.Fprintf(w, "  groups      %d\n", len(c.Groups))
	fmt.Fprintf(w, "  tags        %d\n", len(c.Tags))
	fmt.Fprintf(w, "  assets      %d (%d columns)\n", len(c.Assets), columns)
	fmt.Fprintf(w, "  platforms   %d", len(platforms))
	if len(plist) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(plist, ", "))
	}
	fmt.Fprintln(w)
}
