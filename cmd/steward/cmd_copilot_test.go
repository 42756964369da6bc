package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const copilotCatalog = "../../copilot/testdata/acme.yaml"

func runSteward(t *testing.T, stdin string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env2(stdin, &out, &errb, env)
	code = mainWithEnv(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func env2(stdin string, out, errb *bytes.Buffer, vars map[string]string) env {
	return env{stdin: strings.NewReader(stdin), stdout: out, stderr: errb, getenv: func(k string) string { return vars[k] }}
}

func TestCopilotJSONLinesKeepsLinesAligned(t *testing.T) {
	input := strings.Join([]string{
		"Fraud analysts can read card transactions.",
		"",
		"Can someone reset my password?",
		"Give the legal team read access to card disputes for 7 days.\r",
		"Pilots can read flight plans.",
		"Everyone can read store locations.",
	}, "\n") // no final newline: the last line still counts
	code, out, errOut := runSteward(t, input, nil, "copilot", "--catalog", copilotCatalog)
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, 6, "one answer per input line, empty lines included")

	var answers []map[string]any
	for _, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		answers = append(answers, m)
	}
	assert.Equal(t, "Fraud analysts can read card transactions.", answers[0]["sentence"])
	assert.Equal(t, true, answers[0]["ok"])
	pol := answers[0]["policy"].(map[string]any)
	assert.Equal(t, "allow", pol["effect"])
	assert.Equal(t, "read", pol["action"])
	assert.Equal(t, []any{map[string]any{"asset": "pg.cards.transactions"}}, pol["objects"])
	assert.Equal(t, []any{[]any{map[string]any{"attribute": "job_title", "values": []any{"Fraud Analyst"}, "negate": false}}}, pol["subjects"])
	assert.Equal(t, []any{"jade@acme.example", "kofi@acme.example"}, answers[0]["impact"].(map[string]any)["users"])
	assert.NotEmpty(t, answers[0]["cedar"])

	assert.Equal(t, false, answers[1]["ok"])
	assert.Contains(t, answers[1]["error"], "empty")
	assert.Equal(t, false, answers[2]["ok"])
	assert.Contains(t, answers[2]["error"], "question")
	assert.Nil(t, answers[2]["policy"])

	assert.Equal(t, true, answers[3]["ok"], answers[3]["error"])
	assert.Equal(t, "168h0m0s", answers[3]["policy"].(map[string]any)["duration"])
	assert.Equal(t, "Give the legal team read access to card disputes for 7 days.", answers[3]["sentence"], "CRLF input is handled")

	assert.Equal(t, false, answers[4]["ok"])
	assert.Equal(t, []any{"Pilots", "flight plans"}, answers[4]["unresolved"])

	assert.Equal(t, []any{[]any{}}, answers[5]["policy"].(map[string]any)["subjects"], "everyone is [[]], never null")
	for i, a := range answers {
		for _, k := range []string{"resolution", "unresolved"} {
			assert.NotNil(t, a[k], "line %d: %s is a list", i, k)
		}
		dec := a["decomposition"].(map[string]any)
		for _, k := range []string{"subjects", "objects", "conditions"} {
			assert.NotNil(t, dec[k], "line %d: decomposition.%s is a list", i, k)
		}
	}
}

func TestCopilotLongLineIsRefusedNotSplit(t *testing.T) {
	long := "Fraud analysts can read " + strings.Repeat("card transactions and ", 10000)
	code, out, _ := runSteward(t, long+"\nAccountants can read journal entries.\n", nil, "copilot", "--catalog", copilotCatalog)
	require.Equal(t, 0, code)
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	var n int
	var last map[string]any
	for sc.Scan() {
		n++
		require.NoError(t, json.Unmarshal(sc.Bytes(), &last))
		if n == 1 {
			assert.Equal(t, false, last["ok"])
			assert.Contains(t, last["error"], "characters long")
		}
	}
	assert.Equal(t, 2, n)
	assert.Equal(t, true, last["ok"])
}

func TestCopilotSummary(t *testing.T) {
	code, out, errOut := runSteward(t, "", nil, "copilot", "--catalog", copilotCatalog,
		"Comptrollers can read data containing bank account information after completing security awareness training.")
	require.Equal(t, 0, code, errOut)
	for _, want := range []string{
		"Draft:    OK",
		`subjects:   "Comptrollers"`,
		`conditions: "completing security awareness training"`,
		`job_title = "Accountant IV"`,
		`mentions "comptroller"`,
		`tag "Discovered.Entity.Bank Account Number"`,
		"(job_title in [Accountant III, Accountant IV] AND trainings in [Security Awareness])",
		"Impact: 2 users, 2 assets",
		"Cedar:",
		"permit (",
	} {
		assert.Contains(t, out, want)
	}

	code, out, _ = runSteward(t, "", nil, "copilot", "--catalog", copilotCatalog, "Pilots", "can", "read", "journal", "entries")
	require.Equal(t, 0, code, "a refusal is an answer, not a failure")
	assert.Contains(t, out, "REFUSED")
	assert.Contains(t, out, "Unresolved:")
	assert.Contains(t, out, `"Pilots"`)
}

func TestCopilotSentenceJSON(t *testing.T) {
	code, out, _ := runSteward(t, "", nil, "copilot", "--catalog", copilotCatalog, "--json", "Contractors must never read PCI data.")
	require.Equal(t, 0, code)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &m))
	assert.Equal(t, "deny", m["policy"].(map[string]any)["effect"])
	assert.Equal(t, "builtin", m["engine"])
}

func TestCopilotDecomposeNeedsNoCatalog(t *testing.T) {
	code, out, errOut := runSteward(t, "", nil, "copilot", "--decompose", "Give the legal team read access to card disputes for 7 days to settle claims")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `subjects:   "the legal team"`)
	assert.Contains(t, out, "duration:   7 days")
	assert.Contains(t, out, "purpose:    to settle claims")

	code, out, _ = runSteward(t, "Mask SSNs for contractors\nwhat?\n", nil, "copilot", "--decompose")
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	var first, second map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &second))
	assert.Equal(t, "mask", first["decomposition"].(map[string]any)["effect"])
	assert.Equal(t, false, second["ok"])
}

func TestCopilotErrors(t *testing.T) {
	code, _, errOut := runSteward(t, "", nil, "copilot", "Fraud analysts can read card transactions")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--catalog FILE is required")

	code, out, errOut := runSteward(t, "x\n", map[string]string{"STEWARD_CATALOG": copilotCatalog}, "copilot")
	assert.Equal(t, 0, code, "STEWARD_CATALOG stands in for --catalog: %s", errOut)
	assert.Contains(t, out, `"ok":false`)

	code, _, errOut = runSteward(t, "", nil, "copilot", "--catalog", "/nonexistent/catalog.yaml", "x")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "loading catalog /nonexistent/catalog.yaml")

	code, _, errOut = runSteward(t, "", nil, "copilot", "--catalog", copilotCatalog, "--engine", "oracle", "x")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown engine "oracle"`)

	code, _, errOut = runSteward(t, "", map[string]string{}, "copilot", "--catalog", copilotCatalog, "--engine", "gemini", "x")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "gemini")
	assert.Contains(t, errOut, "GEMINI_API_KEY", "names the setting to fix")

	code, out, _ = runSteward(t, "", nil, "copilot", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "JSON Lines")
	assert.Contains(t, out, "-decompose")
}
