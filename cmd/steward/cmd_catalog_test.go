package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const policyDevCatalog = "../../policy/testdata/catalog.yaml"

// run runs the steward command line with buffers and returns exit code, stdout, stderr.
func cliRunPolicy(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code := mainWithEnv(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func cliPolicyFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestCatalogCheckSummary(t *testing.T) {
	code, out, errOut := cliRunPolicy(t, "catalog", "check", "--catalog", policyDevCatalog)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, policyDevCatalog+`: ok
  users       20
  attributes  5 keys, 42 values
  groups      3
  tags        19
  assets      12 (0 columns)
  platforms   1 (postgres 12)
`, out)
	assert.Empty(t, errOut)

	// The file may also be given as the only argument.
	code, out, _ = cliRunPolicy(t, "catalog", "check", policyDevCatalog)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "users       20")
}

func TestCatalogCheckReportsEveryProblem(t *testing.T) {
	p := cliPolicyFile(t, "bad.yaml", `groups: {g: {}}
tags: {PII: {}}
users:
  - {id: a, name: A, groups: [h]}
  - {id: a, name: B}
assets:
  - {id: t, name: t, owner: z, tags: [PIX]}
`)
	code, out, errOut := cliRunPolicy(t, "catalog", "check", "--catalog", p)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, p+`:4: user a: unknown group "h"`)
	assert.Contains(t, errOut, p+`:5: user a: duplicate id (first at line 4)`)
	assert.Contains(t, errOut, p+`:7: asset t: owner "z" is not a user in the catalog`)
	assert.Contains(t, errOut, p+`:7: asset t: unknown tag "PIX" (did you mean "PII"?)`)
	assert.Contains(t, errOut, "steward: "+p+": 4 problems; the catalog was not loaded")
}

func TestCatalogCheckWarnings(t *testing.T) {
	p := cliPolicyFile(t, "warn.yaml", "tags: {PII: {}}\nusers:\n  - {id: a, name: A, role: x}\n")
	code, out, errOut := cliRunPolicy(t, "catalog", "check", "--catalog", p)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "users       1")
	assert.Contains(t, errOut, "warning: "+p+`:3: user a: unknown field "role" ignored`)
}

func TestCatalogUsage(t *testing.T) {
	code, out, _ := cliRunPolicy(t, "catalog", "check", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "Usage: steward catalog check --catalog FILE")
	assert.Contains(t, out, "-catalog")

	code, out, _ = cliRunPolicy(t, "catalog", "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "check   validate a catalog file")

	code, _, errOut := cliRunPolicy(t, "catalog", "check")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "needs --catalog FILE")

	code, _, errOut = cliRunPolicy(t, "catalog")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "needs a subcommand")

	code, _, errOut = cliRunPolicy(t, "catalog", "lint")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown catalog subcommand "lint"`)

	code, _, errOut = cliRunPolicy(t, "catalog", "check", "--catalog", filepath.Join(t.TempDir(), "missing.yaml"))
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "reading catalog")
	assert.Contains(t, errOut, "no such file")
}
