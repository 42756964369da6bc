package bot

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/slack-go/slack"

	"github.com/steward-dev/steward/policy"
)

// ConsoleConfig runs the bot in a terminal.
type ConsoleConfig struct {
	In   io.Reader
	Out  io.Writer
	User string // catalog user id (or name/email) to act as first
	// Echo prints each input line after the prompt (for piped input, so the
	// transcript reads like a session); otherwise the prompt waits for typing.
	Echo bool
}

const consoleChannel = "console"

const consoleHelp = `Type what you would type in Slack:
  /policy <sentence>        draft a policy (governance only), /policy list|show ID|retire ID|explain @user <table>
  /access <what> for <how long> because <why>      ask for access (/access alone opens the form)
  @steward <message>        mention the bot, e.g. @steward I need the claims tables for a week to reconcile Q3
  press N  (or just N)      press the Nth button shown
  as <user>                 act as someone else (id, first name or email); "users" lists them
  home                      show your App Home
  tick                      run the periodic work now (expiry, reminders, recertification)
  help, quit`

// consoleButton is a button the console has shown.
type consoleButton struct {
	label, actionID, value string
	channel, ts            string
}

// consoleResponder renders everything as text and remembers the buttons.
type consoleResponder struct {
	b       *Bot
	out     io.Writer
	mu      sync.Mutex
	buttons []consoleButton
	reset   bool
	seq     int
	view    *slack.ModalViewRequest
	me      func() string // current Slack id
	echo    bool
}

// RunConsole reads lines from cfg.In until EOF or "quit" and runs them
// through the same handlers as Slack, rendering cards as text.
func (b *Bot) RunConsole(ctx context.Context, cfg ConsoleConfig) error {
	c := &consoleResponder{b: b, out: cfg.Out, echo: cfg.Echo}
	cur, err := b.findUser(ctx, c, cfg.User)
	if err != nil && len(b.catalog().Users) > 0 {
		cur = b.catalog().Users[0]
	} else if err != nil {
		return fmt.Errorf("the catalog has no users to act as")
	}
	c.me = func() string { return consoleSlackID(cur) }
	sc := bufio.NewScanner(cfg.In)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	fmt.Fprintf(cfg.Out, "Steward console: acting as %s. Type help for commands.\n", describeUser(cur))
	for {
		if !cfg.Echo {
			fmt.Fprintf(cfg.Out, "%s> ", firstName(cur))
		}
		if !sc.Scan() {
			if !cfg.Echo {
				fmt.Fprintln(cfg.Out)
			}
			return sc.Err()
		}
		if cfg.Echo {
			fmt.Fprintf(cfg.Out, "%s> %s\n", firstName(cur), sc.Text())
		}
		if ctx.Err() != nil {
			return nil
		}
		line := strings.TrimSpace(sc.Text())
		c.mu.Lock()
		c.reset = true
		c.mu.Unlock()
		switch {
		case line == "":
			continue
		case line == "quit" || line == "exit" || line == `\q`:
			return nil
		case line == "help" || line == "?":
			fmt.Fprintln(cfg.Out, consoleHelp)
		case line == "users":
			for _, u := range b.catalog().Users {
				fmt.Fprintf(cfg.Out, "  %-10s %s\n", u.ID, describeUser(u))
			}
		case line == "whoami":
			fmt.Fprintln(cfg.Out, describeUser(cur))
		case strings.HasPrefix(line, "as "):
			u, err := b.findUser(ctx, c, strings.TrimSpace(line[3:]))
			if err != nil {
				fmt.Fprintln(cfg.Out, err.Error()+`; "users" lists everyone.`)
				continue
			}
			cur = u
			fmt.Fprintf(cfg.Out, "Now acting as %s.\n", describeUser(cur))
		case line == "home":
			b.publishHome(ctx, c, c.me())
		case line == "tick":
			b.tick(ctx, c)
			fmt.Fprintln(cfg.Out, "(periodic work done)")
		case strings.HasPrefix(line, "/"):
			name, text, _ := strings.Cut(line, " ")
			o := c.origin()
			b.handleCommand(ctx, c, Command{Origin: o, Name: name, Text: strings.TrimSpace(text), Key: newID("console-")})
		case strings.HasPrefix(line, "@"):
			o := c.origin()
			o.ResponseURL = ""
			_, text, _ := strings.Cut(line, " ") // drop "@steward"
			b.handleMention(ctx, c, Mention{Origin: o, Text: text, TS: c.nextTS(), Key: newID("console-")})
		default:
			n, ok := pressNumber(line)
			if !ok {
				fmt.Fprintln(cfg.Out, "I don't understand that; type help.")
				continue
			}
			c.press(ctx, n)
		}
		c.runForm(ctx, sc)
	}
}

