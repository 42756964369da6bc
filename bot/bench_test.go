package bot

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/steward-dev/steward/internal/testsupport/slackfake"
)

// BenchmarkAckLatency measures, at the fake Slack, the time from sending an
// envelope to receiving its ack while 200 envelopes a second arrive for 3 s:
// /policy drafts (the copilot working), @mention access requests and App
// Home opens, all over the real socketmode client, SQLite and the workers.
func BenchmarkAckLatency(b *testing.B) {
	const (
		rate     = 200
		duration = 3 * time.Second
	)
	sentences := []string{
		"Actuaries can read claims data for 30 days after completing security awareness training",
		"Fraud investigators can read restricted claims data",
		"Mask PII for customer service representatives",
		"Data analysts except interns can read claims data",
	}
	var all []time.Duration
	for i := 0; i < b.N; i++ {
		h := newHarness(b)
		var ids []string
		tick := time.NewTicker(time.Second / rate)
		start := time.Now()
		n := 0
		b.ResetTimer()
		for now := range tick.C {
			elapsed := now.Sub(start)
			if elapsed > duration {
				break
			}
			// Catch up on ticks the ticker dropped, so the rate holds at 200/s.
			for n < int(elapsed.Seconds()*rate)+1 {
				var id string
				var err error
				switch n % 4 {
				case 0, 1:
					id, err = h.fake.Send("slash_commands", h.fake.SlashCommand(maya, "C0GENERAL", "/policy", sentences[n%len(sentences)]))
				case 2:
					id, err = h.fake.Send("events_api", h.fake.AppMention(jamal, "C0CLAIMS",
						fmt.Sprintf("<@U0STEWARD> I need claims.adjuster_notes for %d days to check batch %d", 1+n%5, n)))
				default:
					id, err = h.fake.Send("events_api", h.fake.AppHomeOpened(priya))
				}
				if err != nil {
					b.Fatal(err)
				}
				ids = append(ids, id)
				n++
			}
		}
		sendRate := float64(n) / time.Since(start).Seconds()
		tick.Stop()
		for _, id := range ids {
			ack, err := h.fake.WaitAck(id, 10*time.Second)
			if err != nil {
				b.Fatal(err)
			}
			all = append(all, ack.Latency)
		}
		// The copilot really worked: wait for every draft card (saved-able or
		// refused), for the throughput.
		drafts := (n + 3) / 4 * 2
		for len(draftCards(h)) < drafts && time.Since(start) < 60*time.Second {
			time.Sleep(50 * time.Millisecond)
		}
		b.StopTimer()
		b.ReportMetric(float64(len(draftCards(h)))/time.Since(start).Seconds(), "drafts/s")
		b.ReportMetric(sendRate, "sent/s")
		if late := h.fake.LateOrMissingAcks(); len(late) > 0 {
			b.Errorf("%d envelopes missed Slack's 3 s ack deadline, e.g. %s", len(late), late[0])
		}
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(all[len(all)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(len(all))/float64(b.N), "envelopes")
}

func draftCards(h *harness) []slackfake.Call {
	var out []slackfake.Call
	for _, c := range h.fake.Calls("response_url") {
		if c.Params["replace_original"] == true { // the card that replaces "Drafting…"

			out = append(out, c)
		}
	}
	return out
}
