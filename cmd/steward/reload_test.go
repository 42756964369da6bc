package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// A changed catalog file is picked up while the bot runs: a joiner can ask
// for access at once; a file that breaks a saved policy or does not parse is
// refused with an error in the log, and the running catalog stays.
func TestCatalogFileIsReloaded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	path := filepath.Join(dir, "catalog.yaml")
	demo, err := demoFS.ReadFile(demoCatalogPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, demo, 0o600))
	cfg, err := loadConfig(envFrom(map[string]string{
		"STEWARD_CATALOG": path, "STEWARD_CATALOG_RELOAD": "20ms", "STEWARD_STORE": filepath.Join(dir, "steward.db"),
	}))
	require.NoError(t, err)
	st, err := openStore(ctx, cfg.Store)
	require.NoError(t, err)
	defer st.Close()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	w, err := wire(ctx, env{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: envFrom(nil)}, cfg, st, logger)
	require.NoError(t, err)
	_, err = w.svc.SavePolicy(ctx, policy.Policy{ID: "adjusters-claims", Effect: policy.Allow, Action: policy.Read,
		Subjects: [][]policy.Term{{{Attribute: "job_title", Values: []string{"Claims Adjuster"}}}},
		Objects:  []policy.Clause{{AllTags: []string{"Domain.Claims"}}}}, "maya")
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { watchCatalog(ctx, cfg, w, logger); close(done) }()
	defer func() { cancel(); <-done }()

	joiner := "  - {id: nadia, name: Nadia Karim, email: nadia.karim@northwind.example, attributes: {job_title: Claims Adjuster, department: Claims}}\n"
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(demo), "users:\n", "users:\n"+joiner, 1)), 0o600))
	require.Eventually(t, func() bool {
		_, ok := w.svc.Catalog().User("nadia")
		return ok
	}, 10*time.Second, 10*time.Millisecond, "the joiner is in the running catalog")
	assert.Contains(t, logs.String(), "catalog reloaded")
	res, err := w.svc.Submit(ctx, approvals.NewRequest{Requester: "nadia", Assets: []string{"pg.claims.adjuster_notes"}, Duration: 24 * time.Hour, Reason: "triage"})
	require.NoError(t, err)
	assert.True(t, res.Covered, "the saved policy covers the joiner")
	running := w.svc.Catalog()

	for name, text := range map[string]string{
		"a tag the saved policy uses is gone": strings.ReplaceAll(string(demo), "Domain.Claims", "Domain.Claimz"),
		"the file does not parse":             "users: [",
	} {
		before := strings.Count(logs.String(), "catalog reload refused")
		require.NoError(t, os.WriteFile(path, []byte(text), 0o600), name)
		require.Eventually(t, func() bool { return strings.Count(logs.String(), "catalog reload refused") > before },
			10*time.Second, 10*time.Millisecond, name)
		assert.Same(t, running, w.svc.Catalog(), "%s: the running catalog stays", name)
	}
	assert.Contains(t, logs.String(), "adjusters-claims", "the refusal names the policy")
}
