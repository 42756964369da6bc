package connectors

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the reconciler's Prometheus series; nil when not asked for.
type metrics struct {
	passes   *prometheus.CounterVec
	applied  *prometheus.CounterVec
	pending  *prometheus.GaugeVec
	duration *prometheus.HistogramVec
	success  *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "steward_reconcile_passes_total",
			Help: "Reconcile passes per connector, by result (applied, failed, lease_held).",
		}, []string{"connector", "result"}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "steward_reconcile_changes_applied_total",
			Help: "Changes (grants, revokes, roles) applied on the platform.",
		}, []string{"connector"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "steward_reconcile_pending_changes",
			Help: "Changes planned but not applied after the last pass (non-zero means the platform lags).",
		}, []string{"connector"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "steward_reconcile_pass_seconds",
			Help:    "Time to plan and apply one connector.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}, []string{"connector"}),
		success: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "steward_reconcile_last_success_timestamp_seconds",
			Help: "When the last pass that converged started (Unix time).",
		}, []string{"connector"}),
	}
	for _, c := range []prometheus.Collector{m.passes, m.applied, m.pending, m.duration, m.success} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) observe(s Status, res Result, took time.Duration) {
	if m == nil {
		return
	}
	m.passes.WithLabelValues(s.Connector, s.State).Inc()
	m.applied.WithLabelValues(s.Connector).Add(float64(len(res.Applied)))
	m.pending.WithLabelValues(s.Connector).Set(float64(len(s.Pending)))
	if !res.LeaseHeld {
		m.duration.WithLabelValues(s.Connector).Observe(took.Seconds())
	}
	if !s.LastSuccess.IsZero() {
		m.success.WithLabelValues(s.Connector).Set(float64(s.LastSuccess.Unix()))
	}
}
