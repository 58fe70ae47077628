package listener

import (
	"context"
	"time"

	"github.com/dbrelay/dbrelay/channel/inbox"
	"github.com/dbrelay/dbrelay/dialect"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the listener's Prometheus metrics. A nil *Metrics records
// nothing, so the listener never checks.
type Metrics struct {
	claimedC, sentC, retriedC, deadC *prometheus.CounterVec
	latency                          *prometheus.HistogramVec
	reg                              prometheus.Registerer
}

// channelMetrics are one channel's series, looked up once per channel
// rather than once per message.
type channelMetrics struct {
	claimed, sent, retried, dead prometheus.Counter
	latency                      prometheus.Observer
}

// NewMetrics registers the listener's metrics with reg, and a collector
// that reads the backlog (due messages, age of the oldest) from db at each
// scrape.
func NewMetrics(reg prometheus.Registerer, conn *dialect.Conn) *Metrics {
	m := &Metrics{
		claimedC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dbrelay_messages_claimed_total",
			Help: "Messages claimed for delivery, by channel."}, []string{"channel"}),
		sentC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dbrelay_messages_sent_total",
			Help: "Messages delivered and recorded as sent, by channel."}, []string{"channel"}),
		retriedC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dbrelay_messages_retried_total",
			Help: "Failed attempts scheduled for a retry, by channel."}, []string{"channel"}),
		deadC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dbrelay_messages_dead_total",
			Help: "Messages given up on (permanent error or max_attempts), by channel."}, []string{"channel"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "dbrelay_delivery_latency_seconds",
			Help:    "From the message's created_at to its successful delivery, by channel.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}},
			[]string{"channel"}),
		reg: reg,
	}
	reg.MustRegister(m.claimedC, m.sentC, m.retriedC, m.deadC, m.latency, &backlogCollector{conn: conn})
	return m
}

func (m *Metrics) forChannel(code string) *channelMetrics {
	if m == nil {
		return nil
	}
	return &channelMetrics{
		claimed: m.claimedC.WithLabelValues(code),
		sent:    m.sentC.WithLabelValues(code),
		retried: m.retriedC.WithLabelValues(code),
		dead:    m.deadC.WithLabelValues(code),
		latency: m.latency.WithLabelValues(code),
	}
}

// watch adds the per-channel health series of l: dbrelay_channel_up from
// the listener's own view, dbrelay_channel_waiting_messages from the
// database at each scrape.
func (m *Metrics) watch(conn *dialect.Conn, l *Listener) {
	if m == nil || m.reg == nil {
		return
	}
	m.reg.MustRegister(&channelCollector{conn: conn, l: l})
}

// finished counts a written outcome.
func (m *Metrics) finished(f *finished) {
	if m == nil || f.entry == nil || f.entry.metrics == nil {
		return
	}
	cm := f.entry.metrics
	switch {
	case f.Status == dialect.StatusSent:
		cm.sent.Inc()
		if f.entry.ch.Kind != inbox.Kind { // an inbox is no endpoint: nothing to measure
			cm.latency.Observe(time.Since(f.claimed.CreatedAt).Seconds())
		}
	case f.Status == dialect.StatusDead:
		cm.dead.Inc()
	case !f.Released:
		cm.retried.Inc()
	}
}

var (
	depthDesc = prometheus.NewDesc("dbrelay_queue_due_messages",
		"Messages due for delivery now (pending and due, or whose lease ran out).", nil, nil)
	ageDesc = prometheus.NewDesc("dbrelay_queue_oldest_due_seconds",
		"How long the oldest due message has been due.", nil, nil)
)

// backlogCollector queries the backlog at scrape time.
type backlogCollector struct{ conn *dialect.Conn }

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- depthDesc; ch <- ageDesc }

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := c.conn.Dialect.Backlog(ctx, c.conn.DB)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(depthDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(depthDesc, prometheus.GaugeValue, float64(b.Due))
	ch <- prometheus.MustNewConstMetric(ageDesc, prometheus.GaugeValue, b.OldestDue.Seconds())
}

var (
	upDesc = prometheus.NewDesc("dbrelay_channel_up",
		"1 when this listener can deliver on the channel; 0 when it cannot (unknown kind, unusable config, a secret not set or not allowed, disabled, or parked after attempts without an answer): its messages wait. relay_api.channel_stats says why.",
		[]string{"channel"}, nil)
	waitingDesc = prometheus.NewDesc("dbrelay_channel_waiting_messages",
		"Messages of the channel not yet in a final state (pending or sending), due or not.",
		[]string{"channel"}, nil)
)

// channelCollector reports the health of each channel the listener serves.
type channelCollector struct {
	conn *dialect.Conn
	l    *Listener
}

func (c *channelCollector) Describe(ch chan<- *prometheus.Desc) { ch <- upDesc; ch <- waitingDesc }

func (c *channelCollector) Collect(ch chan<- prometheus.Metric) {
	hs := c.l.health()
	for _, h := range hs {
		up := 0.0
		if h.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, up, h.Channel)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	waiting, err := c.conn.Dialect.Waiting(ctx, c.conn.DB)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(waitingDesc, err)
		return
	}
	// Every channel the listener serves, 0 included, so that an alert on
	// waiting messages of a channel that is down has both series.
	for _, h := range hs {
		ch <- prometheus.MustNewConstMetric(waitingDesc, prometheus.GaugeValue, float64(waiting[h.Channel]), h.Channel)
	}
}
