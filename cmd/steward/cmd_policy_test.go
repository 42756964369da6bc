package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cedar-policy/cedar-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const policyDevPolicies = `[
  {"id": "comptrollers", "name": "Comptrollers read bank data", "effect": "allow", "action": "read",
   "subjects": [[{"attribute": "job_title", "values": ["Accountant III", "Accountant IV"]},
                 {"attribute": "trainings", "values": ["Security Awareness"]}]],
   "objects": [{"all_tags": ["Discovered.Entity.Bank Account Number"]}], "duration": "720h"},
  {"id": "fraud", "effect": "allow", "action": "write",
   "subjects": [[{"group": "fraud-squad"}]], "objects": [{"all_tags": ["PCI"]}]},
  {"id": "no-contractors", "effect": "deny", "action": "read",
   "subjects": [[{"attribute": "employment_type", "values": ["Contractor"]}]], "objects": [{"all_tags": ["PCI"]}]}
]`

func TestPolicyEval(t *testing.T) {
	pol := cliPolicyFile(t, "policies.json", policyDevPolicies)
	code, out, errOut := cliRunPolicy(t, "policy", "eval", "--catalog", policyDevCatalog, "--policies", pol)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, `ana@acme.example	read	pg.finance.supplier_bank_details
ana@acme.example	read	pg.treasury.cash_positions
ben@acme.example	read	pg.finance.supplier_bank_details
ben@acme.example	read	pg.treasury.cash_positions
jade@acme.example	read	pg.cards.disputes
jade@acme.example	write	pg.cards.disputes
jade@acme.example	read	pg.cards.transactions
jade@acme.example	write	pg.cards.transactions
`, out)

	code, out, _ = cliRunPolicy(t, "policy", "eval", "--catalog", policyDevCatalog, "--policies", pol, "--json")
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 8)
	var first map[string]string
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	assert.Equal(t, map[string]string{"user": "ana@acme.example", "asset": "pg.finance.supplier_bank_details", "action": "read"}, first)

	// YAML policies work too.
	y := cliPolicyFile(t, "p.yaml", "- id: y\n  effect: allow\n  action: read\n  subjects: [[{group: dc-leads}]]\n  objects: [{asset: pg.logistics.shipments}]\n")
	code, out, _ = cliRunPolicy(t, "policy", "eval", "--catalog", policyDevCatalog, "--policies", y)
	require.Equal(t, 0, code)
	assert.Equal(t, "uma@acme.example\tread\tpg.logistics.shipments\n", out)
}

func TestPolicyEvalRejectsBadPolicies(t *testing.T) {
	bad := cliPolicyFile(t, "bad.json", `[{"id": "x", "effect": "allow", "action": "read", "subjects": [[{"group": "fraud"}]], "objects": [{"all_tags": ["PCI"]}]}]`)
	code, out, errOut := cliRunPolicy(t, "policy", "eval", "--catalog", policyDevCatalog, "--policies", bad)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, `policy x: subjects[0][0]: unknown group "fraud"`)

	unknown := cliPolicyFile(t, "unk.json", `[{"id": "x", "effect": "allow", "action": "read", "subject": [], "objects": []}]`)
	code, _, errOut = cliRunPolicy(t, "policy", "eval", "--catalog", policyDevCatalog, "--policies", unknown)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `unknown field "subject"`)

	everything := cliPolicyFile(t, "all.json", `[{"id": "all", "effect": "allow", "action": "read", "subjects": [[]], "objects": [{"all_tags": ["Classification.Public"]}, {"all_tags": ["Classification.Internal"]}, {"all_tags": ["Classification.Confidential"]}]}]`)
	code, _, errOut = cliRunPolicy(t, "policy", "eval", "--catalog", policyDevCatalog, "--policies", everything)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "objects cover every asset in the catalog (12 of 12)")

	code, _, errOut = cliRunPolicy(t, "policy", "eval", "--catalog", policyDevCatalog)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "needs --policies FILE")
}

