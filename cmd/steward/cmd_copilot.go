package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/steward-dev/steward/copilot"
	"github.com/steward-dev/steward/copilot/gemini"
	"github.com/steward-dev/steward/policy"
)

// maxInputLine bounds one stdin line; longer lines are answered with a
// refusal (never split into several answers, so output stays aligned).
const maxInputLine = 64 << 10

const copilotSynopsis = `copilot --catalog FILE [--engine builtin|gemini] [--json] [--decompose] [SENTENCE]

Drafts a policy from one sentence and shows how it was understood: the
decomposition, what each phrase resolved to and why, who and what the policy
would cover, and its Cedar text. Nothing is saved.

With no SENTENCE it reads sentences from stdin, one per line, and writes one
JSON object per line in the same order (JSON Lines); an empty line gets an
answer too (ok=false), so line N of the output answers line N of the input.
--decompose prints only how the sentence breaks down and needs no catalog.

Examples:
  steward copilot --catalog catalog.yaml "Fraud analysts can read card transactions"
  steward copilot --catalog catalog.yaml < sentences.txt > drafts.jsonl
  steward copilot --decompose "Contractors must never read PCI data"

Flags:`

func runCopilot(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "copilot", copilotSynopsis)
	catalogPath := fs.String("catalog", "", "catalog file, YAML or JSON (default $STEWARD_CATALOG)")
	engineName := fs.String("engine", "builtin", "drafting engine: builtin (offline, deterministic) or gemini (GEMINI_API_KEY or Vertex AI)")
	asJSON := fs.Bool("json", false, "with a SENTENCE, print the draft as JSON instead of a summary")
	onlyDecompose := fs.Bool("decompose", false, "print only the decomposition; needs no catalog")
	timeout := fs.Duration("timeout", 60*time.Second, "time allowed per sentence")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sentence := strings.TrimSpace(strings.Join(fs.Args(), " "))
	haveSentence := fs.NArg() > 0
	if *timeout <= 0 {
		return fmt.Errorf("%w: copilot: --timeout must be positive, got %s", errUsage, *timeout)
	}

	if *onlyDecompose {
		if haveSentence {
			return printDecomposition(e.stdout, sentence, *asJSON)
		}
		return eachLine(e.stdin, func(line string) error {
			d, err := copilot.Decompose(line)
			out := decompositionLine{Sentence: line, OK: err == nil, Decomposition: d}
			if err != nil {
				out.Error = err.Error()
			}
			return writeJSONLine(e.stdout, out)
		})
	}

	if *catalogPath == "" {
		*catalogPath = e.getenv("STEWARD_CATALOG")
	}
	if *catalogPath == "" {
		return fmt.Errorf("%w: copilot: --catalog FILE is required (or set STEWARD_CATALOG); see 'steward copilot --help'", errUsage)
	}
	cat, err := policy.LoadCatalog(*catalogPath)
	if err != nil {
		return fmt.Errorf("copilot: loading catalog %s: %w", *catalogPath, err)
	}
	engine, err := newEngine(ctx, e, *engineName)
	if err != nil {
		return err
	}
	draft := func(s string) copilot.Draft {
		if strings.TrimSpace(s) == "" {
			return emptyDraft(s, "empty line: no sentence to draft")
		}
		dctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		d, err := engine.Draft(dctx, s, cat)
		if err != nil {
			d = fillDraft(d, s)
			d.OK, d.Policy, d.Error = false, nil, err.Error()
		}
		return fillDraft(d, s)
	}

	if haveSentence {
		d := draft(sentence)
		if *asJSON {
			return writeJSONLine(e.stdout, d)
		}
		printDraft(e.stdout, d)
		return nil
	}
	return eachLine(e.stdin, func(line string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return writeJSONLine(e.stdout, draft(line))
	})
}

func newEngine(ctx context.Context, e env, name string) (copilot.Engine, error) {
	switch strings.ToLower(name) {
	case "builtin", "built-in", "":
		return copilot.NewBuiltin(), nil
	case "gemini":
		cfg, err := gemini.ConfigFromEnv(e.getenv)
		if err != nil {
			return nil, fmt.Errorf("copilot: configuring the gemini engine: %w", err)
		}
		g, err := gemini.New(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("copilot: starting the gemini engine: %w", err)
		}
		return g, nil
	}
	return nil, fmt.Errorf("%w: copilot: unknown engine %q: use builtin or gemini", errUsage, name)
}

