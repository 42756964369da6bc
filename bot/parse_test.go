package bot

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/policy"
)

const day = 24 * time.Hour

func TestParseAccess(t *testing.T) {
	cases := []struct {
		in     string
		what   string
		action policy.Action
		dur    time.Duration
		reason string
	}{
		{"the claims tables for a week because reconciling Q3", "the claims tables", policy.Read, 7 * day, "reconciling Q3"},
		{"<@U0STEWARD> I need the claims tables for a week to reconcile Q3", "the claims tables", policy.Read, 7 * day, "reconcile Q3"},
		{"write access to finance.general_ledger for 2 days to fix the import", "finance.general_ledger", policy.Write, 2 * day, "fix the import"},
		{"read access to pg.claims.claims for 12 hours because audit", "pg.claims.claims", policy.Read, 12 * time.Hour, "audit"},
		{"can I get access to actuarial.reserves for one month so that I can close the quarter", "actuarial.reserves", policy.Read, 30 * day, "I can close the quarter"},
		{"claims.adjuster_notes, claims.claims for 3d because triage", "claims.adjuster_notes, claims.claims", policy.Read, 3 * day, "triage"},
		{"claims data because the regulator asked", "claims data", policy.Read, 0, "the regulator asked"},
		{"please give me write access to policy.premiums for two weeks - pricing review", "policy.premiums", policy.Write, 14 * day, "pricing review"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			ask, err := parseAccess(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.what, ask.What)
			assert.Equal(t, tc.action, ask.Action)
			assert.Equal(t, tc.dur, ask.Duration)
			assert.Equal(t, tc.reason, ask.Reason)
		})
	}
	// Standing access is asked for in words, and never becomes the default duration.
	for in, want := range map[string]string{
		"claims.adjuster_notes for ever because audit":                   "claims.adjuster_notes",
		"claims.adjuster_notes for good because audit":                   "claims.adjuster_notes",
		"I need claims.claims permanently because I run the claims desk": "claims.claims",
		"standing read access to claims.claims because on-call":          "claims.claims",
		"claims.claims with no end date because on-call":                 "claims.claims",
	} {
		ask, err := parseAccess(in)
		require.NoError(t, err, in)
		assert.True(t, ask.Standing, in)
		assert.Zero(t, ask.Duration, in)
		assert.Equal(t, want, ask.What, in)
		assert.NotEmpty(t, ask.Reason, in)
	}
	for _, in := range []string{"claims.claims for a week because the long-standing audit", "claims.claims because outstanding issues"} {
		ask, err := parseAccess(in)
		require.NoError(t, err, in)
		assert.False(t, ask.Standing, in)
	}
	for _, bad := range []string{"", "   ", "<@U0STEWARD>", "for a week because x", "claims for 17 fortnights because x"} {
		_, err := parseAccess(bad)
		assert.Error(t, err, "%q", bad)
	}
}

func TestParseDuration(t *testing.T) {
	cases := map[string]time.Duration{
		"30d": 30 * day, "2w": 14 * day, "12h": 12 * time.Hour, "720h0m0s": 720 * time.Hour, "30 days": 30 * day,
		"a week": 7 * day, "two weeks": 14 * day, "one month": 30 * day, "for 3 hours": 3 * time.Hour, "standing": 0,
	}
	for in, want := range cases {
		got, err := parseDuration(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "soon", "-5h", "0 weeks", "3 fortnights", "99999 days"} {
		_, err := parseDuration(bad)
		assert.Error(t, err, bad)
	}
}

func TestResolveAssetsFromWords(t *testing.T) {
	h, _, _ := newBotHarness(t)
	ids, why, err := h.bot.resolveAssets("claims.adjuster_notes and pg.claims.claims")
	require.NoError(t, err)
	assert.Equal(t, []string{"pg.claims.adjuster_notes", "pg.claims.claims"}, ids)
	assert.Empty(t, why)
	ids, why, err = h.bot.resolveAssets("the claims tables")
	require.NoError(t, err)
	assert.NotEmpty(t, ids)
	assert.Contains(t, why, "the claims tables")
	_, _, err = h.bot.resolveAssets("the moon rocks")
	assert.Error(t, err)
}

func FuzzParseAccess(f *testing.F) {
	for _, s := range []string{"the claims tables for a week because reconciling Q3",
		"write access to x for 2 days to fix", "<@U1|a> I need y for 3 hours - why", "for for for because because to to", "standing access to x for good for 2 days because y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ask, err := parseAccess(s)
		if err != nil {
			return
		}
		if ask.What == "" {
			t.Fatalf("parsed %q with no object", s)
		}
		if ask.Action != policy.Read && ask.Action != policy.Write {
			t.Fatalf("bad action %q", ask.Action)
		}
		if ask.Duration < 0 {
			t.Fatalf("negative duration from %q", s)
		}
		if ask.Standing && ask.Duration != 0 {
			t.Fatalf("standing access with a duration from %q", s)
		}
		if utf8.ValidString(s) && (!utf8.ValidString(ask.What) || !utf8.ValidString(ask.Reason)) {
			t.Fatalf("valid input produced invalid UTF-8: %q", s)
		}
		if len(ask.What)+len(ask.Reason) > len(s)+1 && !strings.Contains(s, "<@") {
			t.Fatalf("parts longer than the input: %q", s)
		}
	})
}
