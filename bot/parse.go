package bot

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/steward-dev/steward/policy"
)

var numberWords = map[string]int{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15,
	"twenty": 20, "thirty": 30, "sixty": 60, "ninety": 90, "couple": 2, "a couple of": 2,
}

var unitDurations = map[string]time.Duration{
	"minute": time.Minute, "min": time.Minute, "m": time.Minute,
	"hour": time.Hour, "hr": time.Hour, "h": time.Hour,
	"day": 24 * time.Hour, "d": 24 * time.Hour,
	"week": 7 * 24 * time.Hour, "wk": 7 * 24 * time.Hour, "w": 7 * 24 * time.Hour,
	"month": 30 * 24 * time.Hour, "mo": 30 * 24 * time.Hour,
	"quarter": 90 * 24 * time.Hour,
}

var durationRe = regexp.MustCompile(`^(?i)(\d+|a couple of|[a-z]+)\s*(minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|quarters?|mo|[mhdw])$`)

// parseDuration reads "30d", "2w", "12h", "720h0m0s", "30 days", "a week",
// "two weeks", "one month". "standing" and "permanent" mean 0 (no end).
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	s = strings.TrimPrefix(s, "for ")
	switch s {
	case "":
		return 0, errors.New("no duration given")
	case "standing", "permanent", "permanently", "ever", "forever", "0", "none":
		return 0, nil
	case "today":
		return 24 * time.Hour, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return 0, fmt.Errorf("duration %q is negative", s)
		}
		return d, nil
	}
	m := durationRe.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a duration I understand (try 12h, 7d, 2 weeks or a month)", s)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		var ok bool
		if n, ok = numberWords[m[1]]; !ok {
			return 0, fmt.Errorf("%q is not a duration I understand (try 12h, 7d, 2 weeks or a month)", s)
		}
	}
	unit := strings.TrimSuffix(m[2], "s")
	if m[2] == "s" || unit == "" {
		unit = m[2]
	}
	d, ok := unitDurations[unit]
	if !ok {
		d = unitDurations[m[2]]
	}
	if d == 0 || n <= 0 || n > 10000 {
		return 0, fmt.Errorf("%q is not a duration I understand (try 12h, 7d, 2 weeks or a month)", s)
	}
	return time.Duration(n) * d, nil
}

// accessAsk is an access request as typed: "/access the claims tables for a
// week because reconciling Q3" or "@steward I need write access to X for 2
// days to fix the import".
type accessAsk struct {
	What     string
	Action   policy.Action
	Duration time.Duration
	HasDur   bool
	Standing bool // "for good", "permanently": no end date, if the service allows it
	Reason   string
}

var (
	leadIns = []string{
		"i need", "i'd like", "i would like", "i want", "can i get", "could i get", "can i have",
		"could i have", "please give me", "give me", "please grant me", "grant me", "please", "request",
		"requesting", "need", "to",
	}
	mentionRe        = regexp.MustCompile(`<@[A-Z0-9]+(\|[^>]*)?>`)
	forDurRe         = regexp.MustCompile(`(?i)(?:^|\s+)for\s+((?:\d+|a couple of|[a-z]+)\s*(?:minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|quarters?|[hdw])|today)\b`)
	standingRe       = regexp.MustCompile(`(?i)(?:^|\s+)(?:for\s+(?:ever|good)|forever|permanently|indefinitely|with\s+no\s+(?:end\s+date|expiry|expiration))\b`)
	standingAccessRe = regexp.MustCompile(`(?i)\bstanding\s+((?:read|write|read-only|read-write|read/write)\s+)?access\b`)
	badDurRe         = regexp.MustCompile(`(?i)\s+for\s+(\d+\s*[a-z]+)\b`)
	reasonMarks      = []string{" because ", " since ", " so that ", " so i can ", " in order to ", " to ", " for reason ", " reason: ", " - ", " — "}
)

