package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Slack's Block Kit limits. Cards are built within them and then checked
// again by enforceLimits, so no message is ever rejected for its size.
const (
	maxMessageBlocks = 50
	maxViewBlocks    = 100
	maxSectionText   = 3000
	maxFieldText     = 2000
	maxHeaderText    = 150
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxOptionText    = 75
	maxOptionValue   = 150
	maxOptions       = 100
	maxFallbackText  = 3000
)

// mrkdwnEscaper is immutable (a Replacer is safe for concurrent use).
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// esc escapes text for mrkdwn so user input cannot form mentions or links.
func esc(s string) string { return mrkdwnEscaper.Replace(s) }

// clamp shortens s to at most n runes, marking the cut.
func clamp(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// more joins up to n items and says how many were left out.
func more(items []string, n int, sep string) string {
	if len(items) <= n {
		return strings.Join(items, sep)
	}
	return strings.Join(items[:n], sep) + fmt.Sprintf("%sand %d more", sep, len(items)-n)
}

func md(text string) *slack.TextBlockObject {
	if strings.TrimSpace(text) == "" {
		text = " "
	}
	return slack.NewTextBlockObject(slack.MarkdownType, clamp(text, maxSectionText), false, false)
}

func plain(text string, n int) *slack.TextBlockObject {
	if strings.TrimSpace(text) == "" {
		text = "-"
	}
	return slack.NewTextBlockObject(slack.PlainTextType, clamp(text, n), true, false)
}

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(md(text), nil, nil)
}

func sectionID(id, text string) *slack.SectionBlock {
	return slack.NewSectionBlock(md(text), nil, nil, slack.SectionBlockOptionBlockID(id))
}

func fieldsSection(fields ...string) *slack.SectionBlock {
	var objs []*slack.TextBlockObject
	for _, f := range fields {
		if len(objs) == 10 {
			break
		}
		objs = append(objs, slack.NewTextBlockObject(slack.MarkdownType, clamp(f, maxFieldText), false, false))
	}
	return slack.NewSectionBlock(nil, objs, nil)
}

func header(text string) *slack.HeaderBlock {
	return slack.NewHeaderBlock(plain(text, maxHeaderText))
}

func contextText(text string) *slack.ContextBlock {
	return slack.NewContextBlock("", md(text))
}

func button(actionID, label, value, style string) *slack.ButtonBlockElement {
	btn := slack.NewButtonBlockElement(actionID, value, plain(label, maxButtonText))
	if style != "" {
		btn.Style = slack.Style(style)
	}
	return btn
}

func actions(blockID string, buttons ...*slack.ButtonBlockElement) *slack.ActionBlock {
	els := make([]slack.BlockElement, 0, len(buttons))
	for _, b := range buttons {
		els = append(els, b)
	}
	return slack.NewActionBlock(blockID, els...)
}

func textMessage(text string) message {
	return message{Text: clamp(text, maxFallbackText), Blocks: []slack.Block{section(text)}}
}

// enforceLimits clamps every text to its limit, drops buttons whose value
// would be too long (a cut value would point at the wrong thing), and keeps
// the block count within max, preserving trailing action rows.
func enforceLimits(blocks []slack.Block, max int) []slack.Block {
	out := make([]slack.Block, 0, len(blocks))
	for _, b := range blocks {
		switch v := b.(type) {
		case *slack.SectionBlock:
			if v.Text != nil {
				v.Text.Text = clamp(v.Text.Text, maxSectionText)
			}
			if len(v.Fields) > 10 {
				v.Fields = v.Fields[:10]
			}
			for _, f := range v.Fields {
				f.Text = clamp(f.Text, maxFieldText)
			}
		case *slack.HeaderBlock:
			v.Text.Text = clamp(v.Text.Text, maxHeaderText)
		case *slack.ContextBlock:
			if len(v.ContextElements.Elements) > 10 {
				v.ContextElements.Elements = v.ContextElements.Elements[:10]
			}
			for _, e := range v.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					t.Text = clamp(t.Text, maxSectionText)
				}
			}
		case *slack.ActionBlock:
			var keep []slack.BlockElement
			for _, e := range v.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					if len(btn.Value) > maxButtonValue {
						continue
					}
					btn.Text.Text = clamp(btn.Text.Text, maxButtonText)
				}
				keep = append(keep, e)
			}
			if len(keep) > 25 {
				keep = keep[:25]
			}
			if len(keep) == 0 {
				continue
			}
			v.Elements.ElementSet = keep
		}
		out = append(out, b)
	}
	if len(out) <= max {
		return out
	}
	// Keep the trailing action rows: the buttons matter more than the detail.
	tail := 0
	for i := len(out) - 1; i >= 0 && tail < 2; i-- {
		if _, ok := out[i].(*slack.ActionBlock); !ok {
			break
		}
		tail++
	}
	head := max - 1 - tail
	dropped := len(out) - tail - head
	trimmed := append([]slack.Block{}, out[:head]...)
	trimmed = append(trimmed, contextText(fmt.Sprintf("_and %d more sections not shown_", dropped)))
	return append(trimmed, out[len(out)-tail:]...)
}

// fitMessage applies enforceLimits and a fallback text.
func fitMessage(m message) message {
	m.Blocks = enforceLimits(m.Blocks, maxMessageBlocks)
	m.Text = clamp(m.Text, maxFallbackText)
	if strings.TrimSpace(m.Text) == "" {
		m.Text = "Steward"
	}
	return m
}

// option builds a select option within limits.
func option(label, value string) *slack.OptionBlockObject {
	return slack.NewOptionBlockObject(value, plain(label, maxOptionText), nil)
}

// when renders a time for cards, in UTC so every reader sees the same thing.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// humanDuration renders a duration the way people say it.
func humanDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "standing access (no end date)"
	case d%(7*24*time.Hour) == 0 && d >= 7*24*time.Hour:
		return plural(int(d/(7*24*time.Hour)), "week")
	case d%(24*time.Hour) == 0:
		return plural(int(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	case d >= time.Minute:
		return plural(int(d/time.Minute), "minute")
	}
	return d.String()
}

// left renders the time remaining until t.
func left(now, t time.Time) string {
	if t.IsZero() {
		return "no end date"
	}
	d := t.Sub(now)
	switch {
	case d <= 0:
		return "ended"
	case d < time.Hour:
		return plural(int(d/time.Minute)+1, "minute") + " left"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " left"
	}
	return plural(int(d/(24*time.Hour)), "day") + " left"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