// eachLine calls f for every line of r, including empty ones. A line longer
// than maxInputLine is passed on cut short so that f can refuse it.
func eachLine(r io.Reader, f func(string) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := readLine(br)
		if errors.Is(err, io.EOF) && line == "" {
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("copilot: reading sentences: %w", err)
		}
		if ferr := f(line); ferr != nil {
			return ferr
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// readLine reads one line without its newline, keeping at most maxInputLine
// bytes of it (the rest is read and dropped).
func readLine(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		chunk, isPrefix, err := br.ReadLine()
		if b.Len() < maxInputLine {
			room := maxInputLine - b.Len()
			if len(chunk) > room {
				chunk = chunk[:room]
			}
			b.Write(chunk)
		}
		if err != nil {
			return b.String(), err
		}
		if !isPrefix {
			return strings.TrimSuffix(b.String(), "\r"), nil
		}
	}
}

func emptyDraft(s, reason string) copilot.Draft {
	return fillDraft(copilot.Draft{Sentence: s, Error: reason}, s)
}

// fillDraft makes every list in the JSON a list, never null.
func fillDraft(d copilot.Draft, s string) copilot.Draft {
	if d.Sentence == "" {
		d.Sentence = s
	}
	if d.Resolution == nil {
		d.Resolution = []copilot.PhraseResolution{}
	}
	if d.Unresolved == nil {
		d.Unresolved = []string{}
	}
	if d.Impact.Users == nil {
		d.Impact.Users = []string{}
	}
	if d.Impact.Assets == nil {
		d.Impact.Assets = []string{}
	}
	if d.Decomposition.Subjects == nil {
		d.Decomposition.Subjects = []string{}
	}
	if d.Decomposition.Objects == nil {
		d.Decomposition.Objects = []string{}
	}
	if d.Decomposition.Conditions == nil {
		d.Decomposition.Conditions = []string{}
	}
	return d
}

type decompositionLine struct {
	Sentence      string                `json:"sentence"`
	OK            bool                  `json:"ok"`
	Error         string                `json:"error"`
	Decomposition copilot.Decomposition `json:"decomposition"`
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("copilot: encoding the answer: %w", err)
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("copilot: writing the answer: %w", err)
	}
	return nil
}

func printDecomposition(w io.Writer, sentence string, asJSON bool) error {
	d, err := copilot.Decompose(sentence)
	if asJSON {
		out := decompositionLine{Sentence: sentence, OK: err == nil, Decomposition: d}
		if err != nil {
			out.Error = err.Error()
		}
		return writeJSONLine(w, fillDecomposition(out))
	}
	fmt.Fprintf(w, "Sentence: %s\n", sentence)
	if err != nil {
		fmt.Fprintf(w, "Not a policy: %v\n", err)
		return nil
	}
	writeDecomposition(w, d)
	return nil
}

func fillDecomposition(l decompositionLine) decompositionLine {
	d := fillDraft(copilot.Draft{Decomposition: l.Decomposition}, l.Sentence)
	l.Decomposition = d.Decomposition
	return l
}

func writeDecomposition(w io.Writer, d copilot.Decomposition) {
	fmt.Fprintln(w, "Decomposition:")
	fmt.Fprintf(w, "  effect:     %s\n", d.Effect)
	action := d.Action
	if d.Verb != "" && d.Verb != d.Action {
		action += fmt.Sprintf(" (%q)", d.Verb)
	}
	fmt.Fprintf(w, "  action:     %s\n", action)
	fmt.Fprintf(w, "  subjects:   %s\n", quoted(d.Subjects))
	fmt.Fprintf(w, "  objects:    %s\n", quoted(d.Objects))
	if len(d.Conditions) > 0 {
		fmt.Fprintf(w, "  conditions: %s\n", quoted(d.Conditions))
	}
	if d.Purpose != "" {
		fmt.Fprintf(w, "  purpose:    %s\n", d.Purpose)
	}
	dur := d.Duration
	if dur == "" {
		dur = "standing (no end)"
	}
	fmt.Fprintf(w, "  duration:   %s\n", dur)
}