func consoleSlackID(u policy.User) string {
	if u.SlackID != "" {
		return u.SlackID
	}
	return "console:" + u.ID
}

func describeUser(u policy.User) string {
	s := u.Name
	if s == "" {
		s = u.ID
	}
	if jt := u.Attributes["job_title"]; len(jt) > 0 {
		s += ", " + jt[0]
	}
	if len(u.Groups) > 0 {
		s += " [" + strings.Join(u.Groups, ", ") + "]"
	}
	return s
}

var pressRe = regexp.MustCompile(`^(?:press\s+|click\s+|\[)?(\d+)\]?$`)

func pressNumber(line string) (int, bool) {
	m := pressRe.FindStringSubmatch(strings.ToLower(line))
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

func (c *consoleResponder) origin() Origin {
	return Origin{User: c.me(), Channel: consoleChannel, ResponseURL: "console://response", TriggerID: newID("trigger-")}
}

func (c *consoleResponder) nextTS() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	return fmt.Sprintf("%d.000000", c.seq)
}

func (c *consoleResponder) press(ctx context.Context, n int) {
	c.mu.Lock()
	if n < 1 || n > len(c.buttons) {
		c.mu.Unlock()
		fmt.Fprintf(c.out, "There is no button %d", n)
		if len(c.buttons) > 0 {
			fmt.Fprintf(c.out, " (choose 1-%d)", len(c.buttons))
		}
		fmt.Fprintln(c.out, ".")
		return
	}
	btn := c.buttons[n-1]
	c.mu.Unlock()
	fmt.Fprintf(c.out, "(pressed %s)\n", btn.label)
	o := c.origin()
	if btn.channel != "" {
		o.Channel, o.MessageTS = btn.channel, btn.ts
	}
	c.b.handleAction(ctx, c, Action{Origin: o, ActionID: btn.actionID, Value: btn.value, Key: newID("console-")})
}

// --- rendering ---------------------------------------------------------------

var (
	mentionRender = regexp.MustCompile(`<@([A-Za-z0-9:@._-]+)(\|[^>]*)?>`)
	emoji         = strings.NewReplacer(":white_check_mark:", "✔", ":x:", "✘", ":warning:", "⚠", ":no_entry:", "⛔",
		":hourglass:", "⌛", ":hourglass_flowing_sand:", "⏳", ":inbox_tray:", "📥", ":grey_question:", "?",
		":wastebasket:", "🗑", ":no_entry_sign:", "🚫", ":alarm_clock:", "⏰", ":heavy_minus_sign:", "-")
	unescape = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
)

func (c *consoleResponder) text(s string) string {
	s = mentionRender.ReplaceAllStringFunc(s, func(m string) string {
		id := mentionRender.FindStringSubmatch(m)[1]
		if u, ok := c.b.catalog().UserBySlackID(id); ok {
			return "@" + u.Name
		}
		if uid, ok := strings.CutPrefix(id, "console:"); ok {
			if u, ok := c.b.catalog().User(uid); ok {
				return "@" + u.Name
			}
		}
		return "@" + id
	})
	return unescape.Replace(emoji.Replace(s))
}

func (c *consoleResponder) render(where string, m message, channel, ts string) {
	m = fitMessage(m)
	c.mu.Lock()
	defer c.mu.Unlock()
	var sb strings.Builder
	if where != "" {
		fmt.Fprintf(&sb, "┌ %s\n", where)
	}
	if len(m.Blocks) == 0 {
		fmt.Fprintf(&sb, "│ %s\n", strings.ReplaceAll(c.text(m.Text), "\n", "\n│ "))
	}
	c.renderBlocks(&sb, m.Blocks, channel, ts)
	if where != "" {
		sb.WriteString("└\n")
	}
	_, _ = io.WriteString(c.out, sb.String())
}

func (c *consoleResponder) addButton(b consoleButton) int {
	if c.reset {
		c.buttons, c.reset = nil, false
	}
	c.buttons = append(c.buttons, b)
	return len(c.buttons)
}

