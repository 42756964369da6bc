package bot

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/connectors"
	"github.com/steward-dev/steward/connectors/postgres"
	"github.com/steward-dev/steward/internal/testsupport/pgtest"
	"github.com/steward-dev/steward/internal/testsupport/slackfake"
	"github.com/steward-dev/steward/policy"
)

// An approval in Slack makes SELECT work on a real PostgreSQL for the
// requester's login role, through the reconciler the bot triggers.
func TestApprovalGrantsAccessOnPostgres(t *testing.T) {
	db := pgtest.Shared(t).NewDatabase(t)
	db.Exec(t,
		"CREATE SCHEMA claims",
		"CREATE TABLE claims.adjuster_notes (claim_id int, note text)",
		"INSERT INTO claims.adjuster_notes VALUES (1, 'water damage')",
		"GRANT USAGE ON SCHEMA claims TO PUBLIC",
	)
	db.CreateLoginRole(t, "jamal.brooks") // the local part of Jamal's email
	canRead := func() error {
		conn := db.ConnectAs(t, "jamal.brooks")
		defer conn.Close(context.Background())
		_, err := conn.Exec(context.Background(), "SELECT * FROM claims.adjuster_notes")
		return err
	}
	var pe *pgconn.PgError
	require.True(t, errors.As(canRead(), &pe) && pe.Code == "42501", "no access before the request")

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h := newHarness(t, func(svc *approvals.Service, st approvals.Store, cat *policy.Catalog) Reconciler {
		conn, err := postgres.New(ctx, postgres.Config{URL: db.URL}, cat)
		require.NoError(t, err)
		rec, err := connectors.NewReconciler(svc, cat, st, []connectors.Connector{conn}, connectors.ReconcilerConfig{
			Interval: time.Hour, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Holder: "bot-test"})
		require.NoError(t, err)
		go func() { _ = rec.Run(ctx) }()
		return rec
	})
	h.send("events_api", h.fake.AppMention(jamal, "C0CLAIMS", "<@U0STEWARD> I need claims.adjuster_notes for a day to review claim 1"))
	ts, reqID := h.approvalCard("pg.claims.adjuster_notes")
	h.click(priya, approvalsChannel, ts, actApprove, reqID)
	h.waitCall("chat.update", func(c slackfake.Call) bool { return c.Str("ts") == ts && strings.Contains(c.JSON(), "Approved") })
	require.Eventually(t, func() bool { return canRead() == nil }, 30*time.Second, 100*time.Millisecond,
		"the approval is applied on PostgreSQL without waiting for the hourly pass")
}
