// Command steward is Steward's single binary: the Slack bot, the console, and
// the tools around the catalog, policies, copilot and connectors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// env is what a subcommand may touch of the process, so tests can run it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"run", "run the bot: Slack when tokens are set, otherwise the console", runBot},
		{"console", "run the bot in this terminal on the embedded store and a demo catalog", runConsole},
		{"catalog", "check and summarise a catalog file", runCatalog},
		{"policy", "evaluate policies, show one policy's impact, export Cedar", runPolicy},
		{"copilot", "draft a policy from a sentence", runCopilot},
		{"reconcile", "bring data platforms in line with the desired grants", runReconcile},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(mainWithEnv(ctx, e, os.Args[1:]))
}

// errUsage marks errors whose message already told the user what to type.
var errUsage = errors.New("usage")

func mainWithEnv(ctx context.Context, e env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintln(e.stderr, err)
			return 2
		default:
			fmt.Fprintln(e.stderr, "steward:", err)
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "steward: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Steward: data-access governance in Slack.")
	fmt.Fprintln(w, "\nUsage: steward <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'steward <command> --help' for a command's flags.")
}

// newFlags makes a FlagSet that prints its help to e.stdout and returns
// errors instead of exiting.
func newFlags(e env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: steward %s\n\n", synopsis)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(e.stderr)
	}
	return fs
}