func (c *consoleResponder) renderBlocks(sb *strings.Builder, blocks []slack.Block, channel, ts string) {
	line := func(s string) { fmt.Fprintf(sb, "│ %s\n", strings.ReplaceAll(c.text(s), "\n", "\n│ ")) }
	btnText := func(e *slack.ButtonBlockElement) string {
		n := c.addButton(consoleButton{label: e.Text.Text, actionID: e.ActionID, value: e.Value, channel: channel, ts: ts})
		return fmt.Sprintf("[%d] %s", n, e.Text.Text)
	}
	for _, b := range blocks {
		switch v := b.(type) {
		case *slack.HeaderBlock:
			line("== " + v.Text.Text + " ==")
		case *slack.SectionBlock:
			if v.Text != nil {
				line(v.Text.Text)
			}
			for _, f := range v.Fields {
				line(strings.ReplaceAll(f.Text, "\n", ": "))
			}
			if v.Accessory != nil && v.Accessory.ButtonElement != nil {
				line("    " + btnText(v.Accessory.ButtonElement))
			}
		case *slack.ContextBlock:
			for _, e := range v.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					line("  " + t.Text)
				}
			}
		case *slack.DividerBlock:
			line("────────")
		case *slack.ActionBlock:
			var parts []string
			for _, e := range v.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					parts = append(parts, btnText(btn))
				}
			}
			line(strings.Join(parts, "   "))
		}
	}
}

// --- responder ------------------------------------------------------------------

func (c *consoleResponder) Respond(_ context.Context, _ string, m message) error {
	where := "only you can see this"
	if m.ReplaceOriginal {
		where += " (replaces the previous card)"
	}
	c.render(where, m, "", "")
	return nil
}

func (c *consoleResponder) Post(_ context.Context, channel string, m message) (Ref, error) {
	ts := c.nextTS()
	where := "#" + channel
	if m.ThreadTS != "" {
		where += " (thread reply)"
	}
	c.render(where, m, channel, ts)
	return Ref{Channel: channel, TS: ts}, nil
}

func (c *consoleResponder) Update(_ context.Context, ref Ref, m message) error {
	c.render("#"+ref.Channel+" (card updated)", m, ref.Channel, ref.TS)
	return nil
}

func (c *consoleResponder) Ephemeral(_ context.Context, channel, user string, m message) error {
	c.render("#"+channel+", only "+c.text("<@"+user+">")+" can see this", m, channel, "")
	return nil
}

func (c *consoleResponder) DM(_ context.Context, user string, m message) (Ref, error) {
	ts := c.nextTS()
	ch := "dm:" + user
	c.render("direct message to "+c.text("<@"+user+">"), m, ch, ts)
	return Ref{Channel: ch, TS: ts}, nil
}

func (c *consoleResponder) OpenModal(_ context.Context, _ string, v slack.ModalViewRequest) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.view = &v
	return nil
}

func (c *consoleResponder) publishHome(_ context.Context, user string, v slack.HomeTabViewRequest) error {
	c.render("App Home of "+c.text("<@"+user+">"), message{Blocks: v.Blocks.BlockSet, Text: "App Home"}, "", "")
	return nil
}

func (c *consoleResponder) UserInfo(_ context.Context, user string) (SlackUser, error) {
	if id, ok := strings.CutPrefix(user, "console:"); ok {
		if u, ok := c.b.catalog().User(id); ok {
			return SlackUser{ID: user, Name: u.Name, Email: u.Email, EmailConfirmed: u.Email != ""}, nil
		}
	}
	return SlackUser{ID: user}, nil
}

func (c *consoleResponder) LookupByEmail(_ context.Context, email string) (string, error) {
	if u, ok := c.b.catalog().UserByEmail(email); ok {
		return consoleSlackID(u), nil
	}
	return "", fmt.Errorf("no user with email %s", email)
}

// --- modals as forms ----------------------------------------------------------------