func TestPolicyImpact(t *testing.T) {
	p := cliPolicyFile(t, "one.yaml", `id: fraud
name: Fraud squad writes card data
effect: allow
action: write
subjects: [[{group: fraud-squad}]]
objects: [{all_tags: [PCI]}]
duration: 48h
`)
	code, out, errOut := cliRunPolicy(t, "policy", "impact", "--catalog", policyDevCatalog, "--policy", p)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, `policy fraud (Fraud squad writes card data): allow write, for 48h0m0s

users (2):
  jade@acme.example  Jade Kim
  kofi@acme.example  Kofi Mensah

assets (2):
  pg.cards.disputes      postgres  cards.disputes
  pg.cards.transactions  postgres  cards.transactions
`, out)

	code, out, _ = cliRunPolicy(t, "policy", "impact", "--catalog", policyDevCatalog, "--policy", p, "--json")
	require.Equal(t, 0, code)
	var got struct {
		Users      []string `json:"users"`
		Assets     []string `json:"assets"`
		UserCount  int      `json:"user_count"`
		AssetCount int      `json:"asset_count"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, []string{"jade@acme.example", "kofi@acme.example"}, got.Users)
	assert.Equal(t, 2, got.AssetCount)

	two := cliPolicyFile(t, "two.json", policyDevPolicies)
	code, _, errOut = cliRunPolicy(t, "policy", "impact", "--catalog", policyDevCatalog, "--policy", two)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "expected exactly one policy, found 3")

	nobody := cliPolicyFile(t, "nobody.json", `{"effect": "deny", "action": "read", "subjects": [], "objects": [{"asset": "pg.cards.disputes"}]}`)
	code, out, _ = cliRunPolicy(t, "policy", "impact", "--catalog", policyDevCatalog, "--policy", nobody)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "users (0):")
	assert.Contains(t, out, "assets (1):")
}

func TestPolicyCedar(t *testing.T) {
	pol := cliPolicyFile(t, "policies.json", policyDevPolicies)
	code, out, errOut := cliRunPolicy(t, "policy", "cedar", "--catalog", policyDevCatalog, "--policies", pol)
	require.Equal(t, 0, code, errOut)
	i := strings.Index(out, "\n[")
	require.Positive(t, i, out)
	text, ents := out[:i], out[i+1:]
	set, err := cedar.NewPolicySetFromBytes("out.cedar", []byte(text))
	require.NoError(t, err)
	assert.Len(t, set.Map(), 3)
	var em cedar.EntityMap
	require.NoError(t, json.Unmarshal([]byte(ents), &em))
	assert.Len(t, em, 35)

	entFile := filepath.Join(t.TempDir(), "entities.json")
	code, out2, _ := cliRunPolicy(t, "policy", "cedar", "--catalog", policyDevCatalog, "--policies", pol, "--entities", entFile)
	require.Equal(t, 0, code)
	assert.Equal(t, text, out2)
	written, err := os.ReadFile(entFile)
	require.NoError(t, err)
	assert.JSONEq(t, ents, string(written))

	// Cedar agrees with policy eval on a sample decision.
	dec, _ := cedar.Authorize(set, em, cedar.Request{
		Principal: cedar.NewEntityUID("User", "jade@acme.example"),
		Action:    cedar.NewEntityUID("Action", "write"),
		Resource:  cedar.NewEntityUID("Asset", "pg.cards.disputes"),
		Context:   cedar.NewRecord(nil),
	})
	assert.Equal(t, cedar.Allow, dec)
}

func TestPolicyUsage(t *testing.T) {
	for _, sub := range []string{"eval", "impact", "cedar"} {
		code, out, _ := cliRunPolicy(t, "policy", sub, "--help")
		assert.Equal(t, 0, code, sub)
		assert.Contains(t, out, "Usage: steward policy "+sub, sub)
		assert.Contains(t, out, "-catalog", sub)
	}
	code, out, _ := cliRunPolicy(t, "policy", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "impact   show who and what one policy covers")
	code, _, errOut := cliRunPolicy(t, "policy", "apply")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown policy subcommand "apply"`)
}