// parseAccess splits a typed access request into what, action, duration and reason.
func parseAccess(text string) (accessAsk, error) {
	s := strings.TrimSpace(mentionRe.ReplaceAllString(text, " "))
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return accessAsk{}, errors.New("tell me what you need, e.g. `/access the claims tables for a week because I'm reconciling Q3`")
	}
	ask := accessAsk{Action: policy.Read}
	lower := asciiLower(s)

	// Standing access: "for good", "permanently", "standing access to X".
	if loc := standingRe.FindStringIndex(s); loc != nil {
		ask.Standing, ask.HasDur = true, true
		s = strings.TrimSpace(s[:loc[0]] + " " + strings.TrimSpace(s[loc[1]:]))
		lower = asciiLower(s)
	}
	if loc := standingAccessRe.FindStringIndex(s); loc != nil {
		ask.Standing, ask.HasDur = true, true
		s = s[:loc[0]] + strings.TrimSpace(s[loc[0]+len("standing"):])
		lower = asciiLower(s)
	}
	// The duration: "for a week", "for 30 days".
	if loc := forDurRe.FindStringSubmatchIndex(s); loc != nil && !ask.Standing {
		phrase := asciiLower(s[loc[2]:loc[3]])
		if d, err := parseDuration(phrase); err == nil {
			ask.Duration, ask.HasDur = d, true
		} else {
			return accessAsk{}, err
		}
		before, after := s[:loc[0]], s[loc[1]:]
		s = before + " " + strings.TrimSpace(after)
		s = strings.TrimSpace(s)
		lower = asciiLower(s)
	} else if m := badDurRe.FindStringSubmatch(s); m != nil {
		if _, err := parseDuration(m[1]); err != nil {
			return accessAsk{}, err
		}
	}

	// The reason: after "because", "to ...", "so that ...". The text is
	// padded so a reason marker may also open it.
	padded := " " + lower
	cut, end := -1, 0
	for _, m := range reasonMarks {
		idx := strings.Index(padded, m)
		// " to " only counts after the object, not in "access to".
		for idx >= 0 && m == " to " && strings.HasSuffix(padded[:idx], "access") {
			next := strings.Index(padded[idx+len(m):], m)
			if next < 0 {
				idx = -1
				break
			}
			idx += len(m) + next
		}
		if idx >= 0 && (cut < 0 || idx < cut) {
			cut, end = idx, idx+len(m)
		}
	}
	if cut >= 0 {
		// padded[i] is s[i-1].
		ask.Reason = strings.TrimSpace(s[min(end-1, len(s)):])
		s = strings.TrimSpace(s[:max(cut-1, 0)])
		lower = asciiLower(s)
	}

	// The action and the object.
	for _, lead := range leadIns {
		if strings.HasPrefix(lower, lead+" ") {
			s, lower = strings.TrimSpace(s[len(lead):]), strings.TrimSpace(lower[len(lead):])
		}
	}
	for _, p := range []struct {
		prefix string
		action policy.Action
	}{
		{"write access to ", policy.Write}, {"write access on ", policy.Write}, {"write to ", policy.Write},
		{"read-write access to ", policy.Write}, {"read/write access to ", policy.Write},
		{"read access to ", policy.Read}, {"read-only access to ", policy.Read}, {"access to ", policy.Read},
		{"to read ", policy.Read}, {"to write ", policy.Write}, {"read ", policy.Read}, {"write ", policy.Write},
	} {
		if strings.HasPrefix(lower, p.prefix) {
			s, ask.Action = strings.TrimSpace(s[len(p.prefix):]), p.action
			break
		}
	}
	ask.What = strings.TrimSpace(strings.TrimSuffix(s, "."))
	if ask.What == "" {
		return accessAsk{}, errors.New("tell me which data you need, e.g. `/access finance.journal_entries for 3 days because of the audit`")
	}
	return ask, nil
}

// asciiLower lowers A-Z only, so byte offsets in the result match the input
// (strings.ToLower may change the length of some non-ASCII text).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
