package mailin

import "github.com/prometheus/client_golang/prometheus"

// Metrics are mail-in's Prometheus metrics. A nil *Metrics records
// nothing, so the reader never checks.
type Metrics struct {
	mails      *prometheus.CounterVec
	imapErrors prometheus.Counter
}

// NewMetrics registers mail-in's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		mails: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dbrelay_mail_in_mails_total",
			Help: "Mails read from the mailbox, by outcome: stored, duplicate, unparsed, hook_failed, failed (left in the mailbox)."},
			[]string{"outcome"}),
		imapErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "dbrelay_mail_in_imap_errors_total",
			Help: "IMAP connections that failed or were lost (the reader reconnects)."}),
	}
	for _, o := range []string{OutcomeStored, OutcomeDuplicate, OutcomeUnparsed, OutcomeHookFailed, OutcomeFailed} {
		m.mails.WithLabelValues(o) // every series from the start, at 0
	}
	reg.MustRegister(m.mails, m.imapErrors)
	return m
}

func (m *Metrics) count(outcome string) {
	if m != nil {
		m.mails.WithLabelValues(outcome).Inc()
	}
}

func (m *Metrics) imapError() {
	if m != nil {
		m.imapErrors.Inc()
	}
}