// runForm asks for each input of an opened modal, one line per field, then submits it.
func (c *consoleResponder) runForm(ctx context.Context, sc *bufio.Scanner) {
	c.mu.Lock()
	v := c.view
	c.view = nil
	c.mu.Unlock()
	if v == nil {
		return
	}
	fmt.Fprintf(c.out, "┌ form: %s (empty line keeps the default; \"cancel\" abandons)\n", v.Title.Text)
	values := map[string][]string{}
	for _, blk := range v.Blocks.BlockSet {
		switch ib := blk.(type) {
		case *slack.SectionBlock:
			if ib.Text != nil {
				fmt.Fprintf(c.out, "│ %s\n", c.text(ib.Text.Text))
			}
		case *slack.InputBlock:
			vals, ok := c.askField(sc, ib)
			if !ok {
				fmt.Fprintln(c.out, "└ form abandoned; nothing was submitted")
				return
			}
			if len(vals) > 0 {
				values[ib.BlockID] = vals
			}
		}
	}
	fmt.Fprintln(c.out, "└")
	sub := Submission{Origin: Origin{User: c.me()}, CallbackID: v.CallbackID, Metadata: v.PrivateMetadata,
		ViewID: newID("V"), Values: values, Key: newID("console-")}
	if errs := c.b.checkSubmission(ctx, sub); len(errs) > 0 {
		for k, e := range errs {
			fmt.Fprintf(c.out, "✘ %s: %s\n", k, e)
		}
		fmt.Fprintln(c.out, "Nothing was submitted; try again.")
		return
	}
	c.b.handleSubmission(ctx, c, sub)
}

func (c *consoleResponder) askField(sc *bufio.Scanner, ib *slack.InputBlock) ([]string, bool) {
	label := ib.Label.Text
	if ib.Optional {
		label += " (optional)"
	}
	var options, initial []*slack.OptionBlockObject
	external, multi := false, false
	switch el := ib.Element.(type) {
	case *slack.SelectBlockElement:
		options = el.Options
		if el.InitialOption != nil {
			initial = []*slack.OptionBlockObject{el.InitialOption}
		}
	case *slack.MultiSelectBlockElement:
		multi = true
		options, initial = el.Options, el.InitialOptions
		external = el.Type == slack.MultiOptTypeExternal
	case *slack.PlainTextInputBlockElement:
		if el.InitialValue != "" {
			label += " [" + el.InitialValue + "]"
		}
		fmt.Fprintf(c.out, "│ %s: ", label)
		if !c.scan(sc) {
			return nil, false
		}
		t := strings.TrimSpace(sc.Text())
		if t == "" && el.InitialValue != "" {
			t = el.InitialValue
		}
		if t == "" {
			return nil, true
		}
		return []string{t}, true
	}
	fmt.Fprintf(c.out, "│ %s\n", label)
	for i, o := range options {
		fmt.Fprintf(c.out, "│   %d) %s\n", i+1, o.Text.Text)
	}
	var def []string
	for _, o := range initial {
		def = append(def, o.Text.Text)
	}
	prompt := "choose a number"
	if multi {
		prompt = "choose numbers or names, comma-separated"
	}
	if external {
		prompt = "type names (search), comma-separated"
	}
	if len(def) > 0 {
		prompt += " [" + strings.Join(def, ", ") + "]"
	}
	fmt.Fprintf(c.out, "│ %s: ", prompt)
	if !c.scan(sc) {
		return nil, false
	}
	typed := strings.TrimSpace(sc.Text())
	if typed == "" {
		var out []string
		for _, o := range initial {
			out = append(out, o.Value)
		}
		return out, true
	}
	var out []string
	for _, part := range strings.Split(typed, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if n, err := strconv.Atoi(part); err == nil && n >= 1 && n <= len(options) {
			out = append(out, options[n-1].Value)
			continue
		}
		found := false
		for _, o := range options {
			if strings.EqualFold(o.Text.Text, part) || strings.EqualFold(o.Value, part) {
				out, found = append(out, o.Value), true
				break
			}
		}
		if !found && (external || len(options) == 0) {
			if sug := c.b.suggest(Suggestion{ActionID: ib.BlockID, Typed: part}); len(sug) > 0 {
				out, found = append(out, sug[0].Value), true
				fmt.Fprintf(c.out, "│   → %s\n", sug[0].Label)
			}
		}
		if !found {
			fmt.Fprintf(c.out, "│   (no option matches %q; skipped)\n", part)
		}
		if !multi && len(out) > 0 {
			break
		}
	}
	return out, true
}

// scan reads one form answer; false at EOF or "cancel".
func (c *consoleResponder) scan(sc *bufio.Scanner) bool {
	if !sc.Scan() {
		fmt.Fprintln(c.out)
		return false
	}
	if c.echo {
		fmt.Fprintln(c.out, sc.Text())
	}
	return strings.TrimSpace(sc.Text()) != "cancel"
}
