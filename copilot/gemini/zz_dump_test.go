package gemini

import (
	"testing"

	"github.com/steward-dev/steward/internal/testsupport/geminifake"
)

func TestZZDump(t *testing.T) {
	cat, _ := loadDev(t)
	e, srv := newShippedEngine(t)
	srv.Enqueue(geminifake.JSON(answer{IsPolicy: boolp(false)}))
	e.Draft(t.Context(), "Comptrollers can read data containing bank account information after completing security awareness training.", cat)
	r := srv.Requests()[0]
	t.Logf("%s\n\n%s", r.Prompt(), r.Raw)
}