func quoted(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// printDraft writes the readable summary of one draft.
func printDraft(w io.Writer, d copilot.Draft) {
	fmt.Fprintf(w, "Sentence: %s\n", d.Sentence)
	if d.OK {
		fmt.Fprintln(w, "Draft:    OK (review it before saving; nothing has been saved)")
	} else {
		fmt.Fprintf(w, "Draft:    REFUSED: %s\n", d.Error)
	}
	if d.Decomposition.Effect != "" {
		writeDecomposition(w, d.Decomposition)
	}
	if len(d.Resolution) > 0 {
		fmt.Fprintln(w, "Resolution:")
		for _, r := range d.Resolution {
			fmt.Fprintf(w, "  %s %q\n", r.Role, r.Phrase)
			for _, m := range r.Matches {
				fmt.Fprintf(w, "    -> %s  [%.2f] %s\n", matchName(m), m.Score, m.Why)
			}
		}
	}
	if len(d.Unresolved) > 0 {
		fmt.Fprintln(w, "Unresolved:")
		for _, u := range d.Unresolved {
			fmt.Fprintf(w, "  %q\n", u)
			for _, m := range d.Suggestions[u] {
				fmt.Fprintf(w, "    did you mean %s?\n", matchName(m))
			}
		}
	}
	if d.Policy != nil {
		p := d.Policy
		fmt.Fprintln(w, "Policy:")
		fmt.Fprintf(w, "  %s %s\n", p.Effect, p.Action)
		fmt.Fprintf(w, "  subjects: %s\n", subjectsText(p.Subjects))
		fmt.Fprintf(w, "  objects:  %s\n", objectsText(p.Objects))
		if p.Duration > 0 {
			fmt.Fprintf(w, "  duration: %s\n", time.Duration(p.Duration))
		} else {
			fmt.Fprintln(w, "  duration: standing")
		}
		fmt.Fprintf(w, "Impact: %d users, %d assets\n", len(d.Impact.Users), len(d.Impact.Assets))
		fmt.Fprintf(w, "  users:  %s\n", shortList(d.Impact.Users, 10))
		fmt.Fprintf(w, "  assets: %s\n", shortList(d.Impact.Assets, 10))
	}
	if len(d.Warnings) > 0 {
		fmt.Fprintln(w, "Warnings:")
		for _, x := range d.Warnings {
			fmt.Fprintf(w, "  ! %s\n", x)
		}
	}
	if d.Cedar != "" {
		fmt.Fprintln(w, "Cedar:")
		for _, l := range strings.Split(strings.TrimRight(d.Cedar, "\n"), "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

func matchName(m copilot.Match) string {
	switch m.Kind {
	case "attribute":
		return fmt.Sprintf("%s = %q", m.Key, m.Value)
	case "asset":
		return "asset " + m.Key
	case "everyone":
		return "every user"
	}
	return fmt.Sprintf("%s %q", m.Kind, m.Key)
}

func subjectsText(s [][]policy.Term) string {
	if len(s) == 0 {
		return "nobody"
	}
	var clauses []string
	for _, c := range s {
		if len(c) == 0 {
			clauses = append(clauses, "everyone")
			continue
		}
		var terms []string
		for _, t := range c {
			var x string
			if t.Group != "" {
				x = fmt.Sprintf("member of %s", t.Group)
			} else {
				x = fmt.Sprintf("%s in [%s]", t.Attribute, strings.Join(t.Values, ", "))
			}
			if t.Negate {
				x = "NOT " + x
			}
			terms = append(terms, x)
		}
		clauses = append(clauses, "("+strings.Join(terms, " AND ")+")")
	}
	return strings.Join(clauses, " OR ")
}

func objectsText(o []policy.Clause) string {
	var out []string
	for _, c := range o {
		if c.Asset != "" {
			out = append(out, "asset "+c.Asset)
			continue
		}
		x := "tagged [" + strings.Join(c.AllTags, " AND ") + "]"
		if len(c.NoneTags) > 0 {
			x += " but not [" + strings.Join(c.NoneTags, ", ") + "]"
		}
		out = append(out, x)
	}
	if len(out) == 0 {
		return "nothing"
	}
	return strings.Join(out, " OR ")
}

func shortList(s []string, n int) string {
	if len(s) == 0 {
		return "-"
	}
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(s[:n], ", "), len(s)-n)
}
