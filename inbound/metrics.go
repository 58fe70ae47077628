package inbound

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes counted besides those recorded in relay.inbound.outcome (which
// the metrics use too): requests that leave no row.
const (
	outcomeNotFound    = "not_found"
	outcomeRateLimited = "rate_limited"
	outcomeMethod      = "method_not_allowed"
	outcomeUnavailable = "unavailable"
)

// Metrics are serve's Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	skipped  prometheus.Counter
}

// NewMetrics registers serve's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dbrelay_inbound_requests_total",
			Help: "Inbound HTTP requests answered, by endpoint (empty for unknown paths) and outcome " +
				"(ok, replayed, refused, failed, unauthorized, too_large, bad_request, error, not_found, rate_limited, method_not_allowed, unavailable)."},
			[]string{"endpoint", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "dbrelay_inbound_request_duration_seconds",
			Help:    "Time from receiving an inbound request to answering it, by endpoint.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
			[]string{"endpoint"}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{Name: "dbrelay_inbound_unrecorded_unauthorized_total",
			Help: "Unauthorized requests not written to relay.inbound because they came faster than 10/s."}),
	}
	reg.MustRegister(m.requests, m.duration, m.skipped)
	return m
}

func (m *Metrics) observe(endpoint, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(endpoint, outcome).Inc()
	m.duration.WithLabelValues(endpoint).Observe(d.Seconds())
}

func (m *Metrics) skip() {
	if m != nil {
		m.skipped.Inc()
	}
}
