package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/steward-dev/steward/approvals"
)

// benchOps is how many creations and decisions one benchmark iteration
// measures, so that -benchtime=1x still yields a meaningful rate.
const benchOps = 500

// Bench measures request creations per second and decisions per second,
// sequentially on one handle (each Decide is a full transaction: load, review,
// write the request, two grants and the audit entry).
func Bench(b *testing.B, open Opener) {
	s := open(b, "bench")
	ctx := b.Context()
	var createTotal, decideTotal time.Duration
	ops := 0
	for i := range b.N {
		ids := make([]string, benchOps)
		start := time.Now()
		for j := range benchOps {
			r := newRequest(fmt.Sprintf("bench-%d-%d", i, j), t0.Add(time.Duration(j)*time.Millisecond))
			ids[j] = r.ID
			if err := s.CreateRequest(ctx, r, createdAudit(r)); err != nil {
				b.Fatalf("creating %s: %v", r.ID, err)
			}
		}
		createTotal += time.Since(start)
		start = time.Now()
		for _, id := range ids {
			if _, err := s.Decide(ctx, id, approvals.Review{Reviewer: "bob", Verdict: approvals.Approve, At: t1}); err != nil {
				b.Fatalf("deciding %s: %v", id, err)
			}
		}
		decideTotal += time.Since(start)
		ops += benchOps
	}
	b.ReportMetric(float64(ops)/createTotal.Seconds(), "creations/s")
	b.ReportMetric(float64(ops)/decideTotal.Seconds(), "decisions/s")
}
