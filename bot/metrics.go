package bot

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the bot's Prometheus series, on their own registry.
type Metrics struct {
	Registry   *prometheus.Registry
	Envelopes  *prometheus.CounterVec   // by transport and kind
	AckLatency *prometheus.HistogramVec // envelope received -> ack sent, by transport
	Handled    *prometheus.HistogramVec // handler duration, by kind
	Errors     *prometheus.CounterVec   // by kind
	Duplicates prometheus.Counter       // redelivered envelopes and double clicks dropped
}

// NewMetrics registers the series on a fresh registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Envelopes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "steward_slack_envelopes_total", Help: "Slack envelopes received.",
		}, []string{"transport", "kind"}),
		AckLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "steward_slack_ack_seconds", Help: "Time from receiving an envelope to acknowledging it.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"transport"}),
		Handled: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "steward_slack_handler_seconds", Help: "Time spent handling an envelope after the ack.",
			Buckets: prometheus.DefBuckets,
		}, []string{"kind"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "steward_slack_errors_total", Help: "Errors while handling Slack traffic.",
		}, []string{"kind"}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "steward_slack_duplicates_total", Help: "Redelivered envelopes and repeated clicks ignored.",
		}),
	}
	m.Registry.MustRegister(m.Envelopes, m.AckLatency, m.Handled, m.Errors, m.Duplicates,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}
